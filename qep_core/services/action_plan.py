"""The action plan: its progress on a date, the list of actions (filtered), adding, editing,
dating a status change, deleting, importing a plan file and exporting the plan to Excel.

Reads need ``read_detail``, writes ``edit_pilotage``, the Excel export ``export_internal`` (it
carries the owners' names). Every write records its change-history line in its transaction, the
area's state (actions per status) before and after. See :mod:`qep_core.services._pilotage`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlmodel import Session

from qep_core.access import check
from qep_core.importing.issues import ImportRejected, Issue
from qep_core.pilotage.action_files import (
    ActionsFilePlan,
    export_actions_xlsx,
    plan_snapshots,
    save_actions_file,
    snapshot_completion,
)
from qep_core.pilotage.actions import (
    GRID_COLUMNS,
    Completion,
    actions_table,
    completion_over_time,
    create_action,
    display_ref,
    format_rate,
    history_table,
    save_actions,
    total_of,
)
from qep_core.pilotage.charts import completion_chart, completion_over_time_chart
from qep_core.pilotage.errors import PilotageError
from qep_core.pilotage.refs import ReferentielIndex, referentiel_index
from qep_core.pilotage.summary import ActionPlanSummary, action_plan_summary
from qep_core.pilotage.vocabulary import A_FAIRE, SOURCES, STATUSES
from qep_core.services._bounded import accepted, analysed, settled
from qep_core.services._pilotage import EDIT, EXPORT, READ, editing
from qep_core.services._unit import Actor, file_refusal, operation, unit

__all__ = ["GRID_COLUMNS", "SOURCES", "STATUSES", "ActionList", "ActionPlanSummary", "ActionsFilePlan", "Completion",
           "ImportRejected", "Issue", "PilotageError", "PlanProgress", "ReferentielIndex", "add_action",
           "analyse_plan_file", "completion_chart", "completion_over_time_chart", "delete_action", "export_plan_xlsx",
           "format_rate", "import_plan_file", "list_actions", "plan_progress", "plan_summary", "referentiel",
           "save_actions_grid", "set_action_status", "status_history", "update_action"]


@dataclass(frozen=True)
class PlanProgress:
    """The « Avancement » tab: completion per module and source, over time, late actions."""

    as_of: dt.date
    summary: ActionPlanSummary
    over_time: pd.DataFrame  # month ends: day, fait, en_cours, a_faire, abandonne, total, rate
    snapshots: list[tuple[dt.date, float | None]]  # imported per-module tables: (day, rate)
    refs: ReferentielIndex


@dataclass(frozen=True)
class ActionList:
    """The plan's actions as the grid shows them (``GRID_COLUMNS``), after the filters."""

    table: pd.DataFrame
    total: int  # actions before the filters
    refs: ReferentielIndex
    modules: list[str]  # the modules to filter on: the labelled ones first, then any other in the plan

    @property
    def filtered(self) -> bool:
        return len(self.table) != self.total


@operation(READ, writes=False)
def referentiel(actor: Actor, prefecture_id: int) -> ReferentielIndex:
    """The préfecture's modules and engagements, as the pilotage pages label them."""
    with unit(actor, READ, prefecture_id=prefecture_id) as work:
        return referentiel_index(work.session, prefecture_id)


@operation(READ, writes=False)
def plan_summary(actor: Actor, prefecture_id: int, as_of: dt.date) -> ActionPlanSummary:
    """Completion rates per module and per source, and the late actions, on *as_of*."""
    with unit(actor, READ, prefecture_id=prefecture_id) as work:
        return action_plan_summary(work.session, prefecture_id, as_of)


@operation(READ, writes=False)
def plan_progress(actor: Actor, prefecture_id: int, as_of: dt.date) -> PlanProgress:
    with unit(actor, READ, prefecture_id=prefecture_id) as work:
        session = work.session
        refs = referentiel_index(session, prefecture_id)
        snapshots = [(day, total_of(snapshot_completion(rows, refs)).rate)
                     for day, rows in plan_snapshots(session, prefecture_id).items() if day <= as_of]
        return PlanProgress(as_of, action_plan_summary(session, prefecture_id, as_of),
                            completion_over_time(session, prefecture_id, as_of), snapshots, refs)


@operation(READ, writes=False)
def list_actions(actor: Actor, prefecture_id: int, as_of: dt.date, *, modules: Collection[str] = (),
                 sources: Collection[str] = (), statuses: Collection[str] = (), only_late: bool = False) -> ActionList:
    """The actions (current state; *late* as of *as_of*), filtered by module, source, status, lateness."""
    with unit(actor, READ, prefecture_id=prefecture_id) as work:
        table = actions_table(work.session, prefecture_id, as_of)
        refs = referentiel_index(work.session, prefecture_id)
    shown = table
    if modules:
        shown = shown[shown["module"].isin(list(modules))]
    if sources:
        shown = shown[shown["source"].isin(list(sources))]
    if statuses:
        shown = shown[shown["status"].isin(list(statuses))]
    if only_late:
        shown = shown[shown["late"] != ""]
    choices = list(refs.labelled) + sorted({m for m in table["module"] if m not in refs.labelled})
    return ActionList(shown.reset_index(drop=True), len(table), refs, choices)


@operation(READ, writes=False)
def status_history(actor: Actor, prefecture_id: int) -> pd.DataFrame:
    """Every dated status change of the plan, newest first (ref, title, status, changed_on, recorded_by)."""
    with unit(actor, READ, prefecture_id=prefecture_id) as work:
        return history_table(work.session, prefecture_id)


@operation(EDIT, writes=True)
def save_actions_grid(actor: Actor, prefecture_id: int, rows: Iterable[Mapping[str, Any]],
                      today: dt.date | None = None) -> list[str]:
    """Apply the edited grid (new rows, edited rows, rows ticked « Supprimer »); everything is
    checked first (:class:`PilotageError` lists every reason, nothing written). A changed status
    is dated by its « Date du statut » when the user changed it, else today."""
    with editing(actor, prefecture_id, "action", "plan d'actions modifié dans la grille") as edit:
        done = save_actions(edit.session, prefecture_id, list(rows), today or dt.date.today(), edit.author)
        edit.skip = not done
        if done:
            edit.summary += " : " + ", ".join(done)
        return done


@operation(EDIT, writes=True)
def add_action(actor: Actor, prefecture_id: int, *, title: str, module_code: str = "", source: str,
               engagement_key: str | None = None, owner: str = "", due_date: dt.date | None = None,
               status: str = A_FAIRE, comment: str = "", today: dt.date | None = None) -> str:
    """A new action, its first status dated today; its reference (« A12 »)."""
    with editing(actor, prefecture_id, "action", "action ajoutée") as edit:
        action = create_action(edit.session, prefecture_id, title=title.strip(), module_code=module_code,
                               source=source, engagement_key=engagement_key, owner=owner, due_date=due_date,
                               status=status, comment=comment, today=today or dt.date.today(), user=edit.author)
        ref = display_ref(action)
        edit.summary = f"action {ref} ajoutée : {action.title[:80]}"
        return ref


def _row(session: Session, prefecture_id: int, action_id: int) -> dict[str, Any]:
    table = actions_table(session, prefecture_id, dt.date.today())
    found = table[table["id"] == action_id]
    if found.empty:
        raise PilotageError(f"action n° {action_id} introuvable")
    return found.iloc[0].to_dict()


@operation(EDIT, writes=True)
def update_action(actor: Actor, prefecture_id: int, action_id: int, changes: Mapping[str, Any],
                  today: dt.date | None = None) -> list[str]:
    """Change some fields of one action (grid names: title, module, engagement, source, owner,
    due_date, status, status_date, answers, comment), checked like a grid row."""
    with editing(actor, prefecture_id, "action", f"action n° {action_id} modifiée") as edit:
        row = {**_row(edit.session, prefecture_id, action_id), **changes, "id": action_id, "delete": False}
        done = save_actions(edit.session, prefecture_id, [row], today or dt.date.today(), edit.author)
        edit.skip = not done
        return done


@operation(EDIT, writes=True)
def set_action_status(actor: Actor, prefecture_id: int, action_id: int, status: str, day: dt.date | None = None,
                      today: dt.date | None = None) -> list[str]:
    """A dated status change (``day``: when it happened; by default today)."""
    with editing(actor, prefecture_id, "action", f"statut de l'action n° {action_id} : "
                                                 f"{STATUSES.get(status, status).lower()}") as edit:
        row = {**_row(edit.session, prefecture_id, action_id), "status": status, "delete": False}
        row["status_date"] = day if day is not None else row["status_date"]
        done = save_actions(edit.session, prefecture_id, [row], today or dt.date.today(), edit.author)
        edit.skip = not done
        return done


@operation(EDIT, writes=True)
def delete_action(actor: Actor, prefecture_id: int, action_id: int) -> list[str]:
    with editing(actor, prefecture_id, "action", f"action n° {action_id} supprimée") as edit:
        row = {**_row(edit.session, prefecture_id, action_id), "delete": True}
        edit.summary = f"action {row['ref']} supprimée : {str(row['title'])[:80]}"
        return save_actions(edit.session, prefecture_id, [row], dt.date.today(), edit.author)


@operation(EDIT, writes=False)
def analyse_plan_file(actor: Actor, prefecture_id: int, file_name: str, data: bytes,
                      as_of: dt.date | None = None, today: dt.date | None = None) -> ActionsFilePlan:
    """What a plan file (or a per-module completion table) would change; nothing is written. The
    file is read in the bounded child (:mod:`qep_core.services._bounded`)."""
    check(actor.principal, EDIT, prefecture_id=prefecture_id)
    plan: ActionsFilePlan = analysed(actor, prefecture_id, "plan", file_name, data, as_of=as_of, today=today)
    return plan


@operation(EDIT, writes=True)
def import_plan_file(actor: Actor, prefecture_id: int, file_name: str, data: bytes, *, as_of: dt.date | None = None,
                     dry_run: bool = False, today: dt.date | None = None) -> ActionsFilePlan:
    """Read the file in the bounded child, outside any transaction, then, unless *dry_run* or
    already imported, pair its rows again with the actions as they are now and save it whole with
    its history line, in one short transaction. Raises :class:`ImportRejected` (nothing written)."""
    plan = accepted(analyse_plan_file(actor, prefecture_id, file_name, data, as_of=as_of, today=today))
    if dry_run:
        return plan
    with editing(actor, prefecture_id, "action", f"plan d'actions importé d'un fichier ({file_name})",
                 file_refusal(file_name)) as edit:
        plan = settled(edit.session, prefecture_id, "plan", plan)
        edit.skip = plan.already_imported is not None
        edit.summary = plan.summary()
        save_actions_file(edit.session, prefecture_id, plan, edit.author, today)
        return plan


@operation(EXPORT, writes=False)
def export_plan_xlsx(actor: Actor, prefecture_id: int, as_of: dt.date) -> bytes:
    """The plan, its dated status changes and completion on *as_of*, as a re-importable workbook."""
    with unit(actor, EXPORT, prefecture_id=prefecture_id) as work:
        return export_actions_xlsx(work.session, prefecture_id, as_of)

