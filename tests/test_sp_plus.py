"""The Services Publics+ file in the nine official fields, on a small world whose figures are
computed by hand here, and its settings (structure, national codes of the indicators).

The world: préfecture 44 « Préfecture de test » (modules 1, 2, 4), 2024.

* COURRIEL_5J, monthly: July 45/50, August 30/40, September 90/100, the nine other months 9/10.
  Third quarter: 165/190 = 86,84 % → 86.8 (the average of the monthly rates would say 85);
  year: 246/280 = 87,86 % → 87.9.
* COURRIEL_DELAI_MOYEN: 300 working days over 100 answers in the year → 3 (a whole number).
* FRAUDE_PC, quarterly: 1 fraud in 2 000 requests in Q3 → 0.5 ‰.
* ACCUEIL_SATISFACTION, yearly survey: 45 satisfied of 50 → 90.
* COURRIER_10J: 2 of 3 letters in time over the year: under the threshold (10), never published.
* SITE_CONNEXION, quarterly, from a second file imported later: 6 000 visits / 1 500 000 → 0.4.

The first file is dated 2024-10-05 10:00 UTC; the second 2024-12-31 23:30 UTC, i.e. 1 January 2025
in Paris: each row's « Date de mise à jour » is its own file's day, as Paris saw it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from qep_core import services
from qep_core import sp_plus as rules
from qep_core.access import LOCAL_PRINCIPAL
from qep_core.change_history import ChangeEvent
from qep_core.cli.main import main
from qep_core.db import session_scope
from qep_core.exports.sp_plus import SP_PLUS_COLUMNS
from qep_core.importing import import_file
from qep_core.models import ImportBatch, Prefecture
from qep_core.sp_plus_models import SpPlusIndicator, SpPlusStructure

HEADER = ["indicateur", "période", "périmètre", "numérateur", "dénominateur", "valeur", "effectif"]
#: The list of mandatory fields of the DITP's API page, in its order (FIELD-NOTES).
OFFICIAL_FIELDS = ["Code SP+ de la structure", "Intitulé de la typologie", "Intitulé de la structure",
                   "Code postal de la structure", "Ville de la structure", "Code SP+ de l'indicateur", "Valeur",
                   "Fréquence", "Date de mise à jour"]
CODES = {"COURRIEL_5J": "IND-27", "COURRIEL_DELAI_MOYEN": "IND-28", "FRAUDE_PC": "IND-40",
         "ACCUEIL_SATISFACTION": "IND-2", "COURRIER_10J": "IND-30", "SITE_CONNEXION": "IND-11"}
Exports = services.exports


def long_csv(rows: list[list[object]]) -> bytes:
    lines = [";".join(HEADER)] + [";".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _dated(engine: Engine, file_name: str, when: dt.datetime) -> None:
    with session_scope(engine, write=True) as session:
        batch = session.exec(select(ImportBatch).where(ImportBatch.file_name == file_name)).one()
        batch.imported_at = when
        session.add(batch)


@pytest.fixture
def small_world(engine: Engine, prefecture: Prefecture) -> int:
    pid = prefecture.id or 0
    monthly = {7: (45, 50), 8: (30, 40), 9: (90, 100)}
    rows: list[list[object]] = []
    for month in range(1, 13):
        num, den = monthly.get(month, (9, 10))
        rows.append(["COURRIEL_5J", f"2024-{month:02d}", "", num, den, None, None])
    rows += [["COURRIEL_DELAI_MOYEN", "2024-03", "", None, None, 3, 100],
             ["FRAUDE_PC", "2024-T3", "", 1, 2000, None, None],
             ["ACCUEIL_SATISFACTION", "2024", "", 45, 50, None, None],
             ["COURRIER_10J", "2024-05", "", 2, 3, None, None]]
    import_file(engine, pid, "suivi-2024.csv", long_csv(rows))
    import_file(engine, pid, "site-2024.csv", long_csv([["SITE_CONNEXION", "2024-T3", "", 6000, 1500000, None, None]]))
    _dated(engine, "suivi-2024.csv", dt.datetime(2024, 10, 5, 10, 0, tzinfo=dt.UTC))
    _dated(engine, "site-2024.csv", dt.datetime(2024, 12, 31, 23, 30, tzinfo=dt.UTC))
    return pid


def actor(engine: Engine) -> services.Actor:
    return services.Actor(LOCAL_PRINCIPAL.named("Marie"), engine)


def sp_plus_ready(engine: Engine, prefecture_id: int) -> dict[str, str]:
    """Test data for other test files (the demo, public names): the structure's settings and a
    test code ``IND-<100 + n>`` for every indicator, in catalogue order; returns ours → national."""
    a = actor(engine)
    services.sp_plus.save_structure(a, prefecture_id, code="SP-TEST", typology="Préfecture", postal_code="44000",
                                    city="Nantes")
    codes = {x.indicator_code: f"IND-{100 + n}" for n, x in enumerate(services.sp_plus.code_lines(a, prefecture_id))}
    services.sp_plus.save_codes(a, prefecture_id, codes)
    return codes


@pytest.fixture
def configured(engine: Engine, small_world: int) -> int:
    a = actor(engine)
    services.sp_plus.save_structure(a, small_world, code="SP-PREF-44", typology="Préfecture", postal_code="44000",
                                    city="Nantes")
    services.sp_plus.save_codes(a, small_world, CODES)
    return small_world


def export(engine: Engine, pid: int, quarter: int | None = None, fmt: str = "csv",
           min_volume: int = 10) -> Exports.ExportFile:
    return Exports.build(actor(engine), pid, Exports.ExportRequest("sp-plus", 2024, quarter, min_volume, "A4", fmt))


def csv_rows(made: Exports.ExportFile) -> list[list[str]]:
    assert made.data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: French Excel reads the accents
    return list(csv.reader(io.StringIO(made.data.decode("utf-8-sig")), delimiter=";"))


def by_code(rows: list[list[str]]) -> dict[str, list[str]]:
    return {r[5]: r for r in rows[1:]}


# ------------------------------------------------------------------------------------------------ the file


def test_the_header_is_the_nine_official_fields_in_order(engine: Engine, configured: int) -> None:
    assert SP_PLUS_COLUMNS == OFFICIAL_FIELDS
    assert csv_rows(export(engine, configured))[0] == OFFICIAL_FIELDS
    sheet = openpyxl.load_workbook(io.BytesIO(export(engine, configured, fmt="xlsx").data)).active
    assert [c.value for c in sheet[1]] == OFFICIAL_FIELDS


def test_the_year_s_values_dates_and_frequency_as_computed_by_hand(engine: Engine, configured: int) -> None:
    made = export(engine, configured)
    assert made.name == "services-publics-plus-44-2024.csv" and made.mime == "text/csv"
    rows = by_code(csv_rows(made))
    assert set(rows) == {"IND-27", "IND-28", "IND-40", "IND-2", "IND-11"}  # COURRIER_10J: 3 letters, unpublished
    structure = ["SP-PREF-44", "Préfecture", "Préfecture de test", "44000", "Nantes"]
    assert rows["IND-27"] == [*structure, "IND-27", "87.9", "annuelle", "2024-10-05"]  # 246 / 280
    assert rows["IND-28"][6] == "3"  # 300 / 100 days: a whole number without decimals
    assert rows["IND-40"][6] == "0.5"  # 1 / 2 000 × 1 000
    assert rows["IND-2"][6:] == ["90", "annuelle", "2024-10-05"]  # a yearly survey in the year's file
    assert rows["IND-11"][6:] == ["0.4", "annuelle", "2025-01-01"]  # its own file, 23:30 UTC = 00:30 in Paris


def test_a_quarter_is_weighted_and_trimestrielle(engine: Engine, configured: int) -> None:
    made = export(engine, configured, quarter=3)
    assert made.name == "services-publics-plus-44-2024-T3.csv"
    rows = by_code(csv_rows(made))
    assert rows["IND-27"][6:] == ["86.8", "trimestrielle", "2024-10-05"]  # 165 / 190, not (90 + 75 + 90) / 3 = 85
    assert rows["IND-40"][6:8] == ["0.5", "trimestrielle"]
    assert rows["IND-11"][6:] == ["0.4", "trimestrielle", "2025-01-01"]
    assert "IND-2" not in rows  # a yearly survey has no quarter's value
    assert any("ACCUEIL_SATISFACTION" in n and "moins souvent" in n for n in made.notes)
    assert set(by_code(csv_rows(export(engine, configured, quarter=1)))) == {"IND-27", "IND-28"}  # e-mails, March


def test_the_xlsx_holds_numbers_and_iso_dates(engine: Engine, configured: int) -> None:
    made = export(engine, configured, fmt="xlsx")
    assert made.name.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(made.data)).active
    rows = {r[5].value: r for r in sheet.iter_rows(min_row=2)}
    assert rows["IND-27"][6].value == pytest.approx(87.9) and rows["IND-27"][6].data_type == "n"
    assert rows["IND-28"][6].value == 3
    assert rows["IND-27"][8].value == "2024-10-05" and rows["IND-27"][7].value == "annuelle"
    assert len(rows) == len(csv_rows(export(engine, configured))) - 1


def test_unmapped_indicators_are_left_out_and_named(engine: Engine, configured: int) -> None:
    services.sp_plus.unmap_indicator(actor(engine), configured, "COURRIEL_DELAI_MOYEN")
    made = export(engine, configured)
    rows = by_code(csv_rows(made))
    assert "IND-28" not in rows and all(r[5].startswith("IND-") for r in csv_rows(made)[1:])
    no_code = next(n for n in made.notes if "sans code SP+" in n)
    assert "COURRIEL_DELAI_MOYEN" in no_code and "TEL_ABOUTIS" in no_code and "COURRIEL_5J" not in no_code
    assert any("COURRIER_10J" in n and "Non publié" in n and "moins de 10 réponses" in n for n in made.notes)
    # with the threshold at 3, the 3 letters are published (2 / 3 = 66.7 %)
    assert by_code(csv_rows(export(engine, configured, min_volume=3)))["IND-30"][6] == "66.7"


def test_a_coded_indicator_of_a_module_no_longer_labelled_is_named(engine: Engine, configured: int) -> None:
    services.settings.save_prefecture(actor(engine), configured, name="Préfecture de test", code="44",
                                      whit_monday_worked=True, modules=["M4"])  # module 2 (FRAUDE_PC) withdrawn
    made = export(engine, configured)
    assert "IND-40" not in by_code(csv_rows(made))
    assert "Code SP+ donné, mais module non labellisé (Paramètres › Préfecture) : FRAUDE_PC." in made.notes


def test_no_code_at_all_gives_a_header_only_file_that_says_why(engine: Engine, small_world: int) -> None:
    services.sp_plus.save_structure(actor(engine), small_world, code="SP-PREF-44", typology="Préfecture",
                                    postal_code="44000", city="Nantes")
    made = export(engine, small_world)
    assert csv_rows(made) == [OFFICIAL_FIELDS]
    assert made.notes[0].startswith("20 indicateurs sans code SP+, laissés hors du fichier : ")  # modules 1, 2, 4
    assert "TEL_ABOUTIS" in made.notes[0]
    assert rules.DEFAULT_SP_CODES == {}  # no national code is guessed for the référentiel


def test_missing_structure_settings_are_refused_in_french(engine: Engine, small_world: int) -> None:
    services.sp_plus.save_codes(actor(engine), small_world, CODES)
    with pytest.raises(Exports.ExportError, match="paramètres Services Publics\\+ de la structure ne sont pas "
                                                  "renseignés"):
        export(engine, small_world)


def test_a_structure_text_cannot_become_a_formula(engine: Engine, configured: int) -> None:
    services.sp_plus.save_structure(actor(engine), configured, code="SP-PREF-44", typology="Préfecture",
                                    postal_code="44000", city="=HYPERLINK(\"http://x\")")
    assert by_code(csv_rows(export(engine, configured)))["IND-27"][4] == "'=HYPERLINK(\"http://x\")"
    sheet = openpyxl.load_workbook(io.BytesIO(export(engine, configured, fmt="xlsx").data)).active
    assert sheet.cell(2, 5).data_type == "s" and sheet.cell(2, 5).quotePrefix


# ------------------------------------------------------------------------------------------------ settings


@pytest.mark.parametrize("postal", ["44000", "20000", "20090", "20600", "01000", "97400", "97600", "98800"])
def test_postal_codes_of_every_departement_are_accepted(postal: str) -> None:
    assert rules.check_structure("SP-1", "Préfecture", f" {postal} ", "Ville").postal_code == postal


@pytest.mark.parametrize("postal", ["4400", "440000", "2A000", "2B200", "00100", "99000", "ABCDE"])
def test_a_wrong_postal_code_is_refused(postal: str) -> None:
    with pytest.raises(rules.SpPlusError, match=f"code postal « {postal} » invalide : cinq chiffres"):
        rules.check_structure("SP-1", "Préfecture", postal, "Ville")


def test_every_missing_setting_is_named_at_once(engine: Engine, small_world: int) -> None:
    with pytest.raises(rules.SpPlusError) as refused:
        services.sp_plus.save_structure(actor(engine), small_world, code="  ", typology="", postal_code="", city=" ")
    assert refused.value.errors == ["code SP+ de la structure manquant", "intitulé de la typologie manquant",
                                    "code postal manquant", "ville manquante"]
    with session_scope(engine) as session:
        assert session.exec(select(SpPlusStructure)).all() == []
    saved = services.sp_plus.save_structure(actor(engine), small_world, code=" SP  44 ", typology="Sous-préfecture",
                                            postal_code="44600", city="Saint-Nazaire")
    assert (saved.code, saved.typology, saved.updated_by) == ("SP 44", "Sous-préfecture", "Marie")


@pytest.mark.parametrize("wrong", ["27", "IND27", "IND-", "IND-2a", "SP-27", "IND--27"])
def test_a_national_code_has_the_ind_form(engine: Engine, small_world: int, wrong: str) -> None:
    with pytest.raises(rules.SpPlusError, match=f"COURRIEL_5J : code SP\\+ « {wrong} » invalide \\(attendu IND-"):
        services.sp_plus.save_codes(actor(engine), small_world, {"COURRIEL_5J": wrong})


def test_codes_are_checked_together_and_nothing_is_written_on_a_refusal(engine: Engine, small_world: int) -> None:
    a = actor(engine)
    with pytest.raises(rules.SpPlusError) as refused:
        services.sp_plus.save_codes(a, small_world, {"COURRIEL_5J": "IND-27", "TEL_ABOUTIS": "IND-27", "NOPE": "IND-1",
                                               "COURRIER_10J": "x"})
    assert refused.value.errors == [
        "indicateur inconnu dans cette préfecture : NOPE",
        "COURRIER_10J : code SP+ « x » invalide (attendu IND- suivi de chiffres, p. ex. IND-27)",
        "le code SP+ IND-27 est donné à plusieurs indicateurs (COURRIEL_5J, TEL_ABOUTIS) : un indicateur national "
        "n'a qu'une valeur par structure"]
    with session_scope(engine) as session:
        assert session.exec(select(SpPlusIndicator)).all() == []
        assert not [e for e in session.exec(select(ChangeEvent)) if e.entity.startswith("Services Publics+")]
    assert services.sp_plus.save_codes(a, small_world, {"courriel_5j": " ind-27 ", "TEL_ABOUTIS": ""}) == [
        "COURRIEL_5J → IND-27"]  # normalised; an empty cell on an indicator without code changes nothing
    assert services.sp_plus.save_codes(a, small_world, {"COURRIEL_5J": "IND-27"}) == []  # the same again: no change
    assert services.sp_plus.save_codes(a, small_world, {"COURRIEL_5J": "IND-29"}) == ["COURRIEL_5J : IND-27 → IND-29"]
    with session_scope(engine) as session:
        history = [(e.entity, e.summary) for e in session.exec(select(ChangeEvent))
                   if e.entity.startswith("Services Publics+")]
    assert history == [("Services Publics+ : codes des indicateurs", "COURRIEL_5J → IND-27"),
                       ("Services Publics+ : codes des indicateurs", "COURRIEL_5J : IND-27 → IND-29")]


def test_a_default_code_can_be_hidden_and_given_back(engine: Engine, small_world: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Were a source to give a référentiel indicator its code, a préfecture could still take it away."""
    monkeypatch.setitem(rules.DEFAULT_SP_CODES, "TEL_ABOUTIS", "IND-1")
    a = actor(engine)
    line = next(x for x in services.sp_plus.code_lines(a, small_world) if x.indicator_code == "TEL_ABOUTIS")
    assert (line.sp_code, line.source) == ("IND-1", "référentiel")
    assert services.sp_plus.unmap_indicator(a, small_world, "TEL_ABOUTIS") == ["TEL_ABOUTIS : code SP+ IND-1 retiré"]
    line = next(x for x in services.sp_plus.code_lines(a, small_world) if x.indicator_code == "TEL_ABOUTIS")
    assert (line.sp_code, line.source) == (None, "")
    services.sp_plus.map_indicator(a, small_world, "TEL_ABOUTIS", "IND-1")
    with session_scope(engine) as session:
        assert session.exec(select(SpPlusIndicator)).all() == []  # back to the default: no row of its own


def test_unmapping_an_indicator_without_code_is_refused(engine: Engine, small_world: int) -> None:
    with pytest.raises(rules.SpPlusError, match="TEL_ABOUTIS n'a pas de code SP\\+ : rien à retirer"):
        services.sp_plus.unmap_indicator(actor(engine), small_world, "TEL_ABOUTIS")
    with pytest.raises(rules.SpPlusError, match="code SP\\+ manquant"):
        services.sp_plus.map_indicator(actor(engine), small_world, "TEL_ABOUTIS", " ")


# ------------------------------------------------------------------------------------------------ command line


@pytest.fixture
def cli(engine: Engine, small_world: int, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    return small_world


def test_cli_sets_shows_maps_and_unmaps(cli: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sp-plus", "show"]) == 0
    assert "structure : non renseignée" in capsys.readouterr().out
    assert main(["sp-plus", "set", "--code", "SP-PREF-44", "--typologie", "Préfecture", "--code-postal", "4400",
                 "--ville", "Nantes"]) == 1
    err = capsys.readouterr().err
    assert "✗ code postal « 4400 » invalide" in err and "rien n'a été enregistré" in err
    assert main(["sp-plus", "set", "--code", "SP-PREF-44", "--typologie", "Préfecture", "--code-postal", "44000",
                 "--ville", "Nantes"]) == 0
    assert main(["sp-plus", "set", "--ville", "Nantes Cedex 1"]) == 0  # the other settings stay
    assert "SP-PREF-44 — Préfecture — 44000 Nantes Cedex 1" in capsys.readouterr().out
    assert main(["sp-plus", "map", "COURRIEL_5J", "ind-27"]) == 0
    assert "✓ COURRIEL_5J → IND-27" in capsys.readouterr().out
    assert main(["sp-plus", "map", "TEL_ABOUTIS", "IND-27"]) == 1
    assert "est donné à plusieurs indicateurs" in capsys.readouterr().err
    assert main(["sp-plus", "map", "TEL_ABOUTIS", "27"]) == 1
    assert main(["sp-plus", "show", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["structure"] == {"code": "SP-PREF-44", "typologie": "Préfecture", "code_postal": "44000",
                                  "ville": "Nantes Cedex 1"}
    assert {x["code"]: x["code_sp"] for x in shown["indicateurs"]}["COURRIEL_5J"] == "IND-27"
    assert main(["sp-plus", "unmap", "COURRIEL_5J"]) == 0
    assert "l'indicateur ne figure plus dans le fichier" in capsys.readouterr().out
    assert main(["sp-plus", "unmap", "COURRIEL_5J"]) == 1


def test_cli_export_refuses_without_settings_then_names_what_it_leaves_out(
        cli: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sp.csv"
    assert main(["export", "--kind", "sp-plus", "--year", "2024", "-o", str(out)]) == 2
    assert "ne sont pas renseignés" in capsys.readouterr().err and not out.exists()
    main(["sp-plus", "set", "--code", "SP-PREF-44", "--typologie", "Préfecture", "--code-postal", "44000",
          "--ville", "Nantes"])
    main(["sp-plus", "map", "COURRIEL_5J", "IND-27"])
    capsys.readouterr()
    assert main(["export", "--kind", "sp-plus", "--year", "2024", "--quarter", "3", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "sans code SP+, laissés hors du fichier" in err and "TEL_ABOUTIS" in err
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert rows == [OFFICIAL_FIELDS, ["SP-PREF-44", "Préfecture", "Préfecture de test", "44000", "Nantes", "IND-27",
                                      "86.8", "trimestrielle", "2024-10-05"]]
    xlsx = tmp_path / "sp.xlsx"
    assert main(["export", "--kind", "sp-plus", "--year", "2024", "-o", str(xlsx)]) == 0  # Excel from the suffix
    assert [c.value for c in openpyxl.load_workbook(xlsx).active[1]] == OFFICIAL_FIELDS
