"""Widgets of the "Exports" page: choose a document, prepare it (with progress for the slow ones),
download it. The page calls ``services.exports.build``, as the CLI does (it checks who may have which document)."""

from __future__ import annotations

import streamlit as st

from qep_core import services
from qep_core.frenchforms import month_label_fr
from qep_core.periods import add_months, quarter_of, quarter_period
from qep_ui.auth import actor
from qep_ui.state import View
from qep_ui.widgets import plain

Exports = services.exports
KIND_LABELS, SLOW_KINDS, DEFAULT_MIN_VOLUME = Exports.KIND_LABELS, Exports.SLOW_KINDS, Exports.DEFAULT_MIN_VOLUME
ExportError = Exports.ExportError
ExportFile = Exports.ExportFile
ExportRequest = Exports.ExportRequest

RESULT_KEY = "qep_export_result"
DESCRIPTIONS = {
    "copil": "Tous les indicateurs avec leur cible, l'année précédente et le détail par périmètre ; réclamations, "
             "actions décidées en revue trimestrielle. Graphiques PowerPoint modifiables.",
    "clu": "Version publique : titres en mots simples, aucun résultat fondé sur trop peu de réponses, aucun "
           "service trop petit, aucune donnée personnelle, enquêtes avec leur nombre de répondants.",
    "bilan": "Le document annuel lu par les auditeurs : indicateurs contre cibles et contre l'année précédente, "
             "réclamations, enquêtes, formations, plan d'actions, revues du COPIL.",
    "pv": "Le compte rendu d'une revue figée : date, participants, chiffres tels que présentés, analyse et "
          "commentaires du COPIL, actions décidées avec leur pilote, leur échéance et leur avancement.",
    "affiche": "Une page à afficher dans le hall : délais de réponse, appels décrochés, satisfaction du trimestre.",
    "xlsx": "Une feuille par module : valeurs, cibles, statuts colorés, valeurs mensuelles ; détail par périmètre.",
    "sp-plus": "Les résultats de l'année ou d'un trimestre dans les neuf champs obligatoires du jeu national « "
               "Résultats de qualité des services publics » (DITP) : une ligne par indicateur doté d'un code SP+ "
               "(Paramètres › Services Publics+), valeur en nombre, fréquence, date de mise à jour.",
}
PUBLIC_KINDS = Exports.PUBLIC_KINDS
QUARTERLY_KINDS = {"copil", "clu", "pv", "affiche", "xlsx", "sp-plus"}
QUARTER_ONLY_KINDS = {"pv", "affiche"}  # no whole-year version


def request_form(view: View) -> ExportRequest:
    """The choices of the page; the year is the sidebar's."""
    year = view.period.end.year
    kinds = Exports.kinds_for(actor())
    kind = st.radio("Document", kinds, format_func=KIND_LABELS.get, key="export_kind")
    st.caption(DESCRIPTIONS[kind])
    cols = st.columns(3)
    quarter = None
    if kind in QUARTERLY_KINDS:
        options = [0, 1, 2, 3, 4] if kind not in QUARTER_ONLY_KINDS else [1, 2, 3, 4]
        default = 0
        if view.period.kind == "quarter":
            default = view.period.quarter
        elif kind in QUARTER_ONLY_KINDS:
            default = quarter_of(view.last_month.month) if view.last_month and view.last_month.year == year else 4
        quarter = cols[0].selectbox("Période", options, index=options.index(default) if default in options else 0,
                                    key=f"export_quarter_{kind}",
                                    format_func=lambda q: f"année {year}" if q == 0 else quarter_period(year, q).label)
        quarter = quarter or None
    else:
        cols[0].markdown(f"**Période** : année {year}")
    min_volume = DEFAULT_MIN_VOLUME
    if kind in PUBLIC_KINDS:
        min_volume = int(cols[1].number_input(
            "Seuil de publication (réponses)", min_value=1, max_value=1000, value=DEFAULT_MIN_VOLUME, step=1,
            key="export_min_volume",
            help="Un résultat fondé sur moins de réponses, ou un service plus petit, n'est pas publié."))
    page, fmt = "A4", None
    if kind == "affiche":
        page = cols[2].radio("Format", ["A4", "A3"], horizontal=True, key="export_page")
    if kind in ("bilan", "pv"):
        fmt = cols[2].radio("Fichier", ["pdf", "html"], horizontal=True, key=f"export_format_{kind}",
                            format_func={"pdf": "PDF", "html": "HTML"}.get)
    if kind == "sp-plus":
        fmt = cols[2].radio("Fichier", ["csv", "xlsx"], horizontal=True, key="export_format_sp",
                            format_func={"csv": "CSV (;)", "xlsx": "Excel"}.get)
    return ExportRequest(kind, year, quarter, min_volume, page, fmt)


def prepare(view: View, req: ExportRequest) -> None:
    """Build the file on demand (with a progress box for slides and PDFs) and keep it for download."""
    if not st.button("Préparer le document", type="primary", icon=":material/build:"):
        return
    st.session_state.pop(RESULT_KEY, None)
    who = actor()  # the service checks, on the server and every time, that this user may have this document
    try:
        if req.kind in SLOW_KINDS:
            with st.status("Préparation du document…", expanded=True) as box:
                result = Exports.build(who, view.prefecture.id or 0, req, progress=box.write)
                box.update(label="Document prêt", state="complete", expanded=False)
        else:
            with st.spinner("Préparation…"):
                result = Exports.build(who, view.prefecture.id or 0, req)
    except ExportError as exc:
        st.error(f"Impossible de préparer ce document : {plain(exc)}.")
        return
    except services.AccessDenied as exc:
        st.error(plain(exc))
        return
    st.session_state[RESULT_KEY] = (req, result)


def download(req: ExportRequest) -> None:
    kept = st.session_state.get(RESULT_KEY)
    if not kept:
        return
    made_for, result = kept
    if made_for != req:
        st.caption("Les choix ont changé : préparez de nouveau le document.")
        return
    file: ExportFile = result
    for note in file.notes:  # what the file leaves out (Services Publics+): said, never silent
        st.info(plain(note), icon=":material/info:")
    st.download_button(f"Télécharger {plain(file.name)} ({len(file.data) // 1024 + 1} Ko)", file.data, file.name, file.mime,
                       icon=":material/download:", type="primary", on_click="ignore", key="export_download")


# ------------------------------------------------------------------------------------------------ monthly digest

Digest = services.digest
DIGEST_KEY = "qep_digest_file"


def digest_section(view: View) -> None:
    """The monthly digest (PDF + French summary): prepare it to download, or e-mail it once to each
    address — what ``python -m qep_core digest`` and its timer do. COPIL documents only."""
    who = actor()
    if not who.principal.can("export_internal") or who.principal.perimetre_ids is not None or not view.last_month:
        return
    st.subheader("Synthèse mensuelle par courriel")
    st.caption("Le tableau de bord d'un mois en PDF, précédé de son résumé « En bref » (ce qui a bougé, les signaux, "
               "les cibles en danger) : chiffres de toute la préfecture, sans donnée personnelle. Chaque adresse ne "
               "reçoit la synthèse d'un mois qu'une fois.")
    months = [add_months(view.last_month, -i) for i in range(12)]
    cols = st.columns([1, 2])
    month = cols[0].selectbox("Mois", months, format_func=month_label_fr, key="digest_month")
    recipients = cols[1].text_input("Destinataires", key="digest_to", placeholder="copil@prefecture.gouv.fr, …",
                                    help="Une ou plusieurs adresses, séparées par des virgules.")
    pid = view.prefecture.id or 0
    left, right = st.columns(2)
    try:
        if left.button("Préparer le PDF", icon=":material/picture_as_pdf:", key="digest_prepare"):
            with st.spinner("Préparation de la synthèse…"):
                st.session_state[DIGEST_KEY] = Digest.build_digest(who, pid, month)
        if right.button("Envoyer la synthèse", icon=":material/send:", key="digest_send",
                        disabled=not Digest.mail_configured(),
                        help=None if Digest.mail_configured() else "Aucun serveur de courriel n'est configuré "
                                                                    "(réglage QEP_SMTP_HOST)."):
            with st.spinner("Envoi…"):
                deliveries = Digest.send_digest(who, pid, month, [recipients])
            for d in deliveries:
                shown = st.error if d.state in (Digest.FAILED, Digest.NOT_TRIED) else st.success
                shown(f"{plain(d.address)} : {plain(d.text)}")
    except (Digest.DigestError, Digest.MailError, services.AccessDenied) as exc:
        st.error(plain(exc))
    built = st.session_state.get(DIGEST_KEY)
    if built is not None and built.month == month:
        st.download_button(f"Télécharger {plain(built.file_name)}", built.pdf, built.file_name, "application/pdf",
                           icon=":material/download:", on_click="ignore", key="digest_download")
        st.text(built.summary)
