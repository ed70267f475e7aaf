"""Tableau de bord: every indicator of the chosen period against its target, by module and channel."""

import streamlit as st

from qep_core.rules.channels import channel_mapping
from qep_core.rules.status import A_SURVEILLER, NON_ATTEINT
from qep_ui import data
from qep_ui.collection import incomplete_caption
from qep_ui.state import require_view
from qep_ui.widgets import download_table, plain, results_table, summary_line, tile

view = require_view()
st.title("Tableau de bord Qual-e-Pref")
st.subheader(f"{plain(view.prefecture.name)} — {view.period.label}")
if not view.has_data:
    st.info("Aucune donnée importée pour cette préfecture : déposez un tableau de suivi dans la page **Import**.")
    st.stop()

results = data.results(view)
sparks = data.sparklines(view)
signals = data.spc_summaries(view)
_, engagements, modules = data.referentiel(view)
channel_of = channel_mapping([r.indicator for r in results], engagements)
module_titles = data.module_titles()
channel_titles = data.channel_titles()

shown = [r for r in results if r.indicator.module_code in modules]
st.markdown(summary_line(shown))
gaps = incomplete_caption(view)  # quarters computed on months not all received, and each indicator's gaps
only_issues = st.toggle("N'afficher que les indicateurs à surveiller ou non atteints", key="only_issues")

for module in [m for m in module_titles if m in modules and m.startswith("M")]:
    in_module = [r for r in shown if r.indicator.module_code == module]
    if only_issues:
        in_module = [r for r in in_module if r.status in (A_SURVEILLER, NON_ATTEINT)]
    if not in_module:
        continue
    st.header(data.module_heading(module, module_titles), divider="blue")
    channels: dict[str, list] = {}
    for r in in_module:
        channels.setdefault(channel_of[r.indicator.code], []).append(r)
    for channel, items in channels.items():
        st.markdown(f"#### {plain(channel_titles.get(channel, channel))}")
        for start in range(0, len(items), 3):
            cols = st.columns(3)
            for col, result in zip(cols, items[start:start + 3], strict=False):
                with col:
                    tile(result, sparks.get(result.indicator.code), link_page="pages/indicateurs.py",
                         spc=signals.get(result.indicator.code), gap=gaps.get(result.indicator.code))

with st.expander("Tableau des indicateurs (alternative aux vignettes, téléchargeable)"):
    table = results_table(shown)
    st.dataframe(table, hide_index=True, width="stretch")
    download_table(table, f"indicateurs-{view.prefecture.code}-{view.period.code}", key="dashboard")
