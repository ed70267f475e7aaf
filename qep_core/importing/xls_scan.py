"""What an old binary ``.xls`` holds besides the values calamine gives: checked before it reads it.

* **Bounds.** calamine places every cell record at the row and column it declares, in a dense
  rectangle: a BIFF record may declare column 65 535 where Excel stops at IV (256), and a
  ``DIMENSIONS`` record any size. Both are checked against the sheet limit of
  :mod:`qep_core.importing.safety`; the container itself is checked by
  :mod:`qep_core.importing.compound`.
* **Passwords.** An encrypted ``.xls`` holds a ``FILEPASS`` record: said as such, not "damaged".
* **Formulas whose saved result is an error** (``#DIV/0!``, ``#REF!``…): calamine reads them as
  empty cells, silently. They are located here so that the import can say so.

Format: [MS-XLS] BIFF8 records (type, length, body); the globals list the sheets (``BOUNDSHEET``:
where each starts in the stream).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from qep_core.importing.compound import CompoundFile
from qep_core.importing.safety import MAX_SHEET_CELLS, PROTECTED, PackageReport, reject, too_far

BOF, EOF, BOUNDSHEET, DIMENSIONS, FILEPASS = 0x0809, 0x000A, 0x0085, 0x0200, 0x002F
FORMULA, BOOLERR = 0x0006, 0x0205
MULRK, MULBLANK = 0x00BD, 0x00BE
# records of one cell: row, then column, first in their body
CELL_RECORDS = {0x0201, 0x0203, 0x0204, 0x00FD, 0x027E, 0x00D6, FORMULA, BOOLERR}
XLS_ROWS, XLS_COLUMNS = 65_536, 256  # the grid of Excel 97-2003: IV65536
ERROR_CODES = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?", 0x24: "#NUM!",
               0x2A: "#N/A", 0x2B: "#GETTING_DATA"}


def _records(stream: bytes, start: int = 0) -> Iterator[tuple[int, int, bytes]]:
    """(offset, type, body) of each record from *start*, until the stream ends."""
    at = start
    while at + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, at)
        yield at, kind, stream[at + 4:at + 4 + length]
        at += 4 + length


def _sheet_name(body: bytes, biff8: bool) -> str:
    """A BOUNDSHEET's name: in Excel 97 a length then a flag (bit 0: UTF-16), in Excel 5 a length
    then bytes in the Windows code page."""
    count = body[6]
    if not biff8:
        return body[7:7 + count].decode("cp1252", "replace")
    wide = body[7] & 1
    return body[8:8 + count * (2 if wide else 1)].decode("utf-16-le" if wide else "latin-1", "replace")


def _sheets(name: str, stream: bytes) -> list[tuple[str, int]]:
    """Worksheets (name, offset of their BOF) listed by the workbook globals; a workbook encrypted
    with a password (``FILEPASS``) is refused as such rather than as "damaged"."""
    found = []
    biff8 = True
    for _, kind, body in _records(stream):
        if kind == FILEPASS:
            raise reject(name, PROTECTED)
        if kind == BOF and len(body) >= 2:
            biff8 = struct.unpack_from("<H", body)[0] == 0x0600
        elif kind == EOF:
            break
        elif kind == BOUNDSHEET and len(body) >= 8 and body[5] == 0:  # type 0: a worksheet
            found.append((_sheet_name(body, biff8), struct.unpack_from("<I", body)[0]))
    return found


def _error_of(kind: int, body: bytes) -> str | None:
    """The error a BOOLERR cell or a FORMULA cell's saved result holds, or None."""
    if kind == BOOLERR and len(body) >= 8 and body[7] == 1:
        return ERROR_CODES.get(body[6], "#ERREUR")
    if kind == FORMULA and len(body) >= 14 and body[12:14] == b"\xff\xff" and body[6] == 2:
        return ERROR_CODES.get(body[8], "#ERREUR")
    return None


def _scan_sheet(name: str, sheet: str, stream: bytes, start: int, report: PackageReport) -> None:
    last_row = last_col = 0
    errors: list[tuple[int, int, str]] = []
    for _, kind, body in _records(stream, start):
        if kind == EOF:
            break
        if kind == DIMENSIONS and len(body) >= 12:
            rows, cols = struct.unpack_from("<I", body, 4)[0], struct.unpack_from("<H", body, 10)[0]
            if rows > XLS_ROWS or cols > XLS_COLUMNS:
                raise too_far(name, sheet, rows, cols, declared=True)
        elif kind in CELL_RECORDS and len(body) >= 4:
            row, col = struct.unpack_from("<HH", body)
            last_row, last_col = max(last_row, row + 1), max(last_col, col + 1)
            if (error := _error_of(kind, body)) is not None:
                errors.append((row, col, error))
        elif kind in (MULRK, MULBLANK) and len(body) >= 6:
            row, _ = struct.unpack_from("<HH", body)
            last_row, last_col = max(last_row, row + 1), max(last_col, struct.unpack_from("<H", body, len(body) - 2)[0] + 1)
    if last_row * last_col > MAX_SHEET_CELLS or last_col > XLS_COLUMNS:
        raise too_far(name, sheet, last_row, last_col)
    if errors:
        report.errors[sheet] = errors


def inspect_xls(name: str, data: bytes) -> PackageReport:
    """Every check above on a ``.xls``; the error results found, by sheet."""
    container = CompoundFile(name, data)
    stream = container.stream("Workbook", "Book")
    report = PackageReport(format="xls")
    if stream is None:
        return report  # no workbook inside: calamine says so
    for sheet, start in _sheets(name, stream):
        if start < len(stream):
            _scan_sheet(name, sheet, stream, start, report)
    return report
