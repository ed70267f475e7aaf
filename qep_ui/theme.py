"""A sober look that reads on a projector: free sans-serif fonts, DSFR blue, tighter tiles."""

import streamlit as st

CSS = """
<style>
html, body, [class*="css"] { font-family: Arial, "Liberation Sans", "DejaVu Sans", sans-serif; }
h1, h2, h3 { color: #000091; }
[data-testid="stMetricValue"] { font-size: 2rem; }
[data-testid="stMetricLabel"] p { font-size: 0.95rem; line-height: 1.25; white-space: normal; }
/* Printing (an engagement's dossier, a page for the COPIL): only the page's content, on as many
   sheets as it needs. Streamlit scrolls inside a full-height container, which would print one
   sheet only: the containers are let to grow instead. */
@media print {
  @page { margin: 12mm; }
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stBottom"], button, [data-testid="stButton"], [data-testid="stDownloadButton"],
  [data-testid="stPageLink"], [data-testid="stFileUploader"], [data-testid="stElementToolbar"],
  .stDeployButton, iframe { display: none !important; }
  html, body, #root, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"],
  [data-testid="stMainBlockContainer"], .main {
    height: auto !important; min-height: 0 !important; overflow: visible !important; position: static !important;
  }
  [data-testid="stMain"], [data-testid="stMainBlockContainer"] {
    margin: 0 !important; padding: 0 !important; max-width: none !important; width: 100% !important;
  }
  [data-testid="stVerticalBlockBorderWrapper"], [data-testid="stExpander"], [data-testid="stMetric"],
  [data-testid="stDataFrame"], [data-testid="stPlotlyChart"], [data-testid="stAlert"] {
    break-inside: avoid; page-break-inside: avoid;
  }
  h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
</style>
"""


def apply_theme() -> None:
    st.html(CSS)
