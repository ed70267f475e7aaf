"""Hostile and broken uploads are refused in French and change nothing; exports never hold formulas.

The corpus (tests/hostile_corpus.py) goes through the real import entry point, on SQLite and, in the
PostgreSQL run of ``make test``, on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import re
import time
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from qep_core.cli import main
from qep_core.db import session_scope
from qep_core.importing import ImportRejected, analyze_file, import_file
from qep_core.importing.safety import MAX_UPLOAD_MB
from qep_core.models import Prefecture
from qep_core.safe_cells import csv_bytes, neutralise, xlsx_bytes
from tests.conftest import make_workbook
from tests.hostile_corpus import CORPUS, LONG_HEADER, MAIN_NS, Hostile, base_workbook, laughs_in_sheet, patched

ROOT = Path(__file__).resolve().parent.parent
Snapshot = Callable[[Engine], dict[str, list[tuple]]]
# A guard, not a benchmark: openpyxl took over 11 minutes on one of these files (FIELD-NOTES).
SECONDS_PER_FILE = 30
FRENCH = re.compile(r"[éèàçêûôî«»]|\b(le|la|les|du|des|un|une|fichier|feuille|ligne)\b")


def test_the_corpus_has_at_least_30_files() -> None:
    assert len(CORPUS) >= 30
    assert len({h.name for h in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("hostile", CORPUS, ids=[h.name for h in CORPUS])
def test_hostile_file_is_refused_in_french_and_changes_nothing(engine: Engine, prefecture: Prefecture,
                                                               snapshot: Snapshot, hostile: Hostile) -> None:
    data = hostile.build()
    before = snapshot(engine)
    started = time.monotonic()
    with pytest.raises(ImportRejected) as refused:
        import_file(engine, prefecture.id or 0, hostile.name, data, user="agent")
    assert time.monotonic() - started < SECONDS_PER_FILE
    messages = [str(e) for e in refused.value.errors]
    assert any(re.search(hostile.message, m) for m in messages), messages
    assert all(FRENCH.search(m) for m in messages), messages
    assert refused.value.file_name == hostile.name
    assert snapshot(engine) == before


def test_the_command_line_refuses_every_file_of_the_corpus(engine: Engine, prefecture: Prefecture, snapshot: Snapshot,
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    paths = []
    for hostile in CORPUS:
        paths.append(tmp_path / hostile.name)
        paths[-1].write_bytes(hostile.build())
    monkeypatch.setenv("QEP_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    before = snapshot(engine)
    assert main(["import", *map(str, paths)]) == 1
    err = capsys.readouterr().err
    for hostile in CORPUS:
        assert f"✗ {hostile.name} : refusé, rien n'a été enregistré" in err
    assert "dépasse la limite de 50 Mo" in err
    assert snapshot(engine) == before


def test_a_file_over_the_limit_is_refused_by_the_command_line_before_it_is_read(
        engine: Engine, prefecture: Prefecture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "enorme.xlsx"
    with open(big, "wb") as out:  # sparse: 60 MB announced, nothing written
        out.truncate(60 * 1024 * 1024)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the file was read"))
    monkeypatch.setenv("QEP_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["import", str(big)]) == 1
    assert "le fichier dépasse la limite de 50 Mo par fichier (60,0 Mo)" in capsys.readouterr().err


def test_the_app_and_the_core_share_one_size_limit_and_production_settings() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    assert config["server"].get("enableXsrfProtection", True) is True
    assert config["client"]["showErrorDetails"] == "none"


def test_openpyxl_parses_through_defusedxml_and_refuses_entities() -> None:
    """openpyxl writes our exports and templates; with defusedxml installed it never expands entities."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
    with pytest.raises(Exception, match=r"(?i)entit|forbidden|unable to read"):
        openpyxl.load_workbook(io.BytesIO(laughs_in_sheet()))


def test_no_page_renders_html() -> None:
    """Streamlit escapes HTML unless told otherwise: nothing in the app tells it otherwise."""
    html = re.compile(r"unsafe_allow_html\s*=\s*(?!False)")
    files = [ROOT / "app.py", *(p for folder in ("pages", "qep_ui", "qep_core") for p in (ROOT / folder).rglob("*.py"))]
    offenders = [str(p.relative_to(ROOT)) for p in files if html.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


# --- files that are accepted: what must not happen with them -------------------------------------------------------

def long_sheet_xml(cells: dict[str, str]) -> bytes:
    """A long table as raw sheet XML; *cells* maps a reference to its inner XML."""
    header = "".join(f'<c r="{c}1" t="inlineStr"><is><t>{t}</t></is></c>' for c, t in zip("ABCDE", LONG_HEADER, strict=True))
    row = "".join(f'<c r="{ref}"{inner}</c>' for ref, inner in cells.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>'
            f'<row r="1">{header}</row><row r="2">{row}</row></sheetData></worksheet>').encode()


ROW_2 = {"A2": ' t="inlineStr"><is><t>COURRIEL_5J</t></is>', "B2": ' t="inlineStr"><is><t>2023-01</t></is>'}
MACRO = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
         + b"Attribute VB_Name = \"ThisWorkbook\"\r\nSub Workbook_Open()\r\n  Shell \"cmd /c calc.exe\"\r\nEnd Sub\r\n")


def macro_workbook() -> bytes:
    """An .xlsm with a VBA project that would run a program when opened in Excel with macros on."""
    base = base_workbook()
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        types = z.read("[Content_Types].xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    types = types.replace("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                          "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    types = types.replace("</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    rels = rels.replace("</Relationships>", '<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
                                            'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
    return patched(base, {"[Content_Types].xml": types.encode(), "xl/_rels/workbook.xml.rels": rels.encode()},
                   {"xl/vbaProject.bin": MACRO})


def test_a_macro_workbook_imports_its_data_only(engine: Engine, prefecture: Prefecture) -> None:
    data = macro_workbook()
    assert "xl/vbaProject.bin" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    outcome = import_file(engine, prefecture.id or 0, "suivi.xlsm", data, user="agent")
    assert outcome.inserted == 1 and outcome.plan.indicators == ["COURRIEL_5J"]
    row = outcome.plan.drafts.iloc[0]
    assert (row["numerator"], row["denominator"]) == (9, 10)


def external_link_workbook() -> bytes:
    """Counts computed from another workbook on the author's disk; Excel saved their values."""
    cells = {**ROW_2, "D2": "><f>[1]Feuil1!A1</f><v>45</v>", "E2": "><f>[1]Feuil1!A2</f><v>50</v>"}
    link = (f'<?xml version="1.0"?><externalLink xmlns="{MAIN_NS}"><externalBook '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId1">'
            '<sheetNames><sheetName val="Feuil1"/></sheetNames></externalBook></externalLink>').encode()
    link_rels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 'externalLinkPath" Target="file:///C:/Users/agent/secret.xlsx" TargetMode="External"/></Relationships>')
    return patched(base_workbook(), {"xl/worksheets/sheet1.xml": long_sheet_xml(cells)},
                   {"xl/externalLinks/externalLink1.xml": link,
                    "xl/externalLinks/_rels/externalLink1.xml.rels": link_rels.encode()})


def test_external_links_are_not_followed_and_the_saved_values_are_imported(engine: Engine,
                                                                           prefecture: Prefecture) -> None:
    outcome = import_file(engine, prefecture.id or 0, "lie.xlsx", external_link_workbook(), user="agent")
    row = outcome.plan.drafts.iloc[0]
    assert (row["numerator"], row["denominator"]) == (45, 50)
    assert any("1 liaison vers d'autres classeurs : elles ne sont pas suivies" in w.message
               for w in outcome.plan.warnings)


def test_a_formula_without_result_in_a_value_cell_is_named_in_a_warning(engine: Engine,
                                                                         prefecture: Prefecture) -> None:
    """Two months: january calculated, february a formula nothing ever calculated (openpyxl wrote it)."""
    rows: list[list[object]] = [["Courriels 2023", "", "", "", "", "Total"], ["", "janvier", "février", "", "", ""],
                                ["Nombre de réponses", 20, "=B3+1", "", "", "=SUM(B3:C3)"],
                                ["Nombre de réponses dans les délais", 18, 19, "", "", "=SUM(B4:C4)"]]
    with session_scope(engine) as session:
        pref = session.get(Prefecture, prefecture.id)
        plan = analyze_file(session, pref, "programme.xlsx", make_workbook({"Courriels": rows}))
    formula = [w for w in plan.warnings if "jamais calculée" in w.message]
    assert len(formula) == 1 and "cellule C3." in formula[0].message  # the totals in column F are not named
    assert formula[0].sheet == "Courriels"


def test_the_template_s_total_formulas_are_not_reported(engine: Engine, prefecture: Prefecture, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The template's "Total" column holds =SUM formulas (computed by Excel when the user saves)."""
    monkeypatch.setenv("QEP_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    out = tmp_path / "modele.xlsx"
    assert main(["template", "--year", "2023", "-o", str(out)]) == 0
    with session_scope(engine) as session:
        pref = session.get(Prefecture, prefecture.id)
        plan = analyze_file(session, pref, "modele.xlsx", out.read_bytes())
    assert not [w for w in plan.warnings + plan.errors if "formule" in w.message]


# --- exports ----------------------------------------------------------------------------------------------------

HOSTILE_TEXTS = ['=HYPERLINK("https://exemple.invalid";"clic")', "+33 1 23", "-2+3", "@SUM(A1)", "\tcmd", "\r=1", "\n=1"]


def test_exported_cells_never_become_formulas() -> None:
    frame = pd.DataFrame({"Objet": HOSTILE_TEXTS, "=titre": range(len(HOSTILE_TEXTS)), "Délai": [-1.5] * len(HOSTILE_TEXTS)})
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"Éléments [retard]": frame})))
    sheet = book.worksheets[0]
    assert sheet.title == "Éléments _retard_"
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    # XML turns a lone CR into LF; what matters is the apostrophe in front
    # (or keeps it, with lxml installed): what matters is the apostrophe in front
    assert [str(c.value).replace("\r", "\n") for c in sheet["A"][1:]] == ["'" + t.replace("\r", "\n")
                                                                            for t in HOSTILE_TEXTS]
    assert sheet["B1"].value == "'=titre" and sheet["C2"].value == -1.5  # numbers stay numbers
    text = csv_bytes(frame).decode("utf-8-sig")
    assert text.splitlines()[0] == "Objet;'=titre;Délai"
    fields = [f for row in csv.reader(io.StringIO(text, newline=""), delimiter=";") for f in row]
    assert len(fields) == 3 * (len(HOSTILE_TEXTS) + 1)
    assert not [f for f in fields if f.startswith(("=", "+", "@", "\t", "\r", "\n")) or (f.startswith("-") and f != "-1.5")]
    assert neutralise(42) == 42 and neutralise("Boîte PC") == "Boîte PC"


def test_a_hostile_file_name_is_shown_as_text_on_the_import_page(engine: Engine, prefecture: Prefecture,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A file named like a Markdown image would make every reader's browser fetch that address."""
    monkeypatch.setenv("QEP_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/import_fichiers.py").run()
    # A browser sends the last part of the name only (a "/" would be cut there, as display_name does).
    name = "**gras** ![x](http:pixel.png).csv"
    at.file_uploader[0].upload(name, b"indicateur;periode\nINCONNU;2023-01\n").run()
    assert not at.exception
    label = at.expander[0].label
    assert label.startswith("\\*\\*gras\\*\\* \\!\\[x\\](http:pixel.png).csv — refusé"), label
