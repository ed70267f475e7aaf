"""Comparaison: one indicator across the préfectures the user may see (regional / national view)."""

import streamlit as st

from qep_ui.regional import comparison_section
from qep_ui.state import require_view

view = require_view("compare")
st.title("Comparaison des préfectures")
comparison_section(view)
