"""Cached reads for the pages, through the dashboard service (``services.dashboard``).

Caches are shared by every user of the process (FIELD-NOTES), so every cached function is keyed
on the database URL, the préfecture, the data version AND the principal's scope (its préfectures,
périmètres, and what its role may read): a new import or target changes the version, so nobody
sees stale figures, and a contributor is never served another user's cached figures. The
service cuts the figures to the principal; the key only makes sure the cache does not undo it.

The version (``View.version``, read once per script run with the sidebar's data status) comes from
the préfecture's change history in the database (``services.system.history_version``): a write
made by any process — another app process behind nginx, the command line, a timer — changes it,
and the next run of every session computes afresh. Nothing is ever cleared after a write: other
users' and other préfectures' cached figures stay valid, and the old entries age out
(``max_entries``).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from qep_core import services
from qep_core.access import PERMISSIONS, Principal
from qep_core.periods import Period
from qep_core.rules import module_heading as _module_heading
from qep_ui.auth import actor
from qep_ui.state import View
from qep_ui.widgets import plain

Dashboard = services.dashboard
#: A principal's scope, as cache keys hold it: (role, permissions, préfectures, périmètres).
Scope = tuple[str, tuple[str, ...], tuple[int, ...] | None, tuple[int, ...] | None]


def scope_key(principal: Principal) -> Scope:
    """Everything a read model's answer depends on about who asks (never the person's name)."""
    actions = principal.actions or PERMISSIONS.get(principal.role, frozenset())
    prefs = None if principal.prefecture_ids is None else tuple(sorted(principal.prefecture_ids))
    perims = None if principal.perimetre_ids is None else tuple(sorted(principal.perimetre_ids))
    return principal.role, tuple(sorted(actions)), prefs, perims


def database_url() -> str:
    return services.system.configured_url()


def _key() -> tuple[services.Actor, str, Scope]:
    who = actor()
    return who, database_url(), scope_key(who.principal)


@st.cache_data(show_spinner=False, max_entries=256)
def _results(_actor: services.Actor, url: str, scope: Scope, pref_id: int, period: Period, version: str,
             perimetre_ids: tuple[int, ...] | None) -> list[Dashboard.IndicatorResult]:
    return Dashboard.indicator_results(_actor, pref_id, period, perimetre_ids)


def results(view: View, period: Period | None = None, perimetre_ids: tuple[int, ...] | None = None
            ) -> list[Dashboard.IndicatorResult]:
    return _results(*_key(), view.prefecture.id or 0, period or view.period, view.version, perimetre_ids)


@st.cache_data(show_spinner=False, max_entries=64)
def _sparklines(_actor: services.Actor, url: str, scope: Scope, pref_id: int, end: Period,
                version: str) -> dict[str, list[float | None]]:
    return Dashboard.sparklines(_actor, pref_id, end)


def sparklines(view: View) -> dict[str, list[float | None]]:
    """The twelve months up to the end of the chosen period, per indicator (the user's périmètres)."""
    return _sparklines(*_key(), view.prefecture.id or 0, view.period, view.version)


@st.cache_data(show_spinner=False, max_entries=64)
def _spc_summaries(_actor: services.Actor, url: str, scope: Scope, pref_id: int, end: Period,
                   version: str) -> dict[str, Dashboard.SpcSummary]:
    return Dashboard.spc_summaries(_actor, pref_id, end)


def spc_summaries(view: View) -> dict[str, Dashboard.SpcSummary]:
    """Each monthly indicator's latest variation and assurance up to the end of the chosen period
    (the user's périmètres), for the tiles."""
    return _spc_summaries(*_key(), view.prefecture.id or 0, view.period, view.version)


@st.cache_data(show_spinner=False, max_entries=256)
def _monthly(_actor: services.Actor, url: str, scope: Scope, pref_id: int, code: str, period: Period, version: str,
             perimetre_ids: tuple[int, ...] | None) -> pd.DataFrame:
    return Dashboard.monthly(_actor, pref_id, code, period, perimetre_ids)


def monthly(view: View, code: str, period: Period, perimetre_ids: tuple[int, ...] | None = None) -> pd.DataFrame:
    return _monthly(*_key(), view.prefecture.id or 0, code, period, view.version, perimetre_ids)


@st.cache_resource(show_spinner=False, max_entries=64)
def _monthly_figure(_actor: services.Actor, url: str, scope: Scope, pref_id: int, code: str, period: Period,
                    version: str, perimetre_ids: tuple[int, ...] | None, title: str,
                    marks: tuple[services.events.EventMark, ...]) -> go.Figure:
    ind = next(d for d in Dashboard.referentiel(_actor, pref_id)[0] if d.code == code)
    current = _monthly(_actor, url, scope, pref_id, code, period, version, perimetre_ids)
    previous = _monthly(_actor, url, scope, pref_id, code, period.shifted_years(-1), version, perimetre_ids)
    return Dashboard.monthly_chart(ind, current, previous, title=title, events=marks)


def monthly_figure(view: View, code: str, period: Period, perimetre_ids: tuple[int, ...] | None, title: str,
                   marks: Sequence[services.events.EventMark]) -> go.Figure:
    """The Indicateurs page's monthly chart, built once per data version and shared by every session
    of the same scope (its labels' placement is the costliest part of that page). Shared, not
    copied: ``st.plotly_chart`` reads a figure (``to_dict``) and never changes it."""
    return _monthly_figure(*_key(), view.prefecture.id or 0, code, period, view.version, perimetre_ids, title,
                           tuple(marks))


@st.cache_data(show_spinner=False, max_entries=128)
def _breakdown(_actor: services.Actor, url: str, scope: Scope, pref_id: int, code: str, period: Period,
               version: str) -> pd.DataFrame:
    return Dashboard.breakdown(_actor, pref_id, code, period)


def breakdown(view: View, code: str, period: Period | None = None) -> pd.DataFrame:
    return _breakdown(*_key(), view.prefecture.id or 0, code, period or view.period, view.version)


@st.cache_data(show_spinner=False, max_entries=32)
def _referentiel(_actor: services.Actor, url: str, scope: Scope, pref_id: int, version: str
                 ) -> tuple[list[Dashboard.IndicatorDef], list[Dashboard.Engagement], list[str]]:
    return Dashboard.referentiel(_actor, pref_id)


def referentiel(view: View) -> tuple[list[Dashboard.IndicatorDef], list[Dashboard.Engagement], list[str]]:
    """The préfecture's indicators, engagements and labelled modules."""
    return _referentiel(*_key(), view.prefecture.id or 0, view.version)


@st.cache_data(show_spinner=False, max_entries=64)
def _log_items(_actor: services.Actor, url: str, scope: Scope, pref_id: int, code: str, period: Period, version: str,
               perimetre_ids: tuple[int, ...] | None, only_late: bool) -> pd.DataFrame:
    return Dashboard.late_items(_actor, pref_id, code, period, perimetre_ids, only_late)


def log_items(view: View, code: str, period: Period, perimetre_ids: tuple[int, ...] | None = None,
              only_late: bool = True) -> pd.DataFrame:
    """Items behind a log-fed indicator (late ones by default) for the drill-down."""
    return _log_items(*_key(), view.prefecture.id or 0, code, period, view.version, perimetre_ids, only_late)


def instance_version() -> str:
    """The version of every préfecture's data together, for the reads that cross préfectures
    (the regional comparison)."""
    return services.system.data_version(actor(), None)


@st.cache_data(show_spinner=False)
def _module_titles(_actor: services.Actor, url: str) -> dict[str, str]:
    return Dashboard.module_titles(_actor)


def module_titles() -> dict[str, str]:
    """Module code → title (M1 → "Relation générale avec les usagers"), in référentiel order."""
    who = actor()
    return _module_titles(who, database_url())


@st.cache_data(show_spinner=False)
def _channel_titles(_actor: services.Actor, url: str) -> dict[str, str]:
    return Dashboard.channel_titles(_actor)


def channel_titles() -> dict[str, str]:
    """Channel code → title (telephone → "Téléphone"), as the référentiel names them."""
    who = actor()
    return _channel_titles(who, database_url())


def module_heading(code: str, titles: dict[str, str]) -> str:
    """« Module 2 — titre » (qep_core.rules.headings), the title read from *titles*, as Markdown text
    (a heading shown by Streamlit: the title is the référentiel's, but shown literally all the same)."""
    return plain(_module_heading(code, titles[code]))


def perimetres(view: View) -> list[Dashboard.Perimetre]:
    """The préfecture's périmètres this user may read."""
    return Dashboard.perimetres(actor(), view.prefecture.id or 0)


@st.cache_data(show_spinner=False, max_entries=128)
def _spc(_actor: services.Actor, url: str, scope: Scope, pref_id: int, code: str, period: Period, version: str,
         perimetre_ids: tuple[int, ...] | None) -> Dashboard.SpcChart:
    return Dashboard.spc(_actor, pref_id, code, period, perimetre_ids)


def spc(view: View, code: str, period: Period, perimetre_ids: tuple[int, ...] | None = None) -> Dashboard.SpcChart:
    """The control chart of *code* over *period*'s months with data (the user's périmètres)."""
    return _spc(*_key(), view.prefecture.id or 0, code, period, view.version, perimetre_ids)
