"""What the pilotage services share: the write unit of an area (action plan, audits, trainings)
with its change-history line, and the short picture of an area kept before and after each edit.

Pilotage data (actions, audits, agents) belongs to a préfecture, not to a périmètre: its scope is
the préfecture. Reads need ``read_detail`` (référent(e), COPIL, services), writes need
``edit_pilotage`` (the référent(e) qualité), the Excel exports ``export_internal`` (owners' and
agents' names); the public dossier of an engagement is :mod:`qep_core.services.engagements`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from qep_core.pilotage.errors import PilotageError
from qep_core.pilotage.models import Action, Agent, Audit, AuditFinding, Training
from qep_core.services._unit import Actor, Unit, refusing, unit

READ = "read_detail"
EDIT = "edit_pilotage"
EXPORT = "export_internal"
AREAS = {"action": "plan d'actions", "audit": "audits", "training": "formations"}


def area_state(session: Session, area: str, prefecture_id: int) -> dict[str, object]:
    """A short picture of an area, kept in the change history before and after each edit."""
    if area == "action":
        rows = session.exec(select(Action.status, func.count()).where(Action.prefecture_id == prefecture_id)
                            .group_by(Action.status)).all()
        return {"actions par statut": {status: n for status, n in rows}}
    if area == "audit":
        audits = session.exec(select(func.count()).select_from(Audit).where(Audit.prefecture_id == prefecture_id)).one()
        findings = session.exec(select(func.count()).select_from(AuditFinding).where(
            AuditFinding.audit_id == Audit.id, Audit.prefecture_id == prefecture_id)).one()
        return {"audits": audits, "constats": findings}
    agents = session.exec(select(func.count()).select_from(Agent).where(Agent.prefecture_id == prefecture_id)).one()
    trainings = session.exec(select(func.count()).select_from(Training).where(
        Training.agent_id == Agent.id, Agent.prefecture_id == prefecture_id)).one()
    return {"agents": agents, "formations suivies": trainings}


@dataclass
class Edit:
    """One pilotage write in progress: its session, and the history line it will record
    (``summary`` may be completed once the change is known; ``skip`` when nothing changed)."""

    work: Unit
    summary: str
    skip: bool = False

    @property
    def session(self) -> Session:
        return self.work.session

    @property
    def author(self) -> str:
        return self.work.principal.author


@contextmanager
def editing(actor: Actor, prefecture_id: int, area: str, summary: str,
            refusal: Callable[[str], Exception] = PilotageError) -> Iterator[Edit]:
    """``edit_pilotage`` checked on that préfecture, one transaction, and its history line (who,
    when, the area's state before and after) written inside it. A value out of bounds is refused
    as *refusal* (a :class:`PilotageError`, or the file's refusal for an import)."""
    with refusing(refusal), unit(actor, EDIT, prefecture_id=prefecture_id, write=True) as work:
        before = area_state(work.session, area, prefecture_id)
        edit = Edit(work, summary)
        yield edit
        if not edit.skip:
            work.session.flush()
            work.record(area, AREAS[area], edit.summary, before=before,
                        after=area_state(work.session, area, prefecture_id))
