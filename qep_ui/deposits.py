"""The Import page as a service's collection page, and the référente's deposits to validate.

* **Vos envois** (a contributor): what its périmètres are expected to send (Paramètres › Collecte
  mensuelle), each recent month's status on the collection board, and its own tracking sheet for
  a month, pre-filled with its périmètre and indicators — the file its reminders carry.
* **Vos dépôts** (a contributor): its deposits and their fate — waiting, validated (batch n°),
  sent back with the référente's comment, withdrawn; a waiting one can be withdrawn.
* **Dépôts à valider** (the référente): each waiting deposit, what it would change now, and the
  two answers — validate (imported at that moment) or send back with a comment.

Every read and write goes through :mod:`qep_core.services.deposits` and
:mod:`qep_core.services.collection`; file names, names and comments are shown as raw text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.frenchforms import count_text, month_label_fr
from qep_core.periods import add_months, month_start
from qep_ui import data, importing
from qep_ui.auth import actor, principal
from qep_ui.settings import flash as settings_flash
from qep_ui.state import View
from qep_ui.widgets import plain, show_issues

deposits = services.deposits
DepositView = deposits.DepositView
KNOWN_ERRORS = (deposits.DepositError, services.AccessDenied, services.collection.CollectionError)
RECENT_MONTHS = 3


def is_contributor() -> bool:
    """A principal limited to some périmètres: its Import page is its collection page."""
    return principal().perimetre_ids is not None


def collected_months(today: dt.date | None = None) -> list[dt.date]:
    """The months a service is chased for now, newest first: last month (due this month) and the
    two before it."""
    last = add_months(month_start(today or dt.date.today()), -1)
    return [add_months(last, -i) for i in range(RECENT_MONTHS)]


def _when(stamp: dt.datetime | None) -> str:
    return importing.paris_time(stamp)


def _months_text(months: Sequence[dt.date]) -> str:
    if not months:
        return "—"
    first, last = months[0], months[-1]
    return month_label_fr(first) if first == last else f"{month_label_fr(first)} – {month_label_fr(last)}"


# --- a contributor: what it owes, its sheet ------------------------------------------------------

def supplies_table(records: Sequence[services.collection.SupplyRecord]) -> pd.DataFrame:
    return pd.DataFrame([{"Périmètre": r.perimetre, "Mois": month_label_fr(r.month), "Statut": r.look.label,
                          "Attendus": ", ".join(r.expected), "Manquants": ", ".join(r.missing) or "—",
                          "Échéance": f"{r.due_date:%d/%m/%Y}", "Détail": r.detail()} for r in records],
                        columns=["Périmètre", "Mois", "Statut", "Attendus", "Manquants", "Échéance", "Détail"])


def supplies_section(view: View, today: dt.date | None = None) -> None:
    """« Vos envois »: the statuses of its recent months, and its own sheet to download."""
    pid = view.prefecture.id or 0
    months = collected_months(today)
    records = services.collection.board(actor(), pid, months[-1], months[0], today)
    if not records:
        st.caption("Aucun envoi mensuel n'est déclaré pour vos périmètres (Paramètres › Collecte mensuelle, auprès du "
                   "référent qualité) : importez vos tableaux de suivi ci-dessous, avec le modèle complet en bas de "
                   "page.")
        return
    records = sorted(records, key=lambda r: (r.perimetre.lower(), -r.month.toordinal()))
    owed = [r for r in records if r.status in (services.collection.EN_RETARD, services.collection.PARTIEL)]
    if owed:
        st.warning(" ; ".join(f"{plain(r.perimetre)} : {month_label_fr(r.month)} {r.look.word}" for r in owed) + ".")
    st.dataframe(supplies_table(records), hide_index=True, width="stretch", key=f"supplies-{pid}")
    perimetres = {r.perimetre_id: r.perimetre for r in records}
    left, right = st.columns(2)
    with left:
        chosen = st.selectbox("Votre tableau de suivi pour", list(perimetres), format_func=lambda i: perimetres[i],
                              key=f"sheet-perimetre-{pid}")
    with right:
        month = st.selectbox("Mois", months, format_func=month_label_fr, key=f"sheet-month-{pid}")
    who = actor()  # the download runs after the script: take the actor now
    try:
        sheet = services.collection.tracking_sheet(who, pid, chosen, month)
    except KNOWN_ERRORS as exc:
        st.caption(plain(exc))
        return
    st.download_button(f"Télécharger votre tableau — {plain(perimetres[chosen])} — {month_label_fr(month)} (Excel)",
                       sheet.content, sheet.filename, sheet.mime, key=f"sheet-download-{pid}",
                       icon=":material/download:", on_click="ignore",
                       help="Déjà au nom de votre périmètre, avec vos indicateurs et la colonne du mois : saisissez vos "
                            "chiffres et déposez-le ci-dessous, tel quel.")


# --- a contributor: its deposits -----------------------------------------------------------------

def deposits_table(rows: Sequence[DepositView]) -> pd.DataFrame:
    return pd.DataFrame([{"N°": d.id, "Déposé le": _when(d.deposited_at), "Fichier": d.file_name,
                          "Par": d.deposited_by, "Périmètres": ", ".join(d.perimetres), "Mois": _months_text(d.months),
                          "Statut": d.status_label, "Traité par": d.reviewed_by or "—",
                          "Lot": f"n° {d.batch_id}" if d.batch_id else "—", "Commentaire": d.comment or ""}
                         for d in rows],
                        columns=["N°", "Déposé le", "Fichier", "Par", "Périmètres", "Mois", "Statut", "Traité par", "Lot",
                                 "Commentaire"])


def own_deposits_section(view: View) -> None:
    """« Vos dépôts »: each one's fate, the comments of those sent back, withdrawing one still waiting."""
    pid = view.prefecture.id or 0
    rows = deposits.deposits(actor(), pid)
    if not rows:
        st.caption("Aucun dépôt pour l'instant." if deposits.validation(actor(), pid) else
                   "La préfecture enregistre vos fichiers dès leur import : aucun dépôt n'attend de validation.")
        return
    for d in rows:
        if d.status == "returned":
            st.error(f"Dépôt n° {d.id} ({plain(d.file_name)}) renvoyé par {plain(d.reviewed_by)} le "
                     f"{_when(d.reviewed_at)} : « {plain(d.comment)} »", icon=":material/reply:")
    st.dataframe(deposits_table(rows), hide_index=True, width="stretch", key=f"own-deposits-{pid}",
                 column_config={"N°": st.column_config.NumberColumn(format="%d")})
    waiting = {d.id: d for d in rows if d.pending and d.deposited_by == principal().author}
    if not waiting:
        return
    chosen = st.selectbox("Retirer un dépôt qui attend encore", list(waiting), index=None, placeholder="Choisissez",
                          format_func=lambda i: f"n° {i} — {waiting[i].file_name}", key=f"withdraw-{pid}")
    if chosen is not None and st.button("Retirer ce dépôt", key=f"withdraw-go-{pid}", icon=":material/undo:"):
        _decide(lambda: deposits.withdraw_deposit(actor(), pid, chosen),
                f"Dépôt n° {chosen} retiré : vous pouvez déposer un fichier corrigé.")


def _decide(step: Callable[[], object], done: str) -> None:
    """A step on a deposit (withdraw, send back): its French refusal here, or its message after the rerun."""
    try:
        step()
    except KNOWN_ERRORS as exc:
        st.error(plain(exc))
        return
    importing.flash("success", done)
    st.rerun()


# --- the référente: deposits to validate ---------------------------------------------------------

def _show_changes(view: View, deposit: DepositView) -> None:
    """What validating would change now: values, replaced values, warnings (nothing written)."""
    try:
        plan = deposits.deposit_plan(actor(), view.prefecture.id or 0, deposit.id)
    except KNOWN_ERRORS as exc:
        st.error(plain(exc))
        return
    if not plan.ok:
        st.error("Ce fichier ne passerait plus l'import tel quel : renvoyez-le au service avec la raison ci-dessous.")
        show_issues(plan.errors, key=f"deposit-errors-{deposit.id}")
        return
    indicators = {d.code: d for d in data.referentiel(view)[0]}
    n = len(plan.replacements)
    st.markdown(f"**{count_text(plan.rows, 'valeur')}** · {count_text(n, 'valeur déjà enregistrée remplacée', 'valeurs déjà enregistrées remplacées')}")
    values, replaced = st.tabs(["Valeurs", f"Remplacements ({n})"])
    with values:
        st.dataframe(importing.preview_table(plan, indicators), hide_index=True, width="stretch",
                     key=f"deposit-values-{deposit.id}")
    with replaced:
        if n:
            st.dataframe(importing.replacements_table(plan, indicators), hide_index=True, width="stretch",
                         key=f"deposit-replaced-{deposit.id}")
        else:
            st.caption("Aucune valeur enregistrée ne serait remplacée.")
    if plan.warnings:
        show_issues(plan.warnings, key=f"deposit-warnings-{deposit.id}")


def _validate(view: View, deposit: DepositView) -> None:
    try:
        outcome = deposits.validate_deposit(actor(), view.prefecture.id or 0, deposit.id)
    except services.imports.ImportRejected as exc:
        importing.flash("error", f"Dépôt n° {deposit.id} ({exc.file_name}) : refusé à l'import, rien n'a été "
                                 "enregistré ; il attend toujours et peut être renvoyé au service.", exc.errors)
    except KNOWN_ERRORS as exc:
        importing.flash("error", str(exc))
    else:
        batch = f"lot n° {outcome.batch.id}" if outcome.batch is not None else "valeurs déjà enregistrées"
        importing.flash("success", f"Dépôt n° {deposit.id} de {deposit.deposited_by} validé ({batch}) — "
                                   f"{outcome.plan.summary()}")
        importing.flash_alerts(outcome)
    importing.after_write()
    st.rerun()


def pending_card(view: View, deposit: DepositView) -> None:
    with st.expander(f"n° {deposit.id} — {plain(deposit.file_name)} — {plain(deposit.deposited_by)}, "
                     f"{_when(deposit.deposited_at)}", icon=":material/pending_actions:"):
        st.markdown(f"**Périmètres :** {plain(', '.join(deposit.perimetres) or '—')} · **Mois :** "
                    f"{_months_text(deposit.months)}")
        st.caption(plain(deposit.summary))
        if st.toggle("Voir ce qu'il changerait", key=f"deposit-show-{deposit.id}"):
            _show_changes(view, deposit)
        left, right = st.columns(2)
        with left:
            if st.button("Valider", key=f"deposit-validate-{deposit.id}", type="primary", icon=":material/check:",
                         help="Importe le fichier maintenant, au nom du service ; ses chiffres comptent dès lors."):
                _validate(view, deposit)
        with right, st.form(f"deposit-return-{deposit.id}", border=False):
            comment = st.text_area("Commentaire pour le service", key=f"deposit-comment-{deposit.id}",
                                   max_chars=deposits.MAX_COMMENT_CHARS, height=80,
                                   placeholder="Ce qu'il faut corriger avant de déposer à nouveau")
            if st.form_submit_button("Renvoyer au service", icon=":material/reply:"):
                _decide(lambda: deposits.return_deposit(actor(), view.prefecture.id or 0, deposit.id, comment),
                        f"Dépôt n° {deposit.id} renvoyé à {deposit.deposited_by} avec votre commentaire.")


def validation_section(view: View) -> None:
    """« Dépôts à valider »: the référente's list; decided deposits below, for the record."""
    pid = view.prefecture.id or 0
    rows = deposits.deposits(actor(), pid)
    waiting = [d for d in rows if d.pending]
    on = deposits.validation(actor(), pid)
    if not on and not rows:
        return  # the préfecture does not validate and never did: nothing to say here
    st.header(f"Dépôts à valider ({len(waiting)})", divider="blue")
    if not waiting:
        st.caption("Aucun dépôt n'attend votre validation." + ("" if on else
                   " La validation des dépôts des services est désactivée (Paramètres › Collecte mensuelle) : leurs "
                   "fichiers sont enregistrés dès leur import."))
    for deposit in waiting:
        pending_card(view, deposit)
    decided = [d for d in rows if not d.pending]
    if decided:
        with st.expander(f"Dépôts traités ({len(decided)})"):
            st.dataframe(deposits_table(decided), hide_index=True, width="stretch", key=f"decided-deposits-{pid}",
                         column_config={"N°": st.column_config.NumberColumn(format="%d")})


def validation_setting(view: View) -> None:
    """The préfecture's switch, in Paramètres › Collecte mensuelle. The widget shows what is stored
    now (another référente, or the command line, may have changed it since this page was drawn);
    only the user's own click saves, in its callback."""
    pid = view.prefecture.id or 0
    key = f"validation-{pid}"
    st.session_state[key] = deposits.validation(actor(), pid)
    st.toggle("Valider les fichiers des services avant qu'ils comptent", key=key, on_change=_switch, args=(pid, key),
              help="Activé : le fichier ou la saisie d'un service contributeur est « à valider » et ne compte nulle "
                   "part tant que le référent qualité ne l'a pas validé (page Import) ; il peut aussi le renvoyer "
                   "avec un commentaire.")


def _switch(pid: int, key: str) -> None:
    wanted = bool(st.session_state[key])
    try:
        deposits.set_validation(actor(), pid, wanted)
    except KNOWN_ERRORS as exc:
        st.error(plain(exc))  # a callback's output shows above the page
        return
    settings_flash("Validation des dépôts activée : les fichiers des services attendront la vôtre" if wanted else
                   "Validation des dépôts désactivée : les fichiers des services sont enregistrés dès leur import")
