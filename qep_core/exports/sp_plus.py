"""The year's results for the Services Publics+ open data ("résultats de qualité de service").

One row per published indicator, in the columns the national set of public-service results
uses: the structure, the indicator's title, its code where one exists, the value, the period and
the update date. :data:`SP_PLUS_COLUMNS` is the one place to adjust if the national schema's
headers change; :data:`NATIONAL_CODES` maps the référentiel's codes to national indicator codes
once the DITP assigns them (none is known for Qual-e-Pref indicators today: the column stays
empty rather than holding an invented code, and the Qual-e-Pref code is given beside it).

Public data: built from the public-safe model, so a value whose base is under the threshold is
not published. CSV: UTF-8 with BOM and ``;`` (what a French Excel opens correctly), decimal comma;
the same table also as an .xlsx.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import func
from sqlmodel import Session, col, select

from qep_core.exports.content import DocumentContent
from qep_core.exports.xlsx_export import HEADER_FILL, HEADER_FONT, put
from qep_core.importing.ledger import INDICATOR_FILE_KINDS
from qep_core.models import ImportBatch, local_time
from qep_core.rules.formatting import DISPLAY_DECIMALS
from qep_core.safe_cells import neutralise

SP_PLUS_COLUMNS = ["Nom de la structure", "Type de structure", "Département", "Intitulé de l'indicateur",
                   "Code de l'indicateur", "Code Qual-e-Pref", "Engagement Qual-e-Pref", "Période", "Valeur", "Unité",
                   "Base (nombre de demandes ou de réponses)", "Date de mise à jour"]
NATIONAL_CODES: dict[str, str] = {}
UNIT_NAMES = {"%": "%", "j": "jours ouvrés", "‰": "pour 1 000", "": "nombre"}


def last_update(session: Session, prefecture_id: int) -> dt.date | None:
    """The day the figures last changed: the latest import of values (or manual entry) of the préfecture;
    an action plan or a training register does not change the figures."""
    when = session.exec(select(func.max(ImportBatch.imported_at)).where(ImportBatch.prefecture_id == prefecture_id,
                                                                        ImportBatch.status == "imported",
                                                                        col(ImportBatch.file_kind).in_(INDICATOR_FILE_KINDS))).first()
    if when is None:
        return None
    moment = when if isinstance(when, dt.datetime) else dt.datetime.fromisoformat(str(when))
    return local_time(moment).date()  # stored in UTC: the day as Paris saw it


def sp_plus_rows(content: DocumentContent, updated: dt.date | None) -> list[dict[str, object]]:
    """The published rows (values rounded as the dashboard shows them; unpublished ones left out)."""
    rows = []
    for f in content.indicators:
        if f.value is None or f.suppressed:
            continue
        rows.append({
            "Nom de la structure": content.prefecture_name, "Type de structure": "Préfecture",
            "Département": content.prefecture_code, "Intitulé de l'indicateur": f.plain_label,
            "Code de l'indicateur": NATIONAL_CODES.get(f.code, ""), "Code Qual-e-Pref": f.code,
            "Engagement Qual-e-Pref": f.engagement, "Période": content.period.code,
            "Valeur": round(f.value, DISPLAY_DECIMALS.get(f.unit, 1)), "Unité": UNIT_NAMES.get(f.unit, f.unit),
            "Base (nombre de demandes ou de réponses)": None if f.volume is None else int(f.volume),
            "Date de mise à jour": (updated or content.generated_on).isoformat(),
        })
    return rows


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value}".replace(".", ",")
    return str(neutralise(value) if isinstance(value, str) else value)


def to_csv(rows: list[dict[str, object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(SP_PLUS_COLUMNS)
    for row in rows:
        writer.writerow([_csv_value(row[c]) for c in SP_PLUS_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[dict[str, object]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Résultats"
    for j, title in enumerate(SP_PLUS_COLUMNS, start=1):
        cell = put(ws, 1, j, title)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
    for i, row in enumerate(rows, start=2):
        for j, column in enumerate(SP_PLUS_COLUMNS, start=1):
            put(ws, i, j, row[column])
    for j, width in enumerate([34, 16, 12, 60, 18, 28, 12, 10, 10, 14, 18, 18], start=1):
        ws.column_dimensions[ws.cell(1, j).column_letter].width = width
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
