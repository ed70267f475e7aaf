"""Files the importer must refuse (and leave the database exactly as it was), and the French forms it must accept.

Every refused file is tried on a database that already holds one imported file, so that "nothing
changed" means something: a refused file neither adds values nor removes or replaces stored ones.
Most refused files therefore also carry a valid value that would replace a stored month.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine

from qep_core.compute import IndicatorResult, compute_indicator
from qep_core.db import session_scope
from qep_core.importing import ImportOutcome, ImportRejected, Issue, import_file
from qep_core.models import Prefecture
from qep_core.periods import month_period

Rows = list[list[object]]
Snapshot = Callable[[Engine], dict[str, list[tuple]]]
MakeWorkbook = Callable[[dict[str, Rows]], bytes]

LONG_HEADER: list[object] = ["indicateur", "période", "périmètre", "numérateur", "dénominateur"]
TITLE_ROWS: Rows = [["Suivi des indicateurs Qual-e-Pref"], ["Service : bureau du courrier"]]
FIRST_LONG_ROW = 4  # title, title, header, then data: Excel row 4
MONTHS_Q1: list[object] = ["janvier", "février", "mars"]
ANSWERS = "Nombre de réponses"
IN_TIME = "Nombre de réponses dans les délais"


# --- building files ---------------------------------------------------------------------------

def long_rows(*data: list[object], header: list[object] | None = None, titles: bool = True) -> Rows:
    """A long-layout sheet: optional title rows, the header, the data rows."""
    return [*(TITLE_ROWS if titles else []), list(header or LONG_HEADER), *[list(r) for r in data]]


def wide_rows(title: str, months: list[object], *data: list[object]) -> Rows:
    """A monthly tracking sheet: a title naming the indicator, French month headers, one row per count."""
    return [[title], ["", *months], *[list(r) for r in data]]


def csv_bytes(rows: Rows, sep: str = ";", encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(sep.join("" if c is None else str(c) for c in row) for row in rows) + "\r\n"
    return text.encode(encoding)


def valid_wide(workbook: MakeWorkbook) -> bytes:
    return workbook({"Courriels": wide_rows("Courriels 2021", MONTHS_Q1, [ANSWERS, 20, 30, 40], [IN_TIME, 18, 27, 36])})


# --- assertions -------------------------------------------------------------------------------

def assert_rejected(engine: Engine, prefecture_id: int, snapshot: Snapshot, name: str, data: bytes, fragment: str, *,
                    sheet: str | None = None, row: int | None = None, column: str | None = None) -> Issue:
    """The file is refused, one error says *fragment* (at the given place) and the database is unchanged."""
    before = snapshot(engine)
    with pytest.raises(ImportRejected) as info:
        import_file(engine, prefecture_id, name, data)
    errors = info.value.errors
    assert errors, "ImportRejected without any error"
    texts = [str(e) for e in errors]
    matching = [e for e in errors if fragment in str(e)]
    assert matching, f"no error says {fragment!r}: {texts}"
    issue = matching[0]
    assert issue.severity == "erreur"
    if sheet is not None:
        assert issue.sheet == sheet, texts
        assert f"feuille « {sheet} »" in str(issue)
    if row is not None:
        assert issue.row == row, texts
        assert f"ligne {row}" in str(issue)
    if column is not None:
        assert issue.column is not None and issue.column.startswith(column), texts
        assert f"colonne {column}" in str(issue)
    assert name.rsplit("/", 1)[-1] in str(info.value)
    assert snapshot(engine) == before, "a refused file changed the database"
    return issue


def value_of(engine: Engine, prefecture_id: int, code: str, year: int, month: int) -> IndicatorResult:
    with session_scope(engine) as session:
        return compute_indicator(session, prefecture_id, code, month_period(year, month))


def assert_may_2022(engine: Engine, prefecture_id: int, outcome: ImportOutcome, numerator: float,
                    denominator: float) -> None:
    assert outcome.changed
    result = value_of(engine, prefecture_id, "COURRIEL_5J", 2022, 5)
    assert (result.numerator, result.denominator) == (numerator, denominator)
    assert result.observations == 1


def warning_texts(outcome: ImportOutcome) -> list[str]:
    return [str(w) for w in outcome.plan.warnings]


# --- fixtures -----------------------------------------------------------------------------------

@pytest.fixture
def pref_id(engine: Engine, prefecture: Prefecture, workbook: MakeWorkbook) -> int:
    """The préfecture, with one valid file (COURRIEL_5J, January–March 2021) already imported."""
    assert prefecture.id is not None
    outcome = import_file(engine, prefecture.id, "courriels-2021.xlsx", valid_wide(workbook))
    assert outcome.inserted == 3
    return prefecture.id


# A valid row replacing a stored month (February 2021: 27/30 → 29/30): must not be saved either.
REPLACING_ROW: list[object] = ["COURRIEL_5J", "2021-02", "", 29, 30]


# --- not a readable file --------------------------------------------------------------------------

def _random_bytes() -> bytes:
    data = random.Random(20220501).randbytes(4096)
    assert not data.startswith(b"PK")
    return data


@pytest.mark.parametrize(("name", "make", "fragment"), [
    ("suivi.xlsx", lambda wb: _random_bytes(), "n'est pas un classeur Excel valide"),
    ("suivi.xlsx", lambda wb: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" * 20,
     "n'est pas un classeur Excel valide"),
    ("suivi.xlsx", lambda wb: valid_wide(wb)[: len(valid_wide(wb)) // 2], "tronqué"),
    ("suivi.xlsx", lambda wb: b"", "le fichier est vide"),
    ("suivi.csv", lambda wb: b"", "le fichier est vide"),
    ("suivi.xlsx", lambda wb: _plain_zip(), "n'est pas un classeur Excel"),
    ("suivi.zip", lambda wb: _plain_zip(), "n'est pas un classeur Excel"),
    ("suivi.csv", lambda wb: b"\r\n\r\n   \r\n\r\n", "ne contient aucune donnée"),
    ("suivi.csv", lambda wb: b";;;\n ; ;\n;;;\n", "ne contient aucune donnée"),
], ids=["random-bytes", "pdf", "truncated-xlsx", "empty-xlsx", "empty-csv", "zip-named-xlsx", "zip", "blank-csv",
        "separators-only-csv"])
def test_unreadable_file_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot, workbook: MakeWorkbook,
                                     name: str, make: Callable[[MakeWorkbook], bytes], fragment: str) -> None:
    issue = assert_rejected(engine, pref_id, snapshot, name, make(workbook), fragment)
    assert issue.sheet is None and issue.row is None


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("rapport.txt", "Bilan annuel 2022\n")
        archive.writestr("photos/accueil.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100)
    return buffer.getvalue()


# --- nothing recognisable -------------------------------------------------------------------------

UNRELATED: Rows = [["Inventaire des fournitures"], ["Article", "Prix unitaire", "Stock"], ["Stylos", 2, 120],
                   ["Ramettes", 5, 40], ["Agrafeuses", 12, 7]]


def test_unrelated_workbook_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot, workbook: MakeWorkbook) -> None:
    assert_rejected(engine, pref_id, snapshot, "inventaire.xlsx", workbook({"Feuil1": UNRELATED}), "aucune valeur reconnue")


def test_unrelated_csv_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot) -> None:
    assert_rejected(engine, pref_id, snapshot, "inventaire.csv", csv_bytes(UNRELATED), "aucune valeur reconnue")


WRONG_COLUMNS: Rows = [["code", "date", "réponses", "reçus"], ["COURRIEL_5J", "2022-05", 18, 20],
                       ["COURRIEL_5J", "2022-06", 17, 20]]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_long_file_with_wrong_columns_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                  workbook: MakeWorkbook, fmt: str) -> None:
    data = workbook({"Données": WRONG_COLUMNS}) if fmt == "xlsx" else csv_bytes(WRONG_COLUMNS)
    assert_rejected(engine, pref_id, snapshot, f"suivi.{fmt}", data, "format long incomplet")


def test_long_file_without_count_columns_says_so(engine: Engine, pref_id: int, snapshot: Snapshot) -> None:
    rows: Rows = [["indicateur", "période", "réponses", "reçus"], ["COURRIEL_5J", "2022-05", 18, 20]]
    issue = assert_rejected(engine, pref_id, snapshot, "suivi.csv", csv_bytes(rows), "")
    assert "numérateur" in issue.message, issue.message


def test_wide_sheet_naming_no_indicator_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                     workbook: MakeWorkbook) -> None:
    data = workbook({"Feuil1": wide_rows("Suivi 2022", MONTHS_Q1, ["Dossiers instruits", 20, 30, 40],
                                         ["Dossiers classés", 10, 20, 30])})
    assert_rejected(engine, pref_id, snapshot, "suivi.xlsx", data, "aucune valeur reconnue")


# --- long layout: one bad cell rejects the file -----------------------------------------------------

@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize(("bad_row", "fragment", "column"), [
    (["COURRIEL_10J", "2022-02", "", 10, 20], "indicateur inconnu « COURRIEL_10J »", "A (indicateur)"),
    (["", "2022-02", "", 10, 20], "indicateur manquant", "A (indicateur)"),
    (["COURRIEL_5J", "Trimestre prochain", "", 10, 20], "« Trimestre prochain » n'est pas un mois reconnu",
     "B (période)"),
    (["COURRIEL_5J", "2022-13", "", 10, 20], "mois impossible « 2022-13 »", "B (période)"),
    (["COURRIEL_5J", "31/02/2022", "", 10, 20], "date impossible « 31/02/2022 »", "B (période)"),
    (["COURRIEL_5J", "2022-02", "", "douze", 20], "« douze » n'est pas un nombre", "D (numérateur)"),
    (["COURRIEL_5J", "2022-02", "", 10, "vingt"], "« vingt » n'est pas un nombre", "E (dénominateur)"),
    (["COURRIEL_5J", "2022-02", "", 25, 20], "le numérateur (25) dépasse le dénominateur (20)", "D (numérateur)"),
    pytest.param(["COURRIEL_5J", "2022-02", "", 10, "inf"], "« inf » n'est pas un nombre", "E (dénominateur)"),
], ids=["unknown-indicator", "missing-indicator", "unreadable-period", "month-13", "feb-31",
        "text-numerator", "text-denominator", "numerator-over-denominator", "infinity"])
def test_long_bad_cell_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot, workbook: MakeWorkbook,
                                   fmt: str, bad_row: list[object], fragment: str, column: str) -> None:
    rows = long_rows(REPLACING_ROW, ["COURRIEL_5J", "2022-01", "", 18, 20], bad_row)
    data = workbook({"Données": rows}) if fmt == "xlsx" else csv_bytes(rows)
    sheet = "Données" if fmt == "xlsx" else "suivi"
    assert_rejected(engine, pref_id, snapshot, f"suivi.{fmt}", data, fragment, sheet=sheet, row=FIRST_LONG_ROW + 2,
                    column=column)




@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_long_missing_period_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot, workbook: MakeWorkbook,
                                         fmt: str) -> None:
    rows = long_rows(REPLACING_ROW, ["COURRIEL_5J", "2022-01", "", 18, 20], ["COURRIEL_5J", "", "", 10, 20])
    data = workbook({"Données": rows}) if fmt == "xlsx" else csv_bytes(rows)
    sheet = "Données" if fmt == "xlsx" else "suivi"
    assert_rejected(engine, pref_id, snapshot, f"suivi.{fmt}", data, "période manquante", sheet=sheet,
                    row=FIRST_LONG_ROW + 2, column="B (période)")


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize(("numerator", "denominator", "fragment", "column"), [
    (-3, 20, "numérateur négatif", "D (numérateur)"),
    ("−3", 20, "numérateur négatif", "D (numérateur)"),
    (0, -20, "dénominateur négatif", "E (dénominateur)"),
], ids=["numerator", "numerator-unicode-minus", "denominator"])
def test_long_negative_count_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot, workbook: MakeWorkbook,
                                         fmt: str, numerator: object, denominator: object, fragment: str,
                                         column: str) -> None:
    rows = long_rows(REPLACING_ROW, ["COURRIEL_5J", "2022-02", "", numerator, denominator])
    data = workbook({"Données": rows}) if fmt == "xlsx" else csv_bytes(rows)
    sheet = "Données" if fmt == "xlsx" else "suivi"
    assert_rejected(engine, pref_id, snapshot, f"suivi.{fmt}", data, fragment, sheet=sheet,
                    row=FIRST_LONG_ROW + 1, column=column)


def test_long_error_rows_are_excel_rows_after_blank_row(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                         workbook: MakeWorkbook) -> None:
    """A blank row between the title and the header must not shift the row numbers given to the user."""
    rows: Rows = [["Suivi 2022"], [None], LONG_HEADER, REPLACING_ROW, ["COURRIEL_5J", "2022-02", "", "douze", 20]]
    assert_rejected(engine, pref_id, snapshot, "suivi.xlsx", workbook({"Données": rows}), "n'est pas un nombre",
                    sheet="Données", row=5, column="D (numérateur)")


def test_long_mean_delay_without_count_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                   workbook: MakeWorkbook) -> None:
    header: list[object] = [*LONG_HEADER, "valeur", "effectif"]
    rows = long_rows([*REPLACING_ROW, "", ""], ["COURRIEL_DELAI_MOYEN", "2022-02", "", "", "", "4,5", ""], header=header)
    assert_rejected(engine, pref_id, snapshot, "delais.xlsx", workbook({"Données": rows}), "délai moyen sans effectif",
                    sheet="Données", row=FIRST_LONG_ROW + 1, column="G (effectif)")


def test_long_mean_delay_without_count_column_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot) -> None:
    rows = long_rows(["COURRIEL_DELAI_MOYEN", "2022-02", "", "4,5"], header=["indicateur", "période", "périmètre", "valeur"])
    assert_rejected(engine, pref_id, snapshot, "delais.csv", csv_bytes(rows), "délai moyen sans effectif",
                    sheet="delais", row=FIRST_LONG_ROW, column="D (valeur)")


def test_long_mean_delay_with_count_is_weighted(engine: Engine, pref_id: int) -> None:
    """The accepted counterpart: a mean delay with its effectif is stored as Σ delays / answers."""
    rows = long_rows(["COURRIEL_DELAI_MOYEN", "2022-05", "", "4,5", "20"],
                     header=["indicateur", "période", "périmètre", "valeur", "effectif"])
    import_file(engine, pref_id, "delais.csv", csv_bytes(rows))
    result = value_of(engine, pref_id, "COURRIEL_DELAI_MOYEN", 2022, 5)
    assert (result.numerator, result.denominator) == (90.0, 20.0)
    assert result.value == pytest.approx(4.5)


# --- duplicates -------------------------------------------------------------------------------------

PERIMETRES = [pytest.param("", id="no-perimetre"), pytest.param("Boîte PC", id="perimetre")]


@pytest.mark.parametrize("perimetre", PERIMETRES)
@pytest.mark.parametrize("other_period", ["2022-02", "02/2022", "février 2022"], ids=["same-text", "slash", "name"])
def test_long_duplicate_rows_are_rejected(engine: Engine, pref_id: int, snapshot: Snapshot, workbook: MakeWorkbook,
                                          other_period: str, perimetre: str) -> None:
    rows = long_rows(REPLACING_ROW, ["COURRIEL_5J", "2022-02", perimetre, 10, 20],
                     ["COURRIEL_5J", other_period, perimetre, 12, 20])
    issue = assert_rejected(engine, pref_id, snapshot, "suivi.xlsx", workbook({"Données": rows}),
                            "plusieurs valeurs pour février 2022", sheet="Données", row=FIRST_LONG_ROW + 1)
    assert "COURRIEL_5J" in issue.message and f"ligne {FIRST_LONG_ROW + 2}" in issue.message
    if perimetre:
        assert f"({perimetre})" in issue.message


@pytest.mark.parametrize("perimetre", PERIMETRES)
def test_long_duplicate_rows_in_csv_are_rejected(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                 perimetre: str) -> None:
    rows = long_rows(["COURRIEL_5J", "2022-02", perimetre, 10, 20], ["COURRIEL_5J", "2022-02", perimetre, 10, 20])
    assert_rejected(engine, pref_id, snapshot, "suivi.csv", csv_bytes(rows), "plusieurs valeurs pour février 2022",
                    sheet="suivi", row=FIRST_LONG_ROW)


def test_long_duplicate_perimetre_spelt_differently_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                                workbook: MakeWorkbook) -> None:
    rows = long_rows(["COURRIEL_5J", "2022-02", "Boîte PC", 10, 20], ["COURRIEL_5J", "2022-02", "boite pc", 12, 20])
    assert_rejected(engine, pref_id, snapshot, "suivi.xlsx", workbook({"Données": rows}),
                    "plusieurs valeurs pour février 2022")


@pytest.mark.parametrize("perimetre", PERIMETRES)
def test_long_duplicates_across_two_sheets_are_rejected(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                        workbook: MakeWorkbook, perimetre: str) -> None:
    data = workbook({
        "Janvier": long_rows(REPLACING_ROW, ["COURRIEL_5J", "2022-01", perimetre, 18, 20],
                             ["COURRIEL_5J", "2022-02", perimetre, 10, 20]),
        "Février": long_rows(["COURRIEL_5J", "2022-02", perimetre, 11, 20]),
    })
    issue = assert_rejected(engine, pref_id, snapshot, "suivi.xlsx", data, "plusieurs valeurs pour février 2022")
    assert "feuille « Janvier » ligne 6" in issue.message and "feuille « Février » ligne 4" in issue.message


@pytest.mark.parametrize("perimetre", PERIMETRES)
def test_long_quarter_overlapping_a_month_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                      workbook: MakeWorkbook, perimetre: str) -> None:
    rows = long_rows(["COURRIEL_5J", "2022-T1", perimetre, 50, 60], ["COURRIEL_5J", "2022-02", perimetre, 10, 20])
    assert_rejected(engine, pref_id, snapshot, "suivi.xlsx", workbook({"Données": rows}),
                    "plusieurs valeurs pour février 2022")


def test_long_same_month_in_two_perimetres_is_accepted(engine: Engine, pref_id: int, workbook: MakeWorkbook) -> None:
    rows = long_rows(["COURRIEL_5J", "2022-05", "Boîte PC", 10, 20], ["COURRIEL_5J", "2022-05", "Boîte étrangers", 5, 10])
    outcome = import_file(engine, pref_id, "suivi.xlsx", workbook({"Données": rows}))
    assert outcome.inserted == 2
    assert value_of(engine, pref_id, "COURRIEL_5J", 2022, 5).denominator == 30.0


# --- wide layout: one bad cell rejects the file -------------------------------------------------------

@pytest.mark.parametrize(("feb_answers", "feb_in_time", "fragment"), [
    ("douze", 10, "« douze » n'est pas un nombre"),
    (-3, 10, "valeur négative"),
    (20, 25, "le numérateur (25) dépasse le dénominateur (20)"),
], ids=["text", "negative", "numerator-over-denominator"])
def test_wide_bad_cell_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot, workbook: MakeWorkbook,
                                   feb_answers: object, feb_in_time: object, fragment: str) -> None:
    # 2021 again: January would replace a stored value if the file were accepted
    data = workbook({"Courriels": wide_rows("Courriels 2021", MONTHS_Q1, [ANSWERS, 21, feb_answers, 40],
                                            [IN_TIME, 20, feb_in_time, 36])})
    row = 4 if fragment.startswith("le numérateur") else 3
    assert_rejected(engine, pref_id, snapshot, "courriels.xlsx", data, fragment, sheet="Courriels", row=row,
                    column="C (février)")


@pytest.mark.parametrize("header", ["2022-13", "31/02/2022"])
def test_wide_impossible_month_header_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                  workbook: MakeWorkbook, header: str) -> None:
    data = workbook({"Courriels": wide_rows("Courriels 2021", ["janvier", header, "mars"], [ANSWERS, 21, 30, 40],
                                            [IN_TIME, 20, 27, 36])})
    assert_rejected(engine, pref_id, snapshot, "courriels.xlsx", data, header, sheet="Courriels", column="C")


def test_wide_free_text_column_is_ignored_with_warning(engine: Engine, pref_id: int, workbook: MakeWorkbook) -> None:
    """A column that is neither a month nor a total (here « Trimestre prochain ») is left out, and said so."""
    data = workbook({"Courriels": wide_rows("Courriels 2022", ["janvier", "Trimestre prochain", "mars"],
                                            [ANSWERS, 20, 30, 40], [IN_TIME, 18, 27, 36])})
    outcome = import_file(engine, pref_id, "courriels.xlsx", data)
    ignored = [w for w in outcome.plan.warnings if "Trimestre prochain" in w.message]
    assert len(ignored) == 1 and ignored[0].column is not None and ignored[0].column.startswith("C")
    assert outcome.inserted == 2
    assert value_of(engine, pref_id, "COURRIEL_5J", 2022, 2).observations == 0


@pytest.mark.parametrize("cell", ["90 %", "5 jours", "0,5 ‰"])
def test_long_unit_in_count_column_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot, cell: str) -> None:
    rows = long_rows(REPLACING_ROW, ["COURRIEL_5J", "2022-02", "", cell, 100])
    assert_rejected(engine, pref_id, snapshot, "suivi.csv", csv_bytes(rows), cell, sheet="suivi",
                    row=FIRST_LONG_ROW + 1, column="D (numérateur)")


def test_wide_unit_in_count_row_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot,
                                            workbook: MakeWorkbook) -> None:
    data = workbook({"Courriels": wide_rows("Courriels 2021", MONTHS_Q1, [ANSWERS, 21, "90 %", 40], [IN_TIME, 20, 27, 36])})
    assert_rejected(engine, pref_id, snapshot, "courriels.xlsx", data, "unité inattendue", sheet="Courriels", row=3,
                    column="C (février)")


def test_wide_text_count_message_names_the_sheet_row_and_column(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                                workbook: MakeWorkbook) -> None:
    data = workbook({"Courriels": wide_rows("Courriels 2022", MONTHS_Q1, [ANSWERS, 20, "douze", 40],
                                            [IN_TIME, 18, 10, 36])})
    before = snapshot(engine)
    with pytest.raises(ImportRejected) as info:
        import_file(engine, pref_id, "courriels.xlsx", data)
    assert snapshot(engine) == before
    first = str(info.value.errors[0])
    assert first.startswith("feuille « Courriels », ligne 3, colonne C (février) : ")
    assert "« douze » n'est pas un nombre" in first
    assert "courriels.xlsx" in str(info.value) and "refusé" in str(info.value)


def test_wide_duplicate_rows_are_rejected(engine: Engine, pref_id: int, snapshot: Snapshot,
                                          workbook: MakeWorkbook) -> None:
    data = workbook({"Courriels": wide_rows("Courriels 2022", MONTHS_Q1, [ANSWERS, 20, 30, 40], [IN_TIME, 18, 27, 36],
                                            [ANSWERS, 21, 31, 41])})
    assert_rejected(engine, pref_id, snapshot, "courriels.xlsx", data, "les lignes 3 et 5 donnent toutes deux",
                    sheet="Courriels", row=5)


def test_wide_duplicates_across_two_sheets_are_rejected(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                        workbook: MakeWorkbook) -> None:
    data = workbook({
        "Courriels T1": wide_rows("Courriels 2021", MONTHS_Q1, [ANSWERS, 21, 30, 40], [IN_TIME, 20, 27, 36]),
        "Courriels février": wide_rows("Courriels 2021", ["février"], [ANSWERS, 31], [IN_TIME, 28]),
    })
    issue = assert_rejected(engine, pref_id, snapshot, "courriels.xlsx", data, "plusieurs valeurs pour février 2021")
    assert "feuille « Courriels T1 »" in issue.message and "feuille « Courriels février »" in issue.message


def test_wide_mean_delay_without_count_is_rejected(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                   workbook: MakeWorkbook) -> None:
    data = workbook({"Courriels": wide_rows("Courriels 2022", MONTHS_Q1, ["Délai moyen de réponse", "4,5", 3, "2,5"])})
    issue = assert_rejected(engine, pref_id, snapshot, "courriels.xlsx", data, "ne peut pas être pondéré",
                            sheet="Courriels", row=3)
    assert issue.message.startswith("COURRIEL_DELAI_MOYEN")


def test_wide_mean_delay_with_count_is_weighted(engine: Engine, pref_id: int, workbook: MakeWorkbook) -> None:
    data = workbook({"Courriels": wide_rows("Courriels 2022", MONTHS_Q1, ["Délai moyen de réponse", "4,5", 3, "2,5"],
                                            [ANSWERS, 20, 30, 40])})
    import_file(engine, pref_id, "courriels.xlsx", data)
    result = value_of(engine, pref_id, "COURRIEL_DELAI_MOYEN", 2022, 1)
    assert (result.numerator, result.denominator) == (90.0, 20.0)


# --- accepted forms ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("sep", "encoding", "bom"), [
    (";", "utf-8", False), (",", "utf-8", False), (";", "utf-8", True), (";", "cp1252", False), ("\t", "utf-8", False),
], ids=["semicolon", "comma", "utf8-bom", "cp1252", "tab"])
def test_csv_separators_and_encodings_are_accepted(engine: Engine, prefecture: Prefecture, sep: str, encoding: str,
                                                   bom: bool) -> None:
    assert prefecture.id is not None
    rows = long_rows(["COURRIEL_5J", "2022-05", "Boîte préfecture", 18, 20])
    data = csv_bytes(rows, sep=sep, encoding=encoding)
    if encoding == "cp1252":
        assert "période".encode("cp1252") in data and "numérateur".encode("cp1252") in data
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
    if bom:
        data = "\ufeff".encode() + data
    outcome = import_file(engine, prefecture.id, "suivi.csv", data)
    assert outcome.plan.layout == "long"
    assert outcome.plan.new_perimetres == ["Boîte préfecture"]
    assert_may_2022(engine, prefecture.id, outcome, 18.0, 20.0)


def test_csv_comma_separator_with_decimal_commas_in_quotes(engine: Engine, prefecture: Prefecture) -> None:
    assert prefecture.id is not None
    data = ('indicateur,période,valeur,effectif\r\nCOURRIEL_DELAI_MOYEN,2022-05,"4,5",20\r\n').encode()
    import_file(engine, prefecture.id, "delais.csv", data)
    result = value_of(engine, prefecture.id, "COURRIEL_DELAI_MOYEN", 2022, 5)
    assert (result.numerator, result.denominator) == (90.0, 20.0)


@pytest.mark.parametrize(("numerator", "denominator", "expected"), [
    ("1 200", "1 234", (1200.0, 1234.0)),
    ("1\u00a0200", "1\u202f234", (1200.0, 1234.0)),
    ("12,0", "20", (12.0, 20.0)),
    ("1.200", "1.234", (1200.0, 1234.0)),
], ids=["space", "nbsp", "decimal-comma", "dot-thousands"])
def test_csv_french_numbers_are_accepted(engine: Engine, prefecture: Prefecture, numerator: str, denominator: str,
                                         expected: tuple[float, float]) -> None:
    assert prefecture.id is not None
    data = csv_bytes(long_rows(["COURRIEL_5J", "2022-05", "", numerator, denominator]))
    outcome = import_file(engine, prefecture.id, "suivi.csv", data)
    assert_may_2022(engine, prefecture.id, outcome, *expected)


@pytest.mark.parametrize("marker", ["n.c", "n.c.", "NC", "", "n/c"])
def test_csv_not_communicated_is_skipped_with_warning(engine: Engine, prefecture: Prefecture, marker: str) -> None:
    assert prefecture.id is not None
    data = csv_bytes(long_rows(["COURRIEL_5J", "2022-05", "", 18, 20], ["COURRIEL_5J", "2022-06", "", marker, marker]))
    outcome = import_file(engine, prefecture.id, "suivi.csv", data)
    assert outcome.inserted == 1
    assert any("sans valeur" in w and re.search(rf"lignes? {FIRST_LONG_ROW + 1}\b", w) for w in warning_texts(outcome)), \
        warning_texts(outcome)
    june = value_of(engine, prefecture.id, "COURRIEL_5J", 2022, 6)
    assert june.observations == 0 and june.value is None and june.numerator is None  # missing, not zero


@pytest.mark.parametrize("period", ["2022-05", "05/2022", "5/2022", "mai 2022", "Mai 2022", "mai-22", "2022-05-01",
                                    "01/05/2022", "44682"])
def test_csv_period_forms_are_accepted(engine: Engine, prefecture: Prefecture, period: str) -> None:
    assert prefecture.id is not None
    outcome = import_file(engine, prefecture.id, "suivi.csv", csv_bytes(long_rows(["COURRIEL_5J", period, "", 18, 20])))
    assert_may_2022(engine, prefecture.id, outcome, 18.0, 20.0)


@pytest.mark.parametrize("cell", [dt.date(2022, 5, 1), dt.datetime(2022, 5, 17, 0, 0), "mai 2022"],
                         ids=["date", "datetime", "text"])
def test_xlsx_period_cells_are_accepted(engine: Engine, prefecture: Prefecture, workbook: MakeWorkbook,
                                        cell: object) -> None:
    assert prefecture.id is not None
    data = workbook({"Données": long_rows(["COURRIEL_5J", cell, "", 18, 20])})
    outcome = import_file(engine, prefecture.id, "suivi.xlsx", data)
    assert_may_2022(engine, prefecture.id, outcome, 18.0, 20.0)


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_xlsm_name_is_accepted(engine: Engine, prefecture: Prefecture, workbook: MakeWorkbook, layout: str) -> None:
    assert prefecture.id is not None
    if layout == "wide":
        data = workbook({"Courriels": wide_rows("Courriels 2022", ["mai"], [ANSWERS, 20], [IN_TIME, 18])})
    else:
        data = workbook({"Données": long_rows(["COURRIEL_5J", "2022-05", "", 18, 20])})
    outcome = import_file(engine, prefecture.id, "suivi avec macros.xlsm", data)
    assert outcome.plan.file_name == "suivi avec macros.xlsm"
    assert_may_2022(engine, prefecture.id, outcome, 18.0, 20.0)


# --- checked, not trusted: sheet rates, targets, totals ------------------------------------------------

@pytest.mark.parametrize("taux", ["50 %", "50", "0,5"])
def test_long_sheet_rate_disagreeing_with_counts_is_warned(engine: Engine, prefecture: Prefecture,
                                                           workbook: MakeWorkbook, taux: str) -> None:
    assert prefecture.id is not None
    rows = long_rows(["COURRIEL_5J", "2022-05", "", 18, 20, taux], ["COURRIEL_5J", "2022-06", "", 9, 10, "90 %"],
                     header=[*LONG_HEADER, "taux"])
    outcome = import_file(engine, prefecture.id, "suivi.xlsx", workbook({"Données": rows}))
    assert outcome.inserted == 2
    warnings = [w for w in outcome.plan.warnings if "taux de la feuille" in w.message]
    assert len(warnings) == 1, warning_texts(outcome)
    assert "50,0 %" in warnings[0].message and "90,0 %" in warnings[0].message
    assert (warnings[0].sheet, warnings[0].row) == ("Données", FIRST_LONG_ROW)
    assert_may_2022(engine, prefecture.id, outcome, 18.0, 20.0)


def test_long_target_disagreeing_with_referentiel_is_warned(engine: Engine, prefecture: Prefecture,
                                                            workbook: MakeWorkbook) -> None:
    assert prefecture.id is not None
    rows = long_rows(["COURRIEL_5J", "2022-05", "", 18, 20, "80 %"], ["COURRIEL_5J", "2022-06", "", 9, 10, "90 %"],
                     header=[*LONG_HEADER, "cible"])
    outcome = import_file(engine, prefecture.id, "suivi.xlsx", workbook({"Données": rows}))
    assert outcome.inserted == 2
    warnings = [w for w in outcome.plan.warnings if "cible" in w.message]
    assert len(warnings) == 1, warning_texts(outcome)
    assert "80" in warnings[0].message and "90" in warnings[0].message and "2022" in warnings[0].message
    assert warnings[0].row == FIRST_LONG_ROW


def test_wide_total_column_disagreeing_with_parts(engine: Engine, prefecture: Prefecture,
                                                  workbook: MakeWorkbook) -> None:
    assert prefecture.id is not None
    data = workbook({"Courriels": wide_rows("Courriels 2022", [*MONTHS_Q1, "Total"], [ANSWERS, 20, 30, 40, 95],
                                            [IN_TIME, 18, 27, 36, 81])})
    outcome = import_file(engine, prefecture.id, "courriels.xlsx", data)
    assert outcome.plan.layout == "wide"
    totals = [w for w in outcome.plan.warnings if "total" in w.message.lower()]
    assert len(totals) == 1, warning_texts(outcome)
    assert "95" in totals[0].message and "90" in totals[0].message
    assert (totals[0].sheet, totals[0].row) == ("Courriels", 3)
    assert totals[0].column is not None and totals[0].column.startswith("E")
    for month, (num, den) in zip((1, 2, 3), ((18.0, 20.0), (27.0, 30.0), (36.0, 40.0)), strict=True):
        result = value_of(engine, prefecture.id, "COURRIEL_5J", 2022, month)
        assert (result.numerator, result.denominator) == (num, den)


def test_wide_rate_row_disagreeing_with_counts_is_warned(engine: Engine, prefecture: Prefecture,
                                                         workbook: MakeWorkbook) -> None:
    assert prefecture.id is not None
    data = workbook({"Courriels": wide_rows("Courriels 2022", MONTHS_Q1, [ANSWERS, 20, 30, 40],
                                            [IN_TIME, 18, 27, 36], ["Taux de réponse dans les délais", "90 %", "50 %", "90 %"])})
    outcome = import_file(engine, prefecture.id, "courriels.xlsx", data)
    rates = [w for w in outcome.plan.warnings if "taux de la feuille" in w.message]
    assert len(rates) == 1, warning_texts(outcome)
    assert "50,0 %" in rates[0].message and "90,0 %" in rates[0].message
    assert (rates[0].row, rates[0].column) == (5, "C (février)")
    assert value_of(engine, prefecture.id, "COURRIEL_5J", 2022, 2).value == pytest.approx(90.0)
