"""Satisfaction rates, Wilson intervals and the year-over-year test, checked against hand computations,
and the question types read from the shapes real tools export."""

from __future__ import annotations

import pytest

from qep_core.surveys.questions import SCALE_BY_KEY, canon, compatible_types, detect_type, type_problem
from qep_core.surveys.reading import read_survey
from qep_core.surveys.results import table_results
from qep_core.surveys.stats import Z95, compare_rates, cross_tab, question_stats, wilson_interval
from tests import survey_files as files

# z = 1,959964 (quantile 97,5 % of the normal law), z² = 3,841459


def test_wilson_interval_by_hand() -> None:
    # 12 satisfied / 18 expressed: p = 0,666667 ; z²/n = 3,841459 / 18 = 0,213414
    # centre = (p + z²/2n) / (1 + z²/n) = (0,666667 + 0,106707) / 1,213414 = 0,637353
    # half = z·√(p(1-p)/n + z²/4n²) / (1 + z²/n) = 1,959964·√(0,0123457 + 0,0029641) / 1,213414 = 0,199859
    # → [0,437495 ; 0,837212]
    low, high = wilson_interval(12, 18)  # type: ignore[misc]
    assert low == pytest.approx(0.437495, abs=1e-6)
    assert high == pytest.approx(0.837212, abs=1e-6)
    # 298 / 320 (the demo's accueil 2023): p = 0,93125 ; z²/n = 0,012005
    # centre = (0,93125 + 0,0060023) / 1,012005 = 0,926134 ; half = 1,959964·√(0,0002001 + 0,0000094) / 1,012005
    # = 0,028029 → [0,898105 ; 0,954163]
    low, high = wilson_interval(298, 320)  # type: ignore[misc]
    assert (round(100 * low, 2), round(100 * high, 2)) == (89.81, 95.42)
    assert Z95 == pytest.approx(1.959964, abs=1e-6)


def test_wilson_interval_edges() -> None:
    assert wilson_interval(0, 0) is None
    low, high = wilson_interval(263, 263)  # type: ignore[misc]
    assert high == 1.0 and 0.98 < low < 1.0  # 100 % of 263: never an interval of zero width
    low, high = wilson_interval(0, 10)  # type: ignore[misc]
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


def test_newcombe_difference_by_hand() -> None:
    # phone survey of the demo: 2024 36 / 59 against 2023 21 / 50
    # p1 = 0,610169 [Wilson 0,482663 ; 0,724206], p2 = 0,42 [0,293750 ; 0,557666], d = 0,190169
    # low  = d − √((p1 − l1)² + (u2 − p2)²) = 0,190169 − √(0,127506² + 0,137666²) = 0,002527
    # high = d + √((u1 − p1)² + (p2 − l2)²) = 0,190169 + √(0,114037² + 0,126250²) = 0,360297
    change = compare_rates(36, 59, 21, 50)
    assert change is not None
    assert change.difference == pytest.approx(19.0169, abs=1e-3)
    assert change.low == pytest.approx(0.2527, abs=1e-3)
    assert change.high == pytest.approx(36.0297, abs=1e-3)
    assert change.significant and "hausse significative" in change.text()
    # 22 / 28 against 12 / 18: +11,9 points, but the interval [−13,0 ; +37,4] holds zero: noise
    noise = compare_rates(22, 28, 12, 18)
    assert noise is not None and not noise.significant
    assert noise.low == pytest.approx(-12.9715, abs=1e-3) and noise.high == pytest.approx(37.4194, abs=1e-3)
    assert "marge d'erreur" in noise.text()
    assert compare_rates(1, 0, 1, 2) is None


def test_phone_csv_cp1252_with_accents() -> None:
    table = read_survey("enquete-telephone.csv", files.phone_csv_cp1252())
    assert table.respondents == 22
    roles = {c.header: c.role for c in table.columns if c.role != "question"}
    assert roles == {"ID de la réponse": "id", "Date de soumission": "timestamp", "Dernière page": "technical",
                     "Langue de départ": "technical"}
    stats = {q.column: q for q in table_results(table)}
    overall = stats["G"]
    assert overall.type_key == "scale:satisfaction4"
    s = overall.scale
    assert s is not None
    # satisfied = « Très satisfait » 5 + « Satisfait » 7 = 12 ; expressed = 12 + 4 + 2 = 18
    # excluded = 2 blanks + « Sans avis » 1 + « Ne sait pas » 1 = 4 ; rate = 12 / 18 = 66,67 %
    assert (s.satisfied, s.expressed, s.excluded) == (12, 18, 4)
    assert s.excluded_detail == {"sans réponse": 2, "sans avis": 1, "ne sait pas": 1}
    assert s.rate_pct == pytest.approx(66.6667, abs=1e-3)
    low, high = s.ci_pct  # type: ignore[misc]
    assert (round(low, 2), round(high, 2)) == (43.75, 83.72)  # see test_wilson_interval_by_hand
    courtesy = stats["H"].scale
    # graded yes / no: « Oui, tout à fait » 8 + « Oui, plutôt » 6 = 14 of 19 (2 blanks and « Non concerné » left out)
    # Wilson: p = 0,736842, z²/n = 0,202182, centre = 0,697010, half = 0,184926 → [51,21 ; 88,19]
    assert stats["H"].type_key == "scale:ouinon4"
    assert courtesy is not None and (courtesy.satisfied, courtesy.expressed) == (14, 19)
    assert tuple(round(v, 2) for v in courtesy.ci_pct) == (51.21, 88.19)  # type: ignore[union-attr]
    assert stats["I"].type_key == "text" and len(stats["I"].comments) == 4
    assert stats["F"].type_key == "single"


def test_xlsx_with_a_title_row() -> None:
    table = read_survey("accueil-2023.xlsx", files.accueil_xlsx_title_row())
    assert table.header_row == 3 and table.title == "Enquête de satisfaction — accueil physique 2023"
    assert table.respondents == 30
    assert table.date_span is not None and table.date_span[0].isoformat() == "2023-03-06"
    personal = [c.header for c in table.columns if c.role == "personal"]
    assert personal == ["Adresse e-mail (facultatif)"]  # mostly e-mail addresses: never kept
    assert all("@" not in a for q in table.questions for a in q.answers if q.text != "Vos suggestions")
    stats = {q.text: q for q in table_results(table)}
    signs = stats["La signalétique est claire"].scale
    # agreement, 5 levels: 9 + 11 agree of 28 expressed (2 « Sans avis » left out): 71,43 %
    # Wilson: p = 0,714286, z²/n = 0,137195, centre = 0,688434, half = 0,159026 → [52,94 ; 84,75]
    assert stats["La signalétique est claire"].type_key == "scale:accord5"
    assert signs is not None and (signs.satisfied, signs.expressed, signs.excluded) == (20, 28, 2)
    assert tuple(round(v, 2) for v in signs.ci_pct) == (52.94, 84.75)  # type: ignore[union-attr]
    overall = stats["Globalement, êtes-vous satisfait(e) de l'accueil ?"].scale
    # satisfaction, 5 levels: 10 + 12 of 28 (the middle level is expressed, not satisfied): 78,57 %
    # Wilson: p = 0,785714, z²/n = 0,137195, centre = 0,751245, half = 0,146631 → [60,46 ; 89,79]
    assert overall is not None and overall.scale.key == "satisfaction5"
    assert (overall.satisfied, overall.expressed) == (22, 28)
    assert tuple(round(v, 2) for v in overall.ci_pct) == (60.46, 89.79)  # type: ignore[union-attr]
    found = stats["Vous êtes-vous repéré(e) facilement ?"]
    assert found.type_key == "yes_no" and (found.scale.satisfied, found.scale.expressed) == (26, 29)  # type: ignore[union-attr]


def test_marks_from_0_to_10() -> None:
    table = read_survey("pan-2023.csv", files.marks_csv_utf8_bom())
    assert table.respondents == 25
    assert table.date_span is not None and table.date_span[0].isoformat() == "2023-05-01"  # « 2023/05/01 … UTC+2 »
    mark = table_results(table)[0]
    assert mark.type_key == "scale:note10"
    s = mark.scale
    # satisfied = marks 7 to 10 = 4 + 3 + 5 + 3 = 15 ; expressed = 22 (2 blanks and « Ne sait pas » left out)
    # rate = 15 / 22 = 68,18 % ; Wilson: p = 0,681818, z²/n = 0,174612, centre = 0,654790, half = 0,181604
    # → [47,32 ; 83,64]
    assert s is not None and (s.satisfied, s.expressed, s.excluded) == (15, 22, 3)
    assert s.rate_pct == pytest.approx(68.1818, abs=1e-3)
    assert tuple(round(v, 2) for v in s.ci_pct) == (47.32, 83.64)  # type: ignore[union-attr]
    assert [label for label, _ in mark.distribution][:3] == ["10", "9", "8"]  # best first
    assert table_results(table)[2].type_key == "text"  # « Un commentaire ? » with a single answer


def test_multiple_choice_and_marks_from_1_to_5() -> None:
    table = read_survey("forms.xlsx", files.multiple_choice_xlsx())
    roles = {c.header: c.role for c in table.columns if c.role != "question"}
    assert roles == {"ID": "id", "Heure de début": "date", "Heure de fin": "timestamp",
                     "Adresse de messagerie": "personal", "Nom": "personal"}
    multiple, note = table_results(table)
    assert multiple.type_key == "multiple"
    # options ticked (« ; » ends each list): Carte grise 7, Permis de conduire 4, Passeport 3, Titre de séjour 2;
    # 11 respondents answered, so the shares add up to more than 100 %
    assert multiple.distribution == [("Carte grise", 7), ("Permis de conduire", 4), ("Passeport", 3),
                                     ("Titre de séjour", 2)]
    assert multiple.answers == 11
    s = note.scale
    # marks 4 and 5 are satisfied: 4 + 4 = 8 of 12 → 66,67 % ; Wilson: p = 0,666667, z²/n = 0,320122,
    # centre = 0,626251, half = 0,235629 → [39,06 ; 86,19]
    assert note.type_key == "scale:note5" and s is not None and (s.satisfied, s.expressed) == (8, 12)
    assert tuple(round(v, 2) for v in s.ci_pct) == (39.06, 86.19)  # type: ignore[union-attr]


@pytest.mark.parametrize(("header", "answers", "expected"), [
    ("Q", ["Très satisfaite", "Plutôt satisfait", "Insatisfaite", "Pas du tout satisfait"], "scale:satisfaction4"),
    ("Q", ["4 - Très satisfait", "3 - Satisfait", "2 - Peu satisfait", "1 - Pas du tout satisfait"],
     "scale:satisfaction4"),
    ("Q", ["Très satisfait", "Moyennement satisfait", "Très insatisfait"], "scale:satisfaction5"),
    ("Q", ["Tout à fait d'accord", "Plutôt pas d'accord", "Sans avis"], "scale:accord4"),
    ("Q", ["Très facile", "Difficile"], "scale:facilite4"),
    ("Notez de 1 à 5", ["1", "2", "5"], "scale:note5"),
    ("Q", ["8/10", "9/10", "3/10"], "scale:note10"),
    ("Nombre de visites", ["1", "2", "3"], "number"),
    ("Q", ["OUI", "non", "Ne sait pas"], "yes_no"),
    ("Q", ["Voiture", "Bus", "Bus", "À pied"], "single"),
    ("Q", ["A|B", "B", "A|C", "C"], "multiple"),
    ("Remarques", ["Rien à dire", "Parfait", "Trop long", "Aucun souci", "Bien"], "text"),
    ("Q", ["", " "], "empty"),
])
def test_type_detection(header: str, answers: list[str], expected: str) -> None:
    assert detect_type(header, answers).type_key == expected


def test_type_correction_is_checked_against_the_answers() -> None:
    answers = ["1", "2", "5", "3"]
    assert detect_type("Nombre de visites", answers).type_key == "number"
    assert "scale:note5" in compatible_types("Nombre de visites", answers)  # a mark read as a number: correctable
    problem = type_problem("scale:satisfaction4", ["Bus", "Très satisfait"])
    assert problem is not None and "« Bus »" in problem
    assert type_problem("yes_no", ["Oui", "Peut-être"]) is not None
    assert canon("4 - Très SATISFAITE") == "tres satisfait"
    assert SCALE_BY_KEY["note10"].positive_text == "notes de 7 à 10"


def test_cross_tab_by_a_profile_question() -> None:
    table = read_survey("enquete-telephone.csv", files.phone_csv_cp1252())
    by_column = {q.column: q for q in table.questions}
    tab = cross_tab(by_column["G"].text, "scale:satisfaction4", by_column["G"].answers, by_column["F"].text, "single",
                    by_column["F"].answers)
    assert tab.rows == ["Moins de 30 ans", "30 à 59 ans", "60 ans et plus", "Ensemble"]
    # respondents 0, 3, 6… are under 30: overall answers T T S S S S P, i.e. rows 0, 3, 6, 9, 12, 15, 18, 21
    # → Très satisfait (0, 3), Satisfait (6, 9), Peu satisfait (12, 15), « Sans avis » (18) and blank (21)
    under_30 = tab.scales[0]
    assert under_30 is not None and under_30.counts == [2, 2, 2, 0] and under_30.excluded == 2
    assert tab.scales[-1] is not None and tab.scales[-1].expressed == 18  # « Ensemble » is the whole question
    assert sum(s.expressed for s in tab.scales[:-1] if s is not None) == 18


def test_scale_answer_off_the_scale_is_an_error() -> None:
    with pytest.raises(ValueError):
        question_stats(0, "A", "Q", "scale:satisfaction4", ["Très satisfait", "Bof"])


def test_numbered_answers_keep_their_natural_order():
    """Age bands read youngest first, whatever their frequency or their alphabetical order."""
    from qep_core.surveys.stats import ordinal_key, question_stats

    answers = (["35 à 49 ans"] * 9 + ["Moins de 25 ans"] * 2 + ["65 ans et plus"] * 5 + ["25 à 34 ans"] * 4
               + ["50 à 64 ans"] * 7)
    stats = question_stats(0, "C", "Votre âge", "single", answers)
    assert stats.distribution == [("Moins de 25 ans", 2), ("25 à 34 ans", 4), ("35 à 49 ans", 9), ("50 à 64 ans", 7),
                                  ("65 ans et plus", 5)]
    assert [ordinal_key(x) for x in ("< 2 min", "2 à 5 min", "Plus de 15 min", "Accueil")] == [
        (2, 0), (2, 1), (15, 2), None]
    motives = question_stats(0, "D", "Motif", "single", ["Titre"] * 3 + ["Étranger"] * 5 + ["25 ans"])
    assert [label for label, _ in motives.distribution] == ["Étranger", "Titre", "25 ans"]  # not all numbered: by count
