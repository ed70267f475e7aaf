"""What the pilotage pages share: the date figures are computed for, messages kept across the
rerun that follows a write, refusals listed in French, file previews, and the labels of codes.

The pilotage reads are small (tens to hundreds of rows) and change with every edit: they are
read fresh on each run rather than cached, so nobody ever sees a stale plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from qep_core.importing import Issue
from qep_core.periods import add_months
from qep_core.pilotage.errors import PilotageError
from qep_ui.state import View
from qep_ui.widgets import show_issues

FLASH_KEY = "_pilotage_flash"


def as_of_default(view: View, today: dt.date | None = None) -> dt.date:
    """The end of the period chosen in the sidebar, or today if that end is still to come: the
    plan and the trainings as they stood at the end of 2023 when the user looks at 2023."""
    today = today or dt.date.today()
    end = add_months(view.period.end, 1) - dt.timedelta(days=1)
    return min(end, today)


def as_of_picker(view: View, name: str, label: str = "À la date du") -> dt.date:
    """A date input that follows the sidebar's period until the user picks another day."""
    default = as_of_default(view)
    key = f"{name}-{view.prefecture.id}-{view.period.code}"
    if key not in st.session_state:
        st.session_state[key] = default
    return st.date_input(label, key=key, format="DD/MM/YYYY", max_value=dt.date.today(),
                         help="Les statuts, retards et obligations de formation sont calculés à cette date "
                              "(par défaut : la fin de la période choisie dans le menu latéral, ou aujourd'hui).")


def flash(text: str, kind: str = "success", issues: Sequence[Issue] = ()) -> None:
    st.session_state.setdefault(FLASH_KEY, []).append((kind, text, list(issues)))


def show_flash() -> None:
    for i, (kind, text, issues) in enumerate(st.session_state.pop(FLASH_KEY, [])):
        {"success": st.success, "warning": st.warning, "error": st.error}.get(kind, st.info)(text)
        show_issues(issues, key=f"pilotage-flash-{i}")


def sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def show_errors(exc: Exception | Sequence[str], title: str = "Rien n'a été enregistré :") -> None:
    messages = exc.errors if isinstance(exc, PilotageError) else [str(exc)] if isinstance(exc, Exception) else exc
    st.error("\n".join([title, *(f"- {sentence(m)}" for m in messages)]), icon=":material/error:")


def saved(*messages: str) -> None:
    """After a write: message kept, rerun (the pages read fresh data)."""
    for message in messages:
        flash(sentence(message))
    st.rerun()


def grid_height(rows: int, most: int = 20) -> int:
    return 35 * (min(max(rows, 1), most) + 1) + 3


def french_date(day: object) -> str:
    if day is None or (isinstance(day, float) and pd.isna(day)) or day is pd.NaT:
        return ""
    return f"{day:%d/%m/%Y}" if isinstance(day, dt.date) else str(day)


def preview(summary: str, errors: Sequence[Issue], warnings: Sequence[Issue], already: bool, key: str) -> bool:
    """The analysis of an uploaded file; True when it can be saved."""
    if errors:
        st.error(summary, icon=":material/block:")
        show_issues(list(errors), key=f"{key}-errors")
        return False
    if already:
        st.info(summary, icon=":material/info:")
        return False
    st.success(summary, icon=":material/fact_check:")
    if warnings:
        st.warning(f"{len(warnings)} point(s) à vérifier (le fichier peut être enregistré) :", icon=":material/warning:")
        show_issues(list(warnings), key=f"{key}-warnings")
    return True


AREAS = {"action": "plan d'actions", "audit": "audits", "training": "formations"}


def _state(session, area: str, prefecture_id: int) -> dict[str, object]:
    """A short picture of an area, kept in the change history before and after each edit."""
    from sqlalchemy import func
    from sqlmodel import select

    from qep_core.pilotage.models import Action, Agent, Audit, AuditFinding, Training

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



@contextmanager
def editing(view: View | None, area: str, what: str):
    """One write of the pilotage pages: the role checked on the server, one transaction, and its
    line in the change history (who, when, the area's state before and after)."""
    from qep_core.change_history import record_change
    from qep_core.db import session_scope
    from qep_ui.auth import author, require
    from qep_ui.state import engine

    require("edit_pilotage")
    if view is None:
        st.stop()
    pref_id = view.prefecture.id or 0
    with session_scope(engine(), write=True) as session:
        before = _state(session, area, pref_id)
        yield session
        session.flush()
        record_change(session, user=author(), action=area, prefecture_id=pref_id, entity=AREAS[area],
                      summary=what, before=before, after=_state(session, area, pref_id))
