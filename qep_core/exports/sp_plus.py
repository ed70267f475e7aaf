"""The Services Publics+ file: the préfecture's results in the nine mandatory fields of the DITP's
« Résultats de qualité des services publics » data set, in their order (FIELD-NOTES, « Services
Publics+ open data »): :data:`SP_PLUS_COLUMNS`.

One row per indicator that has a national code (:mod:`qep_core.sp_plus`) and a publishable value
over the file's period, at préfecture level:

* **Valeur** — the weighted value of the period (Σ numerators / Σ denominators, as every
  document), rounded as the dashboard shows it; a number, as the published results write it
  (``77``): a rate in percent (77 for 77 %, not 0.77), a delay in working days, a count as is.
  In the CSV the decimal separator is the point: the file is data for the national set, whose
  values are numbers, and a ``;``-separated file keeps a point intact (no spreadsheet locale
  guesses it). The .xlsx holds real number cells.
* **Fréquence** — what the value covers, in the official words: ``annuelle`` for a year,
  ``trimestrielle`` for a quarter. The nine fields have no period column, so one file covers one
  period; an indicator followed yearly is left out of a quarterly file (its value would not be
  a quarter's).
* **Date de mise à jour** — ISO (``2024-10-30``): the day (Paris time) the indicator's figures of
  the period last changed, i.e. the latest import or entry holding them; failing that the
  préfecture's latest import, failing that the day the file is made.

Public data: built from the public-safe model (:func:`qep_core.exports.content.public_safe`), so a
value whose base is under the publication threshold is not published; the fields hold no label,
name or note at all. Left out, and listed in French in :attr:`SpPlusTable.notes` (shown by the
page, written to stderr by the command line): indicators without a national code (never
published under an invented one), without a value, under the threshold, followed less often than
the file's period, or of a module the préfecture is not labelled on. The CSV is UTF-8 with BOM and ``;``, like every CSV of the application.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from qep_core.exports.content import DocumentContent, IndicatorFigure
from qep_core.exports.xlsx_export import HEADER_FILL, HEADER_FONT, put
from qep_core.frenchforms import count_text, plural
from qep_core.importing.ledger import INDICATOR_FILE_KINDS
from qep_core.models import ImportBatch, Observation, local_time
from qep_core.periods import Period
from qep_core.referentiel import indicators_for
from qep_core.rules.formatting import DISPLAY_DECIMALS
from qep_core.safe_cells import neutralise
from qep_core.sp_plus import MISSING_STRUCTURE, SpPlusError, Structure, effective_codes, structure_of

SP_PLUS_COLUMNS = ["Code SP+ de la structure", "Intitulé de la typologie", "Intitulé de la structure",
                   "Code postal de la structure", "Ville de la structure", "Code SP+ de l'indicateur", "Valeur",
                   "Fréquence", "Date de mise à jour"]
#: The official words of « Fréquence » (« annuelle, semestrielle… »), by the kind of period a value covers.
FREQUENCY_WORDS = {"month": "mensuelle", "quarter": "trimestrielle", "semester": "semestrielle", "year": "annuelle"}
#: Months between two values of an indicator, by how it is followed.
FOLLOWED_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}

NO_CODE, NO_VALUE, UNDER_THRESHOLD, COARSER = "no_code", "no_value", "under_threshold", "coarser"
NOT_LABELLED = "not_labelled"  # a national code, but the indicator's module is not labelled


@dataclass(frozen=True)
class LeftOut:
    code: str
    reason: str  # NO_CODE | NO_VALUE | UNDER_THRESHOLD | COARSER | NOT_LABELLED


@dataclass(frozen=True)
class SpPlusTable:
    """The file's rows, and the indicators left out of it (with why)."""

    rows: list[dict[str, object]]
    left_out: list[LeftOut]
    min_volume: int = 10

    def codes(self, reason: str) -> list[str]:
        return [x.code for x in self.left_out if x.reason == reason]

    @property
    def notes(self) -> list[str]:
        """What the file leaves out, in French, one sentence per reason."""
        out = []
        if codes := self.codes(NO_CODE):
            out.append(f"{count_text(len(codes), 'indicateur')} sans code SP+, {plural(len(codes), 'laissé', 'laissés')} "
                       f"hors du fichier : {', '.join(codes)} (code à donner dans Paramètres › Services Publics+, "
                       "jamais inventé).")
        if codes := self.codes(UNDER_THRESHOLD):
            out.append(f"Non {plural(len(codes), 'publié', 'publiés')}, moins de {self.min_volume} réponses sur la "
                       f"période : {', '.join(codes)}.")
        if codes := self.codes(NO_VALUE):
            out.append(f"Sans valeur sur la période : {', '.join(codes)}.")
        if codes := self.codes(COARSER):
            out.append(f"{plural(len(codes), 'Suivi', 'Suivis')} moins souvent que la période du fichier (à publier "
                       f"dans le fichier de l'année) : {', '.join(codes)}.")
        if codes := self.codes(NOT_LABELLED):
            out.append(f"Code SP+ donné, mais module non labellisé (Paramètres › Préfecture) : {', '.join(codes)}.")
        return out


def require_structure(session: Session, prefecture_id: int) -> Structure:
    """The structure's settings, or :class:`SpPlusError` (French) when they were never given."""
    structure = structure_of(session, prefecture_id)
    if structure is None:
        raise SpPlusError(MISSING_STRUCTURE)
    return structure


def last_update(session: Session, prefecture_id: int) -> dt.date | None:
    """The day the figures last changed: the latest import of values (or manual entry) of the préfecture;
    an action plan or a training register does not change the figures."""
    when = session.exec(select(func.max(ImportBatch.imported_at)).where(ImportBatch.prefecture_id == prefecture_id,
                                                                        ImportBatch.status == "imported",
                                                                        col(ImportBatch.file_kind).in_(INDICATOR_FILE_KINDS))).first()
    return _paris_day(when)


def _paris_day(when: object) -> dt.date | None:
    if when is None:
        return None
    moment = when if isinstance(when, dt.datetime) else dt.datetime.fromisoformat(str(when))
    return local_time(moment).date()  # stored in UTC: the day as Paris saw it


def updates_by_indicator(session: Session, prefecture_id: int, period: Period) -> dict[str, dt.date]:
    """Indicator code → the day its figures of *period* last changed (the latest batch holding one)."""
    rows = session.exec(
        select(Observation.indicator_id, func.max(ImportBatch.imported_at))
        .join(ImportBatch, col(ImportBatch.id) == col(Observation.batch_id))
        .where(Observation.prefecture_id == prefecture_id, Observation.period_start >= period.start,
               Observation.period_end <= period.end)
        .group_by(col(Observation.indicator_id))).all()
    code_of = {d.id: d.code for d in indicators_for(session, prefecture_id)}
    out = {}
    for indicator_id, when in rows:
        day = _paris_day(when)
        if day is not None and indicator_id in code_of:
            out[code_of[indicator_id]] = day
    return out


def published_value(fig: IndicatorFigure) -> int | float:
    """The value as the published results write it: a number, rounded as the dashboard shows it,
    whole numbers without decimals (``77``)."""
    value = round(float(fig.value or 0.0), DISPLAY_DECIMALS.get(fig.unit, 1))
    return int(value) if value.is_integer() else value


def sp_plus_table(content: DocumentContent, structure: Structure, codes: Mapping[str, str],
                  updated: Mapping[str, dt.date], fallback: dt.date) -> SpPlusTable:
    """The rows of a public-safe *content* (see the module docstring for what is left out and why)."""
    period = content.period
    frequency = FREQUENCY_WORDS.get(period.kind)
    if frequency is None:
        raise SpPlusError(f"période sans fréquence Services Publics+ : {period.label}")
    months = len(period.months)
    rows: list[dict[str, object]] = []
    left_out: list[LeftOut] = []
    for fig in content.indicators:
        sp_code = codes.get(fig.code)
        reason = (NO_CODE if sp_code is None else COARSER if FOLLOWED_MONTHS.get(fig.frequency, 1) > months
                  else UNDER_THRESHOLD if fig.suppressed else NO_VALUE if fig.value is None else None)
        if reason is not None:
            left_out.append(LeftOut(fig.code, reason))
            continue
        rows.append(dict(zip(SP_PLUS_COLUMNS, [
            structure.code, structure.typology, content.prefecture_name, structure.postal_code, structure.city,
            sp_code, published_value(fig), frequency, updated.get(fig.code, fallback).isoformat()], strict=True)))
    shown = {fig.code for fig in content.indicators}
    left_out += [LeftOut(code, NOT_LABELLED) for code in codes if code not in shown]
    return SpPlusTable(rows, left_out, content.min_volume)


def build_table(session: Session, prefecture_id: int, content: DocumentContent) -> SpPlusTable:
    """:func:`sp_plus_table` with the préfecture's settings, codes and update days."""
    structure = require_structure(session, prefecture_id)
    fallback = last_update(session, prefecture_id) or content.generated_on
    return sp_plus_table(content, structure, effective_codes(session, prefecture_id),
                         updates_by_indicator(session, prefecture_id, content.period), fallback)


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    return str(neutralise(value) if isinstance(value, str) else value)  # numbers with a point: 91.5


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
    for j, width in enumerate([24, 22, 34, 14, 24, 20, 10, 14, 18], start=1):
        ws.column_dimensions[ws.cell(1, j).column_letter].width = width
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
