"""The quarterly review: hand-computed figures, what the rest of the year must do, control-chart signals, freezing."""

from __future__ import annotations

import datetime as dt

import pytest

from qep_core.db import session_scope
from qep_core.importing import import_file
from qep_core.referentiel import indicators_for
from qep_core.review.workflow import (
    A_ATTEINDRE,
    ACQUIS,
    ANNEE_CLOSE,
    HORS_ATTEINTE,
    ReviewError,
    add_action,
    compute_review,
    decided_actions_of_year,
    delete_action,
    freeze_review,
    open_review,
    reopen_review,
    requirement,
    save_comment,
)
from tests.test_compute import long_csv


def _ind(engine, prefecture, code):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return next(d for d in indicators_for(session, prefecture.id) if d.code == code)


# --- what the remaining months must achieve ----------------------------------------------------------------------


def test_requirement_for_a_rate(engine, prefecture):
    rate = _ind(engine, prefecture, "COURRIEL_5J")
    # 700 in time out of 800 so far; 400 expected in the remaining months; target 90 %:
    # x = (0.9 × 1200 − 700) / 400 = 0.95
    req = requirement(rate, 90.0, 700, 800, 3, 400)
    assert req.state == A_ATTEINDRE
    assert req.required_value == pytest.approx(95.0)
    assert req.remaining_volume == 400 and "mêmes mois l'an dernier" in req.basis
    assert "95,0 %" in req.text
    assert requirement(rate, 50.0, 800, 800, 3, 400).state == ACQUIS  # already over 50 % of 1 200
    out = requirement(rate, 90.0, 600, 800, 3, 100)  # (810 − 600) / 100 = 210 %
    assert out.state == HORS_ATTEINTE and out.required_value == pytest.approx(210.0)
    assert "hors d'atteinte" in out.text
    # without last year's volumes: the year's own pace, 800 over 9 months → 266.7 over 3
    pace = requirement(rate, 90.0, 700, 800, 3, None)
    assert pace.remaining_volume == pytest.approx(800 / 9 * 3) and "rythme" in pace.basis
    assert pace.required_value == pytest.approx((0.9 * (800 + 800 / 3) - 700) / (800 / 3) * 100)
    assert requirement(rate, 90.0, 700, 800, 0, 400).state == ANNEE_CLOSE
    assert requirement(rate, None, 700, 800, 3, 400) is None


def test_requirement_for_a_mean_delay_and_none_for_counts(engine, prefecture):
    delay = _ind(engine, prefecture, "COURRIEL_DELAI_MOYEN")
    # 3 000 days over 500 answers (6 days), 250 answers to come, target ≤ 5: (5 × 750 − 3 000) / 250 = 3 days
    req = requirement(delay, 5.0, 3000, 500, 3, 250)
    assert req.state == A_ATTEINDRE and req.required_value == pytest.approx(3.0)
    assert "au plus 3,0 j" in req.text
    assert requirement(delay, 5.0, 4000, 500, 3, 100).state == HORS_ATTEINTE  # (3 000 − 4 000) / 100 < 0
    assert requirement(_ind(engine, prefecture, "PAN_USAGERS"), 30.0, 300, None, 3, None) is None


def test_what_the_rest_of_the_year_needs_reads_with_its_sign(engine, prefecture):
    """The review's « Il faut » column: the bound and the months, never a bare number."""
    from dataclasses import replace

    from qep_core.review.workflow import ReviewLine

    def line(code: str, direction: str, req: object) -> ReviewLine:
        ind = _ind(engine, prefecture, code)
        return ReviewLine(code, ind.label, ind.module_code, ind.unit, ind.kind, direction, "monthly", 90.0, None,
                          None, None, None, "", None, "", None, None, None, "", False, "", req)  # type: ignore[arg-type]

    rate = line("COURRIEL_5J", ">=", requirement(_ind(engine, prefecture, "COURRIEL_5J"), 90.0, 700, 800, 3, 400))
    assert rate.need_text == "au moins 95,0 % sur les 3 mois restants"
    delay = line("COURRIEL_DELAI_MOYEN", "<=",
                 requirement(_ind(engine, prefecture, "COURRIEL_DELAI_MOYEN"), 5.0, 3000, 500, 1, 250))
    assert delay.need_text == "au plus 3,0 j sur le mois restant"  # (5 × 750 − 3 000) / 250 = 3 days
    assert replace(rate, requirement=requirement(_ind(engine, prefecture, "COURRIEL_5J"), 50.0, 800, 800, 3, 400)
                   ).need_text == "–"  # acquired: nothing to hold


# --- control-chart signals -----------------------------------------------------------------------------------
# (the rule itself: tests/test_spc.py; here, what the review reports of it)


def _line(engine, prefecture, **spc):  # type: ignore[no-untyped-def]
    from qep_core.review.workflow import ReviewLine

    ind = _ind(engine, prefecture, "TEL_ABOUTIS")
    return ReviewLine(ind.code, ind.label, ind.module_code, ind.unit, ind.kind, ">=", "monthly", 90.0, None,
                      None, None, None, "", None, "", None, None, None, "", False, "", None, **spc)


def test_signals_read_in_words(engine, prefecture):
    from qep_core.review.workflow import MonthSignal, signal_counts, signal_text, signals_summary

    july = MonthSignal("2024-07-01", 60.0, "préoccupation", ("point hors des limites",))
    august = MonthSignal("2024-08-01", 91.0, "amélioration", ("point hors des limites", "2 points sur 3 près d'une limite"))
    assert signal_text(july, "%") == "juillet 2024 : 60,0 % — ⊖ préoccupation (point hors des limites)"
    assert signal_text(august, "%").endswith("⊕ amélioration (point hors des limites, 2 points sur 3 près d'une limite)")
    lines = [_line(engine, prefecture, signals=(july, august)), _line(engine, prefecture, signals=(july,))]
    assert signal_counts(lines) == {"amélioration": 1, "préoccupation": 2}
    assert signals_summary(lines) == "⊖ 2 mois en préoccupation, ⊕ 1 mois en amélioration"
    assert signals_summary([_line(engine, prefecture)]) == "aucun signal"


# --- the review on imported data ---------------------------------------------------------------------------------

# 2023 wobbles 79, 81, 80 % each quarter (Q3 2023 = 2 400 / 3 000 = 80 %): the baseline of the chart.
ROWS_2023 = [["TEL_ABOUTIS", f"2023-{m:02d}", "", (790, 810, 800)[(m - 1) % 3], 1000, None, None] for m in range(1, 13)]
ROWS_2024 = [["TEL_ABOUTIS", f"2024-{m:02d}", "", n, 1000, None, None]
             for m, n in zip(range(1, 10), [850, 860, 870, 880, 890, 900, 600, 910, 920], strict=True)]


@pytest.fixture
def reviewed(engine, prefecture):
    import_file(engine, prefecture.id, "tel.csv", long_csv(ROWS_2023 + ROWS_2024))
    return prefecture


def test_review_figures_are_hand_computed(engine, reviewed):
    with session_scope(engine) as session:
        review = compute_review(session, reviewed.id, 2024, 3)
    line = review.line("TEL_ABOUTIS")
    assert line is not None
    assert line.quarter_value == pytest.approx((600 + 910 + 920) / 3000 * 100)  # 81.0 %
    assert line.previous_value == pytest.approx(80.0)
    assert line.ytd_value == pytest.approx((850 + 860 + 870 + 880 + 890 + 900 + 600 + 910 + 920) / 9000 * 100)
    # remaining months: Oct–Dec 2023 had 3 000 calls; (0.9 × 12 000 − 7 680) / 3 000 = 104 % → out of reach
    assert line.requirement is not None and line.requirement.state == HORS_ATTEINTE
    assert line.requirement.required_value == pytest.approx((0.9 * 12000 - 7680) / 3000 * 100)
    # Control chart (Laney p′) over the 24 months to September 2024, limits from the 12 of 2023:
    # p̄ = 9 600 / 12 000 = 0.8; σ = √(0.8 × 0.2 / 1 000) = 0.012649; z = −0.791, +0.791, 0 … whose 11
    # moving ranges are 4 × 1.5811 and 7 × 0.7906: mean 1.07805, σ_z = 1.07805 / 1.128 = 0.95572;
    # limits 80 ± 3 × 1.2649 × 0.95572 = 80 ± 3.627, i.e. 76.37 % to 83.63 %.
    # July's 60 % is below the lower limit (a concern); August's 91 % and September's 92 % above the
    # upper one (improvements). The 90 % target lies above the whole band: never met if nothing changes.
    assert [(s.month, s.variation) for s in line.signals] == [
        ("2024-07-01", "préoccupation"), ("2024-08-01", "amélioration"), ("2024-09-01", "amélioration")]
    assert line.signals[0].value == pytest.approx(60.0) and line.signals[0].signals == ("point hors des limites",)
    assert "point hors des limites" in line.signals[1].signals
    assert line.variation == "amélioration" and line.assurance == "manquée"
    assert line.variation_text == ("Amélioration : le dernier mois est au-dessus de la limite haute de la "
                                   "variation habituelle.")
    assert line.assurance_text.startswith("La cible ne sera atteinte aucun mois si rien ne change")
    # no data at all: no chart, no signal, no word
    empty = review.line("COURRIEL_5J")
    assert empty is not None and empty.signals == () and empty.variation is None and empty.variation_text == ""
    assert not line.slipped  # 81 % against 80 % a year earlier, both "non atteint"
    # every catalogue indicator is listed, the ones that slipped first
    assert len(review.lines) == 20


def test_slipped_indicators_come_first(engine, reviewed):
    rows = [["COURRIEL_5J", f"2023-{m:02d}", "", 95, 100, None, None] for m in (7, 8, 9)]
    rows += [["COURRIEL_5J", f"2024-{m:02d}", "", 75, 100, None, None] for m in (7, 8, 9)]
    import_file(engine, reviewed.id, "courriels.csv", long_csv(rows))
    with session_scope(engine) as session:
        review = compute_review(session, reviewed.id, 2024, 3)
    first = review.lines[0]
    assert first.code == "COURRIEL_5J" and first.slipped
    assert "« atteint »" in first.slip_reason and "« non atteint »" in first.slip_reason


def test_comments_actions_and_the_frozen_minutes(engine, reviewed):
    pid = reviewed.id
    with session_scope(engine, write=True) as session:
        save_comment(session, pid, 2024, 3, "TEL_ABOUTIS", "Juillet : panne de l'autocommutateur.", "rq")
        add_action(session, pid, 2024, 3, "Contrat de maintenance à revoir", indicator_code="TEL_ABOUTIS",
                            owner="SGCD", due_date=dt.date(2024, 12, 1))
        extra = add_action(session, pid, 2024, 3, "Action saisie par erreur")
    with session_scope(engine, write=True) as session:
        delete_action(session, pid, extra.id or 0)
    with session_scope(engine, write=True) as session:
        frozen = freeze_review(session, pid, 2024, 3, dt.date(2024, 10, 17), "rq")
    assert frozen.frozen and frozen.line("TEL_ABOUTIS").comment.startswith("Juillet")  # type: ignore[union-attr]
    assert [a.text for a in frozen.actions] == ["Contrat de maintenance à revoir"]
    before = frozen.line("TEL_ABOUTIS").quarter_value  # type: ignore[union-attr]

    # a corrected file for July arrives after the meeting
    import_file(engine, pid, "tel-correctif.csv", long_csv([["TEL_ABOUTIS", "2024-07", "", 880, 1000, None, None]]))
    with session_scope(engine) as session:
        view = open_review(session, pid, 2024, 3)
        live = compute_review(session, pid, 2024, 3)
    assert view.review.frozen
    assert view.review.line("TEL_ABOUTIS").quarter_value == pytest.approx(before)  # type: ignore[union-attr]
    assert live.line("TEL_ABOUTIS").quarter_value == pytest.approx((880 + 910 + 920) / 30)  # type: ignore[union-attr]
    assert [c.code for c in view.changes] == ["TEL_ABOUTIS"]
    assert view.changes[0].frozen_text == "81,0 %" and view.changes[0].live_text == "90,3 %"
    assert "Les chiffres ont changé depuis" in (view.changed_note or "")
    assert view.review.line("TEL_ABOUTIS").comment == "Juillet : panne de l'autocommutateur."  # type: ignore[union-attr]

    # frozen means frozen: no edit until reopened
    with pytest.raises(ReviewError, match="figée"), session_scope(engine, write=True) as session:
        save_comment(session, pid, 2024, 3, "TEL_ABOUTIS", "autre chose")
    with pytest.raises(ReviewError, match="figée"), session_scope(engine, write=True) as session:
        add_action(session, pid, 2024, 3, "encore une")
    with session_scope(engine) as session:
        meetings, decided = decided_actions_of_year(session, pid, 2024)
    assert meetings[0].frozen and meetings[0].meeting_date == dt.date(2024, 10, 17)
    assert [(a.quarter_label, a.text) for a in decided] == [("3e trimestre 2024", "Contrat de maintenance à revoir")]
    with session_scope(engine, write=True) as session:
        reopen_review(session, pid, 2024, 3)
    with session_scope(engine) as session:
        reopened = open_review(session, pid, 2024, 3)
    assert not reopened.review.frozen and reopened.changes == ()
    assert reopened.review.line("TEL_ABOUTIS").quarter_value == pytest.approx(90.333, abs=0.001)  # type: ignore[union-attr]


def test_bad_input_is_refused_in_french(engine, reviewed):
    with pytest.raises(ReviewError, match="indicateur inconnu"), session_scope(engine, write=True) as session:
        save_comment(session, reviewed.id, 2024, 3, "NOPE", "x")
    with pytest.raises(ReviewError, match="Décrivez"), session_scope(engine, write=True) as session:
        add_action(session, reviewed.id, 2024, 3, "   ")


def old_snapshot(snapshot: str, breaks: dict[str, list[dict]]) -> str:
    """*snapshot* as a review frozen before the control charts stored it: no signal, variation or
    assurance; « breaks » (median ± MAD rule) instead."""
    import json

    raw = json.loads(snapshot)
    for line in raw["lines"]:
        for key in ("signals", "variation", "assurance", "variation_text", "assurance_text"):
            line.pop(key)
        line["breaks"] = breaks.get(line["code"], [])
    return json.dumps(raw, ensure_ascii=False)


def test_a_review_frozen_before_the_control_charts_still_opens(engine, reviewed):
    from sqlmodel import select

    from qep_core.review.models import QuarterReview
    from qep_core.review.workflow import OLD_BREAK, minutes_of, signal_text

    pid = reviewed.id
    with session_scope(engine, write=True) as session:
        freeze_review(session, pid, 2024, 3, dt.date(2024, 10, 17), "rq")
    with session_scope(engine, write=True) as session:
        row = session.exec(select(QuarterReview).where(QuarterReview.prefecture_id == pid)).one()
        row.snapshot_json = old_snapshot(row.snapshot_json or "", {"TEL_ABOUTIS": [
            {"month": "2024-07-01", "value": 60.0, "median": 80.0, "score": -13.49}]})
        session.add(row)
    with session_scope(engine) as session:
        view = open_review(session, pid, 2024, 3)
        minutes = minutes_of(session, pid, 2024, 3)
    line = view.review.line("TEL_ABOUTIS")
    assert line is not None and view.review.frozen
    # the month the COPIL was shown as a break, read back as a concern (60 % is below the median, ≥ indicator)
    assert [(s.month, s.variation, s.signals) for s in line.signals] == [("2024-07-01", "préoccupation", (OLD_BREAK,))]
    assert signal_text(line.signals[0], "%").startswith("juillet 2024 : 60,0 % — ⊖ préoccupation (rupture")
    assert line.variation is None and line.assurance is None and line.variation_text == ""
    assert minutes.review.line("TEL_ABOUTIS") == line
    # and what is frozen now round-trips unchanged
    from qep_core.review.workflow import Review

    assert Review.from_json(view.review.to_json()) == view.review
