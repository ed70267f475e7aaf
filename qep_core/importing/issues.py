"""Errors and warnings found in a file, located the way a user finds them in Excel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from qep_core.frenchforms import normalize

if TYPE_CHECKING:
    import numpy as np

ERROR = "erreur"
WARNING = "avertissement"
MAX_ERRORS = 200  # past this, the report would hide the first (most useful) messages


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


@dataclass(frozen=True)
class UnknownLabel:
    """A label a file uses that no rule recognised (a row, a column, a theme…): what the Import
    page offers to map once (:mod:`qep_core.mappings`), so that later files are understood."""

    kind: str  # a kind of qep_core.mappings.models.KINDS
    label: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None


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
        self.unknown: list[UnknownLabel] = []

    def error(self, message: str, sheet: str | None = None, row: int | None = None, column: str | None = None) -> None:
        if len(self.errors) >= MAX_ERRORS:
            self.truncated += 1
            return
        self.errors.append(Issue(ERROR, message, sheet, row, column))

    def warn(self, message: str, sheet: str | None = None, row: int | None = None, column: str | None = None) -> None:
        self.warnings.append(Issue(WARNING, message, sheet, row, column))

    def unknown_label(self, kind: str, label: str, sheet: str | None = None, row: int | None = None,
                      column: str | None = None) -> None:
        """Note a label nothing recognised (its warning or error is logged apart)."""
        self.unknown.append(UnknownLabel(kind, label, sheet, row, column))

    def unknown_labels(self) -> list[UnknownLabel]:
        """Each unrecognised label once (its first place), in the file's order."""
        seen: dict[tuple[str, str], UnknownLabel] = {}
        for item in self.unknown:
            seen.setdefault((item.kind, normalize(item.label)), item)
        return list(seen.values())

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
        self.file_name = file_name
        self.errors = errors
        first = errors[0] if errors else "erreur inconnue"
        more = f" (et {len(errors) - 1} autre(s))" if len(errors) > 1 else ""
        super().__init__(f"« {file_name} » refusé : {first}{more}")
