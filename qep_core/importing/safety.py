"""Checks on an uploaded file before any parser sees it (see FIELD-NOTES, "Hostile files").

* **Size**: one limit, :data:`MAX_UPLOAD_MB`, for the app (``server.maxUploadSize`` in
  ``.streamlit/config.toml``, a test keeps both equal), the command line (checked on the file's
  size before reading it) and :func:`qep_core.importing.workbook.open_source`.
* **Zip bombs**: an ``.xlsx`` is a zip; Python's ``zipfile`` stops at each member's declared size,
  so the sum of the declared sizes bounds what any reader will inflate. Members are also checked
  one by one for their compression ratio (real workbooks stay under 20:1 here; a bomb is near
  1000:1) and their number.
* **XML entities**: Excel never writes a ``<!DOCTYPE``; a part that declares one is refused with
  its own message before calamine (which would refuse it too, less clearly) or openpyxl (which
  ``defusedxml`` guards) could expand anything.
* **Encrypted workbooks**: a password-protected ``.xlsx`` is an OLE container holding an
  ``EncryptedPackage``; said as such rather than "damaged".
* **Sheets that would not fit in memory**: calamine stores a sheet as a dense rectangle from A1 to
  its last cell, so a 5 KB file with one value in A1 and one in XFD1048576 asks for 17 billion
  cells and aborts the whole process (the app, for every user). The extent is bounded from the
  sheet's XML first: a few literal-prefixed searches (about 0.5 s for 80 MB of XML) prove ordinary
  sheets small; only unusual ones (wide, deep, cells without references) are measured exactly.
* **Formulas never calculated** (a file written by a program, never opened in Excel): their cells
  read as empty. They are located (sheet and cells) so the import can say so.
* **Links to other workbooks** are never followed: the values saved in the file are used, and the
  import says so.
* **Formulas whose saved result is an error** (``t="e"``: ``#DIV/0!``, ``#REF!``…): calamine reads
  an empty cell, so the value is missing; they are located so that the import says where.

The same checks for the other workbook formats live beside this module: ``.ods`` in
:mod:`qep_core.importing.ods_scan` (extent from repeat counts, error results), ``.xls`` in
:mod:`qep_core.importing.xls_scan` and :mod:`qep_core.importing.compound` (container, extent, error
results). All fill one :class:`PackageReport`.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from posixpath import join, normpath

from qep_core.frenchforms import count_text, normalize, plural
from qep_core.importing.issues import ERROR, WARNING, ImportRejected, Issue, column_letter

MAX_UPLOAD_MB = 50
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_MEMBERS = 10_000
MAX_RATIO = 100  # inflated / compressed size of one member
RATIO_FLOOR_BYTES = 1024 * 1024  # small members may compress better than that without harm
PROLOG_BYTES = 64 * 1024  # where a DOCTYPE would stand: before the root element
MAX_CELLS_NAMED = 8
MAX_SHEET_CELLS = 30_000_000  # ~1 GB in calamine; a 200 000 × 8 log is 1.6 M
MAX_CELLS_KEPT = 10_000  # positions kept per sheet to tell totals from values; the rest only counted
HEADER_ROWS = 20
MEDIA_FOLDERS = ("xl/media/", "pictures/", "thumbnails/")  # lower case: pictures of an .xlsx, of an .ods

PROTECTED = ("le classeur est protégé par un mot de passe : enregistrez-le sans mot de passe "
             "(Fichier › Informations › Protéger le classeur) puis importez-le à nouveau")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
_CELL = re.compile(rb"<" + _PREFIX + rb"c\b([^>]*?)(?:/>|>(.*?)</" + _PREFIX + rb"c>)", re.S)
# calamine reads any number of letters and digits, lower case too ("a1", "zzzz1", "A12345678"): so
# must every check, or such a reference escapes the bound (a 5 KB file aborting the process).
_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]+)([0-9]+)["']""")
_TYPE = re.compile(rb"""\bt\s*=\s*["'](\w+)["']""")
_FORMULA = re.compile(rb"<" + _PREFIX + rb"f\b")
_VALUE = re.compile(rb"<" + _PREFIX + rb"v\b[^>]*>[^<]+</")
_SHEET = re.compile(rb"<" + _PREFIX + rb"sheet\b[^>]*>")
_ATTR = re.compile(rb"""([\w:]+)\s*=\s*["']([^"']*)["']""")
_REL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\b[^>]*>")


def mb(size: int) -> str:
    return f"{size / 2**20:.1f}".replace(".", ",") + " Mo"


def reject(name: str, message: str) -> ImportRejected:
    return ImportRejected(name, [Issue(ERROR, message)])


def check_upload_size(name: str, size: int) -> None:
    """The one size limit of the app, the command line and the core import entry."""
    if size > MAX_UPLOAD_BYTES:
        raise reject(name, f"le fichier dépasse la limite de {MAX_UPLOAD_MB} Mo par fichier ({mb(size)}) : "
                           "découpez-le (par année ou par service) ou retirez les feuilles inutiles")


def check_encrypted(name: str, data: bytes) -> None:
    """A password-protected workbook (OLE container with an EncryptedPackage stream)."""
    # The whole file is searched: the container's directory may lie anywhere (a file whose
    # directory lies past the first megabyte made calamine panic).
    if data.startswith(OLE_MAGIC) and ENCRYPTED_PACKAGE in data:
        raise reject(name, PROTECTED)


@dataclass
class PackageReport:
    """What a workbook holds besides cell values (its zip, or the records of an ``.xls``)."""

    format: str = "xlsx"  # xlsx | ods | xls
    uncalculated: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # sheet → (row, col), 0-based
    uncalculated_counts: dict[str, int] = field(default_factory=dict)
    external_links: int = 0
    errors: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)  # sheet → (row, col, "#DIV/0!")

    def keep_sheets(self, names: list[str]) -> None:
        """Forget what was found outside the worksheets the reader lists (a table nested in an
        ``.ods`` cell, a chart sheet): the import reads those sheets' rows to place the notes."""
        for notes in (self.uncalculated, self.uncalculated_counts, self.errors):
            for sheet in [s for s in notes if s not in names]:
                del notes[sheet]


def check_members(name: str, archive: zipfile.ZipFile) -> None:
    """Zip-bomb guards: number of members and compression ratio of each (the total is checked
    by the caller)."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise reject(name, f"le classeur contient {len(infos)} éléments compressés : ce n'est pas un classeur "
                           "ordinaire, il est refusé par sécurité")
    for info in infos:
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise reject(name, f"« {info.filename} » se décompresse {ratio} fois (de {mb(info.compress_size)} à "
                               f"{mb(info.file_size)}) : fichier piégé (bombe de décompression), refusé par sécurité")


def _read_prolog(archive: zipfile.ZipFile, member: str) -> bytes:
    with archive.open(member) as stream:
        return stream.read(PROLOG_BYTES)


def parsed_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The members a reader may parse as XML, whatever their names: every member but pictures and
    other media, plus any member the workbook's relationships point to (a sheet part may be named
    ``sheet1.bin`` or ``xl/media/x.png`` and calamine still reads it as the sheet its relationship
    says). Only the names of unreferenced media members are trusted (``xl/media/`` of an ``.xlsx``,
    ``Pictures/`` and ``Thumbnails/`` of an ``.ods``): an SVG picture may carry a DOCTYPE, and no
    reader parses it."""
    targets = set(workbook_targets(archive).values())
    return [info for info in archive.infolist()
            if not info.is_dir() and (info.filename in targets or not info.filename.lower().startswith(MEDIA_FOLDERS))]


def check_xml_declarations(name: str, archive: zipfile.ZipFile) -> None:
    """Refuse any parsed part that declares a DOCTYPE (entity expansion, external entities)."""
    for info in parsed_members(archive):
        head = _read_prolog(archive, info.filename)
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise reject(name, f"« {info.filename} » déclare des entités XML (DOCTYPE), ce qu'Excel n'écrit jamais : "
                               "fichier piégé, refusé par sécurité")


def _attrs(tag: bytes) -> dict[str, str]:
    return {k.decode().split(":")[-1]: v.decode("utf-8", "replace") for k, v in _ATTR.findall(tag)}


def workbook_targets(archive: zipfile.ZipFile) -> dict[str, str]:
    """Relationship id → zip member, from ``xl/_rels/workbook.xml.rels`` (how calamine finds the
    sheets and shared strings, whatever the members are named)."""
    try:
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {}
    for tag in _REL.findall(rels):
        a = _attrs(tag)
        if "Id" in a and "Target" in a:
            target = a["Target"]
            targets[a["Id"]] = normpath(target.lstrip("/") if target.startswith("/") else join("xl", target))
    return targets


def workbook_target_types(archive: zipfile.ZipFile) -> dict[str, str]:
    """Zip member → type of the workbook relationship pointing to it (``…/sharedStrings``)."""
    try:
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = workbook_targets(archive)
    return {targets[a["Id"]]: a.get("Type", "") for a in map(_attrs, _REL.findall(rels)) if a.get("Id") in targets}


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → zip member of its XML, from workbook.xml and its relationships."""
    try:
        workbook = archive.read("xl/workbook.xml")
    except KeyError:
        return {}
    targets = workbook_targets(archive)
    parts = {}
    for tag in _SHEET.findall(workbook):
        a = _attrs(tag)
        rid = a.get("id")
        if "name" in a and rid in targets:
            parts[_unescape(a["name"])] = targets[rid]
    return parts


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


def uncalculated_formulas(data: bytes) -> tuple[list[tuple[int, int]], int]:
    """Cells of a sheet's XML holding a formula with no saved result: (row, column) 0-based, and
    how many. Only looks closer where ``<f`` occurs."""
    prefixed = b"<sheetData" not in data  # <x:sheetData>: the slower, prefix-aware search
    if not (_FORMULA.search(data) if prefixed else (b"<f>" in data or b"<f " in data or b"<f/" in data)):
        return [], 0
    found: list[tuple[int, int]] = []
    count = 0
    for attrs, inner in _CELL.findall(data):
        if not inner or not _FORMULA.search(inner) or _VALUE.search(inner):
            continue
        kind = _TYPE.search(attrs)
        if kind and kind.group(1) in (b"str", b"inlineStr"):  # a formula whose result is an empty text
            continue
        ref = _REF.search(attrs)
        count += 1
        if ref and len(found) < MAX_CELLS_KEPT:
            found.append((_row_number(ref.group(2)) - 1, _column_index(ref.group(1).decode())))
    return found, count


_ERROR_VALUE = re.compile(rb"<" + _PREFIX + rb"v\b[^>]*>([^<]*)</")


def error_results(data: bytes) -> list[tuple[int, int, str]]:
    """Cells of a sheet's XML whose saved value is an error (``t="e"``: ``#DIV/0!``, ``#REF!``…):
    (row, column) 0-based and the error. calamine reads them as empty cells, silently."""
    if b'"e"' not in data and b"'e'" not in data:
        return []
    found: list[tuple[int, int, str]] = []
    for attrs, inner in _CELL.findall(data):
        kind = _TYPE.search(attrs)
        ref = _REF.search(attrs)
        if not kind or kind.group(1) != b"e" or not ref:
            continue
        value = _ERROR_VALUE.search(inner or b"")
        error = value.group(1).decode("utf-8", "replace").strip()[:20] if value else "#ERREUR"
        found.append((_row_number(ref.group(2)) - 1, _column_index(ref.group(1).decode()), error))
        if len(found) >= MAX_CELLS_KEPT:
            break
    return found


_WIDE = re.compile(rb'r="[A-Z]{2}')  # a column past Z
_WIDER = re.compile(rb'r="[A-Z]{3}')  # past ZZ
_DEEP = {digits: re.compile(rb'r="[A-Z]{1,3}[0-9]{%d}"' % digits) for digits in (5, 6, 7)}
# A cell whose position is its rank in the row, or whose reference is not written as Excel writes
# it (`r="A1"`: upper case, at most 3 letters and 7 digits, double quotes): measured exactly.
# One search for both (0.15 s saved on a 75 MB sheet, each search being a pass over it).
_NO_REF = re.compile(rb'<c(?![\w:.-])(?! r="[A-Z]{1,3}[0-9]{1,7}")')
_ROW = re.compile(rb"<" + _PREFIX + rb"row\b([^>]*?)(?:/>|>(.*?)</" + _PREFIX + rb"row>)", re.S)
_CELL_TAG = re.compile(rb"<" + _PREFIX + rb"c(?![\w:.-])([^>]*)>")
_ROW_NUMBER = re.compile(rb"""\br\s*=\s*["']([0-9]+)["']""")
_DIMENSION = re.compile(rb"""<""" + _PREFIX + rb"""dimension\b[^>]*?\bref\s*=\s*["']([^"']*)["']""")
_RANGE_END = re.compile(rb"([A-Za-z]+)([0-9]+)$")
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384  # the grid of Excel and LibreOffice: XFD1048576
_HUGE = 10**12  # any row or column past this is simply "too far"


def _row_number(digits: bytes) -> int:
    """A row number as calamine would read it, capped (a 5 000-digit number is not parsed)."""
    return int(digits) if len(digits) <= 12 else _HUGE


def _ordinary(data: bytes) -> bool:
    """Every cell carries its reference first, as Excel, LibreOffice and openpyxl write it."""
    return b"<sheetData" in data and not _NO_REF.search(data)


def extent_bound(data: bytes) -> int:
    """An upper bound of rows × columns of the sheet, from cheap searches; 0 when they cannot tell."""
    if not _ordinary(data):
        return 0  # prefixed XML, cells placed by rank, references written otherwise: measure exactly
    columns = (16_384 if _WIDER.search(data) else 702) if _WIDE.search(data) else 26
    rows = 9_999
    for digits in (5, 6, 7):
        if columns * rows <= MAX_SHEET_CELLS and not _DEEP[digits].search(data):
            break
        rows = 1_048_576 if digits == 7 else 10**digits - 1
    return columns * rows


_ALL_REFS = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')


def exact_extent(data: bytes) -> tuple[int, int]:
    """Last row and last column (1-based) that calamine would give the sheet.

    Cells that all carry their reference first (as Excel, LibreOffice and openpyxl write them) are
    read in one pass; otherwise cell by cell, as calamine places them (rank in the row, or a
    reference of any length and case: calamine reads ``zzzz1`` and ``A12345678`` too)."""
    if _ordinary(data):
        refs = _ALL_REFS.findall(data)
        if not refs:
            return 0, 0
        letters = max({c for c, _ in refs}, key=lambda c: (len(c), c))
        return max(int(r) for _, r in refs), _column_index(letters.decode()) + 1
    last_row = last_col = row = 0
    for attrs, inner in _ROW.findall(data):
        number = _ROW_NUMBER.search(attrs)
        row = _row_number(number.group(1)) if number else row + 1
        col = 0
        for cell in _CELL_TAG.findall(inner or b""):
            ref = _REF.search(cell)
            if ref:
                col = _column_index(ref.group(1).decode()) + 1
                last_row = max(last_row, _row_number(ref.group(2)))
            else:
                col += 1
                last_row = max(last_row, row)
            last_col = max(last_col, col)
    return last_row, last_col


def declared_extent(data: bytes) -> tuple[int, int] | None:
    """The last cell the sheet's ``<dimension ref="A1:D20"/>`` declares, (row, column) 1-based."""
    found = _DIMENSION.search(data[:PROLOG_BYTES])
    if not found:
        return None
    end = _RANGE_END.search(found.group(1).split(b":")[-1].replace(b"$", b""))
    if not end:
        return None
    return _row_number(end.group(2)), _column_index(end.group(1).decode()) + 1


def too_far(name: str, sheet: str, rows: int, cols: int, declared: bool = False) -> ImportRejected:
    where = (f"{column_letter(cols - 1)}{rows}" if rows <= EXCEL_ROWS and cols <= EXCEL_COLUMNS
             else "au-delà de la dernière cellule d'un tableur (XFD1048576)")
    verb = "déclare s'étendre" if declared else "s'étend"
    size = (f"{rows * cols:,} cellules à lire".replace(",", "\u202f") if rows * cols < _HUGE
            else "des milliards de cellules à lire")
    return reject(name, f"la feuille « {sheet} » {verb} jusqu'à la cellule {where} : {size}, au-delà de la limite "
                        f"de {MAX_SHEET_CELLS // 1_000_000} millions. Supprimez les lignes et colonnes vides en fin de "
                        "feuille (ou copiez les données utiles dans un nouveau classeur) puis importez-le à nouveau")


def check_extent(name: str, sheet: str, data: bytes) -> None:
    declared = declared_extent(data)
    if declared is not None and (declared[0] > EXCEL_ROWS or declared[1] > EXCEL_COLUMNS):
        # No spreadsheet program writes that; calamine ignores the declaration (measured), but a
        # reader that trusted it would reserve the whole rectangle.
        raise too_far(name, sheet, *declared, declared=True)
    bound = extent_bound(data)
    if bound and bound <= MAX_SHEET_CELLS:
        return
    rows, cols = exact_extent(data)
    if rows * cols > MAX_SHEET_CELLS or rows > EXCEL_ROWS or cols > EXCEL_COLUMNS:
        raise too_far(name, sheet, rows, cols)


def _column_index(letters: str) -> int:
    """0-based index of a column's letters (any case); past 8 letters, simply "too far"."""
    if len(letters) > 8:
        return _HUGE
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def inspect_package(name: str, archive: zipfile.ZipFile) -> PackageReport:
    """Every check above on an opened workbook zip; what the import should tell the user."""
    check_members(name, archive)
    check_xml_declarations(name, archive)
    report = PackageReport()
    names = archive.namelist()
    report.external_links = sum(1 for n in names if re.fullmatch(r"xl/externalLinks/externalLink\d+\.xml", n))
    sheet_of = {part: sheet for sheet, part in sheet_parts(archive).items()}
    # The shared strings and styles are read for what their relationship says, never as a sheet:
    # not inflated twice to look for cells (0.1 s on a 200 000-row log).
    typed = {part for part, kind in workbook_target_types(archive).items()
             if kind.rsplit("/", 1)[-1] in ("sharedStrings", "styles", "theme") and part not in sheet_of}
    for info in parsed_members(archive):
        if info.filename not in sheet_of and (info.filename in typed or not _mentions(archive, info, b"sheetData")):
            continue
        data = archive.read(info.filename)
        # Every part with cells is bounded, whatever its name, not only those workbook.xml names: a
        # reader that resolved the parts differently from us must still never meet an unbounded sheet.
        sheet = sheet_of.get(info.filename, info.filename)
        check_extent(name, sheet, data)
        if info.filename in sheet_of:
            cells, count = uncalculated_formulas(data)
            if count:
                report.uncalculated[sheet] = cells
                report.uncalculated_counts[sheet] = count
            if errors := error_results(data):
                report.errors[sheet] = errors
    return report


def _mentions(archive: zipfile.ZipFile, info: zipfile.ZipInfo, word: bytes, chunk: int = 1 << 20) -> bool:
    """Whether a member holds *word*, read by chunks (a large picture is never held whole)."""
    tail = b""
    with archive.open(info) as stream:
        while block := stream.read(chunk):
            if word in tail + block[:len(word)] or word in block:
                return True
            tail = block[-len(word):]
    return False


def cell_name(row: int, column: int) -> str:
    return f"{column_letter(column)}{row + 1}"



def _is_total_label(value: object) -> bool:

    text = normalize(value) if isinstance(value, str) else ""
    return text.startswith(("total", "taux", "cumul"))


def _totals_only(cells: list[tuple[int, int]], rows: list[list[object]]) -> list[tuple[int, int]]:
    """The cells that are not totals or rates: a "Total" column or row, a "Taux" row are never
    imported (the app recomputes them from the counts), so their formulas need no result."""
    def in_total_column(col: int) -> bool:
        return any(col < len(r) and _is_total_label(r[col]) for r in rows[:HEADER_ROWS])

    def in_total_row(row: int) -> bool:
        return row < len(rows) and any(_is_total_label(v) for v in rows[row][:3])

    return [(r, c) for r, c in cells if not in_total_column(c) and not in_total_row(r)]


def package_issues(report: PackageReport | None, rows_of: Callable[[str], list[list[object]]],
                   rejected: bool) -> list[Issue]:
    """What the import says about formulas without results, formulas whose result is an error and
    links to other workbooks.

    Formulas without results are an error when the file is refused anyway (they are the likely
    cause: their cells read as empty), a warning otherwise (the values they stand for are missing
    from the import); error results are always a warning (:func:`error_issues`).
    """
    if report is None:
        return []
    issues: list[Issue] = []
    for sheet, cells in report.uncalculated.items():
        kept = len(cells)
        values = _totals_only(cells, rows_of(sheet))
        count = report.uncalculated_counts[sheet] - (kept - len(values))
        if count <= 0:
            continue
        named = ", ".join(cell_name(r, c) for r, c in values[:MAX_CELLS_NAMED])
        more = f"… ({count} en tout)" if count > MAX_CELLS_NAMED else ""
        what = plural(count, "formule jamais calculée, lue comme vide : cellule",
                      "formules jamais calculées, lues comme vides : cellules")
        message = (f"{what} {named}{more}. Le fichier a été "
                   "écrit par un programme sans que ses formules soient calculées : ouvrez-le dans Excel ou "
                   "LibreOffice, enregistrez-le, puis importez-le à nouveau")
        issues.append(Issue(ERROR if rejected else WARNING, message, sheet))
    issues += error_issues(report, rows_of)
    if report.external_links:
        issues.append(Issue(WARNING, f"le classeur contient {count_text(report.external_links, 'liaison')} vers d'autres classeurs : "
                                     "elles ne sont pas suivies, ce sont les valeurs enregistrées dans ce fichier qui "
                                     "sont importées"))
    return issues


def error_issues(report: PackageReport, rows_of: Callable[[str], list[list[object]]]) -> list[Issue]:
    """A warning for each formula whose saved result is an error, outside totals and rates: the
    readers give an empty cell, so the value is missing from the import and the user must know
    where. Past :data:`MAX_CELLS_NAMED` cells of a sheet, one line names the others."""
    issues: list[Issue] = []
    for sheet, found in report.errors.items():
        kept = set(_totals_only([(r, c) for r, c, _ in found], rows_of(sheet)))
        cells = [(r, c, error) for r, c, error in found if (r, c) in kept]
        for row, col, error in cells[:MAX_CELLS_NAMED]:
            issues.append(Issue(WARNING, f"la formule donne l'erreur {error} : valeur lue comme manquante. Corrigez "
                                         "la formule dans le classeur, enregistrez-le, puis importez-le à nouveau",
                                sheet, row + 1, column_letter(col)))
        if len(cells) > MAX_CELLS_NAMED:
            named = ", ".join(cell_name(r, c) for r, c, _ in cells[MAX_CELLS_NAMED:2 * MAX_CELLS_NAMED])
            more = "…" if len(cells) > 2 * MAX_CELLS_NAMED else ""
            others = len(cells) - MAX_CELLS_NAMED
            what = count_text(others, "autre formule en erreur, lue comme manquante : cellule",
                              "autres formules en erreur, lues comme manquantes : cellules")
            issues.append(Issue(WARNING, f"{what} {named}{more}", sheet))
    return issues
