"""Widgets of the « Audits » page: an audit's findings engagement by engagement (which PS, PP
and non-conformities already have an action, a button for those that have not), entry and
correction of findings in a grid, a new audit, and the import of a report's table."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.access import AccessDenied
from qep_core.frenchforms import count_text
from qep_ui.auth import actor
from qep_ui.importing import spreadsheet_upload, user_name
from qep_ui.pilotage_common import ImportRejected, PilotageError, can_edit, grid_height, preview, saved, show_errors
from qep_ui.state import View
from qep_ui.widgets import plain

audits = services.audits
ACTIONABLE_REMARKS, AUDIT_KINDS, CONFORMITIES = audits.ACTIONABLE_REMARKS, audits.AUDIT_KINDS, audits.CONFORMITIES
CONFORMITY_TITLES, REMARK_KINDS = audits.CONFORMITY_TITLES, audits.REMARK_KINDS
AuditInfo = audits.AuditInfo  # one assignment each: mypy reads a tuple assignment as variables, not types
FindingView = audits.FindingView
ReferentielIndex = audits.ReferentielIndex

CONFORMITY_BADGES = {"C": ("green", ":material/check_circle:"), "NA": ("gray", ":material/remove:"),
                     "NC_MIN": ("orange", ":material/warning:"), "NC_MAJ": ("red", ":material/cancel:")}
REMARK_BADGES = {"PF": ("green", ":material/thumb_up:"), "PS": ("red", ":material/priority_high:"),
                 "PP": ("blue", ":material/trending_up:")}


def conformity_badge(code: str | None) -> None:
    colour, icon = CONFORMITY_BADGES.get(code or "", ("gray", ":material/help:"))
    label = {"C": "C · conforme", "NA": "NA · non applicable"}.get(code or "", CONFORMITIES.get(code or "", "non évalué"))
    st.badge(label, icon=icon, color=colour, help=CONFORMITY_TITLES.get(code or ""))  # type: ignore[arg-type]


def remark_line(kind: str, text: str) -> str:
    """The remark's badge, then its text as the auditor wrote it (never read as Markdown)."""
    colour, _ = REMARK_BADGES[kind]
    return f":{colour}-badge[{kind}] {plain(text)}"


def choose_audit(view: View, listed: list[AuditInfo], key: str) -> AuditInfo | None:
    if not listed:
        return None
    by_id = {a.id: a for a in listed}
    wanted = st.query_params.get("audit")
    if wanted and wanted.isdigit() and int(wanted) in by_id and key not in st.session_state:
        st.session_state[key] = int(wanted)
    chosen = st.selectbox("Audit", list(by_id), key=key, format_func=lambda i: (
        f"{by_id[i].title}" + (f" — {by_id[i].auditor}" if by_id[i].auditor else "")))
    st.query_params["audit"] = str(chosen)
    return by_id[chosen]


def _make_action(kind: str, pid: int, target: int) -> None:
    """Button callback: one click, one action (an existing one is left as it is)."""
    try:
        make = audits.action_for_remark if kind == "remark" else audits.action_for_finding
        ref = make(actor(), pid, target)
        st.session_state["_audit_msg"] = ("success", f"Action {ref} ajoutée au plan d'actions (à faire).")
    except PilotageError as exc:
        st.session_state["_audit_msg"] = ("error", "Rien n'a été enregistré : " + " ; ".join(exc.errors))
    except AccessDenied as exc:
        st.session_state["_audit_msg"] = ("error", str(exc))


def _make_all(pid: int, audit_id: int) -> None:
    try:
        made = audits.actions_for_all(actor(), pid, audit_id)
    except (PilotageError, AccessDenied) as exc:
        st.session_state["_audit_msg"] = ("error", str(exc))
        return
    st.session_state["_audit_msg"] = ("success", f"{count_text(made, 'action ajoutée', 'actions ajoutées')} au plan d'actions.")


def findings_section(view: View) -> None:
    pid = view.prefecture.id or 0
    listed = audits.list_audits(actor(), pid)
    if not listed:
        st.info("Aucun audit enregistré : saisissez-en un dans l'onglet **Saisie** ou importez le tableau d'un rapport "
                "dans l'onglet **Import**.")
        return
    chosen = choose_audit(view, listed, f"audit-choice-{pid}")
    assert chosen is not None
    detail = audits.audit_detail(actor(), pid, chosen.id)
    audit, findings, refs = detail.audit, detail.findings, detail.refs
    message = st.session_state.pop("_audit_msg", None)
    if message:
        (st.success if message[0] == "success" else st.error)(plain(message[1]))
    modules = ", ".join(refs.module_short(m) for m in audit.modules)
    st.caption(" · ".join(plain(x) for x in (audit.kind_label, f"{audit.audit_date:%d/%m/%Y}", audit.auditor,
                                      audit.organisation, modules) if x))
    conf, remarks = audit.conformity, audit.remarks
    to_answer = [(f, r) for f in findings for r in f.remarks if r.remark.kind in ACTIONABLE_REMARKS]
    ncs = [f for f in findings if f.is_non_conformity]
    answered = sum(r.action is not None for _, r in to_answer) + sum(f.nc_action is not None for f in ncs)
    metrics: list[list[tuple[str, int | str]]] = [
        [("Conformes", conf["C"]), ("Non applicables", conf["NA"]), ("NC majeures", conf["NC_MAJ"]),
         ("NC mineures", conf["NC_MIN"])],
        [("Points forts", remarks["PF"]), ("Points sensibles", remarks["PS"]), ("Pistes de progrès", remarks["PP"]),
         ("PS, PP et NC avec action", f"{answered} / {len(to_answer) + len(ncs)}")]]
    for row in metrics:
        for col, (label, value) in zip(st.columns(4), row, strict=True):
            col.metric(label, value, border=True)
    missing = len(to_answer) + len(ncs) - answered
    if missing and can_edit():
        st.button(f"Créer une action pour chacun des {missing} PS, PP et NC sans action", icon=":material/add_task:",
                  key=f"audit-all-{audit.id}", on_click=_make_all, args=(pid, audit.id or 0))
    only = st.toggle("N'afficher que les engagements avec une remarque ou une non-conformité", value=True,
                     key=f"audit-only-{audit.id}")
    module = None
    for view_ in findings:
        eng_module = view_.engagement.module_code if view_.engagement else ""
        if only and not view_.remarks and not view_.is_non_conformity:
            continue
        if eng_module != module:
            module = eng_module
            st.subheader(plain(refs.module_title(module)), divider="blue")
        finding_block(pid, view_, refs)
    table = findings_frame(findings, refs)
    with st.expander("Tous les constats (tableau)"):
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={"Remarques": st.column_config.TextColumn(width="large")})


def findings_frame(findings: list[FindingView], refs: ReferentielIndex) -> pd.DataFrame:
    return pd.DataFrame([{
        "Engagement": refs.engagement_label(f.key), "Conformité": CONFORMITIES.get(f.finding.conformity or "", "–"),
        "PF": len(f.of_kind("PF")), "PS": len(f.of_kind("PS")), "PP": len(f.of_kind("PP")),
        "Remarques": " | ".join(f"{r.remark.kind} : {r.remark.text}" for r in f.remarks),
        "Note": f.finding.note,
    } for f in findings])


def finding_block(pid: int, view_: FindingView, refs: ReferentielIndex) -> None:
    with st.container(border=True):
        top = st.columns([5, 1.6], vertical_alignment="center")
        top[0].markdown(f"**{plain(refs.engagement_label(view_.key))}**")
        with top[1]:
            conformity_badge(view_.finding.conformity)
        if view_.is_non_conformity:
            _action_row(pid, "finding", view_.finding.id or 0, view_.nc_action,
                        f"**{CONFORMITY_TITLES[view_.finding.conformity or '']}** — action corrective")
        for r in view_.remarks:
            if r.remark.kind in ACTIONABLE_REMARKS:
                _action_row(pid, "remark", r.remark.id or 0, r.action, remark_line(r.remark.kind, r.remark.text))
            else:
                st.markdown(remark_line(r.remark.kind, r.remark.text))
        if view_.finding.note:
            st.caption(f"Note de l'auditeur : {plain(view_.finding.note)}")


def _action_row(pid: int, kind: str, target: int, action: services.audits.Action | None, text: str) -> None:
    cols = st.columns([5, 1.6], vertical_alignment="center")
    cols[0].markdown(text)
    with cols[1]:
        if action is not None:
            label = plain(audits.action_label(action))
            st.page_link("pages/plan_actions.py", label=label[:1].upper() + label[1:],
                         icon=":material/task_alt:")
        elif can_edit():
            st.button("Créer l'action", key=f"mk-{kind}-{target}", icon=":material/add_task:", on_click=_make_action,
                      args=(kind, pid, target), help="Ajoute au plan d'actions une action « à faire » qui y répond.")


# ---------------------------------------------------------------- entry


def new_audit_form(view: View) -> None:
    if not can_edit():
        st.caption("La saisie d'un audit est réservée au référent qualité.")
        return
    pid = view.prefecture.id or 0
    refs = services.action_plan.referentiel(actor(), pid)
    with st.form(f"new-audit-{pid}", clear_on_submit=False):
        st.markdown("**Nouvel audit**")
        cols = st.columns(3)
        kind = cols[0].selectbox("Type", list(AUDIT_KINDS), format_func=lambda k: AUDIT_KINDS.get(k, str(k)),
                                 key="na-kind", index=1)
        day = cols[1].date_input("Date", value=dt.date.today(), format="DD/MM/YYYY", key="na-date",
                                 max_value=dt.date.today())
        auditor = cols[2].text_input("Auditeur ou auditrice", key="na-auditor", max_chars=200)
        organisation = cols[0].text_input("Organisme", key="na-org", max_chars=200)
        modules = st.multiselect("Modules audités", list(refs.modules), default=refs.labelled, key="na-modules",
                                 format_func=refs.module_short)
        submitted = st.form_submit_button("Créer l'audit", type="primary", icon=":material/add:")
    if submitted:
        try:
            made = audits.create_audit(actor(), pid, kind=kind, audit_date=day, auditor=auditor,
                                       organisation=organisation, modules=modules)
            audit_id, title = made.id, made.title
        except (PilotageError, AccessDenied) as exc:
            show_errors(exc)
            return
        st.session_state[f"audit-edit-{pid}"] = audit_id
        st.session_state.pop(f"audit-choice-{pid}", None)
        st.query_params["audit"] = str(audit_id)
        saved(f"{title} créé : saisissez ses constats ci-dessous.")


FINDING_COLUMNS = {
    "label": st.column_config.TextColumn("Engagement", disabled=True, width="medium"),
    "conformity": st.column_config.SelectboxColumn("Conformité", options=list(CONFORMITIES),
                                                   format_func=lambda k: CONFORMITIES.get(str(k), str(k)), width=110),
    "comments": st.column_config.TextColumn(
        "Commentaires (PF : … PS : … PP : … Note : …)", width="large",
        help="Comme dans le rapport : chaque remarque commence par PF :, PS : ou PP :, la note de l'auditeur par "
             "Note :. Une remarque inchangée garde l'action qui y répond."),
}


def findings_editor(view: View) -> None:
    if not can_edit():
        return
    pid = view.prefecture.id or 0
    listed = audits.list_audits(actor(), pid)
    if not listed:
        return
    by_id = {a.id: a for a in listed}
    key = f"audit-edit-{pid}"
    if st.session_state.get(key) not in by_id:
        st.session_state.pop(key, None)
    chosen = st.selectbox("Constats de l'audit", list(by_id), key=key, format_func=lambda i: by_id[i].title)
    audit = by_id[chosen]
    rows = audits.findings_grid(actor(), pid, audit.id)
    revision = st.session_state.get("_af_rev", 0)
    st.caption("Une ligne par engagement des modules audités. Une ligne sans conformité ni commentaire n'est pas un "
               "constat.")
    with st.form(f"findings-{audit.id}", border=False):
        edited = st.data_editor(pd.DataFrame(rows), key=f"findings-grid-{audit.id}-{revision}", hide_index=True,
                                num_rows="fixed", column_order=["label", "conformity", "comments"],
                                column_config=FINDING_COLUMNS, height=grid_height(len(rows), 16), width="stretch",
                                alt=f"Constats de l'{audit.title.lower()}")
        submitted = st.form_submit_button("Enregistrer les constats", type="primary", icon=":material/save:")
    if submitted:
        try:
            done = audits.save_findings(actor(), pid, audit.id, edited.to_dict("records"))
        except (PilotageError, AccessDenied) as exc:
            show_errors(exc)
            return
        if not done:
            st.info("Aucune modification à enregistrer.")
            return
        st.session_state["_af_rev"] = revision + 1
        saved(*done)
    with st.expander("Supprimer cet audit"):
        st.caption("Ses constats et remarques disparaissent ; les actions qui y répondaient restent dans le plan, avec "
                   "la phrase qui dit à quoi elles répondaient.")
        sure = st.checkbox(f"Je confirme la suppression de l'{plain(audit.title.lower())}", key=f"del-ok-{audit.id}")
        if st.button("Supprimer l'audit", disabled=not sure, key=f"del-{audit.id}", icon=":material/delete:"):
            try:
                title = audits.delete_audit(actor(), pid, audit.id)
            except (PilotageError, AccessDenied) as exc:
                show_errors(exc)
                return
            st.session_state.pop(key, None)
            st.session_state.pop(f"audit-choice-{pid}", None)
            st.query_params.pop("audit", None)
            saved(f"{title} supprimé")


def import_section(view: View) -> None:
    if not can_edit():
        st.caption("L'import d'un rapport d'audit est réservé au référent qualité.")
        return
    pid = view.prefecture.id or 0
    refs = services.action_plan.referentiel(actor(), pid)
    st.markdown("Le tableau du rapport : une colonne « Engagements de service » (« Module 1 3. À votre écoute… », ou "
                "« 3. Formation du personnel » sous le titre « Pilotage de la politique qualité »), une colonne "
                "« Commentaires » (remarques `PF :`, `PS :`, `PP :` et `Note :`) et une colonne « Conformité » (C, NA, "
                "NC majeure, NC mineure). Le type, la date et l'auditeur se lisent dans des lignes « Type d'audit », "
                "« Date de l'audit », « Auditeur » au-dessus du tableau, ou se choisissent ici.")
    cols = st.columns(4)
    with cols[0]:
        upload = spreadsheet_upload("Tableau du rapport d'audit", "audit-upload")
    kind = cols[1].selectbox("Type", [None, *AUDIT_KINDS], key="ai-kind",
                             format_func=lambda k: "lu dans le fichier" if k is None else AUDIT_KINDS[k])
    day = cols[2].date_input("Date", value=None, format="DD/MM/YYYY", key="ai-date", help="Sinon : lue dans le fichier.")
    with cols[3]:
        auditor = st.text_input("Auditeur", key="ai-auditor", help="Sinon : lu dans le fichier.")
        user_name()
    if upload is None:
        return
    content = upload.getvalue()
    plan = audits.analyse_audit_file(actor(), pid, upload.name, content, kind=kind, audit_date=day,
                                     auditor=auditor or None)
    if not preview(plan.summary(), plan.errors, plan.warnings, plan.already_imported is not None, "audit-preview"):
        return
    st.dataframe(pd.DataFrame([{"Engagement": refs.engagement_label(f.engagement_key),
                                "Conformité": CONFORMITIES.get(f.conformity or "", "–"),
                                **{k: sum(r.kind == k for r in f.remarks) for k in REMARK_KINDS},
                                "Note": f.note[:120]} for f in plan.findings]),
                 hide_index=True, width="stretch", height=grid_height(len(plan.findings), 12))
    if st.button("Enregistrer l'audit", type="primary", icon=":material/save:", key="audit-save-upload"):
        try:
            plan, audit_id = audits.import_audit_file(actor(), pid, upload.name, content, kind=kind, audit_date=day,
                                                      auditor=auditor or None)
        except (ImportRejected, AccessDenied) as exc:
            show_errors(exc)
            return
        st.session_state.pop(f"audit-choice-{pid}", None)
        st.query_params["audit"] = str(audit_id)
        saved(plan.summary().replace(f"{upload.name} : ", f"{upload.name} enregistré : "))


