"""Trainings: the agents, the sessions they followed and their tutoring agreements (add, edit,
delete), who is up to date with the training rule on a date, the register's import and export.

Reads need ``read_detail`` (agents are named, or pseudonymised), writes ``edit_pilotage``, the
Excel export ``export_internal``. The CLU sees only counts per role, in the engagement dossier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from qep_core.access import check
from qep_core.frenchforms import count_text
from qep_core.importing.issues import ImportRejected
from qep_core.pilotage import trainings as core
from qep_core.pilotage.charts import trainings_by_role_chart
from qep_core.pilotage.errors import PilotageError
from qep_core.pilotage.models import Agent, Training, Tutoring
from qep_core.pilotage.trainings import (
    AgentRecord,
    RoleCounts,
    TrainingsFilePlan,
    agent_records,
    counts_per_role,
    export_trainings_xlsx,
    save_trainings_plan,
)
from qep_core.pilotage.vocabulary import A_FORMER, A_JOUR, EN_RETARD, ROLES
from qep_core.services._bounded import accepted, analysed, settled
from qep_core.services._pilotage import EDIT, EXPORT, READ, editing
from qep_core.services._unit import Actor, file_refusal, operation, unit

__all__ = ["A_FORMER", "A_JOUR", "EN_RETARD", "ROLES", "AgentRecord", "ImportRejected", "PilotageError", "RoleCounts",
           "TrainingSituation", "TrainingsFilePlan", "agents", "analyse_trainings_file", "compliance",
           "delete_training", "delete_tutoring", "export_xlsx", "import_trainings_file", "record_training",
           "record_tutoring", "save_agents", "trainings_by_role_chart"]


@dataclass(frozen=True)
class TrainingSituation:
    """Where the agents stand with the training rule on *as_of*: per role, the total, and the
    agents concerned (only those to train within the year when asked)."""

    as_of: dt.date
    by_role: list[RoleCounts]
    total: RoleCounts
    records: list[AgentRecord]


@operation(READ, writes=False)
def agents(actor: Actor, prefecture_id: int) -> list[AgentRecord]:
    """Every agent with the trainings followed and the tutoring agreements, by name."""
    with unit(actor, READ, prefecture_id=prefecture_id) as work:
        return agent_records(work.session, prefecture_id)


@operation(READ, writes=False)
def compliance(actor: Actor, prefecture_id: int, as_of: dt.date, *, due_only: bool = False) -> TrainingSituation:
    """Counts per role on *as_of* and the agents concerned then (*due_only*: those to train by 31/12)."""
    with unit(actor, READ, prefecture_id=prefecture_id) as work:
        records = agent_records(work.session, prefecture_id)
    rows, total = counts_per_role(records, as_of)
    concerned = [r for r in records if (c := r.compliance(as_of)).concerned and (not due_only or c.due_this_year)]
    return TrainingSituation(as_of, rows, total, concerned)


@operation(EDIT, writes=True)
def save_agents(actor: Actor, prefecture_id: int, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Apply the agents' grid (new rows, edits, « Supprimer » ticked: with their trainings)."""
    with editing(actor, prefecture_id, "training", "agents modifiés") as edit:
        done = core.save_agents(edit.session, prefecture_id, list(rows))
        edit.skip = not done
        edit.summary = "agents : " + ", ".join(done)
        return done


@operation(EDIT, writes=True)
def record_training(actor: Actor, prefecture_id: int, agent_ids: Iterable[int], day: dt.date, title: str,
                    today: dt.date | None = None) -> int:
    """One session followed by some agents (an agent already recorded for it is skipped); how many added."""
    with editing(actor, prefecture_id, "training", "formation enregistrée") as edit:
        added = core.record_training(edit.session, prefecture_id, list(agent_ids), day, title,
                                     today or dt.date.today())
        edit.summary = f"formation « {title.strip()[:80]} » du {day:%d/%m/%Y} enregistrée pour {count_text(added, 'agent')}"
        return added


@operation(EDIT, writes=True)
def record_tutoring(actor: Actor, prefecture_id: int, agent_id: int, tutor: str, start: dt.date,
                    end: dt.date | None = None) -> int:
    """A tutoring agreement for one agent; its number."""
    with editing(actor, prefecture_id, "training", "tutorat enregistré") as edit:
        row = core.record_tutoring(edit.session, prefecture_id, agent_id, tutor, start, end)
        return row.id or 0


def _agent_of(edit_session: Session, prefecture_id: int, agent_id: int | None, what: str) -> Agent:
    agent = edit_session.get(Agent, agent_id) if agent_id is not None else None
    if agent is None or agent.prefecture_id != prefecture_id:
        raise PilotageError(f"{what} introuvable")
    return agent


@operation(EDIT, writes=True)
def delete_training(actor: Actor, prefecture_id: int, training_id: int) -> str:
    """Remove one recorded training (typed by mistake); what was removed, in words."""
    with editing(actor, prefecture_id, "training", "formation supprimée") as edit:
        row = edit.session.get(Training, training_id)
        agent = _agent_of(edit.session, prefecture_id, row.agent_id if row else None, f"formation n° {training_id}")
        assert row is not None
        text = f"formation « {row.title[:80]} » du {row.training_date:%d/%m/%Y} de {agent.name}"
        edit.session.delete(row)
        edit.summary = f"{text} supprimée"
        return text


@operation(EDIT, writes=True)
def delete_tutoring(actor: Actor, prefecture_id: int, tutoring_id: int) -> str:
    """Remove one tutoring agreement; what was removed, in words."""
    with editing(actor, prefecture_id, "training", "tutorat supprimé") as edit:
        row = edit.session.get(Tutoring, tutoring_id)
        agent = _agent_of(edit.session, prefecture_id, row.agent_id if row else None, f"tutorat n° {tutoring_id}")
        assert row is not None
        text = f"tutorat de {agent.name} par {row.tutor} (début {row.start:%d/%m/%Y})"
        edit.session.delete(row)
        edit.summary = f"{text} supprimé"
        return text


@operation(EDIT, writes=False)
def analyse_trainings_file(actor: Actor, prefecture_id: int, file_name: str, data: bytes,
                           today: dt.date | None = None) -> TrainingsFilePlan:
    """What a training register would add or update; nothing written. The file is read in the
    bounded child (:mod:`qep_core.services._bounded`)."""
    check(actor.principal, EDIT, prefecture_id=prefecture_id)
    plan: TrainingsFilePlan = analysed(actor, prefecture_id, "formations", file_name, data, today=today)
    return plan


@operation(EDIT, writes=True)
def import_trainings_file(actor: Actor, prefecture_id: int, file_name: str, data: bytes, *, dry_run: bool = False,
                          today: dt.date | None = None) -> TrainingsFilePlan:
    """Read the register in the bounded child, outside any transaction, then, unless *dry_run* or
    already imported, match its agents again as they are now and save it with its history line in
    one short transaction. Raises :class:`ImportRejected` (nothing written)."""
    plan = accepted(analyse_trainings_file(actor, prefecture_id, file_name, data, today))
    if dry_run:
        return plan
    with editing(actor, prefecture_id, "training", f"formations importées d'un fichier ({file_name})",
                 file_refusal(file_name)) as edit:
        plan = settled(edit.session, prefecture_id, "formations", plan)
        edit.summary = plan.summary()
        edit.skip = plan.already_imported is not None
        if not edit.skip:
            save_trainings_plan(edit.session, prefecture_id, plan, edit.author)
        return plan


@operation(EXPORT, writes=False)
def export_xlsx(actor: Actor, prefecture_id: int, as_of: dt.date) -> bytes:
    """Agents (with their situation on *as_of*), trainings, tutorings and the count per role: re-importable."""
    with unit(actor, EXPORT, prefecture_id=prefecture_id) as work:
        return export_trainings_xlsx(work.session, prefecture_id, as_of)

