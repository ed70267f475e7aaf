"""A sober look that reads on a projector: free sans-serif fonts, DSFR blue, tighter tiles."""

import streamlit as st

CSS = """
<style>
html, body, [class*="css"] { font-family: Arial, "Liberation Sans", "DejaVu Sans", sans-serif; }
h1, h2, h3 { color: #000091; }
[data-testid="stMetricValue"] { font-size: 2rem; }
[data-testid="stMetricLabel"] p { font-size: 0.95rem; line-height: 1.25; white-space: normal; }
</style>
"""


def apply_theme() -> None:
    st.html(CSS)
