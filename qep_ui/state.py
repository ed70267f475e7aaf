"""Database access for the pages: one engine per process, préfecture and period choice."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from qep_core.compute import latest_month_with_data
from qep_core.db import create_schema, database_url, get_engine, session_scope
from qep_core.models import Prefecture
from qep_core.prefectures import list_prefectures
from qep_core.referentiel import seed_referentiel


def engine() -> Engine:
    """The engine of ``QEP_DATABASE_URL`` (schema and référentiel ensured once per URL)."""
    return _prepared_engine(database_url())


@st.cache_resource
def _prepared_engine(url: str) -> Engine:
    eng = get_engine(url)
    create_schema(eng)
    with session_scope(eng, write=True) as session:
        seed_referentiel(session)
    return eng


def prefectures() -> list[Prefecture]:
    with session_scope(engine()) as session:
        return list_prefectures(session)


def choose_prefecture() -> Prefecture | None:
    """The préfecture chosen in the sidebar (kept in the URL so a link reopens the same view)."""
    prefs = prefectures()
    if not prefs:
        st.warning("Aucune préfecture n'est encore configurée. Lancez `python -m qep_core init --demo` "
                   "ou `python -m qep_core init --prefecture CODE`.")
        return None
    codes = [p.code for p in prefs]
    wanted = st.query_params.get("pref", codes[0])
    index = codes.index(wanted) if wanted in codes else 0
    pref = st.sidebar.selectbox("Préfecture", prefs, index=index, format_func=lambda p: f"{p.name} ({p.code})")
    st.query_params["pref"] = pref.code
    return pref


def latest_year(prefecture_id: int) -> int | None:
    with session_scope(engine()) as session:
        latest = latest_month_with_data(session, prefecture_id)
    return latest.year if latest else None
