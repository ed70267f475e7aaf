"""Errors and warnings found in a file, located the way a user finds them in Excel."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from qep_core.frenchforms import count_text, normalize

if TYPE_CHECKING:
    import numpy as np

ERROR = "erreur"
WARNING = "avertissement"
MAX_NAMED = 6  # parts named in the coverage line before « … (n en tout) »
MAX_ERRORS = 200  # past this, the report would hide the first (most useful) messages


MAX_NAME_CHARS = 200


def display_name(name: str) -> str:
    """A file name as every report shows it (import preview, ledger, history, command line): its
    last path part, without control or format characters (a newline in a name forged a
    "✓ … 999 valeurs" line in the CLI report; a right-to-left override turns "xlsx.exe" round),
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


def column_index(letters: str) -> int:
    """A → 0, Z → 25, AA → 26: the inverse of :func:`column_letter`."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - 64)
    return index - 1


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
        # What the file's cells became (the coverage line): numbers read into values, numbers
        # only checked (totals, rates), and each part left out, by kind (ligne, colonne, feuille).
        self.values_read = 0
        self.values_checked = 0
        self.left_out: dict[str, list[str]] = {}
        self.results_only: list[str] = []  # sheets with rates but no counts

    def unused(self, kind: str, what: str, message: str, sheet: str | None = None, row: int | None = None,
               column: str | None = None) -> None:
        """A part of the file that feeds no value: a warning, and a name in the coverage line."""
        self.left_out.setdefault(kind, []).append(what)
        self.warn(message, sheet, row, column)

    def absorb(self, other: IssueLog) -> None:
        """Take *other*'s errors and warnings (kept back until they were known to matter)."""
        for issue in other.errors:
            self.error(issue.message, issue.sheet, issue.row, issue.column)
        self.warnings.extend(other.warnings)
        self.truncated += other.truncated
        self.unknown.extend(other.unknown)

    def merge_counts(self, other: IssueLog) -> None:
        self.values_read += other.values_read
        self.values_checked += other.values_checked
        for kind, names in other.left_out.items():
            self.left_out.setdefault(kind, []).extend(names)
        self.results_only.extend(other.results_only)
        self.unknown.extend(other.unknown)

    def coverage(self) -> str:
        """« 312 valeurs lues ; 2 lignes non reconnues : … » — what the preview and the CLI open with."""
        checked = self.values_checked
        parts = [count_text(self.values_read, "valeur lue", "valeurs lues")
                 + (f" (et {count_text(checked, 'total ou taux vérifié', 'totaux ou taux vérifiés')})" if checked else "")]
        words = {"ligne": ("ligne non reconnue", "lignes non reconnues"), "colonne": ("colonne ignorée", "colonnes ignorées"),
                 "feuille": ("feuille ignorée", "feuilles ignorées")}
        for kind, names in self.left_out.items():
            shown = ", ".join(names[:MAX_NAMED]) + (f"… ({len(names)} en tout)" if len(names) > MAX_NAMED else "")
            parts.append(f"{count_text(len(names), *words.get(kind, (kind, kind)))} : {shown}")
        return " ; ".join(parts)

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
        self.file_name = display_name(file_name)
        self.errors = errors
        first = errors[0] if errors else "erreur inconnue"
        more = f" (et {count_text(len(errors) - 1, 'autre')})" if len(errors) > 1 else ""
        super().__init__(f"« {self.file_name} » refusé : {first}{more}")
