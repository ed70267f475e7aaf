"""The dashboard as an Excel workbook: a summary sheet, one sheet per module, one for the
per-périmètre detail.

Values are numbers (with the dashboard's number formats), so the quality team can recompute or
chart them; statuses are words, coloured by conditional formatting (the word stays when the
colours are lost in a black-and-white print). Text never becomes a formula: a label that begins
with ``=``, ``+``, ``-``, ``@``, a tab or a line break (an indicator or périmètre named by a
user, or worse, by a file) is written as a string cell with Excel's "quote prefix" style, which
shows it as typed and keeps Excel from evaluating it even when the cell is edited (OWASP's
advice on CSV/spreadsheet injection).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from qep_core.exports.content import DocumentContent, IndicatorFigure
from qep_core.frenchforms import MONTH_ABBR_FR
from qep_core.report import CSV_INJECTION_PREFIXES
from qep_core.rules.headings import module_number
from qep_core.rules.kinds import direction_sign
from qep_core.rules.status import RATED_STATUSES, STATUS_TABLE, STATUSES

NUMBER_FORMATS = {"%": '0.0" %"', "j": '0.0" j"', "‰": '0.000" ‰"', "": "# ##0"}
HEADER_FILL = PatternFill("solid", fgColor="000091")
HEADER_FONT = Font(bold=True, color="FFFFFF")
STATUS_FILLS = {s: STATUS_TABLE[s].fill for s in RATED_STATUSES}
COLUMNS = ["Code", "Indicateur", "Engagement", "Canal", "Valeur", "Cible", "Sens", "Seuil d'alerte", "Statut",
           "Même période N-1", "Évolution", "Numérateur", "Dénominateur", "Méthode de calcul"]


def put(ws: Worksheet, row: int, col: int, value: Any, number_format: str | None = None):
    """Write a cell; text is always text (never a formula), numbers keep their format."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
        if value.startswith(CSV_INJECTION_PREFIXES):
            cell.quotePrefix = True
    else:
        cell.value = value
        if number_format and isinstance(value, (int, float)):
            cell.number_format = number_format
    return cell


def _header(ws: Worksheet, row: int, headers: Sequence[str]) -> None:
    for j, title in enumerate(headers, start=1):
        cell = put(ws, row, j, title)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def _status_formatting(ws: Worksheet, column: int, first: int, last: int) -> None:
    """Colour the status words (the rule reads the word, so it follows any later edit)."""
    if last < first:
        return
    letter = get_column_letter(column)
    area = f"{letter}{first}:{letter}{last}"
    for word, colour in STATUS_FILLS.items():
        ws.conditional_formatting.add(area, FormulaRule(formula=[f'{letter}{first}="{word}"'],
                                                        fill=PatternFill("solid", fgColor=colour, bgColor=colour)))


def _figure_row(ws: Worksheet, row: int, f: IndicatorFigure, months: list[float | None]) -> None:
    fmt = NUMBER_FORMATS.get(f.unit, "0.0")
    values: list[tuple[Any, str | None]] = [
        (f.code, None), (f.label, None), (f.engagement, None), (f.channel, None), (f.value, fmt), (f.target, fmt),
        (direction_sign(f.direction), None), (f.alert, fmt), (f.status, None), (f.previous_value, fmt),
        (f.change, fmt if f.unit != "%" else '+0.0" pt";-0.0" pt";0.0" pt"'), (f.numerator, "# ##0"),
        (f.denominator, "# ##0"), (f.method, None),
    ]
    for j, (value, number_format) in enumerate(values, start=1):
        put(ws, row, j, value, number_format)
    for k, value in enumerate(months):
        put(ws, row, len(COLUMNS) + 1 + k, value, fmt)


def _widths(ws: Worksheet, widths: dict[int, float]) -> None:
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel: 31 characters, no []:*?/\\ and unique."""
    clean = "".join("-" if ch in "[]:*?/\\" else ch for ch in title)[:31].strip()
    name, n = clean, 2
    while name in used:
        suffix = f" ({n})"
        name = clean[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name


def build_workbook(content: DocumentContent, monthly: dict[str, list[float | None]] | None = None) -> bytes:
    """The workbook's bytes. *monthly*: each indicator's value per month of the period (optional)."""
    monthly = monthly or {}
    months = content.period.months
    month_headers = [f"{MONTH_ABBR_FR[m.month - 1]} {m.year}" for m in months] if len(months) > 1 else []
    wb = Workbook()
    summary = wb.active
    used: set[str] = set()
    summary.title = _sheet_title("Synthèse", used)
    put(summary, 1, 1, f"{content.prefecture_name} — tableau de bord Qual-e-Pref — {content.period.label}").font = Font(
        bold=True, size=14, color="000091")
    put(summary, 2, 1, f"Établi le {content.generated_on:%d/%m/%Y}. Taux et délais calculés à partir des comptes "
                       "(Σ numérateurs / Σ dénominateurs).")
    _header(summary, 4, ["Module", "Indicateurs", "Atteints", "À surveiller", "Non atteints", "Sans objectif",
                         "Pas de donnée"])
    row = 5
    for section in content.modules:
        counts = {s: sum(1 for f in section.indicators if f.status == s) for s in
                  STATUSES}
        for j, value in enumerate([section.heading, len(section.indicators), *counts.values()], start=1):
            put(summary, row, j, value)
        row += 1
    _widths(summary, {1: 60, 2: 12, 3: 12, 4: 14, 5: 13, 6: 14, 7: 14})

    for section in content.modules:
        number = module_number(section.code)
        ws = wb.create_sheet(_sheet_title(f"Module {number}" if number is not None else section.title, used))
        put(ws, 1, 1, f"{section.heading} — {content.period.label}").font = Font(bold=True, size=13, color="000091")
        _header(ws, 3, COLUMNS + month_headers)
        for i, f in enumerate(section.indicators):
            _figure_row(ws, 4 + i, f, monthly.get(f.code, [None] * len(month_headers)) if month_headers else [])
        _status_formatting(ws, COLUMNS.index("Statut") + 1, 4, 3 + len(section.indicators))
        ws.freeze_panes = "C4"
        _widths(ws, {1: 26, 2: 60, 3: 12, 4: 24, 5: 11, 6: 11, 7: 6, 8: 12, 9: 14, 10: 14, 11: 11, 12: 13, 13: 13,
                     14: 50, **{len(COLUMNS) + 1 + k: 10 for k in range(len(month_headers))}})
        ws.auto_filter.ref = f"A3:{get_column_letter(len(COLUMNS) + len(month_headers))}{3 + len(section.indicators)}"

    detail = [(f, p) for f in content.indicators for p in f.perimetres]
    if detail:
        ws = wb.create_sheet(_sheet_title("Périmètres", used))
        _header(ws, 1, ["Code", "Indicateur", "Périmètre", "Valeur", "Statut", "Numérateur", "Dénominateur"])
        for i, (f, p) in enumerate(detail, start=2):
            fmt = NUMBER_FORMATS.get(f.unit, "0.0")
            for j, (value, number_format) in enumerate([(f.code, None), (f.label, None), (p.name, None),
                                                        (p.value, fmt), (p.status, None), (p.numerator, "# ##0"),
                                                        (p.denominator, "# ##0")], start=1):
                put(ws, i, j, value, number_format)
        _status_formatting(ws, 5, 2, len(detail) + 1)
        _widths(ws, {1: 26, 2: 60, 3: 36, 4: 11, 5: 14, 6: 13, 7: 13})
        ws.freeze_panes = "D2"
    wb.properties.creator = "Tableau de bord Qual-e-Pref"
    wb.properties.created = dt.datetime.combine(content.generated_on, dt.time())
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
