"""A sober look that reads on a projector: free sans-serif fonts, DSFR blue, tighter tiles.

It also puts Streamlit's own English words into French where Streamlit offers no setting for them:
the file uploader's button and limit line (its frontend writes « Upload », « 50MB per file • XLSX »
and, while a file is dragged over, « Drag and drop files here »). The English text is shrunk to
nothing and the French one drawn by ``::before`` / ``::after``, on the uploader's ``data-testid``
attributes. The size of a chosen file (« 114.0B ») cannot be reworded by CSS and is hidden: the
preview below says what the file holds. tests/browser/test_uploader_french.py reads the result.
"""

import streamlit as st

from qep_core import services


def _uploader_css() -> str:
    """The uploader in French; the limit and the formats are the ones the import applies."""
    formats = ", ".join(f".{t}" for t in services.imports.UPLOAD_TYPES)
    limit = f"Limite : {services.imports.MAX_UPLOAD_MB} Mo par fichier · {formats}"
    zone = '[data-testid="stFileUploaderDropzone"]'
    return f"""
{zone} button [data-testid="stMarkdownContainer"] p {{ font-size: 0; }}
{zone} button [data-testid="stMarkdownContainer"] p::after {{ content: "Parcourir"; font-size: 1rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::before {{
  content: "Glissez-déposez vos fichiers ici"; display: block; font-size: 0.875rem;
}}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{ content: "{limit}"; font-size: 0.875rem; }}
{zone} > div > span:only-child {{ font-size: 0; }}
{zone} > div > span:only-child::after {{ content: "Déposez les fichiers ici"; font-size: 1rem; }}
[data-testid="stFileChipName"] + div {{ display: none; }}
"""


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
""" + _uploader_css() + """
</style>
"""


def apply_theme() -> None:
    st.html(CSS)
