"""« Module 2 — Délivrance des titres (hors étrangers) »: how a module is named in a heading.

Why one home: dashboards, decks, the bilan, the workbook, the settings and the pilotage pages
each built this heading. Numbered modules (M1…M8) read « Module N — titre »; the two parts beside
the modules (PIL, LAB) read their title alone.
"""

from __future__ import annotations


def module_number(code: str) -> str | None:
    """``M2`` → ``"2"``; None for PIL, LAB or any code that is not a numbered module."""
    number = code.removeprefix("M")
    return number if code.startswith("M") and number.isdigit() else None


def module_heading(code: str, title: str) -> str:
    """``Module 2 — Délivrance des titres``; the title alone for PIL or LAB."""
    number = module_number(code)
    return f"Module {number} — {title}" if number is not None else title
