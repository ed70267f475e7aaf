"""Cached reads for the pages. Every cached function takes the database URL, the préfecture and
the data version among its arguments: caches are shared by all users (FIELD-NOTES), and a new
import or target changes the version, so nobody ever sees stale or someone else's figures."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qep_core.compute import (
    IndicatorResult,
    breakdown_by_perimetre,
    compute_indicators,
    monthly_values,
    monthly_values_all,
)
from qep_core.db import database_url, session_scope
from qep_core.models import Engagement, Perimetre
from qep_core.periods import Period, rolling_12
from qep_core.prefectures import labelled_modules, perimetres_of
from qep_core.referentiel import IndicatorDef, engagements_for, indicators_for
from qep_core.rules import headings
from qep_ui.state import View, engine


def _session():
    return session_scope(engine())


@st.cache_data(show_spinner=False, max_entries=256)
def _results(url: str, pref_id: int, period: Period, version: str, perimetre_ids: tuple[int, ...] | None
             ) -> list[IndicatorResult]:
    with _session() as session:
        return compute_indicators(session, pref_id, period, perimetre_ids=perimetre_ids)


def scoped(view: View, perimetre_ids: tuple[int, ...] | None) -> tuple[int, ...] | None:
    """The périmètres asked for, cut to those the user may read (a contributor: its own).

    The scope is part of every cached call's arguments, so one user's figures are never served
    to another from the shared cache.
    """
    scope = view.perimetre_scope
    if scope is None:
        return perimetre_ids
    if perimetre_ids is None:
        return scope or (-1,)  # a contributor without périmètres sees no figure
    return tuple(p for p in perimetre_ids if p in scope) or (-1,)


def results(view: View, period: Period | None = None, perimetre_ids: tuple[int, ...] | None = None
            ) -> list[IndicatorResult]:
    return _results(database_url(), view.prefecture.id or 0, period or view.period, view.version,
                    scoped(view, perimetre_ids))


@st.cache_data(show_spinner=False, max_entries=64)
def _sparklines(url: str, pref_id: int, end: Period, version: str) -> dict[str, list[float | None]]:
    with _session() as session:
        return monthly_values_all(session, pref_id, indicators_for(session, pref_id), rolling_12(end.end))


def sparklines(view: View) -> dict[str, list[float | None]]:
    """The twelve months up to the end of the chosen period, per indicator."""
    return _sparklines(database_url(), view.prefecture.id or 0, view.period, view.version)


@st.cache_data(show_spinner=False, max_entries=256)
def _monthly(url: str, pref_id: int, code: str, period: Period, version: str,
             perimetre_ids: tuple[int, ...] | None) -> pd.DataFrame:
    with _session() as session:
        ind = next(d for d in indicators_for(session, pref_id) if d.code == code)
        return monthly_values(session, pref_id, ind, period, perimetre_ids)


def monthly(view: View, code: str, period: Period, perimetre_ids: tuple[int, ...] | None = None) -> pd.DataFrame:
    return _monthly(database_url(), view.prefecture.id or 0, code, period, view.version, scoped(view, perimetre_ids))


@st.cache_data(show_spinner=False, max_entries=128)
def _breakdown(url: str, pref_id: int, code: str, period: Period, version: str) -> pd.DataFrame:
    with _session() as session:
        ind = next(d for d in indicators_for(session, pref_id) if d.code == code)
        return breakdown_by_perimetre(session, pref_id, ind, period)


def breakdown(view: View, code: str, period: Period | None = None) -> pd.DataFrame:
    frame = _breakdown(database_url(), view.prefecture.id or 0, code, period or view.period, view.version)
    scope = view.perimetre_scope
    if scope is not None:
        names = {p.name for p in perimetres(view) if p.id in scope}
        frame = frame.loc[frame["perimetre"].isin(names)]
    return frame


@st.cache_data(show_spinner=False, max_entries=32)
def _referentiel(url: str, pref_id: int, version: str) -> tuple[list[IndicatorDef], list[Engagement], list[str]]:
    with _session() as session:
        return indicators_for(session, pref_id), engagements_for(session, pref_id), labelled_modules(session, pref_id)


def referentiel(view: View) -> tuple[list[IndicatorDef], list[Engagement], list[str]]:
    """The préfecture's indicators, engagements and labelled modules."""
    return _referentiel(database_url(), view.prefecture.id or 0, view.version)


@st.cache_data(show_spinner=False, max_entries=64)
def _log_items(url: str, pref_id: int, code: str, period: Period, version: str,
               perimetre_ids: tuple[int, ...] | None, only_late: bool) -> pd.DataFrame:
    from qep_core.drilldown import log_items

    with _session() as session:
        return log_items(session, pref_id, code, period, perimetre_ids, only_late)


def log_items(view: View, code: str, period: Period, perimetre_ids: tuple[int, ...] | None = None,
              only_late: bool = True) -> pd.DataFrame:
    """Items behind a log-fed indicator (late ones by default) for the drill-down."""
    return _log_items(database_url(), view.prefecture.id or 0, code, period, view.version, scoped(view, perimetre_ids),
                      only_late)


@st.cache_data(show_spinner=False)
def _module_titles(url: str) -> dict[str, str]:
    from sqlmodel import col, select

    from qep_core.models import Module

    with _session() as session:
        return {m.code: m.title for m in session.exec(select(Module).order_by(col(Module.number)))}


def module_titles() -> dict[str, str]:
    """Module code → title (M1 → "Relation générale avec les usagers"), in référentiel order."""
    return _module_titles(database_url())


@st.cache_data(show_spinner=False)
def _channel_titles(url: str) -> dict[str, str]:
    from sqlmodel import col, select

    from qep_core.models import Channel

    with _session() as session:
        return {c.code: c.title for c in session.exec(select(Channel).order_by(col(Channel.position)))}


def channel_titles() -> dict[str, str]:
    """Channel code → title (telephone → "Téléphone"), as the référentiel names them."""
    return _channel_titles(database_url())


def module_heading(code: str, titles: dict[str, str]) -> str:
    """« Module 2 — titre » (qep_core.rules.headings), the title read from *titles*."""
    return headings.module_heading(code, titles[code])


def perimetres(view: View) -> list[Perimetre]:
    with _session() as session:
        return perimetres_of(session, view.prefecture.id or 0)


def clear() -> None:
    """After a write the version changes anyway; clearing also frees memory at once."""
    st.cache_data.clear()
