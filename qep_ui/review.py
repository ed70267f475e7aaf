"""Widgets of the "Revue trimestrielle" page: the quarter's table, slips, what the rest of the year
must achieve, control-chart signals, the COPIL's comments and actions, freezing (kept out of the page script)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.frenchforms import count_text
from qep_core.periods import quarter_of, quarter_period
from qep_core.rules import NON_ATTEINT, format_change, status_text
from qep_ui.auth import actor
from qep_ui.importing import flash
from qep_ui.state import View
from qep_ui.widgets import assurance_text, markdown_cells, plain, variation_text

Review = services.review
ReviewLine = Review.ReviewLine
ReviewView = Review.ReviewView
A_ATTEINDRE, ACQUIS, HORS_ATTEINTE = Review.A_ATTEINDRE, Review.ACQUIS, Review.HORS_ATTEINTE
signal_text, ytd_label = Review.signal_text, Review.ytd_label

QUARTER_KEY = "revue_trim"


def choose_quarter(view: View) -> int:
    """The quarter of the sidebar's year: the sidebar's own when it shows a quarter, else the latest with data."""
    year = view.period.end.year
    default = 4
    if view.period.kind == "quarter":
        default = view.period.quarter
    elif view.last_month is not None and view.last_month.year == year:
        default = quarter_of(view.last_month.month)
    if st.session_state.get(f"{QUARTER_KEY}_year") != year:  # a new year: back to its default quarter
        st.session_state[QUARTER_KEY] = default
        st.session_state[f"{QUARTER_KEY}_year"] = year
    return int(st.selectbox("Trimestre", [1, 2, 3, 4], key=QUARTER_KEY,
                            format_func=lambda q: quarter_period(year, q).label))


def load(view: View, quarter: int) -> ReviewView:
    """The review of the quarter as this user may see it (the service cuts it to the user)."""
    return Review.quarter_review(actor(), view.prefecture.id or 0, view.period.end.year, quarter)


def _change(line: ReviewLine) -> str:
    return format_change(line.change, line.unit)


def review_table(rv: ReviewView) -> pd.DataFrame:
    r = rv.review
    q_label, prev_label = f"T{r.quarter} {r.year}", f"T{r.quarter} {r.year - 1}"
    return pd.DataFrame([{
        "Recul": "⚠ recul" if x.slipped else "",
        "Indicateur": x.label,
        q_label: x.text(x.quarter_value),
        "Statut": status_text(x.quarter_status),
        prev_label: x.text(x.previous_value),
        "Évolution": _change(x),
        ytd_label(r.year, r.quarter).capitalize(): x.text(x.ytd_value),
        "Statut du cumul": status_text(x.ytd_status),
        "Cible": x.target_text,
        "Reste de l'année": x.requirement.state if x.requirement else "–",
        "Variation": variation_text(x.variation),
        "Assurance": assurance_text(x.assurance) if x.variation is not None else "–",
    } for x in r.lines])


def quarter_table(rv: ReviewView) -> None:
    """The quarter's table, every row and every word shown (no inner scroll, no cut cell)."""
    st.table(markdown_cells(review_table(rv)), hide_index=True, border="horizontal")


def headline(rv: ReviewView) -> None:
    r = rv.review
    lines = r.lines
    cols = st.columns(4)
    cols[0].metric("Indicateurs en recul", sum(x.slipped for x in lines), border=True,
                   help="Statut moins bon qu'au même trimestre un an plus tôt, ou baisse d'au moins 2 points "
                        "(10 % pour un délai ou un nombre).")
    cols[1].metric("Non atteints ce trimestre", sum(x.quarter_status == NON_ATTEINT for x in lines), border=True)
    cols[2].metric("Cibles annuelles hors d'atteinte",
                   sum(1 for x in lines if x.requirement and x.requirement.state == HORS_ATTEINTE), border=True)
    cols[3].metric("Signaux", sum(len(x.signals) for x in lines), border=True,
                   help=f"Mois du trimestre que la carte de contrôle signale : {Review.signals_summary(lines)}. "
                        "Un signal est un mois hors de la variation habituelle de l'indicateur (voir « Signaux »).")


def status_banner(rv: ReviewView) -> None:
    r = rv.review
    if r.frozen:
        day = dt.date.fromisoformat(r.meeting_date).strftime("%d/%m/%Y") if r.meeting_date else "?"
        st.success(f"Revue figée : ce sont les chiffres, commentaires et actions présentés au COPIL du {day}"
                   f"{' (figée par ' + plain(r.frozen_by) + ')' if r.frozen_by else ''}.", icon=":material/lock:")
        if rv.changed_note:
            st.warning(plain(rv.changed_note), icon=":material/sync_problem:")
            with st.expander("Valeurs présentées en séance et valeurs d'aujourd'hui"):
                st.dataframe(pd.DataFrame([{"Indicateur": c.label, "Présenté au COPIL": c.frozen_text,
                                            "Aujourd'hui": c.live_text} for c in rv.changes]), hide_index=True)
    else:
        st.info("Revue en préparation : les chiffres suivent les imports. Une fois le COPIL réuni, figez-la "
                "pour en garder le procès-verbal.", icon=":material/edit_note:")


def slips_section(rv: ReviewView) -> None:
    slipped = [x for x in rv.review.lines if x.slipped]
    st.subheader("Ce qui a reculé")
    if not slipped:
        st.caption("Aucun indicateur n'a reculé par rapport au même trimestre un an plus tôt.")
    for x in slipped:
        st.markdown(f"- **{plain(x.label)}** : {plain(x.text(x.quarter_value))} — {plain(x.slip_reason)}")


def requirements_section(rv: ReviewView) -> None:
    st.subheader("Cibles annuelles : ce que doivent faire les mois restants")
    rows = [(x, req) for x in rv.review.lines
            if (req := x.requirement) is not None and req.state in (A_ATTEINDRE, HORS_ATTEINTE, ACQUIS)]
    if not rows:
        st.caption("Pas de cible annuelle encore ouverte pour ce trimestre (année close ou pas de donnée).")
        return
    st.table(markdown_cells(pd.DataFrame([{
        "Indicateur": x.label, "Cumul": x.text(x.ytd_value), "Cible": x.target_text, "Situation": req.state,
        "Il faut": x.need_text, "Détail": req.text,
    } for x, req in rows])), hide_index=True, border="horizontal")
    st.caption("Comment c'est calculé : aux comptes de l'année à ce jour, on ajoute le volume attendu des mois "
               "restants (celui des mêmes mois l'an dernier, sinon le rythme de l'année), puis on cherche le résultat "
               "que ces mois doivent tenir pour que l'année entière atteigne sa cible. Au-delà de 100 %, la cible "
               "est hors d'atteinte ; si même un résultat nul suffit, elle est acquise.")


SIGNALS_METHOD = ("Comment c'est calculé : pour chaque indicateur mensuel, une carte de contrôle sur les 24 mois "
                  "qui finissent avec le trimestre ; ses limites (la variation habituelle) viennent des 12 premiers. "
                  "Un mois est un signal s'il sort des limites, s'il fait partie de 7 mois de suite du même côté de "
                  "la moyenne ou en hausse (ou en baisse) continue, ou si 2 mois sur 3 sont près d'une limite. "
                  "L'assurance dit si la cible sera tenue si rien ne change.")


def signals_section(rv: ReviewView) -> None:
    """The quarter's special-cause months (improvement, concern), each indicator's latest
    variation and assurance in sentences; symbol and word together, never colour alone."""
    lines = rv.review.lines
    st.subheader("Signaux")
    st.markdown(f"**Ce trimestre : {plain(Review.signals_summary(lines))}.**")
    flagged = [x for x in lines if x.signals]
    if not flagged:
        st.caption("Aucun mois du trimestre ne sort de la variation habituelle de son indicateur.")
    for x in flagged:
        months = "".join(f"\n  - {plain(signal_text(s, x.unit))}" for s in x.signals)
        sentences = f"\n  - *{plain(x.variation_text)} {plain(x.assurance_text)}*" if x.variation_text else ""
        st.markdown(f"- **{plain(x.label)}**{months}{sentences}")
    charted = [x for x in lines if x.variation is not None]
    if charted:
        with st.expander("Variation et assurance de chaque indicateur, en une phrase"):
            st.table(markdown_cells(pd.DataFrame([{
                "Indicateur": x.label, "Variation": variation_text(x.variation), "Assurance": assurance_text(x.assurance),
                "Ce que cela veut dire": f"{x.variation_text} {x.assurance_text}",
            } for x in charted])), hide_index=True, border="horizontal")
    elif rv.review.frozen:
        st.caption("Revue figée avant les cartes de contrôle : ni variation ni assurance n'ont été présentées en séance.")
    st.caption(SIGNALS_METHOD)


def analysis_section(view: View, rv: ReviewView) -> None:
    """The COPIL's general analysis of the quarter: it opens the deck's review slides, the bilan's
    review and the minutes."""
    r = rv.review
    st.subheader("Analyse générale du COPIL")
    if r.frozen or not view.principal.can("comment"):
        if r.analysis:
            st.text(r.analysis)
        elif not view.principal.public_only:
            st.caption("Aucune analyse générale n'a été enregistrée pour cette revue.")
        return
    with st.form("review_analysis"):
        text = st.text_area("Analyse générale du trimestre (reprise dans le diaporama, le bilan et le procès-verbal)",
                            value=r.analysis, key=f"analysis_{r.year}_{r.quarter}", height=110, max_chars=8000)
        if st.form_submit_button("Enregistrer l'analyse", icon=":material/save:"):
            if text.strip() == r.analysis:
                flash("info", "L'analyse n'a pas changé.")
                st.rerun()
            _write(lambda who: Review.save_analysis(who, view.prefecture.id or 0, r.year, r.quarter, text),
                   "Analyse générale enregistrée.")


def comments_section(view: View, rv: ReviewView, user: str) -> None:
    r = rv.review
    st.subheader("Analyse du COPIL, indicateur par indicateur")
    if r.frozen or not view.principal.can("comment"):
        commented = [x for x in r.lines if x.comment]
        if not commented:
            st.caption("Aucun commentaire n'a été enregistré pour cette revue.")
        for x in commented:
            with st.container(border=True):
                st.text(f"{x.label} — {x.text(x.quarter_value)}")
                st.text(x.comment)
        return
    with st.form("review_comments"):
        texts = {}
        for x in r.lines:
            texts[x.code] = st.text_area(plain(f"{x.label} — {x.text(x.quarter_value)} ({x.quarter_status})"), value=x.comment,
                                         key=f"comment_{r.year}_{r.quarter}_{x.code}", height=68, max_chars=4000)
        if st.form_submit_button("Enregistrer les commentaires", icon=":material/save:"):
            changed = {code: text for code, text in texts.items()
                       if text.strip() != rv.review.line(code).comment}  # type: ignore[union-attr]
            if not changed:
                flash("info", "Aucun commentaire n'a changé.")
                st.rerun()
            _write(lambda who: Review.save_comments(who, view.prefecture.id or 0, r.year, r.quarter, changed),
                   f"{count_text(len(changed), 'commentaire enregistré', 'commentaires enregistrés')}.")


def actions_section(view: View, rv: ReviewView) -> None:
    r = rv.review
    st.subheader("Actions décidées")
    labels = {x.code: x.label for x in r.lines}
    if r.actions:
        for a in r.actions:
            cols = st.columns([6, 1])
            due = f" · échéance {dt.date.fromisoformat(a.due_date):%d/%m/%Y}" if a.due_date else ""
            owner = f" · {plain(a.owner)}" if a.owner else ""
            planned = " · :material/checklist: inscrite au plan d'actions" if a.action_id else ""
            cols[0].markdown(f"- {plain(a.text)} — *{plain(labels.get(a.indicator_code or '', 'toute la démarche'))}*{owner}{due}"
                             f"{planned}")
            if not r.frozen and a.id is not None and view.principal.can("comment") and cols[1].button("Retirer", key=f"del_action_{a.id}",
                                                                    icon=":material/delete:"):
                _write(partial(Review.delete_action, prefecture_id=view.prefecture.id or 0, action_id=a.id),
                       "Action retirée.")
    else:
        st.caption("Aucune action décidée pour ce trimestre.")
    if r.frozen or not view.principal.can("comment"):
        return
    st.caption("Chaque action décidée est inscrite au plan d'actions (source « COPIL »), où son avancement est suivi.")
    with st.form("review_action", clear_on_submit=True):
        text = st.text_area("Nouvelle action", max_chars=2000, height=68,
                            placeholder="Ex. : renfort du standard aux heures de pointe du lundi")
        fields = st.columns(3)
        code = fields[0].selectbox("Indicateur concerné", ["", *labels], format_func=lambda c: labels.get(c, "—"))
        owner = fields[1].text_input("Pilote", max_chars=200)
        due_date = fields[2].date_input("Échéance", value=None, format="DD/MM/YYYY")
        if st.form_submit_button("Ajouter l'action", icon=":material/add_task:"):
            _write(lambda who: Review.add_action(who, view.prefecture.id or 0, r.year, r.quarter, text,
                                                 indicator_code=code or None, owner=owner, due_date=due_date),
                   "Action ajoutée.")


def freeze_section(view: View, rv: ReviewView, user: str) -> None:
    r = rv.review
    st.subheader("Procès-verbal")
    if r.frozen and r.attendees:
        st.text("Participants : " + " ; ".join(r.attendees.splitlines()))
    if r.frozen and view.principal.can("export_internal"):
        minutes_download(view, rv)
    if not view.principal.can("comment"):
        st.caption("Revue figée par le COPIL." if r.frozen else "Revue en préparation : elle sera figée après la réunion.")
        return
    if r.frozen:
        st.caption("Rouvrir la revue la rend de nouveau modifiable ; elle suivra alors les chiffres du moment.")
        confirm = st.checkbox("Je confirme vouloir rouvrir cette revue", key="reopen_confirm")
        if st.button("Rouvrir la revue", disabled=not confirm, icon=":material/lock_open:"):
            _write(lambda who: Review.reopen(who, view.prefecture.id or 0, r.year, r.quarter), "Revue rouverte.")
        return
    cols = st.columns([1, 2])
    meeting = cols[0].date_input("Date de la réunion du COPIL", value=dt.date.today(), format="DD/MM/YYYY",
                                 key="meeting_date")
    attendees = cols[1].text_area("Participants (un par ligne)", value=r.attendees, height=110, max_chars=4000,
                                  key=f"attendees_{r.year}_{r.quarter}",
                                  placeholder="M. le secrétaire général, président\nRéférente qualité")
    st.caption("Figer la revue enregistre les chiffres, l'analyse, les commentaires, les actions et les participants "
               "tels qu'ils sont : un import ultérieur ne les changera plus, et le procès-verbal devient disponible.")
    if st.button("Figer la revue", type="primary", icon=":material/lock:"):
        _write(lambda who: Review.freeze(who, view.prefecture.id or 0, r.year, r.quarter, meeting,
                                         attendees=attendees.splitlines()),
               "Revue figée : le procès-verbal est enregistré.")


def minutes_download(view: View, rv: ReviewView) -> None:
    """The frozen review's procès-verbal (PDF), made by the same export service as the Exports page."""
    r = rv.review
    key = f"minutes_{view.prefecture.id}_{r.year}_{r.quarter}_{r.frozen_at}"
    if st.button("Préparer le procès-verbal (PDF)", icon=":material/description:", key=f"prepare_{key}"):
        request = services.exports.ExportRequest("pv", r.year, r.quarter, format="pdf")
        try:
            with st.spinner("Mise en page du procès-verbal…"):
                st.session_state[key] = services.exports.build(actor(), view.prefecture.id or 0, request)
        except (services.exports.ExportError, services.AccessDenied) as exc:
            st.error(f"Impossible de préparer le procès-verbal : {exc}.")
    made = st.session_state.get(key)
    if made is not None:
        st.download_button(f"Télécharger {made.name}", made.data, made.name, made.mime, icon=":material/download:",
                           type="primary", on_click="ignore", key=f"download_{key}")


def _write(change: Callable[[services.Actor], object], message: str) -> None:
    """Run one change of the review through its service (which checks the right, writes the
    change and its history line in one transaction), then say how it went after the rerun."""
    try:
        change(actor())
    except (Review.ReviewError, services.AccessDenied) as exc:
        flash("error", str(exc))
    else:
        flash("success", message)
    st.rerun()
