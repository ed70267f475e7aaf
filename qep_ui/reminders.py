"""The « Relances » section of the Collecte page: for the month shown, each late or partial
service's reminder — its contacts, an editable subject and body, its own sheet to download and
check —, one button that sends those ticked (never twice the same day to the same service), what
became of each, and the log of reminders sent.

Names, addresses and subjects come from forms: shown through :func:`qep_ui.widgets.plain` or in
``st.dataframe`` (raw text). Sending goes through :mod:`qep_core.services.reminders` (the right —
the référente's ``edit_settings`` — and the history line are checked there).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.frenchforms import MONTH_NAMES_FR, count_text
from qep_ui.auth import actor, allowed
from qep_ui.widgets import plain

reminders = services.reminders
NO_SERVER = "Aucun serveur de courriel n'est configuré (réglage QEP_SMTP_HOST) : les relances ne peuvent pas partir."
NOT_ALLOWED = "Seul(e) le ou la référent(e) qualité de la préfecture envoie les relances."


def log_table(lines: Sequence[services.reminders.LogLine]) -> pd.DataFrame:
    return pd.DataFrame([{"Envoyée le": line.sent_at.replace(tzinfo=None), "Service": line.perimetre,
                          "Destinataires": line.recipients, "Objet": line.subject, "Pièce jointe": line.attachments,
                          "Par": line.sent_by} for line in lines],
                        columns=["Envoyée le", "Service", "Destinataires", "Objet", "Pièce jointe", "Par"])


def reminders_section(prefecture_id: int, month: dt.date, as_of: dt.date) -> None:
    """The month's reminders as of *as_of*, previewed, edited, sent; then the log since that month."""
    st.subheader("Relances")
    label = f"{MONTH_NAMES_FR[month.month - 1]} {month.year}"
    previews = reminders.reminders(actor(), prefecture_id, month, as_of)
    if not previews:
        st.caption(f"Aucun service à relancer pour {label} au {as_of:%d/%m/%Y} : tout est reçu ou pas encore dû.")
    else:
        _previews(prefecture_id, month, as_of, previews)
    st.markdown("**Relances envoyées**")
    log = reminders.reminder_log(actor(), prefecture_id, since=month)
    if log:
        st.dataframe(log_table(log), hide_index=True, width="stretch", key=f"relances-log-{prefecture_id}",
                     column_config={"Envoyée le": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm")})
    else:
        st.caption(f"Aucune relance envoyée depuis le 1er {label}.")


def _previews(prefecture_id: int, month: dt.date, as_of: dt.date, previews: Sequence[services.reminders.Preview]) -> None:
    can_send = allowed("edit_settings")
    st.caption(f"{count_text(len(previews), 'service à relancer', 'services à relancer')} au {as_of:%d/%m/%Y} "
               "(en retard ou partiels). Chaque message part à ses seuls contacts, avec son propre tableau de suivi "
               "du mois ; un service n'est jamais relancé deux fois le même jour.")
    edits: dict[int, tuple[str, str]] = {}
    chosen: list[int] = []
    for preview in previews:
        r = preview.reminder
        key = f"{prefecture_id}-{month:%Y%m}-{as_of:%Y%m%d}-{r.perimetre_id}"
        with st.container(border=True):
            st.markdown(f"**{plain(r.perimetre)}** — {plain(r.status)} — manque : {plain(', '.join(r.missing))}")
            st.caption(f"À : {plain(', '.join(r.to))}")
            if preview.sent_at is not None:
                st.caption(f"Déjà relancé aujourd'hui à {preview.sent_at:%H:%M}.")
            include = st.checkbox("Inclure dans l'envoi", value=preview.sent_at is None, disabled=not can_send,
                                  key=f"relance-include-{key}")
            subject = st.text_input("Objet", value=r.subject, max_chars=300, disabled=not can_send,
                                    key=f"relance-subject-{key}")
            body = st.text_area("Message", value=r.body, height=260, max_chars=5000, disabled=not can_send,
                                key=f"relance-body-{key}")
            st.download_button(f"Pièce jointe : {plain(r.attachment.filename)}", r.attachment.content,
                               r.attachment.filename, r.attachment.mime, icon=":material/download:", on_click="ignore",
                               key=f"relance-sheet-{key}")
        edits[r.perimetre_id] = (subject, body)
        if include:
            chosen.append(r.perimetre_id)
    configured = reminders.mail_configured()
    reason = NOT_ALLOWED if not can_send else (NO_SERVER if not configured else None)
    if reason is not None:
        st.caption(plain(reason))
    if st.button("Envoyer les relances", type="primary", icon=":material/send:", disabled=reason is not None or not chosen,
                 help=reason, key=f"relance-send-{prefecture_id}-{month:%Y%m}"):
        try:
            with st.spinner("Envoi des relances…"):
                outcomes = reminders.send_reminders(actor(), prefecture_id, month, as_of, edits, chosen)
        except (reminders.MailError, services.AccessDenied) as exc:
            st.error(plain(exc), icon=":material/error:")
            return
        for o in outcomes:
            shown = st.error if o.state == reminders.FAILED else st.success
            shown(plain(f"{o.perimetre} ({', '.join(o.to)}) : {o.text}"))
