"""The action plan: actions, their dated status changes, completion rates and late actions.

Rules every figure obeys:

* **Completion rate** = Fait / (all actions − Abandonné). An abandoned action is neither done nor
  owed; an action « À faire » or « En cours » counts as not done. Without any action left to
  count the rate is undefined (None), never 0 % or 100 %.
* **As of a date.** An action exists from its creation date; its status on a day is the last
  change recorded on or before that day (:class:`~qep_core.pilotage.models.ActionStatusChange`).
  So last year's rate is computed from last year's statuses, and the curve over time from the
  history, not from today's state.
* **Late.** An action is late on a day when its due date is *before* that day (the due date
  itself is still on time) and its status that day is neither Fait nor Abandonné.

Edits come from the app's grid (:func:`save_actions`) or from a file
(:mod:`qep_core.pilotage.action_files`); both check every row first and write nothing when one is
wrong.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import delete
from sqlmodel import Session, col, select

from qep_core.frenchforms import count_text
from qep_core.models import utcnow
from qep_core.periods import add_months
from qep_core.pilotage.errors import PilotageError
from qep_core.pilotage.models import Action, ActionStatusChange
from qep_core.pilotage.refs import ReferentielIndex, referentiel_index
from qep_core.pilotage.tables import parse_date
from qep_core.pilotage.vocabulary import (
    A_FAIRE,
    ABANDONNE,
    CLOSED_STATUSES,
    EN_COURS,
    FAIT,
    SOURCES,
    STATUSES,
)

TITLE_MAX = 1000
OWNER_MAX = 200


# ------------------------------------------------------------------ completion


@dataclass(frozen=True)
class Completion:
    """Counts of actions by status for one module, one source, or the whole plan."""

    key: str
    label: str
    fait: int = 0
    en_cours: int = 0
    a_faire: int = 0
    abandonne: int = 0

    @property
    def total(self) -> int:
        return self.fait + self.en_cours + self.a_faire + self.abandonne

    @property
    def counted(self) -> int:
        """The denominator of the rate: every action but the abandoned ones."""
        return self.total - self.abandonne

    @property
    def rate(self) -> float | None:
        """Fait / (all − Abandonné), in percent (69.9 for 65 / 93); None when nothing counts."""
        return 100.0 * self.fait / self.counted if self.counted else None

    def plus(self, other: Completion, key: str, label: str) -> Completion:
        return Completion(key, label, self.fait + other.fait, self.en_cours + other.en_cours,
                          self.a_faire + other.a_faire, self.abandonne + other.abandonne)


def total_of(rows: Iterable[Completion], key: str = "total", label: str = "Total") -> Completion:
    """The sum of several modules' (or sources') counts; its rate is Σ Fait / Σ (all − Abandonné)."""
    total = Completion(key, label)
    for row in rows:
        total = total.plus(row, key, label)
    return total


def completion_of(statuses: Iterable[str], key: str = "", label: str = "") -> Completion:
    counts = {FAIT: 0, EN_COURS: 0, A_FAIRE: 0, ABANDONNE: 0}
    for status in statuses:
        counts[status] += 1
    return Completion(key, label, counts[FAIT], counts[EN_COURS], counts[A_FAIRE], counts[ABANDONNE])


def format_rate(rate: float | None) -> str:
    """« 70 % » (whole percent, as the bilans print it); « – » without an action to count."""
    return "–" if rate is None else f"{rate:.0f} %"


# ------------------------------------------------------------------ the plan on a given day


@dataclass(frozen=True)
class ActionState:
    """An action as it stood on a given day."""

    action: Action
    status: str  # the status that day
    status_date: dt.date  # when it took that status
    late: bool


@dataclass
class PlanOnDay:
    """Every action that existed on *as_of*, with its status that day."""

    as_of: dt.date
    states: list[ActionState]
    refs: ReferentielIndex

    def completion_by_module(self) -> list[Completion]:
        order = list(self.refs.modules)
        groups: dict[str, list[str]] = {}
        for s in self.states:
            groups.setdefault(s.action.module_code, []).append(s.status)
        return [completion_of(groups[m], m, self.refs.module_short(m)) for m in sorted(groups, key=order.index)]

    def completion_by_source(self) -> list[Completion]:
        groups: dict[str, list[str]] = {}
        for s in self.states:
            groups.setdefault(s.action.source, []).append(s.status)
        return [completion_of(groups[k], k, SOURCES.get(k, k)) for k in SOURCES if k in groups]

    def completion(self) -> Completion:
        return completion_of((s.status for s in self.states), "total", "Total")

    @property
    def late(self) -> list[ActionState]:
        return [s for s in self.states if s.late]


def is_late(due: dt.date | None, status: str, on: dt.date) -> bool:
    """Due date passed (strictly before *on*) and neither done nor abandoned on that day."""
    return due is not None and due < on and status not in CLOSED_STATUSES


def status_history(session: Session, action_ids: Iterable[int]) -> dict[int, list[ActionStatusChange]]:
    """Each action's changes, oldest first (same day: in the order they were recorded)."""
    ids = list(action_ids)
    out: dict[int, list[ActionStatusChange]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = session.exec(select(ActionStatusChange).where(col(ActionStatusChange.action_id).in_(chunk))
                            .order_by(col(ActionStatusChange.changed_on), col(ActionStatusChange.id)))
        for row in rows:
            out[row.action_id].append(row)
    return out


def status_on(changes: list[ActionStatusChange], day: dt.date) -> ActionStatusChange | None:
    """The change in force on *day* (the last one recorded on or before it)."""
    current = None
    for change in changes:
        if change.changed_on <= day:
            current = change
        else:
            break
    return current


def list_actions(session: Session, prefecture_id: int) -> list[Action]:
    return list(session.exec(select(Action).where(col(Action.prefecture_id) == prefecture_id).order_by(col(Action.id))))


def plan_on(session: Session, prefecture_id: int, as_of: dt.date) -> PlanOnDay:
    """The plan as it stood at the end of *as_of*: actions created by then, their status then."""
    actions = [a for a in list_actions(session, prefecture_id) if a.created_on <= as_of]
    history = status_history(session, [a.id or 0 for a in actions])
    states = []
    for action in actions:
        change = status_on(history[action.id or 0], as_of)
        status, since = (change.status, change.changed_on) if change else (A_FAIRE, action.created_on)
        states.append(ActionState(action, status, since, is_late(action.due_date, status, as_of)))
    return PlanOnDay(as_of, states, referentiel_index(session, prefecture_id))


def month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """The last day of each month from *first*'s month to *last*'s (the last one is *last* itself)."""
    out, month = [], first.replace(day=1)
    while month <= last:
        end = add_months(month, 1) - dt.timedelta(days=1)
        out.append(min(end, last))
        month = add_months(month, 1)
    return out


def completion_over_time(session: Session, prefecture_id: int, until: dt.date) -> pd.DataFrame:
    """Counts by status and the completion rate at the end of each month, from the first action
    created to *until* (its month ends on *until*). Columns: ``day``, ``fait``, ``en_cours``,
    ``a_faire``, ``abandonne``, ``total``, ``rate`` (percent, NaN when nothing counts)."""
    columns = ["day", "fait", "en_cours", "a_faire", "abandonne", "total", "rate"]
    actions = [a for a in list_actions(session, prefecture_id) if a.created_on <= until]
    if not actions:
        return pd.DataFrame(columns=columns)
    history = status_history(session, [a.id or 0 for a in actions])
    records = []
    for day in month_ends(min(a.created_on for a in actions), until):
        statuses = []
        for action in actions:
            if action.created_on <= day:
                change = status_on(history[action.id or 0], day)
                statuses.append(change.status if change else A_FAIRE)
        c = completion_of(statuses)
        records.append((day, c.fait, c.en_cours, c.a_faire, c.abandonne, c.total,
                        math.nan if c.rate is None else c.rate))
    return pd.DataFrame.from_records(records, columns=columns)


# ------------------------------------------------------------------ writing


def display_ref(action: Action) -> str:
    """The préfecture's own reference, or « A12 » from the action's number."""
    return action.ref or f"A{action.id}"


def record_status(session: Session, action: Action, status: str, day: dt.date, user: str = "") -> None:
    """Add a dated change and bring the action's current status in line with its history."""
    session.add(ActionStatusChange(action_id=action.id or 0, status=status, changed_on=day, recorded_by=user))
    session.flush()
    refresh_current_status(session, action)


def refresh_current_status(session: Session, action: Action) -> None:
    changes = status_history(session, [action.id or 0])[action.id or 0]
    if changes:
        last = changes[-1]
        action.status, action.status_date = last.status, last.changed_on
        action.created_on = min(action.created_on, changes[0].changed_on)
    action.updated_at = utcnow()
    session.add(action)


def create_action(session: Session, prefecture_id: int, *, title: str, module_code: str, source: str,
                  today: dt.date, engagement_key: str | None = None, owner: str = "", due_date: dt.date | None = None,
                  status: str = A_FAIRE, comment: str = "", remark_id: int | None = None,
                  finding_id: int | None = None, answers: str = "", user: str = "") -> Action:
    """A new action, checked like a grid row, with its first status dated *today*."""
    entry = ActionInput(title=title, module_code=module_code, engagement_key=engagement_key, source=source,
                        owner=owner, due_date=due_date, status=status, status_date=today, comment=comment)
    errors = entry.check(referentiel_index(session, prefecture_id), today)
    if errors:
        raise PilotageError(errors)
    # check() found no error, so the module, source and status are given
    assert entry.module_code is not None and entry.source is not None and entry.status is not None
    action = Action(prefecture_id=prefecture_id, title=entry.title, module_code=entry.module_code,
                    engagement_key=entry.engagement_key, source=entry.source, owner=entry.owner,
                    due_date=entry.due_date, status=entry.status, status_date=today, created_on=today,
                    comment=entry.comment, remark_id=remark_id, finding_id=finding_id, answers=answers)
    session.add(action)
    session.flush()
    record_status(session, action, entry.status, today, user)
    return action


def delete_actions(session: Session, actions: Iterable[Action]) -> None:
    for action in actions:
        session.exec(delete(ActionStatusChange).where(col(ActionStatusChange.action_id) == action.id))
        session.delete(action)
    session.flush()


# ------------------------------------------------------------------ checking an action


def clean_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return " ".join(str(value).split())


def as_date(value: object) -> dt.date | None:
    """A grid or DataFrame cell → a day (None for empty, NaT, NaN)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return parse_date(value)
    raise ValueError(f"« {value} » n'est pas une date")


@dataclass
class ActionInput:
    """An action as typed in a grid row or read from a file, before it is checked."""

    title: str
    module_code: str | None
    engagement_key: str | None
    source: str | None
    owner: str = ""
    due_date: dt.date | None = None
    status: str | None = A_FAIRE
    status_date: dt.date | None = None
    comment: str = ""
    created_on: dt.date | None = None
    ref: str | None = None
    answers: str = ""

    def check(self, refs: ReferentielIndex, today: dt.date, where: str | None = "") -> list[str]:
        """Why this action cannot be saved (French, one reason a line); fills the module from
        the engagement when only the engagement is given. Each reason starts with *where* (by
        default the action's title); ``where=None`` gives bare reasons (a file's row says where)."""
        label = (f"« {self.title[:60]} »" if self.title else "nouvelle action") if where == "" else where
        errors: list[str] = []

        def err(message: str) -> None:
            errors.append(f"{label} : {message}" if label else message)

        if not self.title:
            err("l'intitulé de l'action est obligatoire")
        elif len(self.title) > TITLE_MAX:
            err(f"intitulé trop long ({len(self.title)} caractères, {TITLE_MAX} au plus)")
        if self.engagement_key and self.engagement_key not in refs.engagements:
            err(f"engagement inconnu « {self.engagement_key} »")
        elif self.engagement_key:
            module = refs.engagements[self.engagement_key].module_code
            if self.module_code and self.module_code != module:
                err(f"l'engagement {refs.engagement_label(self.engagement_key)[:50]} relève de "
                    f"« {refs.module_short(module)} », pas de « {refs.module_short(self.module_code)} »")
            self.module_code = module
        if not self.module_code:
            err("le module est obligatoire (Module 1 à 8, Pilotage ou Labellisation)")
        elif self.module_code not in refs.modules:
            err(f"module inconnu « {self.module_code} »")
        if not self.source:
            err(f"la source est obligatoire ({', '.join(SOURCES.values())})")
        elif self.source not in SOURCES:
            err(f"source inconnue « {self.source} »")
        if not self.status:
            err(f"le statut est obligatoire ({', '.join(STATUSES.values())})")
        elif self.status not in STATUSES:
            err(f"statut inconnu « {self.status} »")
        if len(self.owner) > OWNER_MAX:
            err(f"responsable trop long ({OWNER_MAX} caractères au plus)")
        if self.status_date is not None and self.status_date > today:
            err(f"la date du statut ({self.status_date:%d/%m/%Y}) est dans le futur")
        if self.created_on is not None and self.created_on > today:
            err(f"la date de création ({self.created_on:%d/%m/%Y}) est dans le futur")
        if self.created_on and self.status_date and self.status_date < self.created_on:
            err(f"la date du statut ({self.status_date:%d/%m/%Y}) précède la création de l'action "
                f"({self.created_on:%d/%m/%Y})")
        return errors


# ------------------------------------------------------------------ the grid

# The columns a référent(e) reviews first (what, status, due date, late, who) come first on screen.
GRID_COLUMNS = ["id", "ref", "title", "status", "due_date", "late", "owner", "status_date", "module", "engagement",
                "source", "answers", "comment", "delete"]


def actions_table(session: Session, prefecture_id: int, as_of: dt.date) -> pd.DataFrame:
    """The grid of the « Plan d'actions » page: one row per action, current state, *late* as of *as_of*."""
    rows = [{
        "id": a.id, "ref": display_ref(a), "title": a.title, "module": a.module_code, "engagement": a.engagement_key,
        "source": a.source, "owner": a.owner, "due_date": a.due_date, "status": a.status,
        "status_date": a.status_date, "late": "en retard" if is_late(a.due_date, a.status, as_of) else "",
        "answers": a.answers, "comment": a.comment, "delete": False,
    } for a in list_actions(session, prefecture_id)]
    frame = pd.DataFrame(rows, columns=GRID_COLUMNS)
    for column in ("due_date", "status_date"):
        frame[column] = frame[column].astype(object)
    return frame


@dataclass
class GridChanges:
    created: list[ActionInput] = field(default_factory=list)
    updated: list[tuple[Action, ActionInput]] = field(default_factory=list)
    deleted: list[Action] = field(default_factory=list)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT or (
        isinstance(value, str) and not value.strip())


def _optional(value: object) -> str | None:
    return None if _blank(value) else str(value).strip()


def save_actions(session: Session, prefecture_id: int, rows: Iterable[Mapping[str, Any]], today: dt.date,
                 user: str = "") -> list[str]:
    """Apply the edited grid (rows with an ``id`` are existing actions; without, new ones; ``delete``
    ticked removes one). Everything is checked first; on any error nothing is written and
    :class:`PilotageError` lists every reason. A changed status is dated by the row's
    « Date du statut » if the user changed it, else *today*. Returns French lines saying what changed."""
    refs = referentiel_index(session, prefecture_id)
    existing = {a.id: a for a in list_actions(session, prefecture_id)}
    errors: list[str] = []
    changes = GridChanges()
    for line, raw in enumerate(rows, start=1):
        action_id = None if _blank(raw.get("id")) else int(raw["id"])
        title = clean_text(raw.get("title"))
        if action_id is None and not title and all(_blank(raw.get(k)) for k in ("owner", "due_date", "comment")):
            continue  # an empty row the grid left behind
        if raw.get("delete") is True:
            if action_id is not None and action_id in existing:
                changes.deleted.append(existing[action_id])
            continue
        try:
            due, status_date = as_date(raw.get("due_date")), as_date(raw.get("status_date"))
        except ValueError as exc:
            errors.append(f"ligne {line} : {exc}")
            continue
        entry = ActionInput(title=title, module_code=_optional(raw.get("module")),
                            engagement_key=_optional(raw.get("engagement")), source=_optional(raw.get("source")),
                            owner=clean_text(raw.get("owner")), due_date=due, status=_optional(raw.get("status")),
                            status_date=status_date, comment=clean_text(raw.get("comment")),
                            answers=clean_text(raw.get("answers")))
        where = f"ligne {line}" + (f" ({title[:50]})" if title else "")
        if action_id is not None:
            action = existing.get(action_id)
            if action is None:
                errors.append(f"{where} : action inconnue (n° {action_id}) ; rechargez la page")
                continue
            entry.created_on = action.created_on
            errors.extend(entry.check(refs, today, where))
            moved = status_date is not None and status_date != action.status_date
            if entry.status != action.status and moved and status_date < action.status_date:  # type: ignore[operator]  # moved implies status_date is not None
                errors.append(f"{where} : la date du nouveau statut ({status_date:%d/%m/%Y}) précède celle du statut "
                              f"actuel ({action.status_date:%d/%m/%Y})")
            changes.updated.append((action, entry))
        else:
            errors.extend(entry.check(refs, today, where))
            changes.created.append(entry)
    if errors:
        raise PilotageError(errors)
    return _apply_grid(session, prefecture_id, changes, today, user)


def _apply_grid(session: Session, prefecture_id: int, changes: GridChanges, today: dt.date, user: str) -> list[str]:
    done: list[str] = []
    if changes.deleted:
        delete_actions(session, changes.deleted)
        done.append(count_text(len(changes.deleted), "action supprimée", "actions supprimées"))
    statuses = edits = 0
    for action, entry in changes.updated:
        fields = (entry.title, entry.module_code, entry.engagement_key, entry.source, entry.owner, entry.due_date,
                  entry.comment, entry.answers)
        if fields != (action.title, action.module_code, action.engagement_key, action.source, action.owner,
                      action.due_date, action.comment, action.answers):
            (action.title, action.module_code, action.engagement_key, action.source, action.owner, action.due_date,
             action.comment, action.answers) = fields  # type: ignore[assignment]  # check() passed: module and source are set
            action.updated_at = utcnow()
            session.add(action)
            edits += 1
        if entry.status != action.status:
            day = entry.status_date if entry.status_date and entry.status_date != action.status_date else today
            record_status(session, action, entry.status or A_FAIRE, day, user)
            statuses += 1
        elif entry.status_date and entry.status_date != action.status_date:
            _redate_last_change(session, action, entry.status_date)
            statuses += 1
    for entry in changes.created:
        day = entry.status_date or today
        action = Action(prefecture_id=prefecture_id, title=entry.title, module_code=entry.module_code or "",
                        engagement_key=entry.engagement_key, source=entry.source or "", owner=entry.owner,
                        due_date=entry.due_date, status=entry.status or A_FAIRE, status_date=day, created_on=day,
                        comment=entry.comment, answers=entry.answers)
        session.add(action)
        session.flush()
        record_status(session, action, action.status, day, user)
    if changes.created:
        done.append(count_text(len(changes.created), "action ajoutée", "actions ajoutées"))
    if edits:
        done.append(count_text(edits, "action modifiée", "actions modifiées"))
    if statuses:
        done.append(count_text(statuses, "changement de statut enregistré", "changements de statut enregistrés")
                    + " (avec leur date)")
    session.flush()
    return done


def _redate_last_change(session: Session, action: Action, day: dt.date) -> None:
    """The user corrected the date of the current status (« fait le 12/03 », typed a week later)."""
    changes = status_history(session, [action.id or 0])[action.id or 0]
    if not changes:
        record_status(session, action, action.status, day)
        return
    previous = changes[-2].changed_on if len(changes) > 1 else None
    if previous is not None and day < previous:
        raise PilotageError(f"« {action.title[:60]} » : la date du statut ({day:%d/%m/%Y}) précède le statut "
                            f"précédent ({previous:%d/%m/%Y})")
    last = changes[-1]
    last.changed_on = day
    session.add(last)
    session.flush()
    if len(changes) == 1:
        action.created_on = day
    refresh_current_status(session, action)


def history_table(session: Session, prefecture_id: int) -> pd.DataFrame:
    """Every status change of the plan, newest first (the « Historique des statuts »)."""
    actions = {a.id: a for a in list_actions(session, prefecture_id) if a.id is not None}  # saved rows: all
    history = status_history(session, actions)
    rows = [{"ref": display_ref(actions[aid]), "title": actions[aid].title, "status": c.status,
             "changed_on": c.changed_on, "recorded_by": c.recorded_by}
            for aid, changes in history.items() for c in changes]
    frame = pd.DataFrame(rows, columns=["ref", "title", "status", "changed_on", "recorded_by"])
    return frame.sort_values(["changed_on", "ref"], ascending=[False, True], kind="stable").reset_index(drop=True)
