"""What the pilotage pages share: the date figures are computed for, messages kept across the
rerun that follows a write, refusals listed in French, file previews. Every read and write goes
through :mod:`qep_core.services` (``action_plan``, ``audits``, ``trainings``, ``engagements``).

The pilotage reads are small (tens to hundreds of rows) and change with every edit: they are
read fresh on each run rather than cached, so nobody ever sees a stale plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.access import AccessDenied
from qep_core.frenchforms import count_text
from qep_core.periods import add_months
from qep_ui.auth import allowed
from qep_ui.state import View
from qep_ui.widgets import plain, show_issues

Issue = services.action_plan.Issue
PilotageError = services.action_plan.PilotageError
ImportRejected = services.action_plan.ImportRejected

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
    """The messages kept by :func:`flash`, shown as text: they quote titles, names and file names."""
    for i, (kind, text, issues) in enumerate(st.session_state.pop(FLASH_KEY, [])):
        {"success": st.success, "warning": st.warning, "error": st.error}.get(kind, st.info)(plain(text))
        show_issues(issues, key=f"pilotage-flash-{i}")


def sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def can_edit() -> bool:
    """Whether the signed-in user may change the plan, the audits and the trainings (the services
    check it again on every write: this only decides what is drawn)."""
    return allowed("edit_pilotage")


def show_errors(exc: Exception | Sequence[str], title: str = "Rien n'a été enregistré :") -> None:
    if isinstance(exc, AccessDenied):
        st.error(plain(exc), icon=":material/block:")
        return
    if isinstance(exc, PilotageError):
        messages: Sequence[str] = exc.errors
    elif isinstance(exc, ImportRejected):
        messages = [str(i) for i in exc.errors]
    elif isinstance(exc, Exception):
        messages = [str(exc)]
    else:
        messages = exc
    st.error("\n".join([title, *(f"- {plain(sentence(m))}" for m in messages)]), icon=":material/error:")


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
    """The analysis of an uploaded file; True when it can be saved. *summary* names the file and
    quotes its cells: shown as text."""
    summary = plain(summary)
    if errors:
        st.error(summary, icon=":material/block:")
        show_issues(list(errors), key=f"{key}-errors")
        return False
    if already:
        st.info(summary, icon=":material/info:")
        return False
    st.success(summary, icon=":material/fact_check:")
    if warnings:
        st.warning(f"{count_text(len(warnings), 'point')} à vérifier (le fichier peut être enregistré) :", icon=":material/warning:")
        show_issues(list(warnings), key=f"{key}-warnings")
    return True
