"""The monthly tracking-sheet template (wide layout), one sheet per channel.

Each row names its indicator code and its count ("COURRIEL_5J · numérateur · …") so that a
filled template re-imports exactly, whatever services do to the titles. Quarterly and yearly
indicators get their own sheets with quarter / year columns.
"""

from __future__ import annotations

import io
from collections import defaultdict

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from qep_core.frenchforms import MONTH_NAMES_FR
from qep_core.referentiel import ROLE_LABELS, IndicatorDef
from qep_core.safe_cells import neutralise

HEADER_FILL = PatternFill("solid", fgColor="DBDAFF")
TITLE_FONT = Font(bold=True, size=13, color="000091")
INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")
SHEET_TITLES = {
    "general": "Relation générale", "accueil": "Accueil physique", "telephone": "Téléphone",
    "internet": "Site internet", "courrier": "Courriers et courriels", "reseaux": "Réseaux sociaux",
    "titres": "Titres", "collectivites": "Collectivités", "coordination": "Coordination",
}


def row_label(ind: IndicatorDef, role: str) -> str:
    spec = ind.counts[role]
    return f"{ind.code} · {ROLE_LABELS[role]} · {spec.label}"


def _sheet_name(title: str, used: set[str]) -> str:
    name = title[:31]
    for ch in "[]:*?/\\":
        name = name.replace(ch, "-")
    base, n = name, 2
    while name in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name)
    return name


def build_template(indicators: list[IndicatorDef], year: int, channel_of: dict[str, str],
                   prefecture_name: str = "", *, perimetre_name: str = "", month: int | None = None) -> bytes:
    """An .xlsx template for *year*; *channel_of* maps indicator code → channel code.

    A service's own sheet (the reminders): *perimetre_name* is written in front of « Périmètre »
    and *month* (1–12) leaves one column, « Septembre 2024 », so that the filled file is read for
    that périmètre and that month, and nothing else.
    """
    wb = Workbook()
    guide = wb.active
    guide.title = "Mode d'emploi"
    _write_guide(guide, year)
    groups: dict[str, list[IndicatorDef]] = defaultdict(list)
    for ind in indicators:
        if ind.frequency == "quarterly":
            groups["__quarterly"].append(ind)
        elif ind.frequency == "yearly":
            groups["__yearly"].append(ind)
        else:
            groups[channel_of.get(ind.code, "general")].append(ind)
    used: set[str] = {guide.title}
    order = [c for c in SHEET_TITLES if c in groups] + [c for c in groups if c not in SHEET_TITLES and not c.startswith("__")]
    months = [m.capitalize() for m in MONTH_NAMES_FR]
    periods = months if month is None else [f"{months[month - 1]} {year}"]
    for channel in order:
        _write_sheet(wb, _sheet_name(SHEET_TITLES.get(channel, channel), used), SHEET_TITLES.get(channel, channel),
                     groups[channel], year, prefecture_name, periods, total=month is None, perimetre_name=perimetre_name)
    if groups.get("__quarterly"):
        _write_sheet(wb, _sheet_name("Trimestriel", used), "Indicateurs trimestriels", groups["__quarterly"], year,
                     prefecture_name, ["T1", "T2", "T3", "T4"], perimetre_name=perimetre_name)
    if groups.get("__yearly"):
        _write_sheet(wb, _sheet_name("Annuel", used), "Indicateurs annuels", groups["__yearly"], year,
                     prefecture_name, [f"Année {year}"], total=False, perimetre_name=perimetre_name)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_guide(ws, year: int) -> None:
    lines = [
        f"Qual-e-Pref — tableau de suivi {year}",
        "",
        "Une feuille par canal. Chaque ligne est un compte d'un indicateur : son code et la nature du compte",
        "(numérateur, dénominateur, valeur, effectif) sont rappelés dans la première colonne. Ne modifiez pas cette colonne.",
        "Saisissez des nombres entiers (pas de pourcentage) : le tableau de bord calcule les taux à partir des comptes.",
        "Laissez vide ou écrivez « n.c » un mois non communiqué (ce n'est pas un zéro).",
        "Si le tableau ne concerne qu'un service ou une boîte fonctionnelle, indiquez-le en face de « Périmètre ».",
        "Délais moyens : en jours ouvrés, avec l'effectif (nombre de réponses) qui sert à les pondérer.",
        "La colonne Total est vérifiée à l'import ; en cas d'écart, ce sont les mois qui comptent.",
    ]
    for i, line in enumerate(lines, start=1):
        ws.cell(row=i, column=1, value=line)
    ws["A1"].font = TITLE_FONT
    ws.column_dimensions["A"].width = 110


def _write_sheet(wb: Workbook, name: str, title: str, indicators: list[IndicatorDef], year: int,
                 prefecture_name: str, periods: list[str], total: bool = True, perimetre_name: str = "") -> None:
    ws = wb.create_sheet(name)
    ws.cell(row=1, column=1, value=f"Qual-e-Pref — tableau de suivi {year} — {title}").font = TITLE_FONT
    ws.cell(row=2, column=1, value="Préfecture :")
    ws.cell(row=2, column=2, value=prefecture_name)
    ws.cell(row=3, column=1, value="Périmètre :")
    if perimetre_name:
        ws.cell(row=3, column=2, value=neutralise(perimetre_name))  # a name is never a formula
    ws.cell(row=4, column=1, value="Année :")
    ws.cell(row=4, column=2, value=year)
    header_row = 6
    headers = ["Indicateur · compte", *periods] + (["Total"] if total else [])
    for c, text in enumerate(headers, start=1):
        cell = ws.cell(row=header_row, column=c, value=text)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center" if c > 1 else "left")
    validation = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, errorTitle="Valeur refusée",
                                error="Saisissez un nombre positif ou laissez vide (n.c).")
    ws.add_data_validation(validation)
    r = header_row + 1
    first_col, last_col = get_column_letter(2), get_column_letter(1 + len(periods))
    for ind in indicators:
        for role in ind.roles_for_template:
            if role not in ind.counts:
                continue
            ws.cell(row=r, column=1, value=row_label(ind, role))
            validation.add(f"{first_col}{r}:{last_col}{r}")
            additive = not (ind.kind == "mean_delay" and role == "value")
            if total and additive:
                ws.cell(row=r, column=2 + len(periods), value=f"=SUM({first_col}{r}:{last_col}{r})")
            r += 1
    ws.column_dimensions["A"].width = 95
    for c in range(2, 3 + len(periods)):
        ws.column_dimensions[get_column_letter(c)].width = 11
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
