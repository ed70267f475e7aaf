"""What an OpenDocument spreadsheet (``.ods``) holds besides the values calamine gives: checked
before it reads it.

* **Bounds.** A cell of ``content.xml`` may say it repeats 16 384 times across and its row a
  million times down: calamine then builds the whole rectangle (an ODS of under 1 KB asked for 90
  million cells and 2.8 GB). The extent each table would take is measured from the repeat counts,
  as calamine counts it (trailing empty cells and rows are not kept: LibreOffice ends every sheet
  with a million empty rows), and bounded like an ``.xlsx`` sheet (:mod:`qep_core.importing.safety`).
* **Formulas whose saved result is an error**: LibreOffice saves ``#DIV/0!`` as an empty string
  with ``calcext:value-type="error"``; calamine reads an empty cell. They are located here so that
  the import can say so, as formulas saved without a result are (a program's file, never opened).

Read row by row with regular expressions, after the zip's total size was bounded.
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
_P = rb"(?:[\w.-]+:)?"  # any namespace prefix
_END = rb"(?=[\s/>])"  # the tag's name ends here (``table`` is also the namespace of ``table:table-row``)
_START = re.compile(rb"<([\w.-]+:)?(table|table-row)" + _END + rb"([^>]*)>")
_CELL = re.compile(rb"<" + _P + rb"(?:covered-)?table-cell" + _END + rb"([^>]*)>")
_ROWS_REPEATED = re.compile(rb"""number-rows-repeated\s*=\s*["']\s*([0-9]+)""")
_COLUMNS_REPEATED = re.compile(rb"""number-columns-repeated\s*=\s*["']\s*([0-9]+)""")
_VALUE_TYPE = re.compile(rb"""value-type\s*=""")
_ERROR_TYPE = re.compile(rb"""value-type\s*=\s*["']error["']""")
_NAME = re.compile(rb"""(?:[\w.-]+:)?name\s*=\s*["']([^"']*)["']""")
_TEXT = re.compile(rb"<" + _P + rb"p\b[^>]*>([^<]{1,20})<")
_HUGE = 10**12


def _count(pattern: re.Pattern[bytes], attrs: bytes) -> int:
    found = pattern.search(attrs)
    return min(int(found.group(1)[:13]), _HUGE) if found else 1


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


@dataclass
class Table:
    """A table of ``content.xml`` as calamine would lay it out."""

    name: str
    rows: int = 0  # rows calamine keeps: up to the last one holding a value
    columns: int = 0
    errors: list[tuple[int, int, str]] = field(default_factory=list)  # (row, column) 0-based, "#DIV/0!"
    uncalculated: list[tuple[int, int]] = field(default_factory=list)  # formulas saved without a result
    next_row: int = 0


def _plain_width(inner: bytes, prefix: bytes) -> int | None:
    """At most how many columns a row takes, counted in C (``bytes.count``), when nothing in it
    needs reading cell by cell: no repeat, error or formula once its trailing run of empty cells
    (LibreOffice ends every row with one) is set aside. 0 when no cell holds anything."""
    last = inner.rfind(b"<")
    tail = inner[last:]
    if tail.endswith(b"/>") and b"table-cell" in tail and not _VALUE_TYPE.search(tail) and b"formula" not in tail:
        inner = inner[:last]
    if b"repeated" in inner or b"error" in inner or b"formula" in inner:
        return None
    if b"value-type" not in inner and b"</" not in inner:
        return 0
    # every "table-cell" is an opening or a closing tag; a closing tag of another prefix is
    # counted as an opening one: never fewer columns than there are
    closings = inner.count(b"</" + prefix + b"table-cell>") + inner.count(b"</" + prefix + b"covered-table-cell>")
    return inner.count(b"table-cell") - closings


def _cells(table: Table, row: int, inner: bytes) -> int:
    """The width of one row, cell by cell (repeats, errors and formulas without results noted)."""
    col = width = 0
    for match in _CELL.finditer(inner):
        attrs = match.group(1)
        across = _count(_COLUMNS_REPEATED, attrs)
        valued = _VALUE_TYPE.search(attrs)
        if valued or not attrs.endswith(b"/"):  # a value, or content between the tags
            width = col + across
            if _ERROR_TYPE.search(attrs) and len(table.errors) < MAX_CELLS_KEPT:
                text = _TEXT.search(inner, match.end(), match.end() + 400)
                table.errors.append((row, col, _unescape(text.group(1).decode("utf-8", "replace")) if text
                                     else "#ERREUR"))
        if b"formula" in attrs and not valued and len(table.uncalculated) < MAX_CELLS_KEPT:
            table.uncalculated.append((row, col))
        col += across
    return width


def _row(table: Table, prefix: bytes, attrs: bytes, data: bytes, start: int) -> int:
    """Measure the row whose start tag ends at *start*; where its end tag ends."""
    repeat = _count(_ROWS_REPEATED, attrs)
    inner, end = b"", start
    if not attrs.endswith(b"/"):
        closing = b"</" + prefix + b"table-row>"  # as XML requires: the start tag's own name
        close = data.find(closing, start)
        end = close + len(closing) if close >= 0 else len(data)
        inner = data[start:close if close >= 0 else len(data)]
    width = _plain_width(inner, prefix)
    if width is None:
        width = _cells(table, table.next_row, inner)
    if width:
        table.rows, table.columns = table.next_row + repeat, max(table.columns, width)
    table.next_row = min(table.next_row + repeat, _HUGE)
    return end


def scan_tables(data: bytes) -> list[Table]:
    """Each table of ``content.xml``: the extent calamine would give it, its error results and its
    formulas without results. Only rows with repeats, errors or formulas are read cell by cell: a
    100 000-row log (139 MB of XML) is measured in under 2 s, twice what calamine takes to read it."""
    tables: list[Table] = []
    resume = 0  # tags inside a row already read are not rows of their own: each byte is searched once
    for match in _START.finditer(data):
        if match.start() < resume:
            continue
        prefix, tag, attrs = match.groups()
        if tag == b"table":
            name = _NAME.search(attrs)
            tables.append(Table(_unescape(name.group(1).decode("utf-8", "replace")) if name else "?"))
        elif tables:
            resume = _row(tables[-1], prefix or b"", attrs, data, match.end())
    return tables


def inspect_ods(name: str, archive: zipfile.ZipFile, report: PackageReport) -> PackageReport:
    """Bound every table of an ``.ods`` and note its error results in *report*."""
    report.format = "ods"
    try:
        data = archive.read(CONTENT)
    except KeyError:
        return report  # calamine says the file is not a spreadsheet
    for table in scan_tables(data):
        rows, cols = table.rows, table.columns
        if rows * cols > MAX_SHEET_CELLS or rows > EXCEL_ROWS or cols > EXCEL_COLUMNS:
            raise too_far(name, table.name, rows, cols)
        if table.errors:
            report.errors[table.name] = table.errors
        if table.uncalculated:
            report.uncalculated[table.name] = table.uncalculated
            report.uncalculated_counts[table.name] = len(table.uncalculated)
    return report
