"""Who may see what. Roles do not exist yet (issue 8 connects this module to real accounts).

Until then a single flag decides whether the viewer sees personal data (names, e-mail addresses,
phone numbers written in survey comments): ``st.session_state["role"] == "admin"``. Everyone else —
the default — sees masked text. Exports are masked for everyone, admins included.
"""

from __future__ import annotations

import streamlit as st

ADMIN = "admin"


def can_see_personal_data() -> bool:
    """True only for an administrator; every other viewer gets masked text."""
    return st.session_state.get("role") == ADMIN
