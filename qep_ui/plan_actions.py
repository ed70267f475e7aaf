"""Widgets of the « Plan d'actions » page: progress (per module, per source, over time, late
actions), the editable grid, and the Excel import and export.

Every read and write goes through :mod:`qep_core.services.action_plan`, which checks the role and
everything else first: an invalid grid or file changes nothing and the reasons are listed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.access import AccessDenied
from qep_core.frenchforms import count_text
from qep_ui.auth import actor, allowed
from qep_ui.importing import spreadsheet_upload, user_name
from qep_ui.pilotage_common import (
    ImportRejected,
    PilotageError,
    can_edit,
    french_date,
    grid_height,
    preview,
    saved,
    show_errors,
)
from qep_ui.state import View
from qep_ui.widgets import download_table

plans = services.action_plan
SOURCES, STATUSES, format_rate = plans.SOURCES, plans.STATUSES, plans.format_rate
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def completion_frame(rows: list[services.action_plan.Completion], first: str) -> pd.DataFrame:
    return pd.DataFrame([{first: c.label, "Fait": c.fait, "En cours": c.en_cours, "À faire": c.a_faire,
                          "Abandonné": c.abandonne, "Taux de réalisation": format_rate(c.rate),
                          "Calcul": f"{c.fait} / ({c.total} − {c.abandonne})"} for c in rows])


def progress_section(view: View, as_of: dt.date) -> None:
    progress = plans.plan_progress(actor(), view.prefecture.id or 0, as_of)
    summary, over_time, refs, snapshots = progress.summary, progress.over_time, progress.refs, progress.snapshots
    overall = summary.overall
    if not overall.total:
        st.info("Aucune action à cette date : ajoutez-en dans l'onglet **Actions** ou importez un plan dans "
                "l'onglet **Import / export**.")
        return
    cols = st.columns(5)
    cols[0].metric("Taux de réalisation", format_rate(overall.rate), border=True,
                   help="Fait / (toutes les actions − abandonnées).")
    cols[1].metric("Actions", overall.total, border=True)
    cols[2].metric("Faites", overall.fait, border=True)
    cols[3].metric("En cours / à faire", f"{overall.en_cours} / {overall.a_faire}", border=True)
    cols[4].metric("En retard", summary.late_count, border=True,
                   help="Échéance dépassée à cette date, ni faites ni abandonnées.")
    if summary.basis != "plan d'actions":
        st.caption(f"Chiffres d'un {summary.basis} : le plan détaillé n'avait pas encore d'action à cette date.")
    st.caption(f"Au {as_of:%d/%m/%Y}. Taux de réalisation = Fait / (toutes les actions − abandonnées) ; "
               "une action abandonnée ne compte ni comme faite, ni comme due.")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(plans.completion_chart(summary.by_module, f"Par module, au {as_of:%d/%m/%Y}"),
                        config={"displaylogo": False}, key="pa-modules-chart")
    with right:
        if summary.by_source:
            st.plotly_chart(plans.completion_chart(summary.by_source, f"Par source, au {as_of:%d/%m/%Y}"),
                            config={"displaylogo": False}, key="pa-sources-chart")
    if len(over_time) > 1 or snapshots:
        st.plotly_chart(plans.completion_over_time_chart(over_time, snapshots), config={"displaylogo": False},
                        key="pa-time-chart")
    with st.expander("Tableaux (alternative aux graphiques, téléchargeables)"):
        modules = completion_frame([*summary.by_module, overall], "Module")
        st.dataframe(modules, hide_index=True, width="stretch")
        download_table(modules, f"avancement-modules-{as_of:%Y-%m-%d}", key="pa-modules")
        if summary.by_source:
            sources = completion_frame(list(summary.by_source), "Source")
            st.dataframe(sources, hide_index=True, width="stretch")
            download_table(sources, f"avancement-sources-{as_of:%Y-%m-%d}", key="pa-sources")
        if len(over_time):
            months = over_time.assign(
                Mois=[f"{d:%m/%Y}" for d in over_time["day"]],
                Taux=[format_rate(r if pd.notna(r) else None) for r in over_time["rate"]],
            )[["Mois", "fait", "en_cours", "a_faire", "abandonne", "total", "Taux"]].rename(columns={
                "fait": "Fait", "en_cours": "En cours", "a_faire": "À faire", "abandonne": "Abandonné",
                "total": "Actions"})
            st.dataframe(months, hide_index=True, width="stretch")
    st.subheader(f"Actions en retard au {as_of:%d/%m/%Y} ({summary.late_count})")
    if not summary.late:
        st.caption("Aucune action en retard.")
    else:
        late = pd.DataFrame([{"Réf.": a.ref, "Action": a.title, "Module": refs.module_short(a.module_code),
                              "Responsable": a.owner, "Échéance": french_date(a.due_date),
                              "Jours de retard": (as_of - a.due_date).days, "Statut": STATUSES[a.status]}
                             for a in summary.late])
        st.dataframe(late, hide_index=True, width="stretch",
                     column_config={"Action": st.column_config.TextColumn(width="large")})
        download_table(late, f"actions-en-retard-{as_of:%Y-%m-%d}", key="pa-late")


def _grid_columns(refs: services.action_plan.ReferentielIndex, modules: list[str]) -> dict[str, Any]:
    engagements = [e.key for m in modules for e in refs.engagements_of_module(m)]
    return {
        "ref": st.column_config.TextColumn("Réf.", width=60, disabled=True),
        "title": st.column_config.TextColumn("Action", required=True, max_chars=1000, width=360),
        "module": st.column_config.SelectboxColumn("Module", options=modules,
                                                   format_func=lambda k: refs.module_short(str(k)),
                                                   width=110, help="Déduit de l'engagement s'il est choisi."),
        "engagement": st.column_config.SelectboxColumn("Engagement", options=engagements,
                                                       format_func=lambda k: refs.engagement_label(str(k))[:60],
                                                       width=200),
        "source": st.column_config.SelectboxColumn("Source", options=list(SOURCES),
                                                   format_func=lambda k: SOURCES.get(str(k), str(k)),
                                                   required=True, width=150),
        "owner": st.column_config.TextColumn("Responsable", max_chars=200, width=140),
        "due_date": st.column_config.DateColumn("Échéance", format="DD/MM/YYYY", width=100),
        "status": st.column_config.SelectboxColumn("Statut", options=list(STATUSES),
                                                   format_func=lambda k: STATUSES.get(str(k), str(k)),
                                                   required=True, default="a_faire", width=100),
        "status_date": st.column_config.DateColumn("Date du statut", format="DD/MM/YYYY", width=110,
                                                   help="Laissez-la : un changement de statut est daté du jour. "
                                                        "Changez-la pour dater un statut passé (« fait le 12/03 »)."),
        "late": st.column_config.TextColumn("Retard", width=80, disabled=True),
        "answers": st.column_config.TextColumn(
            "Répond à", width=200, max_chars=500,
            help="La remarque d'audit (remplie par la page Audits) ou le résultat d'enquête auquel l'action répond, "
                 "p. ex. « Enquête accueil 2023 : courtoisie au téléphone, 58 % »."),
        "comment": st.column_config.TextColumn("Commentaire", width=200),
        "delete": st.column_config.CheckboxColumn("Supprimer", default=False, width=80),
    }


def actions_editor(view: View, as_of: dt.date) -> None:
    pid = view.prefecture.id or 0
    everything = plans.list_actions(actor(), pid, as_of)
    refs, modules = everything.refs, everything.modules
    cols = st.columns([2, 2, 2, 1.3], vertical_alignment="bottom")
    chosen_modules = cols[0].multiselect("Modules", modules, format_func=refs.module_short, key="pa-f-modules",
                                         placeholder="Tous")
    chosen_sources = cols[1].multiselect("Sources", list(SOURCES), format_func=lambda k: SOURCES.get(k, str(k)),
                                         key="pa-f-sources", placeholder="Toutes")
    chosen_status = cols[2].multiselect("Statuts", list(STATUSES), format_func=lambda k: STATUSES.get(k, str(k)),
                                        key="pa-f-status", placeholder="Tous")
    only_late = cols[3].toggle("En retard", key="pa-f-late", help="N'afficher que les actions en retard.")
    listed = plans.list_actions(actor(), pid, as_of, modules=chosen_modules, sources=chosen_sources,
                                statuses=chosen_status, only_late=only_late) if (
        chosen_modules or chosen_sources or chosen_status or only_late) else everything
    shown, filtered = listed.table, listed.filtered
    st.caption(f"{count_text(len(shown), 'action affichée', 'actions affichées')} sur {listed.total}. Modifiez les cellules, ajoutez une ligne en bas "
               "du tableau ou cochez « Supprimer », puis enregistrez : chaque changement de statut est daté et gardé "
               "dans l'historique. " + ("Les actions masquées par les filtres ne sont pas touchées." if filtered else ""))
    revision = st.session_state.get("_pa_rev", 0)
    with st.form(f"pa-form-{pid}", border=False):
        edited = st.data_editor(
            shown.reset_index(drop=True), key=f"pa-grid-{pid}-{revision}", hide_index=True, num_rows="add",
            column_order=[c for c in plans.GRID_COLUMNS if c != "id"], column_config=_grid_columns(refs, modules),
            height=grid_height(len(shown) + 1, 18), width="stretch", alt="Plan d'actions", disabled=not can_edit(),
        )
        submitted = st.form_submit_button("Enregistrer le plan d'actions", type="primary", icon=":material/save:",
                                          disabled=not can_edit())
    if submitted:
        try:
            done = plans.save_actions_grid(actor(), pid, edited.to_dict("records"))
        except (PilotageError, AccessDenied) as exc:
            show_errors(exc)
            return
        if not done:
            st.info("Aucune modification à enregistrer.")
            return
        st.session_state["_pa_rev"] = revision + 1
        saved(*done)
    with st.expander("Historique des statuts"):
        history = plans.status_history(actor(), pid)
        if history.empty:
            st.caption("Aucun changement de statut enregistré.")
        else:
            frame = history.assign(status=history["status"].map(STATUSES), changed_on=history["changed_on"].map(
                french_date)).rename(columns={"ref": "Réf.", "title": "Action", "status": "Statut",
                                              "changed_on": "Date", "recorded_by": "Par"})
            st.dataframe(frame, hide_index=True, width="stretch", height=grid_height(len(frame), 12))


def import_export_section(view: View, as_of: dt.date) -> None:
    pid = view.prefecture.id or 0
    st.markdown("**Exporter** — le plan (une ligne par action), l'historique des statuts et l'avancement au "
                f"{as_of:%d/%m/%Y} ; modifié dans Excel, le même fichier se réimporte.")
    if allowed("export_internal"):
        data = plans.export_plan_xlsx(actor(), pid, as_of)
        st.download_button("Télécharger le plan d'actions (Excel)", data, f"plan-actions-{view.prefecture.code}.xlsx",
                           XLSX, icon=":material/download:", key="pa-export", on_click="ignore")
    else:
        st.caption("L'export Excel (avec les responsables) est réservé au référent qualité et au comité de pilotage.")
    st.divider()
    if not can_edit():
        st.caption("L'import d'un plan d'actions est réservé au référent qualité.")
        return
    st.markdown("**Importer** — un plan d'actions (colonnes « Action », « Module » ou « Engagement », « Source », "
                "« Responsable », « Échéance », « Statut »…, et au besoin une feuille « Historique des statuts »), "
                "ou un tableau de réalisation par module (« Fait », « En cours », « Non fait ») comme dans un bilan "
                "annuel. Tout le fichier est enregistré, ou rien ; le même fichier une seconde fois ne change rien.")
    cols = st.columns([2, 1, 1])
    with cols[0]:
        upload = spreadsheet_upload("Fichier du plan d'actions", "pa-upload")
    with cols[1]:
        dated = st.date_input("Date d'un tableau par module", value=None, format="DD/MM/YYYY", key="pa-upload-date",
                              help="Seulement pour un tableau de réalisation par module dont le titre ne donne pas "
                                   "l'année (sinon : le 31 décembre de cette année-là).")
    with cols[2]:
        user_name()
    if upload is None:
        return
    content = upload.getvalue()
    plan = plans.analyse_plan_file(actor(), pid, upload.name, content, as_of=dated)
    ok = preview(plan.summary(), plan.errors, plan.warnings, plan.already_imported is not None, "pa-preview")
    if ok and plan.bilan is not None:
        st.dataframe(completion_frame([*plan.bilan.modules, plan.bilan.total], "Module"), hide_index=True)
    elif ok and plan.rows:
        st.dataframe(pd.DataFrame([{"Ligne": r.row, "Action": r.entry.title, "Statut": STATUSES.get(r.entry.status or "", ""),
                                    "Échéance": french_date(r.entry.due_date),
                                    "Nouvelle": "oui" if r.existing is None else "non (mise à jour)"}
                                   for r in plan.rows[:200]]), hide_index=True, width="stretch",
                     height=grid_height(min(len(plan.rows), 200), 10))
    if ok and st.button("Enregistrer", type="primary", icon=":material/save:", key="pa-save-upload"):
        try:
            plan = plans.import_plan_file(actor(), pid, upload.name, content, as_of=dated)
        except (ImportRejected, AccessDenied) as exc:
            show_errors(exc)
            return
        saved(plan.summary().replace(upload.name + " : ", f"{upload.name} enregistré : "))
