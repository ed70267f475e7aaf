"""Errors and warnings found in a file, located the way a user finds them in Excel."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

ERROR = "erreur"
WARNING = "avertissement"
MAX_ERRORS = 200  # past this, the report would hide the first (most useful) messages


MAX_NAME_CHARS = 200


def display_name(name: str) -> str:
    """A file name as every report shows it (import preview, ledger, history, command line): its
    last path part, without control or format characters (a newline in a name forged a
    "✓ … 999 valeur(s)" line in the CLI report; a right-to-left override turns "xlsx.exe" round),
    spaces collapsed, at most :data:`MAX_NAME_CHARS` characters."""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in str(name))
    text = PurePath(text.replace("\\", "/")).name
    text = " ".join(text.split())
    return (text[:MAX_NAME_CHARS - 1] + "…" if len(text) > MAX_NAME_CHARS else text) or "fichier"


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the letters Excel shows above the columns."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class Issue:
    severity: str
    message: str
    sheet: str | None = None
    row: int | None = None  # 1-based, as Excel numbers rows
    column: str | None = None  # letter, with the header when known: "C (févr.)"

    @property
    def location(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"feuille « {self.sheet} »")
        if self.row is not None:
            parts.append(f"ligne {self.row}")
        if self.column:
            parts.append(f"colonne {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.location} : {self.message}" if self.location else self.message

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def rows_phrase(rows: Sequence[int] | np.ndarray, limit: int = 5) -> str:
    """``ligne 4`` / ``lignes 4, 9, 12… (40 en tout)`` for messages not attached to one row."""
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    if len(rows) == 1:
        return f"ligne {shown}"
    return f"lignes {shown}" + (f"… ({len(rows)} en tout)" if len(rows) > limit else "")


def other_rows(rows: Sequence[int] | np.ndarray, limit: int = 5) -> str:
    """`` (lignes 4, 9, 12…)`` when one bad value spans several rows; nothing for a single row,
    which the message's location already names."""
    return "" if len(rows) <= 1 else f" ({rows_phrase(rows, limit)})"


class IssueLog:
    """Collects what is wrong; errors reject the file, warnings travel with the batch."""

    def __init__(self) -> None:
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        self.truncated = 0

    def error(self, message: str, sheet: str | None = None, row: int | None = None, column: str | None = None) -> None:
        if len(self.errors) >= MAX_ERRORS:
            self.truncated += 1
            return
        self.errors.append(Issue(ERROR, message, sheet, row, column))

    def warn(self, message: str, sheet: str | None = None, row: int | None = None, column: str | None = None) -> None:
        self.warnings.append(Issue(WARNING, message, sheet, row, column))

    @property
    def ok(self) -> bool:
        return not self.errors

    def all_errors(self) -> list[Issue]:
        if self.truncated:
            return [*self.errors, Issue(ERROR, f"… et {self.truncated} autres erreurs")]
        return list(self.errors)


class ImportRejected(Exception):
    """The file cannot be imported; nothing was written."""

    def __init__(self, file_name: str, errors: list[Issue]):
        self.file_name = display_name(file_name)
        self.errors = errors
        first = errors[0] if errors else "erreur inconnue"
        more = f" (et {len(errors) - 1} autre(s))" if len(errors) > 1 else ""
        super().__init__(f"« {self.file_name} » refusé : {first}{more}")
