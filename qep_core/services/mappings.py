"""A préfecture's own labels (:mod:`qep_core.mappings`): list them, add one, remove one — what the
Paramètres page, the Import page's « donner un sens » offer and ``python -m qep_core mapping``
call.

Adding and removing change how every later file of the préfecture is read, as a setting does:
they need ``edit_settings`` (the référent(e) qualité) on that préfecture, and each writes its
history line in its own transaction. Removing is the undo of adding; both show in the history.
Reading them needs ``read_detail``: the services who import need to see what their labels mean,
while the users' committee, limited to public views, has no use for a préfecture's internal
vocabulary (périmètre aliases name services).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from qep_core.mappings import labels as rules
from qep_core.mappings.labels import KINDS, MappingError
from qep_core.mappings.models import LabelMapping
from qep_core.models import local_time
from qep_core.services._unit import Actor, Unit, operation, unit

__all__ = ["KINDS", "MappingError", "MappingRow", "add", "choices", "list_mappings", "remove"]


@dataclass(frozen=True)
class MappingRow:
    """One mapping as the pages and the command line show it."""

    id: int
    kind: str
    kind_label: str
    label: str
    target: str
    meaning: str
    created_by: str
    created_at: dt.datetime  # Paris time


def _row(work: Unit, prefecture_id: int, mapping: LabelMapping, meaning: str | None = None) -> MappingRow:
    if meaning is None:
        meaning = rules.describe(work.session, prefecture_id, [mapping])[mapping.id or 0]
    return MappingRow(mapping.id or 0, mapping.kind, KINDS.get(mapping.kind, mapping.kind), mapping.label,
                      mapping.target, meaning, mapping.created_by, local_time(mapping.created_at))


def _history(row: MappingRow) -> dict[str, str]:
    return {"nature": row.kind_label, "libellé": row.label, "sens": row.meaning}


@operation("read_detail", writes=False)
def list_mappings(actor: Actor, prefecture_id: int) -> list[MappingRow]:
    """The préfecture's mappings, by kind then label."""
    with unit(actor, "read_detail", prefecture_id=prefecture_id) as work:
        rows = rules.list_mappings(work.session, prefecture_id)
        meanings = rules.describe(work.session, prefecture_id, rows)
        return [_row(work, prefecture_id, m, meanings[m.id or 0]) for m in rows]


@operation("read_detail", writes=False)
def choices(actor: Actor, prefecture_id: int, kind: str) -> dict[str, str]:
    """What a label of *kind* may mean in this préfecture: target → French description."""
    with unit(actor, "read_detail", prefecture_id=prefecture_id) as work:
        return rules.target_choices(work.session, prefecture_id, kind)


@operation("edit_settings", writes=True)
def add(actor: Actor, prefecture_id: int, kind: str, label: str, target: str) -> MappingRow:
    """Say once what *label* means; :class:`MappingError` (French) when the label is empty, already
    has a meaning, or the target means nothing in this préfecture."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        mapping = rules.add_mapping(work.session, prefecture_id, kind, label, target, work.principal.author)
        row = _row(work, prefecture_id, mapping)
        work.record("mapping", f"{row.kind_label} « {row.label} »", f"correspondance ajoutée : {row.meaning}",
                    after=_history(row))
        return row


@operation("edit_settings", writes=True)
def remove(actor: Actor, prefecture_id: int, mapping_id: int) -> MappingRow:
    """Forget a mapping (the undo of :func:`add`); files already imported keep what they brought."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        mapping = work.session.get(LabelMapping, mapping_id)
        if mapping is None or mapping.prefecture_id != prefecture_id:
            raise MappingError(f"correspondance n° {mapping_id} introuvable")
        row = _row(work, prefecture_id, mapping)
        rules.remove_mapping(work.session, prefecture_id, mapping_id)
        work.record("mapping", f"{row.kind_label} « {row.label} »", "correspondance retirée", before=_history(row))
        return row
