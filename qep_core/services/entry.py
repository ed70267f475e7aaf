"""Manual entry ("Saisie"): a month's counts typed for a service that keeps no sheet.

What is typed becomes a long-layout CSV saved through the very import of a file (same checks,
same transaction, same history and undo), as a batch of kind ``saisie``. A contributor is offered
and may save only its own périmètres.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, select

from qep_core.access import WRITE_OWN_ONLY, outside_perimetres
from qep_core.frenchforms import plural
from qep_core.importing.bounds import perimetre_name_fault
from qep_core.importing.issues import ERROR, ImportRejected, Issue
from qep_core.models import Observation, Perimetre, Prefecture, local_time
from qep_core.prefectures import WHOLE_PREFECTURE, labelled_modules, perimetre_key
from qep_core.referentiel import IndicatorDef, indicators_for
from qep_core.services._unit import Actor, Unit, operation, unit
from qep_core.services.imports import ImportOutcome, _save

__all__ = [
    "LONG_HEADER",
    "SAISIE_FIRST_ROW",
    "EntryGrid",
    "EntryRow",
    "PerimetreChoice",
    "csv_number",
    "entry_grid",
    "entry_perimetres",
    "resolve_perimetre",
    "saisie_csv",
    "saisie_file_name",
    "save_entries",
]

LONG_HEADER = ["indicateur", "période", "périmètre", "numérateur", "dénominateur", "valeur", "effectif"]
SAISIE_FIRST_ROW = 3  # CSV row of the first value: title line, then header


@dataclass(frozen=True)
class PerimetreChoice:
    name: str  # as shown and written in the file name
    id: int | None  # None for a périmètre still to create
    whole: bool = False

    @property
    def is_new(self) -> bool:
        return self.id is None


@dataclass(frozen=True)
class EntryRow:
    """One indicator's typed cells: numerator and denominator, mean and count, or a count alone."""

    code: str
    first: float
    second: float | None


@dataclass(frozen=True)
class EntryGrid:
    """What the entry grid of a month and périmètre shows: the monthly indicators of the
    préfecture's modules, and the counts already stored (code → numerator, denominator)."""

    month: dt.date
    perimetre: PerimetreChoice
    indicators: list[IndicatorDef]
    stored: dict[str, tuple[float, float | None]]


def resolve_perimetre(name: str | None, perimetres: Sequence[Perimetre]) -> PerimetreChoice:
    """An existing périmètre (names match whatever the case and accents), the whole, or a new one."""
    text = (name or "").strip()
    whole = next((p for p in perimetres if p.kind == "prefecture"), None)
    if not text or (whole is not None and perimetre_key(text) == perimetre_key(whole.name)):
        return PerimetreChoice(whole.name if whole else WHOLE_PREFECTURE, whole.id if whole else None, whole=True)
    for p in perimetres:
        if perimetre_key(p.name) == perimetre_key(text):
            return PerimetreChoice(p.name, p.id, whole=p.kind == "prefecture")
    return PerimetreChoice(text, None)


def csv_number(value: float) -> str:
    """Full precision, French decimal comma (``1.234`` would read as one thousand two hundred…)."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    if "e" in text or "E" in text:
        text = f"{value:.15f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def saisie_csv(rows: Sequence[EntryRow], indicators: dict[str, IndicatorDef], month: dt.date,
               perimetre: PerimetreChoice, user: str, now: dt.datetime | None = None) -> bytes:
    """The entry as a long-layout CSV. Its first line names the entry and its time, so that the
    same values typed again later are a new batch, not "already imported"."""
    now = local_time(now or dt.datetime.now(dt.UTC))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([f"Saisie du {now:%d/%m/%Y à %H:%M:%S} par {user.replace(';', ' ')}"])
    writer.writerow(LONG_HEADER)
    period = f"{month:%Y-%m}"
    perim = "" if perimetre.whole else perimetre.name
    for row in rows:
        kind = indicators[row.code].kind
        if kind == "count":
            cells = ["", "", csv_number(row.first), ""]
        elif kind == "mean_delay":
            cells = ["", "", csv_number(row.first), csv_number(row.second or 0.0)]
        else:
            cells = [csv_number(row.first), csv_number(row.second or 0.0), "", ""]
        writer.writerow([row.code, period, perim, *cells])
    return buffer.getvalue().encode("utf-8")


def saisie_file_name(pref_code: str, month: dt.date, perimetre: PerimetreChoice) -> str:
    name = perimetre.name.replace("/", "-").replace("\\", "-").strip()
    return f"saisie {pref_code} {month:%Y-%m} {name}.csv"


def _perimetres(session: Session, prefecture_id: int) -> list[Perimetre]:
    return list(session.exec(select(Perimetre).where(Perimetre.prefecture_id == prefecture_id)
                             .order_by(Perimetre.name)))


def _choice_in_scope(work: Unit, prefecture_id: int, name: str | None) -> PerimetreChoice:
    """The périmètre typed or chosen, refused when outside the principal's (a new one is outside
    any contributor's: only those who may enter everywhere create périmètres)."""
    choice = resolve_perimetre(name, _perimetres(work.session, prefecture_id))
    if choice.id is None:
        if work.principal.perimetre_ids is not None:
            raise outside_perimetres([f"« {choice.name} »"], WRITE_OWN_ONLY)
    else:
        work.check_perimetres([choice.id], {choice.id: choice.name})
    return choice


def _entry_indicators(session: Session, prefecture_id: int) -> list[IndicatorDef]:
    """Monthly indicators of the modules the préfecture is labelled on."""
    modules = labelled_modules(session, prefecture_id)
    return [d for d in indicators_for(session, prefecture_id) if d.frequency == "monthly" and d.module_code in modules]


@operation("enter", writes=False)
def entry_perimetres(actor: Actor, prefecture_id: int) -> list[PerimetreChoice]:
    """The périmètres the principal may enter values for: the préfecture as a whole first, then
    its services; a contributor's own périmètres only."""
    with unit(actor, "enter", prefecture_id=prefecture_id) as work:
        perimetres = _perimetres(work.session, prefecture_id)
    principal = actor.principal
    whole = [p for p in perimetres if p.kind == "prefecture"]
    others = [p for p in perimetres if p.kind != "prefecture"]
    choices = [PerimetreChoice(p.name, p.id, whole=True) for p in whole]
    if not whole and principal.perimetre_ids is None:
        choices.append(PerimetreChoice(WHOLE_PREFECTURE, None, whole=True))
    choices += [PerimetreChoice(p.name, p.id) for p in others]
    return [c for c in choices if principal.perimetre_ids is None or (c.id is not None and principal.sees_perimetre(c.id))]


@operation("enter", writes=False)
def entry_grid(actor: Actor, prefecture_id: int, month: dt.date, perimetre: str | None) -> EntryGrid:
    """The month's entry grid for a périmètre (by name; empty: the préfecture as a whole)."""
    with unit(actor, "enter", prefecture_id=prefecture_id) as work:
        choice = _choice_in_scope(work, prefecture_id, perimetre)
        indicators = _entry_indicators(work.session, prefecture_id)
        stored: dict[str, tuple[float, float | None]] = {}
        if choice.id is not None:
            code_of = {d.id: d.code for d in indicators}
            rows = work.session.exec(select(Observation).where(
                Observation.prefecture_id == prefecture_id, Observation.perimetre_id == choice.id,
                Observation.period_start == month, Observation.period_end == month)).all()
            stored = {code_of[r.indicator_id]: (r.numerator, r.denominator) for r in rows if r.indicator_id in code_of}
    return EntryGrid(month, choice, indicators, stored)


@operation("enter", writes=True)
def save_entries(actor: Actor, prefecture_id: int, month: dt.date, perimetre: str | None, rows: Sequence[EntryRow],
                 now: dt.datetime | None = None) -> ImportOutcome:
    """Save the typed values as a batch of kind ``saisie`` (checks, replacement, history and undo
    of an import). Raises :class:`ImportRejected` or :class:`AccessDenied`; nothing written then."""
    with unit(actor, "enter", prefecture_id=prefecture_id) as work:
        choice = _choice_in_scope(work, prefecture_id, perimetre)
        indicators = {d.code: d for d in indicators_for(work.session, prefecture_id)}
        prefecture = work.session.get(Prefecture, prefecture_id)
        code = prefecture.code if prefecture is not None else str(prefecture_id)
    unknown = [r.code for r in rows if r.code not in indicators]
    if unknown:
        raise ValueError(f"{plural(len(unknown), 'indicateur inconnu', 'indicateurs inconnus')} : {', '.join(unknown)}")
    # said before the name becomes a CSV cell: the CSV's own bound on cells would speak of a file
    if (too_long := perimetre_name_fault(choice.name)) is not None:
        raise ImportRejected(saisie_file_name(code, month, choice), [Issue(ERROR, too_long)])
    content = saisie_csv(rows, indicators, month, choice, actor.principal.author, now=now)
    return _save(actor, "enter", prefecture_id, saisie_file_name(code, month, choice), content, kind="saisie")
