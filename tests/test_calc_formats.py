"""Workbooks as LibreOffice Calc really writes them: .ods, old binary .xls, and .xlsx saved by Calc.

The tables are the typed seed tables (tests/seed_tables.py), written with openpyxl *with formulas*
(a Total column ``=SUM(B4:L4)``, rates ``=B5/B4``, a count typed as a sum), then converted by
``soffice --headless --convert-to``: openpyxl saves formulas without results, LibreOffice
calculates them and saves the results, which is what the import reads. Every format must give the
figures worked out by hand: the switchboard's 48 % = 260 000 / 541 200 of Loire-Atlantique's bilan
2022, the PC mailbox's 189 / 213.

LibreOffice runs here only: the app never needs it. In CI (``CI`` or ``QEP_REQUIRE_PG`` set) a
missing ``soffice`` fails the module instead of skipping it.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import struct
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from sqlmodel import select

from qep_core.compute import compute_indicator
from qep_core.db import session_scope
from qep_core.importing import ImportRejected, import_file
from qep_core.importing.ods_scan import scan_tables
from qep_core.importing.safety import PackageReport, error_issues
from qep_core.importing.workbook import open_source
from qep_core.models import Indicator, Observation, Perimetre
from qep_core.periods import month_period, range_period, year_period
from qep_core.pilotage.action_files import import_actions_file
from qep_core.surveys.service import import_survey
from tests import survey_files
from tests.conftest import make_workbook
from tests.hostile_corpus import ODS_REPEAT_BOMB_CELL, ods
from tests.hostile_corpus import patched as hostile_zip
from tests.seed_pilotage import ACTION_PLAN_COMPLETION_2022
from tests.seed_tables import EMAIL_MAILBOXES, PHONE_BY_ROW, PHONE_LOST, PHONE_NOV_SEP, PHONE_RECEIVED, titled
from tests.test_itemlog_files import AS_OF, RECLA_ROWS, figures, recla_file

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
IN_CI = bool(os.environ.get("CI")) or os.environ.get("QEP_REQUIRE_PG") == "1"
CALC_FORMATS = ("ods", "xls", "xlsx")  # xlsx: the same workbook saved by Calc (formulas with their results)
NOV_21_SEP_22 = range_period(dt.date(2021, 11, 1), dt.date(2022, 9, 1))
PHONE_TITLE = "Standard — du 1er novembre 2021 au 30 septembre 2022"

Rows = list[list[object]]


# --- the workbooks, written with formulas ------------------------------------------------------------

def _phone_months() -> Rows:
    """PHONE_NOV_SEP under its title (header on row 3, received row 4, lost row 5), with a Total
    column of formulas and November's lost calls typed as a sum."""
    rows = [list(r) for r in titled(PHONE_TITLE, PHONE_NOV_SEP)]
    rows[3][-1], rows[4][-1] = "=SUM(B4:L4)", "=SUM(B5:L5)"
    rows[4][1] = "=20000+4700"  # PHONE_LOST[0] = 24 700
    return rows


def _phone_turned() -> Rows:
    """PHONE_BY_ROW under its title: months on rows 4 to 14, a Total row of formulas on row 15."""
    rows = [list(r) for r in titled(PHONE_TITLE, PHONE_BY_ROW)]
    rows[-1][1:] = ["=SUM(B4:B14)", "=SUM(C4:C14)"]
    return rows


def _mailboxes() -> Rows:
    """EMAIL_MAILBOXES for June 2022, its rate row (row 7) as formulas ``=B5/B4``."""
    rows = [list(r) for r in titled("Courriels des boîtes fonctionnelles — juin 2022", EMAIL_MAILBOXES)]
    rows[6][1:] = [f"={c}5/{c}4" for c in "BCDEFGH"]
    return rows


ERRORS = {"C": ("=C4/0", "#DIV/0!"), "D": ("=#REF!", "#REF!"), "E": ("=NA()", "#N/A"), "F": ('="a"+1', "#VALUE!")}


def _phone_errors() -> Rows:
    """The switchboard table whose lost calls of December to March (row 5, C to F) are formulas
    whose result is an error, and whose Total column (M) is one too."""
    rows = [list(r) for r in titled(PHONE_TITLE, PHONE_NOV_SEP)]
    for letter, (formula, _) in ERRORS.items():
        rows[4][ord(letter) - ord("A")] = formula
    rows[4][-1] = "=M4/0"
    return rows


NOTES: Rows = [["Mode d'emploi"], ["Saisir chaque mois les nombres de la boîte, avant le 5 du mois suivant."],
               ["Ne pas modifier les formules de la ligne Taux."]]
Q1 = [dt.date(2022, 1, 1), dt.date(2022, 2, 1), dt.date(2022, 3, 1)]


def _dated_months(book: openpyxl.Workbook) -> None:
    """A notes sheet, then the data: a title merged over A1:E1, months as real date cells."""
    notes = book.create_sheet("Mode d'emploi")
    for row in NOTES:
        notes.append(row)
    sheet = book.create_sheet("Courriels")
    sheet.append(["Courriels — boîte prefecture@"])
    sheet.merge_cells("A1:E1")
    sheet.append([])
    sheet.append(["", *Q1, "Total"])
    sheet.append(["Nombre de réponses en direct à l'utilisateur", 22, 21, 23, "=SUM(B4:D4)"])
    sheet.append(["Nombre de réponses dans les délais", 20, 21, 19, "=SUM(B5:D5)"])
    for cell in sheet[3][1:4]:
        cell.number_format = "mmmm yyyy"


def _book(rows: Rows) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Standard"
    for row in rows:
        sheet.append(row)
    return book


def _saved(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sources() -> dict[str, bytes]:
    dated = openpyxl.Workbook()
    dated.remove(dated.worksheets[0])
    _dated_months(dated)
    mac = openpyxl.Workbook()
    mac.remove(mac.worksheets[0])
    mac.epoch = CALENDAR_MAC_1904
    _dated_months(mac)
    return {"standard": _saved(_book(_phone_months())), "turned": _saved(_book(_phone_turned())),
            "boites": _saved(_book(_mailboxes())), "errors": _saved(_book(_phone_errors())),
            "dated": _saved(dated), "dated1904": _saved(mac), "accueil": survey_files.accueil_xlsx_title_row(),
            "bilan": make_workbook({"Plan d'amélioration": ACTION_PLAN_COMPLETION_2022}),
            "registre": recla_file(RECLA_ROWS)}


# --- LibreOffice --------------------------------------------------------------------------------------

def _convert(binary: str, profile: Path, sources: Path, fmt: str, out: Path) -> None:
    """One soffice run for every source file (a start of LibreOffice takes seconds)."""
    files = sorted(str(p) for p in sources.glob("*.xlsx"))
    subprocess.run([binary, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                    "--convert-to", fmt, "--outdir", str(out), *files],
                   check=True, capture_output=True, timeout=180)


@pytest.fixture(scope="module")
def calc(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], bytes]:
    """(name, format) → the bytes LibreOffice Calc saved; with a profile of this module's own, so
    that parallel runs never share one."""
    if SOFFICE is None:
        message = "LibreOffice Calc (soffice) n'est pas installé : apt-get install libreoffice-calc"
        if IN_CI:
            pytest.fail(message + " (obligatoire en CI : .ci/run l'installe)")
        pytest.skip(message)
    root = tmp_path_factory.mktemp("calc")
    sources = root / "sources"
    sources.mkdir()
    for name, data in _sources().items():
        (sources / f"{name}.xlsx").write_bytes(data)
    converted: dict[tuple[str, str], bytes] = {}
    for fmt in CALC_FORMATS:
        out = root / fmt
        _convert(SOFFICE, root / "profile", sources, fmt, out)
        for path in out.iterdir():
            converted[(path.stem, fmt)] = path.read_bytes()
    return converted


def observations(engine) -> list[tuple[str, dt.date, float, float | None]]:
    with session_scope(engine) as session:
        return sorted((code, o.period_start, o.numerator, o.denominator)
                      for o, code in session.exec(select(Observation, Indicator.code).join(Indicator)))


def switchboard(engine, prefecture_id: int, period=NOV_21_SEP_22) -> tuple[float | None, float | None]:
    with session_scope(engine) as session:
        result = compute_indicator(session, prefecture_id, "TEL_ABOUTIS", period)
    return result.numerator, result.denominator


# --- the same figures from every format ----------------------------------------------------------------

@pytest.mark.parametrize("fmt", CALC_FORMATS)
def test_the_switchboard_figure_from_every_format(engine, prefecture, calc, fmt):
    """48 % = 260 000 / 541 200; November's lost calls (a formula) read through its saved result."""
    data = calc[("standard", fmt)]
    assert open_source(f"standard.{fmt}", data).format == fmt
    outcome = import_file(engine, prefecture.id, f"standard.{fmt}", data)
    assert outcome.plan.rows == 11
    assert not [w for w in outcome.plan.warnings if "formule" in w.message], outcome.plan.warnings
    assert sum(PHONE_RECEIVED) == 541_200 and sum(PHONE_RECEIVED) - sum(PHONE_LOST) == 260_000
    assert switchboard(engine, prefecture.id) == (260_000, 541_200)
    assert switchboard(engine, prefecture.id, month_period(2021, 11)) == (48_100 - 24_700, 48_100)


@pytest.mark.parametrize("fmt", CALC_FORMATS)
def test_a_turned_table_with_a_total_row_of_formulas(engine, prefecture, calc, fmt):
    outcome = import_file(engine, prefecture.id, f"turned.{fmt}", calc[("turned", fmt)])
    assert outcome.plan.rows == 11
    assert not [w for w in outcome.plan.warnings if "total" in w.message.lower()], outcome.plan.warnings
    assert switchboard(engine, prefecture.id) == (260_000, 541_200)


@pytest.mark.parametrize("fmt", CALC_FORMATS)
def test_mailboxes_with_a_rate_row_of_formulas(engine, prefecture, calc, fmt):
    """One périmètre per column; the rates =B5/B4 agree with the counts, so nothing is said."""
    outcome = import_file(engine, prefecture.id, f"boites.{fmt}", calc[("boites", fmt)])
    assert not outcome.plan.warnings, outcome.plan.warnings
    with session_scope(engine) as session:
        pc = session.exec(select(Perimetre).where(Perimetre.name == "PC")).one()
        june = compute_indicator(session, prefecture.id, "COURRIEL_5J", month_period(2022, 6), [pc.id or 0])
        every = compute_indicator(session, prefecture.id, "COURRIEL_5J", month_period(2022, 6))
    assert (june.numerator, june.denominator) == (189, 213)
    assert (every.numerator, every.denominator) == (189 + 69 + 13 + 307 + 112 + 27 + 15, 213 + 69 + 13 + 307 + 112 + 27 + 18)


def test_the_command_line_imports_an_ods_and_an_xls_and_prints_the_error_warnings(engine, prefecture, calc, tmp_path,
                                                                                     monkeypatch, capsys):
    from qep_core.cli import main

    monkeypatch.setenv("QEP_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("QEP_AUTH", raising=False)
    paths = []
    for name, fmt in (("standard", "ods"), ("errors", "xls")):
        paths.append(tmp_path / f"{name}.{fmt}")
        paths[-1].write_bytes(calc[(name, fmt)])
    assert main(["import", *map(str, paths), "--prefecture", "44", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "standard.ods" in out and "errors.xls" in out
    assert "ligne 5, colonne C" in out and "la formule donne l'erreur #DIV/0! : valeur lue comme manquante" in out


def test_the_formulas_openpyxl_wrote_have_no_result_until_calc_saves_them(engine, prefecture, calc):
    """The contrast: the same table straight from openpyxl reads November's lost calls as empty
    and says so; from Calc's .xlsx they are there."""
    raw = _saved(_book(_phone_months()))
    outcome = import_file(engine, prefecture.id, "standard.xlsx", raw, dry_run=True)
    [note] = [w for w in outcome.plan.warnings if "jamais calculée" in w.message]
    assert note.sheet == "Standard" and "B5" in note.message
    assert open_source("standard.xlsx", calc[("standard", "xlsx")]).rows("Standard")[4][1] == 24_700


# --- formulas whose saved result is an error --------------------------------------------------------------

@pytest.mark.parametrize("fmt", CALC_FORMATS)
def test_an_error_result_in_a_count_cell_is_a_missing_value_with_a_warning(engine, prefecture, calc, fmt):
    source = open_source(f"errors.{fmt}", calc[("errors", fmt)])
    row = source.rows("Standard")[4]
    assert [row[ord(c) - ord("A")] for c in ERRORS] == ["", "", "", ""]  # never the error's text
    outcome = import_file(engine, prefecture.id, f"errors.{fmt}", calc[("errors", fmt)])
    notes = [w for w in outcome.plan.warnings if "erreur" in w.message]
    assert [(w.sheet, w.row, w.column) for w in notes] == [("Standard", 5, c) for c in ERRORS]
    for note, (_, error) in zip(notes, ERRORS.values(), strict=True):
        assert f"la formule donne l'erreur {error} : valeur lue comme manquante" in note.message
        assert str(note).startswith("feuille « Standard », ligne 5, colonne ")
    assert not any("M" == w.column for w in outcome.plan.warnings if w.column)  # the Total column is not imported
    months = {start for code, start, *_ in observations(engine) if code == "TEL_ABOUTIS"}
    assert dt.date(2021, 11, 1) in months and dt.date(2021, 12, 1) not in months and dt.date(2022, 3, 1) not in months


def test_past_eight_error_cells_one_line_names_the_others():
    """Twelve #REF! in a count row after a sheet's rows were deleted: eight located warnings, then one line."""
    rows: Rows = [["", *(f"m{i}" for i in range(12))], ["Appels reçus", *([""] * 12)]]
    report = PackageReport(errors={"Standard": [(1, col, "#REF!") for col in range(1, 13)]})
    issues = error_issues(report, lambda sheet: rows)
    assert [(i.row, i.column) for i in issues[:8]] == [(2, c) for c in "BCDEFGHI"]
    assert len(issues) == 9 and issues[8].row is None and issues[8].message == (
        "4 autres formules en erreur, lues comme manquantes : cellules J2, K2, L2, M2")


# --- sheets, merged cells, dates ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["dated", "dated1904"])
@pytest.mark.parametrize("fmt", CALC_FORMATS)
def test_notes_sheet_merged_title_and_months_as_date_cells(engine, prefecture, calc, fmt, name):
    """The data sheet after a notes sheet, under a title merged over A1:E1, months as real dates
    (in the 1900 and the 1904 date systems): January to March 2022."""
    data = calc[(name, fmt)]
    source = open_source(f"{name}.{fmt}", data)
    assert source.sheet_names == ["Mode d'emploi", "Courriels"]
    header = source.rows("Courriels")[2]
    assert [c if isinstance(c, dt.date) else None for c in header[1:4]] == Q1
    outcome = import_file(engine, prefecture.id, f"{name}.{fmt}", data)
    assert outcome.plan.months == Q1
    with session_scope(engine) as session:
        q1 = compute_indicator(session, prefecture.id, "COURRIEL_5J", range_period(Q1[0], Q1[-1]))
    assert (q1.numerator, q1.denominator) == (20 + 21 + 19, 22 + 21 + 23)


def test_the_1904_xls_really_is_in_the_1904_date_system(calc):
    """The test above reads 1904 serial numbers only if Calc kept the mode: DATEMODE record = 1."""
    assert struct.pack("<HHH", 0x0022, 2, 1) in calc[("dated1904", "xls")]
    assert struct.pack("<HHH", 0x0022, 2, 0) in calc[("dated", "xls")]


@pytest.mark.parametrize("fmt", CALC_FORMATS)
def test_an_item_log_with_dates_and_times_of_day_from_every_format(engine, prefecture, calc, fmt):
    """The complaints register of test_itemlog_files (datetime and date cells): 3 answered in time
    of 5 counted, 6 items, 2 late — whatever text the reader makes of a date cell."""
    outcome = import_file(engine, prefecture.id, f"registre-sr.{fmt}", calc[("registre", fmt)], as_of=AS_OF)
    assert outcome.plan.layout == "journal:reclamations"
    num, den, _value, items, late = figures(engine, prefecture, "RECLA_DELAI")
    assert (num, den, items, late) == (3, 5, 6, 2)


# --- the other importers read the same formats ----------------------------------------------------------------

@pytest.mark.parametrize("fmt", CALC_FORMATS)
def test_a_survey_export_from_every_format(engine, prefecture, calc, fmt):
    """30 respondents with their dates (datetime cells): 22 satisfied of 28 expressed, March 2023."""
    outcome = import_survey(engine, prefecture.id, f"accueil-2023.{fmt}", calc[("accueil", fmt)], channel="accueil")
    assert outcome.plan.year == 2023 and outcome.plan.period_source == "dates"
    with session_scope(engine) as session:
        whole = compute_indicator(session, prefecture.id, "ACCUEIL_SATISFACTION", year_period(2023))
    assert (whole.numerator, whole.denominator) == (22, 28)


@pytest.mark.parametrize("fmt", CALC_FORMATS)
def test_an_action_plan_completion_table_from_every_format(engine, prefecture, calc, fmt):
    """The seed's completion table: 95 actions done of 135, 70 % (see test_pilotage_actions)."""
    plan = import_actions_file(engine, prefecture.id, f"bilan-2022.{fmt}", calc[("bilan", fmt)],
                               today=dt.date(2024, 10, 15))
    assert plan.bilan is not None
    rates = {row.key: (row.fait, row.counted) for row in plan.bilan.modules}
    assert rates == {"M1": (65, 93), "M2": (4, 4), "M4": (1, 4), "PIL": (25, 34)}
    assert (plan.bilan.total.fait, plan.bilan.total.total) == (95, 135)


# --- hostile files, refused in French -------------------------------------------------------------------------

def _refusal(name: str, data: bytes) -> str:
    with pytest.raises(ImportRejected) as caught:
        open_source(name, data)
    return " ".join(str(e) for e in caught.value.errors)


def test_an_ods_repeating_a_cell_over_millions_is_refused_before_it_is_read():
    """Under 1 KB that made calamine build 90 million cells (2.8 GB): measured from the repeat counts."""
    data = ods(f'<table:table-row table:number-rows-repeated="9000">{ODS_REPEAT_BOMB_CELL}</table:table-row>')
    assert len(data) < 1000
    message = _refusal("piege.ods", data)
    assert "la feuille « Données » s'étend jusqu'à la cellule NTP9000" in message and "limite de 30 millions" in message


def test_an_ods_ending_with_a_million_empty_rows_is_read():
    """What LibreOffice writes at the end of every sheet: repeated empty rows and cells are not cells."""
    rows = ('<table:table-row><table:table-cell office:value-type="float" office:value="7"/>'
            '<table:table-cell table:number-columns-repeated="16383"/></table:table-row>'
            '<table:table-row table:number-rows-repeated="1048575"><table:table-cell '
            'table:number-columns-repeated="16384"/></table:table-row>')
    source = open_source("fin.ods", ods(rows))
    assert source.format == "ods" and source.rows("Données") == [[7.0]]


ROWS_BY_HAND = {
    "gaps": ('<table:table-row><table:table-cell office:value-type="float" office:value="1"/>'
             '<table:table-cell table:number-columns-repeated="3"/><table:table-cell office:value-type="string">'
             '<text:p>x</text:p></table:table-cell><table:table-cell table:number-columns-repeated="99"/>'
             '</table:table-row>'),
    "repeated-values": ('<table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-'
                        'repeated="2" office:value-type="float" office:value="2"/></table:table-row>'
                        '<table:table-row table:number-rows-repeated="4"><table:table-cell/></table:table-row>'
                        '<table:table-row><table:table-cell/><table:table-cell office:value-type="float" '
                        'office:value="3"/></table:table-row>'),
    "merged": ('<table:table-row><table:table-cell table:number-columns-spanned="3" office:value-type="string">'
               '<text:p>Titre</text:p></table:table-cell><table:covered-table-cell table:number-columns-repeated="2"/>'
               '</table:table-row><table:table-row><table:table-cell/><table:table-cell/><table:table-cell/>'
               '<table:table-cell office:value-type="float" office:value="4"/></table:table-row>'),
}


@pytest.mark.parametrize("layout", ROWS_BY_HAND)
def test_the_measured_extent_of_an_ods_is_what_calamine_builds(layout):
    """Never less than calamine's rectangle (or the bound would let a bomb through)."""
    data = ods(ROWS_BY_HAND[layout])
    [table] = scan_tables(zipfile.ZipFile(io.BytesIO(data)).read("content.xml"))
    rows = open_source("main.ods", data).rows("Données")
    assert (table.rows, table.columns) == (len(rows), max(len(r) for r in rows))


def test_the_extent_of_every_ods_calc_wrote_is_what_calamine_builds(calc):
    for (name, fmt), data in calc.items():
        if fmt != "ods":
            continue
        source = open_source(f"{name}.ods", data)
        tables = scan_tables(zipfile.ZipFile(io.BytesIO(data)).read("content.xml"))
        for table in tables:
            rows = source.rows(table.name)
            assert (table.rows, table.columns) == (len(rows), max(len(r) for r in rows)), (name, table.name)


def test_an_ods_formula_saved_without_a_result_is_located():
    """A program's .ods never opened in Calc: the formula's cell reads as empty, and the import says so."""
    data = ods('<table:table-row><table:table-cell office:value-type="float" office:value="1"/>'
               '<table:table-cell table:formula="of:=[.A1]*2"/></table:table-row>')
    assert open_source("calcul.ods", data).package.uncalculated == {"Données": [(0, 1)]}


SVG = b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg/>'


def test_an_ods_with_an_svg_picture_is_read_but_a_doctype_in_its_content_is_refused(calc):
    """Pictures/ holds what Calc inserted (an SVG may declare its DTD; no reader parses it);
    content.xml is what calamine parses."""
    data = calc[("standard", "ods")]
    pictured = hostile_zip(data, add={"Pictures/logo.svg": SVG})
    assert open_source("standard.ods", pictured).rows("Standard")[3][1] == 48_100
    content = zipfile.ZipFile(io.BytesIO(data)).read("content.xml")
    trapped = hostile_zip(data, replace={"content.xml": content.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "b">]>', 1)})
    assert "entités XML" in _refusal("standard.ods", trapped)


def _patched(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value):]


def _fat_entry(data: bytes, sector: int) -> int:
    """Where the FAT entry of *sector* lies in a compound file with 512-byte sectors."""
    first_fat = struct.unpack_from("<I", data, 76)[0]
    return (first_fat + 1) * 512 + sector * 4


HOSTILE_XLS: dict[str, Callable[[bytes], bytes]] = {
    # the directory's chain points back to itself: calamine asked for 4 GB and aborted the process
    "looping-chain": lambda d: _patched(d, _fat_entry(d, struct.unpack_from("<I", d, 48)[0]),
                                        struct.pack("<I", struct.unpack_from("<I", d, 48)[0])),
    # the directory's chain leaves the file
    "chain-outside": lambda d: _patched(d, _fat_entry(d, struct.unpack_from("<I", d, 48)[0]), struct.pack("<I", 10**6)),
    # a sector size of 2^20 bytes
    "sector-size": lambda d: _patched(d, 30, struct.pack("<H", 20)),
    # the Workbook stream declares 2 GB
    "stream-size": lambda d: _patched(d, d.index("Workbook".encode("utf-16-le")) + 120, struct.pack("<I", 2**31)),
}


def test_an_xls_encrypted_with_a_password_is_refused_as_such(calc):
    """A FILEPASS record among the globals (here in place of the INTERFACEHDR Calc writes)."""
    data = calc[("standard", "xls")]
    at = data.index(struct.pack("<HH", 0x00E1, 2))
    assert "protégé par un mot de passe" in _refusal("standard.xls", _patched(data, at, struct.pack("<H", 0x002F)))


@pytest.mark.parametrize("damage", HOSTILE_XLS)
def test_a_damaged_xls_container_is_refused_in_french(calc, damage):
    data = calc[("standard", "xls")]
    assert struct.unpack_from("<H", data, 30)[0] == 9  # 512-byte sectors, as Calc writes
    assert "abîmé ou tronqué (structure interne incohérente)" in _refusal("standard.xls", HOSTILE_XLS[damage](data))


@pytest.mark.parametrize(("record", "expected"), [
    # a DIMENSIONS record declaring 4 billion rows: calamine asked for 2 TB and aborted the process
    ("dimensions", "déclare s'étendre"),
    # a text cell at row 65 536, column 65 536 (4 billion cells) where Excel 97-2003 stops at IV65536
    ("cell", "s'étend jusqu'à"),
])
def test_an_xls_sheet_declaring_cells_past_the_grid_is_refused(calc, record, expected):
    data = calc[("standard", "xls")]
    if record == "dimensions":
        at = data.index(struct.pack("<HH", 0x0200, 14))
        data = _patched(data, at + 8, struct.pack("<I", 2**32 - 1))
    else:
        at = data.index(struct.pack("<HH", 0x00FD, 10))  # the first LABELSST record: row, column
        data = _patched(data, at + 4, struct.pack("<HH", 0xFFFF, 0xFFFF))
    message = _refusal("standard.xls", data)
    assert "la feuille « Standard »" in message and expected in message and "millions" in message
