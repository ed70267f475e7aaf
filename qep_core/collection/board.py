"""The collection board: for each declared périmètre and month, what was expected, what came, and
whether what is missing is late.

Decisions, so that every reader (page, command line, later the reminders) says the same:

* **expected** — the périmètre's declared indicators *of monthly frequency*. A quarterly or yearly
  indicator is sent once a quarter or a year, not every month: it is declared (its contacts answer
  for it) but not chased month by month.
* **received** — an indicator with at least one *monthly* observation of that périmètre for that
  month (``period_start == period_end == month``): a quarterly total of a monthly indicator does
  not give the month's figure. Figures count whenever they arrived: received late is received.
* **status** — ``reçu`` every expected code received; ``partiel`` some (late or not: the missing
  codes say what to chase); ``en retard`` none and the as-of date is after the due date;
  ``attendu`` none and not yet due (the due day itself still counts as on time).
* **due date** — the declared day (1–28) of the month after.

Who sent it: the import batch of each received code's observation (``ImportBatch.imported_by``,
``imported_at`` in Paris time); the most recent one when several files brought the same month.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from qep_core.collection.sources import Contact, list_sources
from qep_core.frenchforms import MONTH_ABBR_FR, count_text, plural
from qep_core.models import ImportBatch, Indicator, Observation, local_time
from qep_core.periods import add_months, quarter_of, range_period
from qep_core.referentiel import indicators_for

RECU, PARTIEL, EN_RETARD, ATTENDU = "reçu", "partiel", "en retard", "attendu"
STATUSES = (RECU, PARTIEL, EN_RETARD, ATTENDU)
MAX_NAMED = 3  # beyond, « pour 10 périmètres »


@dataclass(frozen=True)
class StatusLook:
    """How a status shows: its word, a symbol (never the colour alone), a fill colour, its ink."""

    word: str
    symbol: str
    colour: str
    ink: str

    @property
    def label(self) -> str:
        return f"{self.symbol} {self.word}"


STATUS_LOOK: dict[str, StatusLook] = {
    RECU: StatusLook(RECU, "✓", "#d8efdf", "#1b5e20"),
    PARTIEL: StatusLook(PARTIEL, "◐", "#fde9c8", "#7a4a00"),
    EN_RETARD: StatusLook(EN_RETARD, "✗", "#f7d4d4", "#8e1b1b"),
    ATTENDU: StatusLook(ATTENDU, "…", "#e8eaef", "#37474f"),
}


@dataclass(frozen=True)
class Receipt:
    """One received code of a month: the import that brought it (no batch: entered before batches)."""

    code: str
    batch_id: int | None
    imported_by: str
    imported_at: dt.datetime | None  # Paris time


@dataclass(frozen=True)
class SupplyRecord:
    """One périmètre's month on the board."""

    month: dt.date
    perimetre_id: int
    perimetre: str
    contacts: tuple[Contact, ...]
    expected: tuple[str, ...]
    received: tuple[str, ...]
    status: str
    due_date: dt.date
    receipts: tuple[Receipt, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c for c in self.expected if c not in self.received)

    @property
    def received_at(self) -> dt.datetime | None:
        """When the last expected figure arrived."""
        moments = [r.imported_at for r in self.receipts if r.imported_at is not None]
        return max(moments) if moments else None

    @property
    def received_by(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.imported_by for r in self.receipts if r.imported_by))

    @property
    def batch_ids(self) -> tuple[int, ...]:
        return tuple(sorted({r.batch_id for r in self.receipts if r.batch_id is not None}))

    @property
    def look(self) -> StatusLook:
        return STATUS_LOOK[self.status]

    def detail(self) -> str:
        """The cell's detail, in French: what arrived when and from whom, or what is missing."""
        parts = []
        if self.received_at is not None:
            who = ", ".join(self.received_by) or "auteur inconnu"
            batches = ", ".join(f"n° {b}" for b in self.batch_ids)
            parts.append(f"reçu le {self.received_at:%d/%m/%Y à %H:%M} par {who}"
                         + (f" ({plural(len(self.batch_ids), 'lot', 'lots')} {batches})" if batches else ""))
        if self.missing and self.status != ATTENDU:
            parts.append(f"{plural(len(self.missing), 'manque', 'manquent')} : {', '.join(self.missing)}")
        if self.status in (EN_RETARD, ATTENDU, PARTIEL):
            parts.append(f"attendu le {self.due_date:%d/%m/%Y}")
        return " ; ".join(parts)


def due_date(month: dt.date, due_day: int) -> dt.date:
    """The day the figures of *month* are due: *due_day* of the month after."""
    return add_months(month, 1).replace(day=due_day)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return range_period(first, last).months


def status_of(expected: Sequence[str], received: Sequence[str], due: dt.date, as_of: dt.date) -> str:
    if received and len(received) == len(expected):
        return RECU
    if received:
        return PARTIEL
    return EN_RETARD if as_of > due else ATTENDU


def monthly_codes(session: Session, prefecture_id: int) -> set[str]:
    return {d.code for d in indicators_for(session, prefecture_id) if d.frequency == "monthly"}


def _receipts(session: Session, prefecture_id: int, perimetre_ids: Iterable[int], first: dt.date,
              last: dt.date) -> dict[tuple[int, dt.date], dict[str, Receipt]]:
    """(périmètre, month) → code → the latest import that brought a monthly figure of it."""
    rows = session.execute(  # six columns: beyond sqlmodel's typed select
        select(col(Observation.perimetre_id), col(Observation.period_start), col(Indicator.code),
               col(Observation.batch_id), col(ImportBatch.imported_by), col(ImportBatch.imported_at))
        .join(Indicator, col(Indicator.id) == Observation.indicator_id)
        .outerjoin(ImportBatch, col(ImportBatch.id) == Observation.batch_id)
        .where(col(Observation.prefecture_id) == prefecture_id, col(Observation.perimetre_id).in_(list(perimetre_ids)),
               col(Observation.period_start) == col(Observation.period_end),
               col(Observation.period_start) >= first, col(Observation.period_start) <= last)).all()
    found: dict[tuple[int, dt.date], dict[str, Receipt]] = defaultdict(dict)
    for perimetre_id, month, code, batch_id, by, at in rows:
        receipt = Receipt(code, batch_id, by or "", local_time(at) if at is not None else None)
        kept = found[(perimetre_id, month)].get(code)
        if kept is None or (receipt.imported_at or dt.datetime.min.replace(tzinfo=dt.UTC)) > (
                kept.imported_at or dt.datetime.min.replace(tzinfo=dt.UTC)):
            found[(perimetre_id, month)][code] = receipt
    return found


def board(session: Session, prefecture_id: int, first: dt.date, last: dt.date, as_of: dt.date,
          perimetre_ids: frozenset[int] | None = None) -> list[SupplyRecord]:
    """One record per declared périmètre (those of *perimetre_ids* when given) and month from
    *first* to *last*, by month then périmètre name; périmètres expected no monthly figure are left out."""
    monthly = monthly_codes(session, prefecture_id)
    sources = [s for s in list_sources(session, prefecture_id, perimetre_ids)
               if any(c in monthly for c in s.indicators)]
    months = months_between(first, last)
    if not sources or not months:
        return []
    found = _receipts(session, prefecture_id, [s.perimetre_id for s in sources], months[0], months[-1])
    records = []
    for month in months:
        for source in sources:
            expected = tuple(c for c in source.indicators if c in monthly)
            got = found.get((source.perimetre_id, month), {})
            receipts = tuple(got[c] for c in expected if c in got)
            received = tuple(r.code for r in receipts)
            due = due_date(month, source.due_day)
            records.append(SupplyRecord(month, source.perimetre_id, source.perimetre, source.contacts, expected,
                                        received, status_of(expected, received, due, as_of), due, receipts))
    return records


@dataclass(frozen=True)
class Completeness:
    """An indicator's share of expected périmètre-months received (months not yet due and still
    empty are not counted: nobody is behind on them)."""

    code: str
    expected: int
    received: int

    @property
    def share(self) -> float | None:
        return self.received / self.expected if self.expected else None


def completeness(records: Iterable[SupplyRecord]) -> list[Completeness]:
    counts: dict[str, list[int]] = {}
    for record in records:
        for code in record.expected:
            got = code in record.received
            if got or record.status != ATTENDU:
                pair = counts.setdefault(code, [0, 0])
                pair[0] += 1
                pair[1] += got
    return [Completeness(code, n, got) for code, (n, got) in counts.items()]


def incomplete_quarters(records: Iterable[SupplyRecord], as_of: dt.date) -> list[str]:
    """« T3 2024 : 1 mois sur 3 reçu pour CM » for every quarter where a périmètre has an ended
    month not wholly received (due or not yet): figures of that quarter are computed on fewer
    months. Périmètres with the same count are named together, or counted beyond three."""
    by_quarter: dict[tuple[int, int], dict[str, list[SupplyRecord]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        by_quarter[(record.month.year, quarter_of(record.month.month))][record.perimetre].append(record)
    lines = []
    for (year, quarter), perimetres in sorted(by_quarter.items()):
        groups: dict[int, list[str]] = defaultdict(list)
        for name, months in perimetres.items():
            complete = sum(r.status == RECU for r in months)
            if complete < 3 and any(r.status != RECU and add_months(r.month, 1) <= as_of for r in months):
                groups[complete].append(name)
        parts = [f"{complete} {plural(complete, 'mois')} sur 3 {plural(complete, 'reçu', 'reçus')} pour "
                 + (", ".join(names) if len(names) <= MAX_NAMED else count_text(len(names), "périmètre"))
                 for complete, names in sorted(groups.items())]
        if parts:
            lines.append(f"T{quarter} {year} : " + " ; ".join(parts))
    return lines


def gaps_by_indicator(records: Iterable[SupplyRecord], as_of: dt.date) -> dict[str, str]:
    """Indicator code → « manque CM (août, sept.) »: the périmètres whose ended month lacks that
    code, so that a tile computed on fewer months says which (three named at most, then counted)."""
    gaps: dict[str, dict[str, list[dt.date]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        if add_months(record.month, 1) <= as_of:
            for code in record.missing:
                gaps[code][record.perimetre].append(record.month)
    out = {}
    for code, perimetres in gaps.items():
        named = [f"{name} ({', '.join(MONTH_ABBR_FR[m.month - 1] for m in sorted(months))})"
                 for name, months in sorted(perimetres.items(), key=lambda item: item[0].lower())]
        out[code] = "manque " + ("; ".join(named) if len(named) <= MAX_NAMED else count_text(len(named), "périmètre"))
    return out


def quarters_around(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The first month of *first*'s quarter and the last month of *last*'s: a period's figures
    are incomplete when a month of its quarters is missing."""
    start = dt.date(first.year, 3 * quarter_of(first.month) - 2, 1)
    return start, dt.date(last.year, 3 * quarter_of(last.month), 1)


def summary(records: Sequence[SupplyRecord]) -> str:
    """« 10 périmètres : 8 reçus, 1 partiel, 1 en retard » for one month."""
    counts = {s: sum(r.status == s for r in records) for s in STATUSES}
    forms = {RECU: ("reçu", "reçus"), PARTIEL: ("partiel", "partiels"), EN_RETARD: ("en retard", "en retard"),
             ATTENDU: ("attendu", "attendus")}
    shown = [count_text(n, *forms[s]) for s, n in counts.items() if n]
    return f"{count_text(len(records), 'périmètre')} : {', '.join(shown)}" if records else "aucun périmètre déclaré"
