"""Splitting an auditor's comments cell into its remarks.

In an audit report each engagement has one « Commentaires » cell holding, in any order and often
run together in one paragraph, several remarks each opened by its marker — ``PF :`` (point
fort), ``PS :`` (point sensible), ``PP :`` (piste de progrès) — and usually a ``Note :`` that
describes what the auditor saw. A remark runs up to the next marker; the note runs to the end of
the cell (a marker after the note opens a new remark again). Long forms (« Point fort : »,
« Pistes de progrès : ») and a dash or a colon after the marker are accepted. A cell copied from
the report's HTML (``<p>``, ``<i>``, ``&nbsp;``) is read as its text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from qep_core.pilotage.vocabulary import PF, PP, PS

_MARKERS = [
    (PF, r"PF|Points?\s+forts?"),
    (PS, r"PS|Points?\s+sensibles?"),
    (PP, r"PP|Pistes?\s+de\s+progr[eè]s"),
    ("NOTE", r"Note|Notes|Remarques?\s+de\s+l['’]auditeur"),
]
# A marker stands at the start of the cell or after a space or punctuation, is followed by a colon
# (or a dash), and is written as markers are: PF/PS/PP in capitals, the long forms in any case.
_MARKER_RE = re.compile(
    r"(?:(?<=^)|(?<=[\s.;,)\]»\"']))(?P<marker>" + "|".join(f"(?P<{k}>{p})" for k, p in _MARKERS) + r")\s*[:：–-]\s*",
    flags=re.IGNORECASE,
)
_TAG_RE = re.compile(r"<[^>]{0,200}>")


@dataclass(frozen=True)
class Remark:
    kind: str  # PF | PS | PP
    text: str


@dataclass(frozen=True)
class ParsedComments:
    remarks: list[Remark]
    note: str
    unmarked: str  # text before the first marker (kept as part of the note)

    def of_kind(self, kind: str) -> list[str]:
        return [r.text for r in self.remarks if r.kind == kind]


def clean_cell(text: object) -> str:
    """Cell text without HTML markup, entities decoded, spaces tidied (line breaks kept)."""
    raw = "" if text is None else str(text)
    raw = re.sub(r"<\s*(br|/p|/li|/div)\s*/?\s*>", "\n", raw, flags=re.IGNORECASE)
    raw = html.unescape(_TAG_RE.sub(" ", raw))
    lines = [" ".join(line.split()) for line in raw.replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line)


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" \t-–•·;")


def _is_strict_marker(match: re.Match[str]) -> bool:
    """PF / PS / PP count only in capitals: « ps : » inside a sentence is not a marker."""
    for kind in (PF, PS, PP):
        short = match.group(kind)
        if short is not None and len(short) == 2 and short != kind:
            return False
    return True


def parse_comments(text: object) -> ParsedComments:
    """The remarks of a comments cell, in their order, and its note."""
    cell = clean_cell(text)
    matches = [m for m in _MARKER_RE.finditer(cell) if _is_strict_marker(m)]
    remarks: list[Remark] = []
    notes: list[str] = []
    unmarked = _tidy(cell[:matches[0].start()] if matches else cell)
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(cell)
        body = _tidy(cell[match.end():end])
        kind = next(k for k in (PF, PS, PP, "NOTE") if match.group(k) is not None)
        if kind == "NOTE":
            if body:
                notes.append(body)
        elif body:
            remarks.append(Remark(kind, body))
    note = " ".join(n for n in (unmarked, *notes) if n)
    return ParsedComments(remarks, note, unmarked)


def format_comments(remarks: list[Remark] | list[tuple[str, str]], note: str = "") -> str:
    """The cell back from its parts (for editing and for the Excel export): one remark a line."""
    lines = [f"{kind} : {text}" for kind, text in ((r.kind, r.text) if isinstance(r, Remark) else r for r in remarks)]
    if note:
        lines.append(f"Note : {note}")
    return "\n".join(lines)
