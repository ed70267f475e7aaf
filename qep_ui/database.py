"""The application's database, opened once per process and URL (schema migrated, référentiel loaded)."""

from __future__ import annotations

import streamlit as st

from qep_core import services


def database() -> services.Database:
    return _opened(services.system.configured_url())


@st.cache_resource(show_spinner=False)
def _opened(url: str) -> services.Database:
    return services.system.open_database(url)
