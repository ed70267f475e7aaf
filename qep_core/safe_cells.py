"""Exported cells never become formulas (OWASP "CSV injection").

A text that starts with ``=``, ``+``, ``-``, ``@``, a tab, CR or LF is read by Excel and LibreOffice
as a formula when the file is opened — ``=HYPERLINK(...)`` from a log's "objet" column would turn a
download into a phishing link, and openpyxl itself writes such a string as a formula (FIELD-NOTES).
Every export (CSV and XLSX, pages and command line) goes through :func:`neutralise`: the text gets
a leading apostrophe, which both programs show as plain text. Numbers stay numbers (a negative
count is a number cell, not text), and column titles are neutralised too.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value: Any) -> Any:
    """The value itself, or a text with a leading apostrophe when it would start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of *frame* whose text cells and column titles cannot become formulas."""
    out = frame.map(neutralise)
    out.columns = [neutralise(c) for c in frame.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV as French Excel opens it: ``;`` separator, UTF-8 with BOM, CRLF; cells neutralised.

    CRLF line ends also make the csv writer quote any field holding a lone CR, which with pandas'
    default LF would split the row in two."""
    return neutralise_frame(frame).to_csv(index=False, sep=";", lineterminator="\r\n").encode("utf-8-sig")


def xlsx_bytes(frames: Mapping[str, pd.DataFrame]) -> bytes:
    """An .xlsx with one sheet per table (names cut to Excel's 31 characters); cells neutralised."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in frames.items():
            sheet = "".join("_" if c in '[]:*?/\\' else c for c in name)[:31] or "Feuille"
            neutralise_frame(frame).to_excel(writer, sheet_name=sheet, index=False)
    return buffer.getvalue()
