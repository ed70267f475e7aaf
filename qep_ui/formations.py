"""Widgets of the « Formations » page: where the agents stand on a date (per role, as the Isère
bilan counts them; who must be trained this year), the agents' grid, a training session or a
tutoring agreement to record, and the Excel import and export."""

from __future__ import annotations

import datetime as dt

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

trainings = services.trainings
A_FORMER, A_JOUR, EN_RETARD, ROLES = trainings.A_FORMER, trainings.A_JOUR, trainings.EN_RETARD, trainings.ROLES
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_MARKS = {A_JOUR: "✔ à jour", A_FORMER: "▲ à former", EN_RETARD: "✖ en retard"}


def role_table(rows: list[services.trainings.RoleCounts], year: int) -> pd.DataFrame:
    return pd.DataFrame([{"Rôle": r.label, "Agents concernés": r.concerned, f"À former en {year}": r.due_this_year,
                          "À jour": r.a_jour, "À former (1re année)": r.a_former, "En retard": r.en_retard,
                          "Non formés sous tutorat": r.tutored} for r in rows])


def agents_frame(records: list[services.trainings.AgentRecord], as_of: dt.date, due_only: bool = False
                 ) -> pd.DataFrame:
    rows = []
    for r in records:
        c = r.compliance(as_of)
        if not c.concerned or (due_only and not c.due_this_year):
            continue
        last = r.last_training(as_of)
        rows.append({"Agent": r.agent.name, "Service": r.agent.service, "Rôle": ROLES.get(r.agent.role, r.agent.role),
                     "Prise de poste": french_date(r.agent.post_start), "Situation": STATUS_MARKS[c.status or A_JOUR],
                     "Formation due le": french_date(c.deadline),
                     "Dernière formation": f"{french_date(last.training_date)} — {last.title}" if last else "aucune",
                     "Tutorat": "en cours" if c.tutored else ""})
    return pd.DataFrame(rows, columns=["Agent", "Service", "Rôle", "Prise de poste", "Situation", "Formation due le",
                                       "Dernière formation", "Tutorat"])


def situation_section(view: View, as_of: dt.date) -> None:
    situation = trainings.compliance(actor(), view.prefecture.id or 0, as_of)
    rows, total, records = situation.by_role, situation.total, situation.records
    if not total.concerned:
        st.info("Aucun agent en poste à cette date : ajoutez les agents dans l'onglet **Agents** ou importez le "
                "tableau de suivi des formations dans l'onglet **Import / export**.")
        return
    cols = st.columns(5)
    cols[0].metric("Agents concernés", total.concerned, border=True)
    cols[1].metric("À jour", total.a_jour, border=True)
    cols[2].metric("À former (1re année)", total.a_former, border=True)
    cols[3].metric("En retard", total.en_retard, border=True)
    cols[4].metric(f"À former en {as_of.year}", total.due_this_year, border=True,
                   help="Formation due au plus tard le 31 décembre : retards compris.")
    st.caption(f"Au {as_of:%d/%m/%Y}. Règle : une formation dans l'année qui suit la prise de poste, puis au moins "
               "tous les 4 ans (années civiles : échéance le même jour, un ou quatre ans plus tard ; en retard dès le "
               "lendemain de l'échéance). En attendant, un tutorat peut être mis en place : il ne remplace pas la "
               "formation.")
    st.plotly_chart(trainings.trainings_by_role_chart(rows, f"Situation par rôle au {as_of:%d/%m/%Y}"),
                    config={"displaylogo": False}, key="tr-roles-chart")
    table = role_table([*rows, total], as_of.year)
    st.dataframe(table, hide_index=True, width="stretch")
    download_table(table, f"formations-par-role-{as_of:%Y-%m-%d}", key="tr-roles")
    st.subheader(f"À former en {as_of.year}")
    due = agents_frame(records, as_of, due_only=True)
    if due.empty:
        st.caption("Personne : tous les agents concernés sont à jour jusqu'à la fin de l'année.")
    else:
        st.dataframe(due, hide_index=True, width="stretch", height=grid_height(len(due), 15))
        download_table(due, f"a-former-{as_of.year}", key="tr-due")
    with st.expander(f"Tous les agents en poste au {as_of:%d/%m/%Y}"):
        st.dataframe(agents_frame(records, as_of), hide_index=True, width="stretch")


AGENT_COLUMNS = {
    "name": st.column_config.TextColumn("Nom ou pseudonyme", required=True, max_chars=200, width="medium"),
    "service": st.column_config.TextColumn("Service", max_chars=200, width="medium"),
    "role": st.column_config.SelectboxColumn("Rôle", options=list(ROLES), required=True, width="medium",
                                             format_func=lambda k: ROLES.get(str(k), str(k))),
    "post_start": st.column_config.DateColumn("Prise de poste", format="DD/MM/YYYY", required=True),
    "post_end": st.column_config.DateColumn("Fin de poste", format="DD/MM/YYYY",
                                            help="Dernier jour sur le poste : l'agent n'est plus concerné ensuite."),
    "trainings": st.column_config.NumberColumn("Formations", disabled=True, format="%d"),
    "delete": st.column_config.CheckboxColumn("Supprimer", default=False),
}


def agents_section(view: View) -> None:
    pid = view.prefecture.id or 0
    records = trainings.agents(actor(), pid)
    frame = pd.DataFrame([{"id": r.agent.id, "name": r.agent.name, "service": r.agent.service, "role": r.agent.role,
                           "post_start": r.agent.post_start, "post_end": r.agent.post_end,
                           "trainings": len(r.trainings), "delete": False} for r in records],
                         columns=["id", *AGENT_COLUMNS])
    for column in ("post_start", "post_end"):
        frame[column] = frame[column].astype(object)
    st.caption("Un nom ou un pseudonyme suffit. Supprimer un agent efface aussi ses formations et tutorats ; pour un "
               "départ, indiquez plutôt la fin de poste.")
    revision = st.session_state.get("_tr_rev", 0)
    with st.form(f"agents-{pid}", border=False):
        edited = st.data_editor(frame, key=f"agents-grid-{pid}-{revision}", hide_index=True, num_rows="add",
                                column_order=list(AGENT_COLUMNS), column_config=AGENT_COLUMNS,
                                height=grid_height(len(frame) + 1, 18), width="stretch", alt="Agents",
                                disabled=not can_edit())
        submitted = st.form_submit_button("Enregistrer les agents", type="primary", icon=":material/save:",
                                          disabled=not can_edit())
    if submitted:
        try:
            done = trainings.save_agents(actor(), pid, edited.to_dict("records"))
        except (PilotageError, AccessDenied) as exc:
            show_errors(exc)
            return
        if not done:
            st.info("Aucune modification à enregistrer.")
            return
        st.session_state["_tr_rev"] = revision + 1
        saved(*done)


def sessions_section(view: View) -> None:
    pid = view.prefecture.id or 0
    records = trainings.agents(actor(), pid)
    names = {r.agent.id: f"{r.agent.name} ({ROLES.get(r.agent.role, r.agent.role).lower()})" for r in records}
    if not names:
        st.caption("Ajoutez d'abord les agents.")
        return
    if can_edit():
        _session_forms(pid, names)
    else:
        st.caption("L'enregistrement des formations et des tutorats est réservé au référent qualité.")
    _sessions_lists(records)


def _session_forms(pid: int, names: dict[int | None, str]) -> None:
    left, right = st.columns(2)
    with left, st.form(f"training-{pid}"):
        st.markdown("**Une formation suivie** (une session, un ou plusieurs agents)")
        title = st.text_input("Intitulé", key="tr-title", max_chars=300)
        day = st.date_input("Date", value=dt.date.today(), format="DD/MM/YYYY", max_value=dt.date.today(),
                            key="tr-date")
        agents = st.multiselect("Agents formés", list(names), format_func=lambda k: names.get(k, str(k)),
                                key="tr-agents")
        if st.form_submit_button("Enregistrer la formation", type="primary", icon=":material/save:"):
            try:
                added = trainings.record_training(actor(), pid, [a for a in agents if a is not None], day, title)
            except (PilotageError, AccessDenied) as exc:
                show_errors(exc)
            else:
                saved(f"formation « {title.strip()} » du {day:%d/%m/%Y} enregistrée pour {count_text(added, 'agent')}")
    with right, st.form(f"tutoring-{pid}"):
        st.markdown("**Une convention de tutorat**")
        agent = st.selectbox("Agent tutoré", list(names), format_func=lambda k: names.get(k, str(k)), key="tu-agent")
        tutor = st.text_input("Tuteur ou tutrice", key="tu-tutor", max_chars=200)
        start = st.date_input("Début", value=dt.date.today(), format="DD/MM/YYYY", key="tu-start")
        end = st.date_input("Fin (facultative)", value=None, format="DD/MM/YYYY", key="tu-end")
        if st.form_submit_button("Enregistrer le tutorat", type="primary", icon=":material/save:"):
            try:
                trainings.record_tutoring(actor(), pid, agent or 0, tutor, start, end)
            except (PilotageError, AccessDenied) as exc:
                show_errors(exc)
            else:
                saved(f"tutorat de {names[agent].split(' (')[0]} enregistré")


def _sessions_lists(records: list[services.trainings.AgentRecord]) -> None:
    history = pd.DataFrame([{"Agent": r.agent.name, "Date": french_date(t.training_date), "Formation": t.title}
                            for r in records for t in sorted(r.trainings, key=lambda t: t.training_date, reverse=True)])
    with st.expander(f"Formations enregistrées ({len(history)})"):
        st.dataframe(history, hide_index=True, width="stretch")
    tutorings = pd.DataFrame([{"Agent": r.agent.name, "Tuteur": t.tutor, "Début": french_date(t.start),
                               "Fin": french_date(t.end) or "en cours"} for r in records for t in r.tutorings])
    with st.expander(f"Tutorats ({len(tutorings)})"):
        st.dataframe(tutorings, hide_index=True, width="stretch")


def import_export_section(view: View, as_of: dt.date) -> None:
    pid = view.prefecture.id or 0
    st.markdown(f"**Exporter** — agents (avec leur situation au {as_of:%d/%m/%Y}), formations, tutorats et le "
                "décompte par rôle ; le fichier se réimporte.")
    if allowed("export_internal"):
        data = trainings.export_xlsx(actor(), pid, as_of)
        st.download_button("Télécharger les formations (Excel)", data, f"formations-{view.prefecture.code}.xlsx", XLSX,
                           icon=":material/download:", key="tr-export", on_click="ignore")
    else:
        st.caption("L'export Excel (avec les noms des agents) est réservé au référent qualité et au comité de pilotage.")
    st.divider()
    if not can_edit():
        st.caption("L'import du tableau de suivi des formations est réservé au référent qualité.")
        return
    st.markdown("**Importer** — une feuille d'agents (« Nom », « Service », « Rôle », « Prise de poste », au besoin "
                "« Fin de poste » ou « Date de la dernière formation »), une feuille de formations (« Agent », "
                "« Date », « Intitulé ») et une de tutorats (« Agent », « Tuteur », « Début », « Fin »). Les agents "
                "déjà connus (même nom) sont mis à jour ; rien n'est supprimé.")
    cols = st.columns([2, 1])
    with cols[0]:
        upload = spreadsheet_upload("Tableau de suivi des formations", "tr-upload")
    with cols[1]:
        user_name()
    if upload is None:
        return
    content = upload.getvalue()
    plan = trainings.analyse_trainings_file(actor(), pid, upload.name, content)
    if not preview(plan.summary(), plan.errors, plan.warnings, plan.already_imported is not None, "tr-preview"):
        return
    if st.button("Enregistrer", type="primary", icon=":material/save:", key="tr-save-upload"):
        try:
            plan = trainings.import_trainings_file(actor(), pid, upload.name, content)
        except (ImportRejected, AccessDenied) as exc:
            show_errors(exc)
            return
        saved(plan.summary().replace(f"{upload.name} : ", f"{upload.name} enregistré : "))

