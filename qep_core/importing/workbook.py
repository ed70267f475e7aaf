"""Opening what users upload, safely and fast.

Workbooks are read with calamine (Rust): it is an order of magnitude faster than openpyxl, never
runs macros, and does not stall on the crafted XML that keeps openpyxl busy for minutes (see
FIELD-NOTES). Before parsing, the zip directory is checked so that a small file cannot expand
into gigabytes, and each format's own structure is bounded (:mod:`qep_core.importing.safety` for
``.xlsx``, :mod:`~qep_core.importing.ods_scan` for ``.ods``, :mod:`~qep_core.importing.xls_scan`
for ``.xls``). Formulas are read through the results saved in the file; calamine gives an empty
cell for an error result, which those checks locate. CSV files are decoded as UTF-8 (with or
without BOM) or else cp1252, and their separator (``;`` or ``,``) is detected from the first lines.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import cast

import pandas as pd
import python_calamine

from qep_core.importing.issues import ERROR, ImportRejected, Issue, display_name
from qep_core.importing.ods_scan import CONTENT, inspect_ods
from qep_core.importing.safety import PackageReport, check_encrypted, check_upload_size, inspect_package
from qep_core.importing.xls_scan import inspect_xls

MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
# CSV bounds: a one-line 10 MB CSV (5 million cells) took over 300 s and 12 GB to analyse, a
# 100 000-column one held the write lock for 20 s. Real files stay far below: a 200 000-row log
# has 1.6 million cells and 8 columns, a line of a tracking sheet a few hundred characters.
MAX_CSV_LINE_CHARS = 1 << 20
MAX_CSV_COLUMNS = 2_000
MAX_CSV_CELLS = 10_000_000
HEAD_ROWS = 20
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
#: What every import accepts (file pickers, command line): Excel and LibreOffice Calc workbooks, CSV.
UPLOAD_TYPES = ("xlsx", "xlsm", "xls", "ods", "csv")
FORMATS_TEXT = ".xlsx, .xlsm, .xls (Excel 97-2003), .ods (LibreOffice Calc) ou .csv"


def is_reader_failure(exc: BaseException) -> bool:
    """An error of a spreadsheet reader: any Exception, or a Rust panic inside calamine or fastexcel.

    A panic arrives as ``pyo3_runtime.PanicException``, which derives from BaseException (not
    Exception) and is a distinct class in each extension: it is recognised by name. Left alone it
    printed a traceback in the CLI and silently ended the page's thread."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


@contextmanager
def reading(name: str, message: str, sheet: str | None = None) -> Iterator[None]:
    """Run a reader call; any failure of the reader (panic included) becomes a French refusal."""
    try:
        yield
    except ImportRejected:
        raise
    except BaseException as exc:
        if not is_reader_failure(exc):
            raise
        raise ImportRejected(name, [Issue(ERROR, message, sheet)]) from exc


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Sheet:
    name: str
    rows: list[list[object]]


@dataclass
class SourceFile:
    """An uploaded file, opened: its bytes, fingerprint, format and the sheets' cell values."""

    name: str
    data: bytes
    sha256: str
    format: str  # xlsx | xls | ods | csv
    sheet_names: list[str] = field(default_factory=list)
    _book: python_calamine.CalamineWorkbook | None = None
    _csv_rows: list[list[object]] | None = None
    _sheets: dict[str, python_calamine.CalamineSheet] = field(default_factory=dict)
    package: PackageReport | None = None  # formulas without results, external links (safety.py)
    _texts: dict[str, pd.DataFrame] = field(default_factory=dict)

    def text_cells(self, sheet_name: str) -> pd.DataFrame:
        """Every cell of a sheet as text (None when empty), one column per sheet column from A and
        one row per sheet row from 1 — the form a CSV arrives in.

        Read once through fastexcel (Arrow) with every column as a string: twice as fast as
        calamine's Python cells on a 200 000-row log, and an item log's parser then sees the same
        thing from a workbook and from a CSV. Dates arrive in ISO form (``2024-07-05 09:30:00``),
        numbers without trailing zeros. Layout detection reads its first rows (:meth:`head`).
        """
        cached = self._texts.get(sheet_name)
        if cached is not None:
            return cached
        if self._csv_rows is not None:
            frame = pd.DataFrame(self._csv_rows, dtype="str").replace("", None) if self._csv_rows else pd.DataFrame()
        else:
            frame = self._workbook_texts(sheet_name)
        frame.columns = range(frame.shape[1])
        self._texts[sheet_name] = frame
        return frame

    def _workbook_texts(self, sheet_name: str) -> pd.DataFrame:
        import fastexcel

        with reading(self.name, "feuille illisible : le fichier est peut-être abîmé", sheet_name):
            # fastexcel raises its own types for broken parts, and may panic
            loaded = fastexcel.read_excel(self.data).load_sheet(
                sheet_name, header_row=None, skip_rows=0, dtypes="string", whitespace_as_null=False)
            columns = loaded.available_columns()
            frame = loaded.to_pandas()
        # fastexcel starts at the first used column: put the empty ones back so that indices are letters
        offset = columns[0].absolute_index if columns else 0
        if offset:
            blank = pd.DataFrame({f"_{i}": pd.Series([None] * len(frame), dtype="str") for i in range(offset)})
            frame = pd.concat([blank, frame], axis=1)
        return frame

    def head(self, sheet_name: str, nrows: int = HEAD_ROWS) -> list[list[object]]:
        """The first rows as text cells ('' when empty): what layout detection looks at."""
        frame = self.text_cells(sheet_name).head(nrows)
        return [["" if v is None or v != v else v for v in row] for row in frame.itertuples(index=False, name=None)]

    def rows(self, sheet_name: str, nrows: int | None = None) -> list[list[object]]:
        """Cell values of a sheet (all rows, or the first *nrows*): str, float, date or ''.

        calamine parses a whole sheet when it is first opened, so the parsed sheet is kept: asking
        for the first 20 rows and later for the header costs nothing more.
        """
        if self._csv_rows is not None:
            return self._csv_rows if nrows is None else self._csv_rows[:nrows]
        assert self._book is not None
        with reading(self.name, "feuille illisible : le fichier est peut-être abîmé", sheet_name):
            # calamine raises its own types for broken parts, and may panic
            sheet = self._sheets.get(sheet_name)
            if sheet is None:
                sheet = self._sheets[sheet_name] = self._book.get_sheet_by_name(sheet_name)
            # calamine's CellValue (str, float, int, bool, date, time, datetime, timedelta) are objects
            if nrows is None:
                return cast(list[list[object]], sheet.to_python(skip_empty_area=False))
            return cast(list[list[object]], sheet.to_python(skip_empty_area=False, nrows=nrows))


def _reject(name: str, message: str) -> ImportRejected:
    return ImportRejected(name, [Issue(ERROR, message)])


def _check_zip(name: str, data: bytes) -> PackageReport:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise _reject(name, "le fichier est tronqué ou abîmé : ce n'est pas un classeur Excel lisible") from exc
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _reject(name, f"le classeur se décompresse en {total // 2**20} Mo : trop volumineux pour être importé")
    opendocument = not any(n.startswith("xl/") for n in names)
    if opendocument and CONTENT not in names:
        raise _reject(name, "ce fichier compressé n'est pas un classeur Excel (.xlsx, .xlsm) ou LibreOffice (.ods)")
    try:  # only now that the total is known to be bounded: this inflates XML parts
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            report = inspect_package(name, archive)
            return inspect_ods(name, archive, report) if opendocument else report
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise _reject(name, "le fichier est tronqué ou abîmé : ce n'est pas un classeur Excel lisible") from exc


def decode_text(name: str, data: bytes) -> str:
    """UTF-8 (BOM or not) first, then Windows-1252 as Excel's French CSV export writes it."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _reject(name, "encodage du fichier CSV non reconnu (attendu UTF-8 ou Windows-1252)")


def detect_separator(text: str) -> str:
    head = [line for line in text.splitlines()[:HEAD_ROWS] if line.strip()]
    scores = {sep: sum(line.count(sep) for line in head) for sep in (";", ",", "\t")}
    best = max(scores, key=lambda s: scores[s])
    return best if scores[best] else ";"


def _long_line_at(text: str, limit: int = MAX_CSV_LINE_CHARS) -> int | None:
    """Where a line longer than *limit* characters starts, or None; in a few milliseconds.

    Such a line contains a whole aligned block of ``(limit + 1) // 2`` characters without a line
    break, so only blocks are searched (``str.find``, in C), then the line around a block without
    one is measured. A regular expression tried at every line start took 0.18 s on a 13 MB file."""
    block = (limit + 1) // 2
    for at in range(0, len(text), block):
        stop = min(at + block, len(text))
        if stop - at < block or text.find("\n", at, stop) >= 0 or text.find("\r", at, stop) >= 0:
            continue
        begin = max(text.rfind("\n", 0, at), text.rfind("\r", 0, at)) + 1
        ends = [i for i in (text.find("\n", stop), text.find("\r", stop)) if i >= 0]
        if min(ends, default=len(text)) - begin > limit:
            return begin
    return None


def _csv_place(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def read_csv_rows(name: str, data: bytes) -> list[list[object]]:
    """The rows of a CSV, padded to one width; refused past :data:`MAX_CSV_LINE_CHARS` characters on
    a line, :data:`MAX_CSV_COLUMNS` columns or :data:`MAX_CSV_CELLS` cells, before the cells are held."""
    text = decode_text(name, data)
    if "\x00" in text:
        raise _reject(name, "fichier binaire : ce n'est ni un classeur Excel ni un CSV")
    if (long_line := _long_line_at(text)) is not None:
        raise _reject(name, f"CSV refusé : la ligne {_csv_place(text, long_line)} dépasse "
                            f"{MAX_CSV_LINE_CHARS // 1024} Ko ; ce n'est pas un tableau de suivi ordinaire")
    sep = detect_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows: list[list[object]] = []
    cells = 0
    try:
        for row in reader:
            if len(row) > MAX_CSV_COLUMNS:
                raise _reject(name, f"CSV refusé : la ligne {reader.line_num} a {len(row)} colonnes, au-delà de la "
                                    f"limite de {MAX_CSV_COLUMNS}")
            cells += len(row)
            if cells > MAX_CSV_CELLS:
                raise _reject(name, f"CSV refusé : plus de {MAX_CSV_CELLS // 1_000_000} millions de cellules "
                                    f"(ligne {reader.line_num}) ; découpez-le (par année ou par service)")
            rows.append(list(row))
    except csv.Error as exc:  # the csv module's messages are English: say what they mean
        reason = ("une cellule dépasse 131 072 caractères (guillemet ouvrant jamais refermé ?)"
                  if "field larger" in str(exc) else "guillemets ou séparateurs incohérents")
        raise _reject(name, f"CSV illisible à la ligne {reader.line_num} : {reason}") from exc
    width = max((len(r) for r in rows), default=0)
    if width * len(rows) > MAX_CSV_CELLS:  # short lines padded to the widest one
        raise _reject(name, f"CSV refusé : {len(rows)} lignes × {width} colonnes, au-delà de la limite de "
                            f"{MAX_CSV_CELLS // 1_000_000} millions de cellules ; découpez-le (par année ou par service)")
    return [r + [""] * (width - len(r)) for r in rows]


def open_source(name: str, data: bytes) -> SourceFile:
    """Identify and open a file by its content (the extension is only a hint)."""
    display = display_name(name)
    if not data:
        raise _reject(display, "le fichier est vide")
    check_upload_size(display, len(data))
    suffix = PurePath(name).suffix.lower()
    digest = sha256_of(data)
    if data.startswith(ZIP_MAGIC) or data.startswith(OLE_MAGIC):
        check_encrypted(display, data)
        package = _check_zip(display, data) if data.startswith(ZIP_MAGIC) else inspect_xls(display, data)
        with reading(display, "le classeur est abîmé ou tronqué : il ne peut pas être lu"):
            book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            names = [m.name for m in book.sheets_metadata if str(m.typ).endswith("WorkSheet")]
        if not names:
            raise _reject(display, "le classeur ne contient aucune feuille de calcul")
        package.keep_sheets(names)
        return SourceFile(display, data, digest, package.format, names, _book=book, package=package)
    if suffix in WORKBOOK_SUFFIXES:
        raise _reject(display, f"ce fichier « {suffix} » n'est pas un classeur Excel valide (contenu d'un autre format ou fichier tronqué)")
    rows = read_csv_rows(display, data)
    if not any(any(str(c).strip() for c in r) for r in rows):
        raise _reject(display, "le fichier ne contient aucune donnée")
    return SourceFile(display, data, digest, "csv", [PurePath(display).stem or "CSV"], _csv_rows=rows)
