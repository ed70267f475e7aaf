"""Widgets of the « Signaux » page (:mod:`qep_core.signals.alerts`): the alerts imports raised,
each linking to its indicator, and — for the référent(e) qualité — who is told of them by e-mail.

Why the subscriptions live here and not in Paramètres: they are read beside the alerts they
concern (what would this address have received?), and the page already needs the same right to
send the e-mails left unsent. Paramètres keeps the préfecture's own settings.

Texts from data (indicator labels, sentences, addresses) go through :func:`qep_ui.widgets.plain`;
writes go through :mod:`qep_core.services.alerts`, which checks the right and writes the history.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.frenchforms import MONTH_NAMES_FR, count_text, month_label_fr
from qep_ui.auth import actor, principal
from qep_ui.state import View
from qep_ui.widgets import plain

alerts = services.alerts
KIND_LABELS = alerts.KIND_LABELS
KIND_ICONS = {"seuil": ":material/warning:", "cible": ":material/flag:", "spc": ":material/do_not_disturb_on:"}
FLASH_KEY = "_alerts_flash"
SHOWN = 100
SCOPES = {"all": "Tous les indicateurs", "module": "Un module", "indicator": "Un indicateur"}


def _flash(kind: str, message: str) -> None:
    st.session_state.setdefault(FLASH_KEY, []).append((kind, message))
    st.rerun()


def show_flash() -> None:
    for kind, message in st.session_state.pop(FLASH_KEY, []):
        (st.success if kind == "success" else st.warning)(plain(message))


def indicator_link(view: View, line: alerts.AlertLine) -> dict[str, str]:
    """The query of the Indicateurs page opened on the alert's indicator and month."""
    return {"pref": view.prefecture.code, "ind": line.indicator_code, "annee": str(line.month.year), "vue": "mois",
            "mois": str(line.month.month)}


def alert_card(view: View, line: alerts.AlertLine, key: int) -> None:
    with st.container(border=True, key=f"alert-{key}"):
        st.markdown(f"{KIND_ICONS.get(line.kind, '')} **{plain(line.label)}** — {month_label_fr(line.month)} · "
                    f"{plain(line.kind_label)}")
        st.markdown(plain(line.message))
        st.page_link("pages/indicateurs.py", label=f"Voir l'indicateur {plain(line.indicator_code)} en "
                     f"{MONTH_NAMES_FR[line.month.month - 1]} {line.month.year}", icon=":material/monitoring:",
                     query_params=indicator_link(view, line))
        st.caption(f"Relevé le {line.created_at:%d/%m/%Y à %H:%M}")


def alerts_section(view: View) -> None:
    """The recent alerts, newest first, filtered by kind."""
    if principal().perimetre_ids is not None:
        st.info("Les signaux portent sur la préfecture entière (tous les périmètres réunis) : ils sont montrés au "
                "référent qualité et au comité de pilotage. Vos indicateurs sont dans les pages Tableau de bord et "
                "Indicateurs.")
        return
    chosen = st.pills("Sortes de signaux", list(KIND_LABELS), selection_mode="multi", default=list(KIND_LABELS),
                      format_func=lambda k: KIND_LABELS[k].capitalize(), key="alert-kinds")
    rows = alerts.list_alerts(actor(), view.prefecture.id or 0, kinds=chosen or ())
    if not rows:
        st.info("Aucun signal : aucun import n'a fait franchir un seuil d'alerte ou une cible, ni apparaître une "
                "préoccupation sur une carte de contrôle." if chosen else "Choisissez au moins une sorte de signal.")
        return
    st.caption(f"{count_text(len(rows), 'signal', 'signaux')}, du plus récent au plus ancien"
               + (f" ; les {SHOWN} premiers sont affichés." if len(rows) > SHOWN else "."))
    for i, line in enumerate(rows[:SHOWN]):
        alert_card(view, line, i)


def subscriptions_table(rows: Sequence[alerts.SubscriptionRow]) -> pd.DataFrame:
    return pd.DataFrame([{"Adresse": r.email, "Alertes de": r.scope, "Ajouté par": r.created_by,
                          "Le": r.created_at.replace(tzinfo=None)} for r in rows],
                        columns=["Adresse", "Alertes de", "Ajouté par", "Le"])


def _subscribe_form(view: View, codes: dict[str, str], modules: dict[str, str]) -> None:
    scope = st.radio("Alertes de", list(SCOPES), format_func=SCOPES.__getitem__, horizontal=True, key="sub-scope")
    with st.form("subscribe", clear_on_submit=True):
        email = st.text_input("Adresse de courriel", max_chars=254, placeholder="qualite@departement.gouv.fr")
        indicator = module = None
        if scope == "indicator":
            indicator = st.selectbox("Indicateur", list(codes), format_func=lambda c: f"{codes[c]} ({c})")
        elif scope == "module":
            module = st.selectbox("Module", list(modules), format_func=lambda c: f"{c} — {modules[c]}")
        if st.form_submit_button("Abonner", icon=":material/notifications_active:"):
            try:
                row = alerts.subscribe(actor(), view.prefecture.id or 0, email, indicator, module)
            except (alerts.AlertError, services.AccessDenied) as exc:
                st.error(plain(exc))
                return
            _flash("success", f"{row.email} recevra les alertes : {row.scope}.")


def subscriptions_section(view: View) -> None:
    """Who is told by e-mail, add and remove; the e-mails left unsent sent again."""
    st.subheader("Abonnements aux alertes par courriel")
    if not alerts.mail_configured():
        st.warning("Courriels désactivés : aucun serveur de courriel n'est configuré (QEP_SMTP_HOST). Les alertes "
                   "sont enregistrées et listées ici ; les courriels partiront une fois le serveur configuré "
                   "(bouton ci-dessous ou « python -m qep_core alerts send »).")
    st.caption("Chaque abonné reçoit un courriel par import qui lève des alertes le concernant, jamais deux fois ; "
               "il n'y trouve que des chiffres, des libellés d'indicateurs et des mois.")
    pid = view.prefecture.id or 0
    rows = alerts.subscriptions(actor(), pid)
    if rows:
        st.dataframe(subscriptions_table(rows), hide_index=True, width="stretch", key="subscriptions")
    else:
        st.caption("Aucun abonnement pour l'instant.")
    indicators, _, labelled = services.dashboard.referentiel(actor(), pid)
    codes = {d.code: d.label for d in indicators if d.module_code in labelled}
    titles = services.dashboard.module_titles(actor())
    modules = {m: titles.get(m, m) for m in labelled}
    _subscribe_form(view, codes, modules)
    if rows:
        with st.form("unsubscribe"):
            chosen = st.selectbox("Abonnement à retirer", range(len(rows)),
                                  format_func=lambda i: f"{rows[i].email} — {rows[i].scope}")
            if st.form_submit_button("Retirer", icon=":material/notifications_off:"):
                row = rows[chosen]
                alerts.unsubscribe(actor(), pid, row.email, row.indicator_code or None, row.module_code or None)
                _flash("success", f"Abonnement retiré : {row.email} ({row.scope}).")
    if st.button("Envoyer les courriels d'alerte en attente", icon=":material/send:", key="send-pending"):
        report = alerts.send_pending(actor(), pid)
        _flash("warning" if report.unsent else "success", report.text())
