"""The mystery-checks tab of the "Enquêtes" page: results per criterion and channel, over time; the
checks one by one; a check typed in the app; a grid imported from a sheet."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.frenchforms import count_text, format_number_fr
from qep_ui import importing
from qep_ui.auth import actor
from qep_ui.state import View
from qep_ui.surveys import after_write, refusal_shown, version, who
from qep_ui.widgets import download_table, plain, show_issues

# What this module speaks, from the service layer (the UI imports nothing else of the core's).
MYSTERY_CHANNELS = services.mystery.MYSTERY_CHANNELS
RESULT_LABELS = services.mystery.RESULT_LABELS
ImportRejected = services.mystery.ImportRejected
MysteryError = services.mystery.MysteryError
channel_results = services.mystery.channel_results
checks_table = services.mystery.checks_table
criterion_results = services.mystery.criterion_results
mystery_criteria_chart = services.mystery.mystery_criteria_chart
mystery_trend_chart = services.mystery.mystery_trend_chart
pct = services.surveys.pct

PERIODS = {"year": "année", "quarter": "trimestre"}


@st.cache_data(show_spinner=False, max_entries=16)
def _frame(_actor: services.Actor, key: str, pref_id: int, version: str) -> pd.DataFrame:
    return services.mystery.checks(_actor, pref_id)


def checks(view: View) -> pd.DataFrame:
    """The préfecture's checks as the principal may see them (targets and observations masked
    unless ``read_personal``, no observations for a public-only principal)."""
    acting = actor()
    return _frame(acting, who(acting), view.prefecture.id or 0, version(view))


def mystery_section(view: View) -> None:
    frame = checks(view)
    year = view.period.end.year
    st.markdown("Appels, courriels ou visites faits comme le ferait un usager, notés critère par critère : "
                "**respecté**, **non respecté** ou **sans objet** (exclu du taux).")
    if frame.empty:
        st.info("Aucun contrôle mystère enregistré : importez une grille ou saisissez un contrôle ci-dessous.")
    else:
        dates = pd.to_datetime(frame["date"])
        this_year = frame[dates.dt.year == year]
        if this_year.empty:
            st.caption(f"Aucun contrôle en {year} ; les années disponibles sont dans l'évolution ci-dessous.")
        for channel, label in MYSTERY_CHANNELS.items():
            mine = this_year[this_year["channel"] == channel]
            if mine.empty:
                continue
            totals = channel_results(mine, "all")[0]
            st.subheader(f"{label} {year}")
            cols = st.columns(3)
            cols[0].metric("Contrôles", totals.checks)
            ci = totals.ci
            cols[1].metric("Critères respectés", pct(totals.rate),
                           help=(f"{totals.met} sur {totals.met + totals.not_met} critères notés (sans objet : "
                                 f"{totals.na}) ; intervalle à 95 % : {format_number_fr(ci[0], 1)} – "
                                 f"{format_number_fr(ci[1], 1)} %") if ci else None)
            cols[2].metric("Contrôles sans aucun manquement", f"{totals.fully_met} / {totals.checks}")
            results = criterion_results(mine)
            st.plotly_chart(mystery_criteria_chart(f"{label} {year} — par critère", results),
                            config={"displayModeBar": False}, key=f"mystery-criteria-{channel}")
            with st.expander("Tableau par critère (alternative au graphique)"):
                table = pd.DataFrame([{"Critère": r.criterion, "Respecté": r.met, "Non respecté": r.not_met,
                                       "Sans objet": r.na, "Taux": pct(r.rate)} for r in results])
                st.dataframe(table, hide_index=True, width="stretch", key=f"mystery-table-{channel}")
                download_table(table, f"controles-mysteres-{channel}-{year}", key=f"mystery-dl-{channel}")
            with st.expander(f"Les {totals.checks} contrôles un par un"):
                public_only = actor().principal.public_only
                checks_list = checks_table(mine, masked=False)  # already cut to the principal by the service
                if public_only:
                    checks_list = checks_list.drop(columns=["Observations"], errors="ignore")
                st.dataframe(checks_list, hide_index=True, width="stretch", key=f"mystery-checks-{channel}",
                             column_config={"Date": st.column_config.DateColumn(format="DD/MM/YYYY")})
                public = checks_table(mine, masked=True)
                if public_only:
                    public = public.drop(columns=["Observations"], errors="ignore")
                download_table(public, f"controles-mysteres-{channel}-{year}-detail",
                               key=f"mystery-checks-dl-{channel}")
        st.subheader("Évolution")
        by = st.segmented_control("Par", ["year", "quarter"], format_func=lambda b: PERIODS[b],
                                  default="year", key="mystery-by", required=True)
        trend = channel_results(frame, by or "year")
        st.plotly_chart(mystery_trend_chart("Critères respectés, par canal", trend), config={"displayModeBar": False},
                        key="mystery-trend")
        with st.expander("Tableau de l'évolution (alternative au graphique)"):
            st.dataframe(pd.DataFrame([{"Canal": MYSTERY_CHANNELS[r.channel], "Période": r.period, "Contrôles": r.checks,
                                        "Critères respectés": pct(r.rate), "Sans aucun manquement": r.fully_met}
                                       for r in trend]), hide_index=True, width="stretch", key="mystery-trend-table")
        if services.mystery.can_enter(actor()):
            delete_section(view, frame)
    if services.mystery.can_enter(actor()):
        with st.expander("Saisir un contrôle"):
            entry_section(view)
    if services.mystery.can_import(actor()):
        with st.expander("Importer une grille de contrôles"):
            import_section(view)


def delete_section(view: View, frame: pd.DataFrame) -> None:
    typed = frame[frame["batch_id"].isna()].drop_duplicates("check_id")
    if typed.empty:
        return
    with st.expander("Supprimer un contrôle saisi"):
        labels = {int(r.check_id): f"n° {int(r.check_id)} — {r.date:%d/%m/%Y} — {MYSTERY_CHANNELS[r.channel]} — "
                                   f"{r.target}" for r in typed.itertuples(index=False)}
        choices: list[int] = list(labels)
        chosen: int | None = st.selectbox("Contrôle", choices, format_func=lambda c: labels[c],
                                          key="mystery-delete-choice")
        if chosen is not None and st.button("Supprimer", key="mystery-delete", icon=":material/delete:"):
            with refusal_shown():
                services.mystery.delete_check(actor(), view.prefecture.id or 0, chosen)
            importing.flash("success", f"Contrôle n° {chosen} supprimé.")
            after_write()
            st.rerun()


def entry_section(view: View) -> None:
    channel = st.segmented_control("Canal", list(MYSTERY_CHANNELS), format_func=lambda c: MYSTERY_CHANNELS[c], default="appel",
                                   key="mystery-entry-channel", required=True) or "appel"
    criteria = services.mystery.criteria(actor(), view.prefecture.id or 0, channel)
    with st.container(border=True):
        st.markdown(f"**Grille des {MYSTERY_CHANNELS[channel].lower()}** ({count_text(len(criteria), 'critère')})")
        for c in criteria:
            st.markdown(f"- {plain(c.label)}")
        new = st.text_input("Nouveau critère", key=f"mystery-new-criterion-{channel}",
                            placeholder="p. ex. Décroché en moins de 5 sonneries")
        if st.button("Ajouter le critère", key=f"mystery-add-criterion-{channel}", disabled=not new.strip()):
            try:
                with refusal_shown():
                    services.mystery.add_criterion(actor(), view.prefecture.id or 0, channel, new)
            except MysteryError as exc:
                st.error(plain(exc))
            else:
                importing.flash("success", f"Critère « {new.strip()} » ajouté.")
                after_write()
                st.rerun()
    if not criteria:
        return
    options = list(RESULT_LABELS)
    with st.form(f"mystery-entry-{channel}", clear_on_submit=True):
        cols = st.columns(2)
        day = cols[0].date_input("Date du contrôle", value=dt.date.today(), max_value=dt.date.today(),
                                 format="DD/MM/YYYY")
        target = cols[1].text_input("Service contacté", placeholder="standard, bureau du séjour, boîte fonctionnelle…")
        scores = {}
        for c in criteria:
            scores[c.id] = st.radio(plain(c.label), options, format_func=RESULT_LABELS.get, horizontal=True,
                                    key=f"mystery-score-{channel}-{c.id}")
        notes = st.text_area("Observations", placeholder="sans nom d'agent ni coordonnées")
        submitted = st.form_submit_button("Enregistrer le contrôle", type="primary", icon=":material/save:")
    if submitted:
        try:
            with refusal_shown():
                check_id = services.mystery.add_check(actor(), view.prefecture.id or 0, channel, day, target, scores,
                                                      notes)
        except MysteryError as exc:
            st.error(f"Contrôle refusé : {plain(exc)}.")
            return
        importing.flash("success", f"Contrôle n° {check_id} enregistré ({MYSTERY_CHANNELS[channel].lower()}, "
                                   f"{day:%d/%m/%Y}).")
        after_write()
        st.rerun()


def import_section(view: View) -> None:
    st.caption("Une ligne par contrôle, une colonne par critère (oui / non / sans objet, X, 1 / 0, conforme / non "
               "conforme), une colonne « Date » ; le canal vient d'une colonne « Canal », du nom de la feuille "
               "(« Appels mystères ») ou du choix ci-dessous. Les colonnes nommant des personnes ne sont pas conservées.")
    uploaded = importing.spreadsheet_upload("Grille de contrôles mystères", "mystery-upload")
    if uploaded is None:
        return
    channels = [None, *MYSTERY_CHANNELS]
    channel = st.selectbox("Canal (si la grille ne le dit pas)", channels, key="mystery-import-channel",
                           format_func=lambda c: "d'après la grille" if c is None else MYSTERY_CHANNELS[c])
    name, content = uploaded.name, uploaded.getvalue()
    plan = services.mystery.analyse_import(actor(), view.prefecture.id or 0, name, content, channel)
    if plan.already_imported is not None:
        st.info(plain(importing.already_imported_text(plan.already_imported)))
        return
    if not plan.ok:
        st.error("Grille refusée : rien ne sera enregistré.")
        show_issues(plan.errors, key="mystery-errors")
        return
    st.markdown(plain(plan.summary()))
    for ch, labels in plan.criteria.items():
        st.caption(f"{MYSTERY_CHANNELS[ch]} : " + plain(" · ".join(labels)))
    if plan.warnings:
        show_issues(plan.warnings, key="mystery-warnings")
    if st.button("Enregistrer les contrôles", key="mystery-save", type="primary", icon=":material/save:"):
        try:
            with refusal_shown():
                plan, batch = services.mystery.import_checks(actor(), view.prefecture.id or 0, name, content, channel)
        except ImportRejected as exc:
            importing.flash("error", f"{name} : refusé, rien n'a été enregistré.", exc.errors)
        else:
            importing.flash("success" if batch else "info",
                            (f"Enregistré (lot n° {batch.id}) — " if batch else "") + plan.summary())
        after_write()
        st.rerun()
