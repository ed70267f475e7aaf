"""Widgets of the dated events (:mod:`qep_core.services.events`): the marks of the Indicateurs page's
monthly chart, its « Événements » section, and the « Événements » tab of the Paramètres page.

Labels are typed by users: they are shown with ``st.dataframe`` or through
:func:`qep_ui.widgets.plain`, never as raw Markdown, and drawn on charts as plain text
(:func:`qep_core.charts.add_event_marks`). Reading needs ``read_detail`` (the users' committee sees
no event: they are internal notes); adding and removing need ``edit_settings``, checked by the
service, which writes the history line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from qep_core import services
from qep_core.periods import Period
from qep_core.rules import period_window
from qep_ui import data
from qep_ui.auth import actor, principal
from qep_ui.state import View
from qep_ui.widgets import plain

events = services.events
KNOWN_ERRORS = (events.EventError, services.AccessDenied, services.ValueOutOfBounds)
FLASH_KEY = "_events_flash"
ALL = ""  # the indicator « every indicator » in the add form
CHANGE_HELP = ("Un changement de la façon de travailler (serveur vocal, nouvelle organisation, nouvel outil) : les "
               "limites des cartes de contrôle des indicateurs concernés sont recalculées à partir de ce mois, "
               "les anciennes ne disant plus rien du nouveau fonctionnement.")


def may_read() -> bool:
    return principal().can("read_detail")


def may_edit() -> bool:
    return principal().can("edit_settings")


def chart_marks(view: View, code: str, period: Period,
                perimetre_ids: Iterable[int] | None = None) -> list[services.events.EventMark]:
    """The events the monthly chart of *code* over *period* draws; none for who may not read them."""
    if not may_read():
        return []
    rows = events.list_events(actor(), view.prefecture.id or 0, first=period.start, last=period.end,
                              indicator_code=code, perimetre_ids=perimetre_ids)
    return events.marks(rows)


def marked(figure: go.Figure, view: View, code: str, months: Sequence[dt.date],
           perimetre_ids: Iterable[int] | None = None) -> go.Figure:
    """*figure*, a chart with one x category per month of *months* (the control chart), with the
    events of those months drawn on it (:func:`qep_core.charts.add_event_marks`)."""
    if not months:
        return figure
    period = Period(months[0], months[-1], "range")
    return events.add_event_marks(figure, list(months), chart_marks(view, code, period, perimetre_ids))


def events_table(rows: Sequence[events.EventRow]) -> pd.DataFrame:
    return pd.DataFrame([{"N°": r.id, "Date": r.day, "Événement": r.label, "Concerne": r.scope_text,
                          events.PROCESS_CHANGE.capitalize(): "oui" if r.process_change else "",
                          "Ajouté par": r.created_by} for r in rows],
                        columns=["N°", "Date", "Événement", "Concerne", events.PROCESS_CHANGE.capitalize(),
                                 "Ajouté par"])


def _show_flash() -> None:
    for message in st.session_state.pop(FLASH_KEY, []):
        st.success(plain(message), icon=":material/check_circle:")


def _saved(message: str) -> None:
    st.session_state.setdefault(FLASH_KEY, []).append(message)
    st.rerun()


def _show_rows(rows: Sequence[events.EventRow], key: str, empty: str) -> None:
    if rows:
        st.dataframe(events_table(rows), hide_index=True, width="stretch", key=key,
                     column_config={"Date": st.column_config.DateColumn(format="DD/MM/YYYY")})
    else:
        st.caption(empty)


def _add_form(view: View, key: str, indicators: dict[str, str], default_code: str = ALL) -> None:
    """Date an event: day, label, what it concerns, whether it is a change of how the service works."""
    pid = view.prefecture.id or 0
    first, last = period_window()
    today = min(max(dt.date.today(), first), dt.date(last.year, 12, 31))
    codes = [ALL, *indicators]
    perims = {p.id or 0: p.name for p in data.perimetres(view)}
    with st.expander("Ajouter un événement", icon=":material/add:"), st.form(f"event-add-{key}-{pid}"):
        day = st.date_input("Date", value=today, min_value=first, max_value=dt.date(last.year, 12, 31),
                            format="DD/MM/YYYY")
        label = st.text_input("Événement", max_chars=events.MAX_EVENT_LABEL,
                              placeholder="Mise en service du serveur vocal interactif")
        code = st.selectbox("Indicateur concerné", codes, index=codes.index(default_code) if default_code in codes else 0,
                            format_func=lambda c: indicators.get(c, "Tous les indicateurs"))
        perimetre = st.selectbox("Périmètre concerné", [None, *perims], format_func=lambda p: "Toute la préfecture"
                                 if p is None else perims.get(p, str(p)))
        change = st.checkbox(f"{events.PROCESS_CHANGE.capitalize()} (les limites des cartes de contrôle repartent de "
                             "ce mois)", help=CHANGE_HELP)
        added = st.form_submit_button("Ajouter l'événement", type="primary", icon=":material/add:")
    if added:
        try:
            row = events.add_event(actor(), pid, day if isinstance(day, dt.date) else today, label,
                                   indicator_code=code or None, perimetre_id=perimetre, process_change=change)
        except KNOWN_ERRORS as exc:
            st.error(plain(exc), icon=":material/error:")
        else:
            _saved(f"événement ajouté : {row.day:%d/%m/%Y} « {row.label} »")


def _remove_form(view: View, key: str, rows: Sequence[events.EventRow]) -> None:
    if not rows:
        return
    by_id = {r.id: r for r in rows}
    with st.form(f"event-remove-{key}-{view.prefecture.id}", border=True):
        chosen = st.selectbox("Événement à retirer", list(by_id), index=None, placeholder="Choisissez",
                              format_func=lambda i: f"n° {i} — {by_id[i].day:%d/%m/%Y} « {by_id[i].label} »")
        removed = st.form_submit_button("Retirer l'événement", icon=":material/delete:")
    if removed and chosen is not None:
        try:
            row = events.remove_event(actor(), view.prefecture.id or 0, chosen)
        except KNOWN_ERRORS as exc:
            st.error(plain(exc), icon=":material/error:")
        else:
            _saved(f"événement retiré : {row.day:%d/%m/%Y} « {row.label} »")


def indicator_events_section(view: View, code: str, label: str, period: Period,
                             perimetre_ids: Iterable[int] | None = None) -> None:
    """The Indicateurs page's last section: the events its chart draws, and for the référent(e)
    qualité a form to date one (this indicator by default) or remove one."""
    if not may_read():
        return
    st.subheader(f"Événements — {period.label}")
    _show_flash()
    rows = events.list_events(actor(), view.prefecture.id or 0, first=period.start, last=period.end,
                              indicator_code=code, perimetre_ids=perimetre_ids)
    _show_rows(rows, f"events-{code}", "Aucun événement daté sur cette période pour cet indicateur.")
    if may_edit():
        _add_form(view, "indicator", {code: f"{label} ({code})"}, code)
        _remove_form(view, "indicator", rows)


def events_tab(view: View) -> None:
    """The Paramètres page's « Événements » tab: every event of the préfecture, add, remove."""
    pid = view.prefecture.id or 0
    _show_flash()
    st.caption("Un fait daté qui explique une courbe (mise en service d'un outil, départ d'agents, grève…) : il est "
               "porté sur les graphiques mensuels dont la période contient sa date. Un « changement de "
               "fonctionnement » fait aussi repartir les limites des cartes de contrôle de ce mois.")
    rows = events.list_events(actor(), pid)
    _show_rows(rows, f"events-all-{pid}", "Aucun événement pour l'instant.")
    if not may_edit():
        return
    indicators = {d.code: f"{d.label} ({d.code})" for d in data.referentiel(view)[0]}
    _add_form(view, "settings", indicators)
    _remove_form(view, "settings", rows)
