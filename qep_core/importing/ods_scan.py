"""What an OpenDocument spreadsheet (``.ods``) holds besides the values calamine gives: checked
before it reads it.

* **Bounds.** A cell of ``content.xml`` may say it repeats 16 384 times across and its row a
  million times down: calamine then builds the whole rectangle (an ODS of under 1 KB asked for 90
  million cells and 2.8 GB). The extent each table would take is measured from the repeat counts,
  as calamine counts it (trailing empty cells and rows are not kept: LibreOffice ends every sheet
  with a million empty rows), and bounded like an ``.xlsx`` sheet (:mod:`qep_core.importing.safety`).
* **Formulas whose saved result is an error**: LibreOffice saves ``#DIV/0!`` as an empty string
  with ``calcext:value-type="error"``; calamine reads an empty cell. They are located here so that
  the import can say so.

One pass of a regular expression over the tags (the zip's total size is bounded before).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field

from qep_core.importing.safety import (
    EXCEL_COLUMNS,
    EXCEL_ROWS,
    MAX_CELLS_KEPT,
    MAX_SHEET_CELLS,
    PackageReport,
    too_far,
)

CONTENT = "content.xml"
_TAG = re.compile(rb"<(/?)(?:[\w.-]+:)?(table-row|table-cell|covered-table-cell|table)(?![\w.-])([^>]*?)(/?)>")
_ROWS_REPEATED = re.compile(rb"""number-rows-repeated\s*=\s*["']\s*([0-9]+)""")
_COLUMNS_REPEATED = re.compile(rb"""number-columns-repeated\s*=\s*["']\s*([0-9]+)""")
_VALUE_TYPE = re.compile(rb"""value-type\s*=""")
_ERROR_TYPE = re.compile(rb"""value-type\s*=\s*["']error["']""")
_NAME = re.compile(rb"""(?:[\w.-]+:)?name\s*=\s*["']([^"']*)["']""")
_TEXT = re.compile(rb"<(?:[\w.-]+:)?p\b[^>]*>([^<]{1,20})<")
_HUGE = 10**12


def _count(pattern: re.Pattern[bytes], attrs: bytes) -> int:
    found = pattern.search(attrs)
    return min(int(found.group(1)[:13]), _HUGE) if found else 1


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


@dataclass
class _Table:
    name: str
    row: int = 0  # rows seen so far (repeats included)
    last_row: int = 0  # rows calamine keeps: up to the last one holding a value
    last_col: int = 0
    errors: list[tuple[int, int, str]] = field(default_factory=list)
    # the row being read
    repeat: int = 1
    col: int = 0
    row_last_col: int = 0


def _cell(table: _Table, attrs: bytes, closed: bool, data: bytes, end: int) -> None:
    across = _count(_COLUMNS_REPEATED, attrs)
    if not closed or _VALUE_TYPE.search(attrs):  # a value, or content between the tags
        table.row_last_col = table.col + across
        if _ERROR_TYPE.search(attrs) and len(table.errors) < MAX_CELLS_KEPT:
            text = _TEXT.search(data, end, end + 400)
            table.errors.append((table.row, table.col, _unescape(text.group(1).decode("utf-8", "replace")) if text
                                 else "#ERREUR"))
    table.col += across


def _end_row(table: _Table) -> None:
    if table.row_last_col:
        table.last_row = table.row + table.repeat
        table.last_col = max(table.last_col, table.row_last_col)
    table.row += table.repeat


def scan_tables(data: bytes) -> list[_Table]:
    """Each table of ``content.xml``: the extent calamine would give it and its error results."""
    tables: list[_Table] = []
    open_tables: list[_Table] = []
    for match in _TAG.finditer(data):
        closing, tag, attrs, self_closed = match.groups()
        if tag == b"table":
            if closing:
                if open_tables:
                    open_tables.pop()
            elif not self_closed:
                name = _NAME.search(attrs)
                open_tables.append(_Table(_unescape(name.group(1).decode("utf-8", "replace")) if name else "?"))
                tables.append(open_tables[-1])
            continue
        if not open_tables:
            continue
        table = open_tables[-1]
        if tag == b"table-row":
            if closing:
                _end_row(table)
            else:
                table.repeat, table.col, table.row_last_col = _count(_ROWS_REPEATED, attrs), 0, 0
                if self_closed:
                    _end_row(table)
        elif not closing:
            _cell(table, attrs, bool(self_closed), data, match.end())
    return tables


def inspect_ods(name: str, archive: zipfile.ZipFile, report: PackageReport) -> PackageReport:
    """Bound every table of an ``.ods`` and note its error results in *report*."""
    report.format = "ods"
    try:
        data = archive.read(CONTENT)
    except KeyError:
        return report  # calamine says the file is not a spreadsheet
    for table in scan_tables(data):
        rows, cols = table.last_row, table.last_col
        if rows * cols > MAX_SHEET_CELLS or rows > EXCEL_ROWS or cols > EXCEL_COLUMNS:
            raise too_far(name, table.name, rows, cols)
        if table.errors:
            report.errors[table.name] = table.errors
    return report
