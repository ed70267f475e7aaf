"""Mystery checks: the results the "Contrôles mystères" tab reads, the checks typed in, the grids imported.

The checks are read by every role of the préfecture (criteria met, counts, intervals); a check's
target and observations are masked for anyone without ``read_personal`` and the observations are
left out for a public-only principal. Typing a check or a criterion needs ``enter``, deleting a
typed check too, importing a grid ``import`` — as on the page — and all of them cover the whole
préfecture, which a contributor's périmètres do not (:func:`~qep_core.services.surveys.prefecture_wide`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from qep_core.importing import ImportRejected
from qep_core.models import ImportBatch
from qep_core.privacy import mask_personal_data
from qep_core.services._bounded import accepted, analysed, settled
from qep_core.services._unit import Actor, file_refusal, operation, refusing, unit
from qep_core.services.surveys import prefecture_wide, whole_prefecture_first
from qep_core.surveys import mystery as core
from qep_core.surveys.channels import MYSTERY_CHANNELS
from qep_core.surveys.charts import mystery_criteria_chart, mystery_trend_chart
from qep_core.surveys.models import MysteryCheck
from qep_core.surveys.mystery import (
    RESULT_LABELS,
    ChannelResult,
    CriterionResult,
    MysteryError,
    MysteryPlan,
    channel_results,
    checks_table,
    criterion_results,
)

__all__ = ["MYSTERY_CHANNELS", "RESULT_LABELS", "ChannelResult", "Criterion", "CriterionResult", "ImportRejected",
           "MysteryError", "MysteryPlan", "add_check", "add_criterion", "analyse_import", "can_enter", "can_import",
           "channel_results", "checks", "checks_table", "criteria", "criterion_results", "delete_check",
           "import_checks", "mystery_criteria_chart", "mystery_trend_chart"]


@dataclass(frozen=True)
class Criterion:
    """One criterion of a channel's grid, as the entry form shows it."""

    id: int
    channel: str
    label: str


def can_enter(actor: Actor) -> bool:
    """Whether the page offers typing (and deleting) checks: ``enter`` over the whole préfecture."""
    return actor.principal.can("enter") and actor.principal.perimetre_ids is None


def can_import(actor: Actor) -> bool:
    """Whether the page offers importing a grid: ``import`` over the whole préfecture."""
    return actor.principal.can("import") and actor.principal.perimetre_ids is None


@operation("read", writes=False)
def checks(actor: Actor, prefecture_id: int, year: int | None = None) -> pd.DataFrame:
    """Every check that counts, one row per criterion scored (see :func:`checks_table` for one row
    per check); targets and observations masked unless the principal may read personal data,
    observations left out for a public-only principal."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        frame = core.checks_frame(work.session, prefecture_id, year)
    if frame.empty:
        return frame
    if not actor.principal.can("read_personal"):
        frame = frame.assign(target=frame["target"].map(mask_personal_data), notes=frame["notes"].map(mask_personal_data))
    if actor.principal.public_only:
        frame = frame.assign(notes="")
    return frame


@operation("read", writes=False)
def criteria(actor: Actor, prefecture_id: int, channel: str) -> list[Criterion]:
    """The channel's grid, in order."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        return [Criterion(c.id or 0, c.channel, c.label) for c in core.criteria_of(work.session, prefecture_id, channel)]


@operation("enter", writes=True)
def add_criterion(actor: Actor, prefecture_id: int, channel: str, label: str) -> Criterion:
    """Add a criterion to a channel's grid (:class:`MysteryError` when empty or already there)."""
    with unit(actor, "enter", prefecture_id=prefecture_id, write=True) as work:
        prefecture_wide(work, prefecture_id)
        row = core.add_criterion(work.session, prefecture_id, channel, label)
        work.record("survey", f"grille des {MYSTERY_CHANNELS[channel].lower()}", f"critère « {row.label} » ajouté",
                    after={"critère": row.label})
        return Criterion(row.id or 0, row.channel, row.label)


@operation("enter", writes=True)
def add_check(actor: Actor, prefecture_id: int, channel: str, checked_on: dt.date, target: str,
              scores: Mapping[int, str], notes: str = "") -> int:
    """A check typed in: every criterion of the channel scored (met / not met / n.a.). Returns its
    number; :class:`MysteryError` (nothing written) when incomplete or wrong."""
    with refusing(MysteryError), unit(actor, "enter", prefecture_id=prefecture_id, write=True) as work:
        prefecture_wide(work, prefecture_id)
        labels = {c.id: c.label for c in core.criteria_of(work.session, prefecture_id, channel)}
        check = core.add_check(work.session, prefecture_id, channel, checked_on, target, scores, notes,
                               actor.principal.author)
        work.record("survey", f"contrôle mystère n° {check.id}",
                    f"{MYSTERY_CHANNELS[channel].lower()} du {checked_on:%d/%m/%Y} saisi",
                    after={"canal": channel, "date": checked_on, "service": check.target,
                           "notes": {labels[cid]: RESULT_LABELS[r] for cid, r in scores.items()}})
        return check.id or 0


@operation("enter", writes=True)
def delete_check(actor: Actor, prefecture_id: int, check_id: int) -> None:
    """Delete a check typed in (an imported one goes with its batch, undone from the Import page)."""
    with unit(actor, "enter", prefecture_id=prefecture_id, write=True) as work:
        prefecture_wide(work, prefecture_id)
        check = work.session.get(MysteryCheck, check_id)
        before = ({"canal": check.channel, "date": check.checked_on, "service": check.target}
                  if check is not None else None)
        core.delete_check(work.session, prefecture_id, check_id)
        work.record("survey", f"contrôle mystère n° {check_id}", "contrôle saisi supprimé", before=before)


@operation("import", writes=False)
def analyse_import(actor: Actor, prefecture_id: int, file_name: str, data: bytes,
                   channel: str | None = None) -> MysteryPlan:
    """What a grid of checks would add. Writes nothing; the file is read in the bounded child."""
    whole_prefecture_first(actor, "import", prefecture_id)
    plan: MysteryPlan = analysed(actor, prefecture_id, "mystere", file_name, data, channel=channel)
    return plan


@operation("import", writes=True)
def import_checks(actor: Actor, prefecture_id: int, file_name: str, data: bytes, channel: str | None = None,
                  dry_run: bool = False) -> tuple[MysteryPlan, ImportBatch | None]:
    """Read the grid in the bounded child, outside any transaction, then, unless *dry_run*, save it
    in one short transaction (one batch, with its import line in the history). Raises
    :class:`ImportRejected`; a file already imported changes nothing."""
    plan = accepted(analyse_import(actor, prefecture_id, file_name, data, channel))
    if dry_run:
        return plan, None
    with refusing(file_refusal(file_name)), unit(actor, "import", prefecture_id=prefecture_id, write=True) as work:
        prefecture = prefecture_wide(work, prefecture_id)
        plan = settled(work.session, prefecture_id, "mystere", plan)
        if plan.already_imported is not None:
            return plan, None
        return plan, core.save_mystery(work.session, prefecture, plan, actor.principal.author)
