"""The monthly collection (:mod:`qep_core.collection`): who supplies what, and the board of who
has sent what — what the Paramètres page's « Collecte mensuelle », the Collecte page and
``python -m qep_core source`` / ``collecte`` call.

Declaring what a périmètre supplies is a setting of the préfecture: ``edit_settings`` (the
référent(e) qualité), with its history line. Reading the declarations and the board needs
``read_detail``: they name services and people; the COPIL reads them all, a contributor only its
own périmètres' (its own chasing), the users' committee nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from qep_core.collection import board as rules
from qep_core.collection import sources
from qep_core.collection.board import (
    ATTENDU,
    EN_RETARD,
    PARTIEL,
    RECU,
    STATUS_LOOK,
    STATUSES,
    Completeness,
    StatusLook,
    SupplyRecord,
    completeness,
    gaps_by_indicator,
    incomplete_quarters,
    quarters_around,
    summary,
)
from qep_core.collection.chart import year_heatmap
from qep_core.collection.models import DEFAULT_DUE_DAY
from qep_core.collection.reminders import SheetMaker
from qep_core.collection.sources import CollectionError, Contact, Source, parse_contact, parse_contacts
from qep_core.mail import Attachment
from qep_core.periods import month_start
from qep_core.prefectures import perimetres_of
from qep_core.referentiel import indicators_for
from qep_core.services._unit import Actor, operation, unit

__all__ = ["ATTENDU", "DEFAULT_DUE_DAY", "EN_RETARD", "PARTIEL", "RECU", "STATUSES", "STATUS_LOOK", "CollectionError",
           "Completeness", "Contact", "Options", "Source", "StatusLook", "SupplyRecord", "board", "completeness",
           "gaps_by_indicator",
           "incomplete_quarters", "list_sources", "options", "parse_contact", "parse_contacts", "quarters_around", "remove_source",
           "set_source", "summary", "tracking_sheet", "year_heatmap"]


@dataclass(frozen=True)
class Options:
    """What a declaration may name: the préfecture's périmètres (id → name) and indicators (code →
    « CODE — label (fréquence) »), in their usual order."""

    perimetres: dict[int, str]
    indicators: dict[str, str]
    monthly: frozenset[str]


FREQUENCY_WORDS = {"monthly": "mensuel", "quarterly": "trimestriel", "yearly": "annuel"}


@operation("read_detail", writes=False)
def options(actor: Actor, prefecture_id: int) -> Options:
    with unit(actor, "read_detail", prefecture_id=prefecture_id) as work:
        perims = {p.id or 0: p.name for p in perimetres_of(work.session, prefecture_id)
                  if work.principal.sees_perimetre(p.id or 0)}
        defs = indicators_for(work.session, prefecture_id)
        return Options(perims, {d.code: f"{d.code} — {d.label} ({FREQUENCY_WORDS.get(d.frequency, d.frequency)})"
                                for d in defs}, frozenset(d.code for d in defs if d.frequency == "monthly"))


@operation("read_detail", writes=False)
def list_sources(actor: Actor, prefecture_id: int) -> list[Source]:
    """The declarations, by périmètre name (a contributor: its own périmètres')."""
    with unit(actor, "read_detail", prefecture_id=prefecture_id) as work:
        return sources.list_sources(work.session, prefecture_id, work.principal.perimetre_ids)


@operation("edit_settings", writes=True)
def set_source(actor: Actor, prefecture_id: int, perimetre_id: int, indicators: Sequence[str],
               contacts: Sequence[Contact] | Sequence[str], due_day: int = DEFAULT_DUE_DAY) -> Source:
    """Declare (or change) what a périmètre supplies; :class:`CollectionError` (French) when an
    indicator is unknown, an address invalid, the due day outside 1–28: nothing is written."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        work.check_perimetres([perimetre_id])
        checked = [c if isinstance(c, Contact) else parse_contact(c) for c in contacts]
        before = sources.source_of(work.session, prefecture_id, perimetre_id)
        source = sources.set_source(work.session, prefecture_id, perimetre_id, indicators, checked, due_day,
                                    author=work.principal.author)
        if before is not None and before.history() == source.history():
            return source
        work.record("collecte", f"périmètre « {source.perimetre} »",
                    "collecte déclarée" if before is None else "collecte modifiée",
                    before=before.history() if before else None, after=source.history())
        return source


@operation("edit_settings", writes=True)
def remove_source(actor: Actor, prefecture_id: int, perimetre_id: int) -> Source:
    """Stop expecting figures from a périmètre (the figures it sent stay)."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        work.check_perimetres([perimetre_id])
        source = sources.remove_source(work.session, prefecture_id, perimetre_id)
        work.record("collecte", f"périmètre « {source.perimetre} »", "collecte retirée", before=source.history())
        return source


@operation("read_detail", writes=False)
def board(actor: Actor, prefecture_id: int, first: dt.date, last: dt.date,
          as_of: dt.date | None = None) -> list[SupplyRecord]:
    """The board from month *first* to month *last* as of *as_of* (today by default): one record
    per declared périmètre (a contributor: its own) and month."""
    with unit(actor, "read_detail", prefecture_id=prefecture_id) as work:
        return rules.board(work.session, prefecture_id, month_start(first), month_start(last),
                           as_of or dt.date.today(), work.principal.perimetre_ids)


@operation("import", writes=False)
def tracking_sheet(actor: Actor, prefecture_id: int, perimetre_id: int, month: dt.date) -> Attachment:
    """A périmètre's own tracking sheet for *month*: its declared indicators, its name, the
    month's column — the file its reminders carry, downloaded from the Import page by the service
    itself. :class:`CollectionError` when the périmètre supplies nothing declared."""
    with unit(actor, "import", prefecture_id=prefecture_id) as work:
        work.check_perimetres([perimetre_id])
        source = sources.source_of(work.session, prefecture_id, perimetre_id)
        if source is None or not source.indicators:
            raise CollectionError("aucun indicateur n'est déclaré pour ce périmètre (Paramètres › Collecte "
                                  "mensuelle) : téléchargez le modèle complet plus bas")
        return SheetMaker(work.session, prefecture_id).sheet(source.perimetre, source.indicators, month_start(month))
