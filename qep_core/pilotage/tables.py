"""Reading the small tables of the pilotage (action plans, audit reports, training records).

Files are opened by the indicators' importer (:func:`qep_core.importing.workbook.open_source`:
calamine, size and zip checks, CSV encodings and separators), so a pilotage file gets the same
protection and the same French refusals. Header rows are found by the same header matcher as the
item logs: each field has French variants, an exact match beats a prefix.

An import is all-or-nothing and idempotent, like an indicator import: errors are collected with
their sheet, row and column (:class:`~qep_core.importing.issues.IssueLog`), any error rejects the
whole file (:class:`~qep_core.importing.issues.ImportRejected`), and a file whose SHA-256 was
already imported for the same purpose changes nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from qep_core.frenchforms import EXCEL_EPOCH, MONTHS, is_missing, normalize
from qep_core.importing.issues import Issue, IssueLog, column_letter
from qep_core.importing.ledger import PILOTAGE_FILE_KINDS, file_kind_of, find_imported, list_ledger, new_batch
from qep_core.importing.matching import match_header_fields
from qep_core.importing.workbook import HEAD_ROWS, SourceFile
from qep_core.models import ImportBatch
from qep_core.safe_cells import neutralise

FIRST_YEAR, LAST_YEAR = 1990, 2100


class DateFormatError(ValueError):
    """A cell that should hold a date holds something else (the message is French)."""


def parse_date(cell: object) -> dt.date | None:
    """A date cell as préfectures type them → a day; None for an empty cell.

    Real date cells, Excel serial numbers, ``05/07/2022``, ``5/7/22``, ``2022-07-05`` (with or
    without a time), ``5 juillet 2022``. Anything else, and impossible dates (31/02), raise
    :class:`DateFormatError`: a date is never guessed.
    """
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None
    if isinstance(cell, dt.datetime):
        day = cell.date()
    elif isinstance(cell, dt.date):
        day = cell
    elif isinstance(cell, (int, float)) and not isinstance(cell, bool):
        if not 1 <= cell < 80_000:
            raise DateFormatError(f"« {cell} » n'est pas une date")
        day = EXCEL_EPOCH + dt.timedelta(days=int(cell))
    else:
        text = str(cell).strip()
        if not text or is_missing(text) or normalize(text) in ("nc", "n c", "na"):  # the one list of markers
            return None
        day = _parse_date_text(text)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise DateFormatError(f"année impossible : « {cell} »")
    return day


def _parse_date_text(text: str) -> dt.date:
    try:
        if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})", text):
            day, month, year = (int(g) for g in m.groups())
            return dt.date(year + 2000 if year < 100 else year, month, day)
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", text):
            year, month, day = (int(g) for g in m.groups())
            return dt.date(year, month, day)
        words = normalize(text).split()
        if len(words) == 3 and words[0].isdigit() and words[1] in MONTHS and words[2].isdigit():
            return dt.date(int(words[2]), MONTHS[words[1]], int(words[0]))
        if re.fullmatch(r"\d+(?:[.,]0+)?", text):
            return EXCEL_EPOCH + dt.timedelta(days=int(float(text.replace(",", "."))))
    except ValueError as exc:
        raise DateFormatError(f"date impossible : « {text} »") from exc
    raise DateFormatError(f"« {text} » n'est pas une date (attendu : JJ/MM/AAAA)")


def format_date(day: dt.date | None) -> str:
    return "" if day is None else f"{day:%d/%m/%Y}"


def cell_text(cell: object) -> str:
    """A cell as text, spaces tidied; numbers without a useless ``.0``."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return " ".join(str(cell).split())


@dataclass
class Table:
    """One sheet's table: where its header is and which column holds each field."""

    sheet: str
    header_row: int  # 0-based index of the header in ``rows``
    fields: dict[str, int]
    rows: list[list[object]]

    def body(self) -> list[tuple[int, list[object]]]:
        """(Excel row number, cells) for each non-empty row under the header."""
        out = []
        for index in range(self.header_row + 1, len(self.rows)):
            cells = self.rows[index]
            if any(cell_text(c) for c in cells):
                out.append((index + 1, cells))
        return out

    def get(self, cells: list[object], name: str) -> object:
        col = self.fields.get(name)
        return None if col is None or col >= len(cells) else cells[col]

    def column(self, name: str) -> str:
        """``C (Statut)``: the letter users see in Excel, with the header."""
        col = self.fields[name]
        header = cell_text(self.rows[self.header_row][col]) if col < len(self.rows[self.header_row]) else ""
        return f"{column_letter(col)} ({header})" if header else column_letter(col)


def find_table(source: SourceFile, sheet: str, variants: dict[str, tuple[str, ...]], required: tuple[str, ...],
               exact_only: frozenset[str] = frozenset()) -> Table | None:
    """The first row of the sheet's head naming every *required* field, or None."""
    head = source.rows(sheet, HEAD_ROWS)
    for index, row in enumerate(head):
        fields = match_header_fields(row, variants, exact_only, text_only=True)
        if all(f in fields for f in required):
            return Table(sheet, index, fields, source.rows(sheet))
    return None


def title_text(source: SourceFile, sheet: str, table: Table | None = None) -> str:
    """The sheet's name and the text above its table (where a title says « Bilan 2022 »)."""
    head = source.rows(sheet, table.header_row if table else HEAD_ROWS)
    return " ".join([sheet, *(cell_text(c) for row in head for c in row if cell_text(c))])


def already_imported(session: Session, prefecture_id: int, kind: str, sha256: str) -> ImportBatch | None:
    """The ledger line of the same file imported before for the same purpose (*kind*: ``actions``,
    ``bilan``, ``audit``, ``formations``), or None."""
    return find_imported(session, prefecture_id, sha256, {file_kind_of(kind)})


def record_import(session: Session, prefecture_id: int, kind: str, source: SourceFile, user: str, summary: str,
                  warnings: list[Issue], rows: int = 0) -> ImportBatch:
    """The file's line in the one import ledger (in the caller's transaction)."""
    row = new_batch(prefecture_id, source.name, source.sha256, kind, user, rows=rows, summary=summary,
                    warnings=warnings)
    session.add(row)
    session.flush()
    return row


def list_imports(session: Session, prefecture_id: int, kind: str | None = None) -> list[ImportBatch]:
    """The préfecture's pilotage files, newest first (one *kind* only if given)."""
    return list_ledger(session, prefecture_id, {file_kind_of(kind)} if kind else PILOTAGE_FILE_KINDS)


__all__ = ["DateFormatError", "IssueLog", "Table", "already_imported", "cell_text", "find_table", "format_date",
           "list_imports", "parse_date", "record_import", "title_text"]


def write_sheet(wb: Workbook, title: str, headers: list[str], rows: list[list[object]], widths: list[int]) -> None:
    """One sheet of an export: bold frozen header, cells that never become formulas, French dates."""
    ws = wb.create_sheet(title)
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([neutralise(v) for v in row])
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD/MM/YYYY"
    ws.freeze_panes = "A2"
