"""One entry point for every export, called by the Exports page and by ``python -m qep_core export``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from qep_core.compute import data_range, monthly_values_all
from qep_core.db import session_scope
from qep_core.exports.affiche import affiche_content, render_affiche_pdf
from qep_core.exports.bilan import render_bilan_html
from qep_core.exports.content import CLU, COPIL, DEFAULT_MIN_VOLUME, PUBLIC, DocumentContent, build_content
from qep_core.exports.pdf import html_to_pdf
from qep_core.exports.review_minutes import render_minutes_html
from qep_core.exports.sp_plus import SpPlusTable, build_table, require_structure, to_csv, to_xlsx
from qep_core.exports.xlsx_export import build_workbook
from qep_core.models import Prefecture
from qep_core.periods import Period, quarter_of, quarter_period, year_period
from qep_core.referentiel import indicators_for
from qep_core.review.workflow import ReviewError, minutes_of
from qep_core.sp_plus import SpPlusError

KINDS = ("copil", "clu", "bilan", "pv", "affiche", "xlsx", "sp-plus")
KIND_LABELS = {
    "copil": "Diaporama du comité de pilotage (PPTX)",
    "clu": "Diaporama du comité local des usagers (PPTX)",
    "bilan": "Bilan annuel (PDF ou HTML)",
    "pv": "Procès-verbal d'une revue trimestrielle du COPIL (PDF ou HTML)",
    "affiche": "Affiche « programme transparence » (PDF A4 ou A3)",
    "xlsx": "Tableau de bord (Excel)",
    "sp-plus": "Résultats pour Services Publics+ (CSV ou Excel)",
}
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SLOW_KINDS = frozenset({"copil", "clu", "bilan", "pv", "affiche"})  # the page shows progress for these


class ExportError(ValueError):
    """A request that cannot be served, with a French message (no data, wrong option…)."""


@dataclass(frozen=True)
class ExportRequest:
    kind: str
    year: int
    quarter: int | None = None
    min_volume: int = DEFAULT_MIN_VOLUME
    page: str = "A4"  # affiche: A4 | A3
    format: str | None = None  # bilan: pdf | html ; sp-plus: csv | xlsx


@dataclass(frozen=True)
class ExportFile:
    name: str
    mime: str
    data: bytes
    notes: tuple[str, ...] = ()  # what the file leaves out and why (Services Publics+), in French


def _period(req: ExportRequest, first: dt.date, last: dt.date) -> Period:
    if req.kind == "bilan" and req.quarter:
        raise ExportError("les bilans sont annuels : retirez le trimestre")
    if req.kind == "affiche" and not req.quarter:
        if req.year == last.year:
            return quarter_period(req.year, quarter_of(last.month))
        return quarter_period(req.year, 4)
    return quarter_period(req.year, req.quarter) if req.quarter else year_period(req.year)


def default_format(kind: str) -> str | None:
    return {"bilan": "pdf", "pv": "pdf", "sp-plus": "csv"}.get(kind)


def _minutes(engine: Engine, prefecture_id: int, req: ExportRequest, fmt: str | None,
             step: Callable[[str], None]) -> ExportFile:
    """The procès-verbal of one frozen quarterly review (:mod:`qep_core.exports.review_minutes`)."""
    if not req.quarter:
        raise ExportError("le procès-verbal est celui d'une revue trimestrielle : indiquez le trimestre")
    step("Lecture de la revue figée")
    with session_scope(engine) as session:
        pref = session.get(Prefecture, prefecture_id)
        if pref is None:
            raise ExportError("préfecture inconnue")
        try:
            minutes = minutes_of(session, prefecture_id, req.year, req.quarter)
        except ReviewError as exc:
            raise ExportError(str(exc).rstrip(".")) from exc
    stem = f"pv-revue-{pref.code}-{req.year}T{req.quarter}"
    html = render_minutes_html(minutes)
    if fmt == "html":
        return ExportFile(f"{stem}.html", "text/html", html.encode("utf-8"))
    step("Mise en page du PDF")
    return ExportFile(f"{stem}.pdf", "application/pdf", html_to_pdf(html))


def build_export(engine: Engine, prefecture_id: int, req: ExportRequest,
                 progress: Callable[[str], None] | None = None) -> ExportFile:
    """Build one export; *progress* receives French step names (the page shows them)."""
    step = progress or (lambda _text: None)
    if req.kind not in KINDS:
        raise ExportError(f"export inconnu : {req.kind} (attendu : {', '.join(KINDS)})")
    if req.min_volume < 1:
        raise ExportError("le seuil de publication doit être d'au moins 1 réponse")
    fmt = req.format or default_format(req.kind)
    if req.kind in ("bilan", "pv") and fmt not in ("pdf", "html"):
        raise ExportError("format du bilan ou du procès-verbal : pdf ou html")
    if req.kind == "sp-plus" and fmt not in ("csv", "xlsx"):
        raise ExportError("format Services Publics+ : csv ou xlsx")
    if req.kind == "affiche" and req.page not in ("A4", "A3"):
        raise ExportError("format de l'affiche : A4 ou A3")
    if req.kind == "pv":
        return _minutes(engine, prefecture_id, req, fmt, step)
    step("Calcul des indicateurs")
    with session_scope(engine) as session:
        pref = session.get(Prefecture, prefecture_id)
        if pref is None:
            raise ExportError("préfecture inconnue")
        span = data_range(session, prefecture_id)
        if span is None or not span[0].year <= req.year <= span[1].year:
            known = f" (données de {span[0].year} à {span[1].year})" if span else ""
            raise ExportError(f"aucune donnée pour {req.year}{known}")
        period = _period(req, *span)
        if req.kind == "sp-plus":
            _sp_plus_structure(session, prefecture_id)  # refused before anything is computed
        stem = f"{req.kind}-{pref.code}-{period.code}"
        if req.kind == "affiche":
            content, tiles = affiche_content(session, prefecture_id, period.start.year,
                                             period.quarter, req.min_volume)
        else:
            audience = {"copil": COPIL, "clu": CLU, "bilan": COPIL, "xlsx": COPIL, "sp-plus": PUBLIC}[req.kind]
            content = build_content(session, prefecture_id, period, audience, req.min_volume)
            monthly = {}
            if req.kind == "xlsx":
                indicators = [d for d in indicators_for(session, prefecture_id) if d.code in
                              {f.code for f in content.indicators}]
                monthly = monthly_values_all(session, prefecture_id, indicators, period)
            if req.kind == "sp-plus":
                table = _sp_plus_table(session, prefecture_id, content)
    if req.kind in ("copil", "clu"):
        from qep_core.exports.pptx_slides import build_deck  # python-pptx: loaded on first use (heavy)

        step("Mise en page des diapositives")
        return ExportFile(f"{stem}.pptx", PPTX, build_deck(content))
    if req.kind == "bilan":
        step("Rédaction du bilan")
        html = render_bilan_html(content)
        if fmt == "html":
            return ExportFile(f"{stem}.html", "text/html", html.encode("utf-8"))
        step("Mise en page du PDF")
        return ExportFile(f"{stem}.pdf", "application/pdf", html_to_pdf(html))
    if req.kind == "affiche":
        step("Mise en page de l'affiche")
        return ExportFile(f"affiche-{pref.code}-{period.code}-{req.page}.pdf", "application/pdf",
                          render_affiche_pdf(content, tiles, req.page))
    if req.kind == "xlsx":
        step("Écriture du classeur")
        return ExportFile(f"tableau-de-bord-{pref.code}-{period.code}.xlsx", XLSX, build_workbook(content, monthly))
    stem = f"services-publics-plus-{pref.code}-{period.code}"
    if fmt == "xlsx":
        return ExportFile(f"{stem}.xlsx", XLSX, to_xlsx(table.rows), tuple(table.notes))
    return ExportFile(f"{stem}.csv", "text/csv", to_csv(table.rows), tuple(table.notes))


def _sp_plus_structure(session: Session, prefecture_id: int) -> None:
    try:
        require_structure(session, prefecture_id)
    except SpPlusError as exc:
        raise ExportError(str(exc)) from exc


def _sp_plus_table(session: Session, prefecture_id: int, content: DocumentContent) -> SpPlusTable:
    try:
        return build_table(session, prefecture_id, content)
    except SpPlusError as exc:
        raise ExportError(str(exc)) from exc
