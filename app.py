"""Qual-e-Pref dashboard: entry point and navigation."""

import streamlit as st

st.set_page_config(page_title="Qual-e-Pref", page_icon="📊", layout="wide")

pages = [
    st.Page("pages/synthese.py", title="Synthèse", icon="📊", default=True),
]
st.navigation(pages).run()
