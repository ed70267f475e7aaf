"""Widgets of the monthly collection (:mod:`qep_core.collection`): the « Collecte mensuelle » tab of
the Paramètres page (who supplies what) and the Collecte page (who has sent what).

Names, addresses and codes come from forms and files: they are shown with ``st.dataframe`` (raw
text) or through :func:`qep_ui.widgets.plain`, the chart escapes its own texts. Writes go through
:mod:`qep_core.services.collection` (the right and the history line are checked there).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.frenchforms import MONTH_ABBR_FR, MONTH_NAMES_FR, count_text, plural
from qep_core.periods import Period
from qep_ui.auth import actor, allowed
from qep_ui.deposits import validation_setting
from qep_ui.reminders import reminders_section
from qep_ui.settings import flash
from qep_ui.state import View
from qep_ui.widgets import plain

collection = services.collection
KNOWN_ERRORS = (collection.CollectionError, services.AccessDenied)
AS_OF_PARAM = "au"  # ?au=2024-10-15: the board as it stood that day


# --- Paramètres: who supplies what ---------------------------------------------------------------

def sources_table(rows: Sequence[collection.Source]) -> pd.DataFrame:
    return pd.DataFrame([{"Périmètre": s.perimetre, "Indicateurs": ", ".join(s.indicators),
                          "Contacts": ", ".join(c.label for c in s.contacts),
                          "Échéance": f"le {s.due_day} du mois suivant", "Modifié par": s.updated_by} for s in rows],
                        columns=["Périmètre", "Indicateurs", "Contacts", "Échéance", "Modifié par"])


def settings_tab(view: View) -> None:
    """See, declare, change and remove what each périmètre supplies."""
    pid = view.prefecture.id or 0
    st.caption("Pour chaque service, boîte ou sous-préfecture : les indicateurs qu'il envoie, ses contacts et le jour "
               "du mois suivant où ses chiffres sont attendus. La page **Collecte** en tire qui a envoyé quoi ; seuls "
               "les indicateurs mensuels y sont suivis mois par mois.")
    validation_setting(view)
    rows = collection.list_sources(actor(), pid)
    if rows:
        st.dataframe(sources_table(rows), hide_index=True, width="stretch", key=f"sources-{pid}")
    else:
        st.caption("Aucun périmètre déclaré pour l'instant.")
    options = collection.options(actor(), pid)
    by_perimetre = {s.perimetre_id: s for s in rows}
    st.subheader("Déclarer ou modifier un périmètre")
    chosen = st.selectbox("Périmètre", list(options.perimetres), index=None, placeholder="Choisissez",
                          format_func=lambda i: options.perimetres.get(i, str(i)), key=f"source-perim-{pid}")
    if chosen is None:
        return
    current = by_perimetre.get(chosen)
    with st.form(f"source-set-{pid}-{chosen}", border=True):
        codes = st.multiselect("Indicateurs fournis", list(options.indicators),
                               default=[c for c in (current.indicators if current else ()) if c in options.indicators],
                               format_func=lambda c: options.indicators.get(c, c), key=f"source-codes-{pid}-{chosen}")
        contacts = st.text_area("Contacts, un par ligne (« Nom <adresse> » ou l'adresse seule)",
                                value="\n".join(c.label for c in current.contacts) if current else "", max_chars=3000,
                                key=f"source-contacts-{pid}-{chosen}")
        due_day = st.number_input("Jour du mois suivant où les chiffres sont attendus", min_value=1, max_value=28,
                                  value=current.due_day if current else collection.DEFAULT_DUE_DAY, step=1,
                                  key=f"source-due-{pid}-{chosen}")
        saved = st.form_submit_button("Enregistrer", type="primary", icon=":material/save:",
                                      key=f"source-save-{pid}-{chosen}")
    if saved:
        _write(lambda: collection.set_source(actor(), pid, chosen, codes, collection.parse_contacts([contacts]),
                                             int(due_day)),
               lambda s: f"collecte enregistrée pour « {s.perimetre} » : {count_text(len(s.indicators), 'indicateur')}, "
                         f"attendus le {s.due_day} du mois suivant")
    if current is not None and st.button("Ne plus attendre de chiffres de ce périmètre", icon=":material/delete:",
                                         key=f"source-remove-{pid}-{chosen}"):
        _write(lambda: collection.remove_source(actor(), pid, chosen),
               lambda s: f"collecte retirée pour « {s.perimetre} » (ses chiffres restent)")


def _write(change: Callable[[], collection.Source], message: Callable[[collection.Source], str]) -> None:
    """Make the change and keep its message for the rerun, or show its French refusal (nothing written)."""
    try:
        source = change()
    except KNOWN_ERRORS as exc:
        st.error(plain(exc), icon=":material/error:")
    else:
        _saved(message(source))


def _saved(message: str) -> None:
    flash(message)
    st.rerun()


# --- The Collecte page -------------------------------------------------------------------------

def grid(records: Sequence[collection.SupplyRecord]) -> pd.DataFrame:
    """Périmètres × months, each cell its status as symbol and word."""
    months = sorted({r.month for r in records})
    frame = pd.DataFrame({MONTH_ABBR_FR[m.month - 1]: {r.perimetre: r.look.label for r in records if r.month == m}
                          for m in months})
    frame.index.name = "Périmètre"
    return frame.reset_index()


def _cell_style(label: object) -> str:
    """A grid cell's colours, after its word and symbol (which say the status on their own)."""
    look = next((look for look in collection.STATUS_LOOK.values() if look.label == label), None)
    return "" if look is None else f"background-color: {look.colour}; color: {look.ink}"


def waiting_deposits(pid: int) -> dict[tuple[int, dt.date], list[int]]:
    """(périmètre id, month) → the deposits waiting for validation that hold its figures (they
    count nowhere yet: the board does not take them as received)."""
    if not allowed("import"):
        return {}
    out: dict[tuple[int, dt.date], list[int]] = {}
    for deposit in services.deposits.deposits(actor(), pid, pending_only=True):
        for cell in deposit.cells:
            out.setdefault(cell, []).append(deposit.id)
    return out


def month_table(records: Sequence[collection.SupplyRecord],
                waiting: dict[tuple[int, dt.date], list[int]] | None = None) -> pd.DataFrame:
    """One month, one row per périmètre: what came, when, from whom, what is missing, and the
    deposits still waiting for validation, when there are some."""
    frame = pd.DataFrame([{
        "Périmètre": r.perimetre, "Statut": r.look.label, "Manquants": ", ".join(r.missing),
        "Reçus": ", ".join(r.received), "Reçu le": r.received_at.replace(tzinfo=None) if r.received_at else None,
        "Par": ", ".join(r.received_by), "Lots": ", ".join(f"n° {b}" for b in r.batch_ids),
        "Échéance": r.due_date, "Contacts": ", ".join(c.email for c in r.contacts)} for r in records],
        columns=["Périmètre", "Statut", "Manquants", "Reçus", "Reçu le", "Par", "Lots", "Échéance", "Contacts"])
    if waiting:
        frame.insert(2, "À valider", [", ".join(f"dépôt n° {i}" for i in waiting.get((r.perimetre_id, r.month), []))
                                      for r in records])
    # a month nothing came for has no date: an empty cell (NaT), not the word « None »
    return frame.assign(**{"Reçu le": pd.to_datetime(frame["Reçu le"])})


def completeness_table(records: Sequence[collection.SupplyRecord]) -> pd.DataFrame:
    return pd.DataFrame([{"Indicateur": c.code, "Périmètres-mois attendus": c.expected, "Reçus": c.received,
                          "Complétude": None if c.share is None else 100 * c.share}
                         for c in collection.completeness(records)],
                        columns=["Indicateur", "Périmètres-mois attendus", "Reçus", "Complétude"])


def _as_of(today: dt.date) -> dt.date:
    """The board's date: the one in the link (``?au=2024-10-15``), else today; written back so that
    a copied link reopens the same board."""
    raw = st.query_params.get(AS_OF_PARAM)
    try:
        default = dt.date.fromisoformat(raw) if raw else today
    except ValueError:
        default = today
    first, last = dt.date(2000, 1, 1), today + dt.timedelta(days=366)
    chosen = st.date_input("À la date du", value=min(max(default, first), last), min_value=first, max_value=last,
                           format="DD/MM/YYYY", key="collecte-as-of")
    as_of = chosen if isinstance(chosen, dt.date) else today
    if as_of == today:
        st.query_params.pop(AS_OF_PARAM, None)
    else:
        st.query_params[AS_OF_PARAM] = as_of.isoformat()
    return as_of


def board_page(view: View) -> None:
    """The year chosen in the sidebar, as of a date (today unless the link or the user says otherwise)."""
    pid = view.prefecture.id or 0
    today = dt.date.today()
    year = view.period.end.year
    as_of = _as_of(today)
    if year > as_of.year:
        st.info("Aucun mois de cette année n'a commencé à cette date.")
        return
    last = dt.date(year, 12 if year < as_of.year else as_of.month, 1)
    records = collection.board(actor(), pid, dt.date(year, 1, 1), last, as_of)
    if not records:
        st.info("Aucun périmètre n'est déclaré : dites qui fournit quoi dans **Paramètres › Collecte mensuelle** "
                "(ou `python -m qep_core source set`).")
        return
    st.caption("Statuts : ✓ reçu (tous ses indicateurs mensuels) · ◐ partiel (il en manque) · ✗ en retard (rien, "
               "échéance passée) · … attendu (rien, pas encore dû). Seuls les indicateurs mensuels sont suivis "
               "mois par mois ; un chiffre arrivé après l'échéance compte comme reçu.")
    waiting = waiting_deposits(pid)
    count = services.deposits.pending_deposits(actor(), pid) if allowed("validate_imports") else 0
    if count:
        st.info(f"{count_text(count, 'dépôt attend', 'dépôts attendent')} votre validation : "
                f"{plural(count, 'il ne compte', 'ils ne comptent')} pas encore comme "
                f"{plural(count, 'reçu', 'reçus')}.", icon=":material/pending_actions:")
        st.page_link("pages/import_fichiers.py", label="Valider les dépôts (page Import)", icon=":material/upload_file:")
    for line in collection.incomplete_quarters(records, as_of):
        st.warning(plain(f"{line} : les chiffres de ce trimestre sont calculés sur les mois reçus seulement."),
                   icon=":material/warning:")
    st.subheader(f"Mois par mois, {year}")
    st.dataframe(grid(records).style.map(_cell_style), hide_index=True, width="stretch",
                 key=f"collecte-grid-{pid}-{year}")
    st.plotly_chart(collection.year_heatmap(records, f"Collecte {year} au {as_of:%d/%m/%Y}"),
                    config={"displaylogo": False}, key=f"collecte-heatmap-{pid}-{year}")
    months = sorted({r.month for r in records})
    shown = [m for m in months if any(r.month == m and r.received for r in records)] or months
    month = st.selectbox("Détail du mois", months, index=months.index(shown[-1]),
                         format_func=lambda m: f"{MONTH_NAMES_FR[m.month - 1]} {m.year}", key=f"collecte-month-{year}")
    of_month = [r for r in records if r.month == month]
    st.markdown(plain(f"{MONTH_NAMES_FR[month.month - 1].capitalize()} {month.year} — {collection.summary(of_month)}"))
    st.dataframe(month_table(of_month, waiting), hide_index=True, width="stretch", key=f"collecte-month-table-{pid}",
                 column_config={"Reçu le": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm"),
                                "Échéance": st.column_config.DateColumn(format="DD/MM/YYYY")})
    reminders_section(pid, month, as_of)
    st.subheader("Complétude par indicateur")
    st.caption("Part des périmètres-mois attendus qui sont reçus (un mois pas encore dû et encore vide n'est pas "
               "compté).")
    st.dataframe(completeness_table(records), hide_index=True, width="stretch", key=f"collecte-completeness-{pid}",
                 column_config={"Complétude": st.column_config.ProgressColumn(format="%.0f %%", min_value=0,
                                                                              max_value=100)})


def incomplete_caption(view: View, period: Period | None = None) -> dict[str, str]:
    """Under the dashboard's summary and the review's headline: the quarters of the period whose
    figures rest on months not all received; returned, indicator code → what its figure lacks
    (« manque CM (août, sept.) »), for the tiles. For readers of the detail only (it names services;
    a service sees its own)."""
    if not allowed("read_detail"):
        return {}
    today = dt.date.today()
    shown = period or view.period
    first, last = collection.quarters_around(shown.start, shown.end)
    if view.last_month is not None:  # months after the latest with any figure: not collected yet at all, which
        last = min(last, view.last_month)  # the period's « données disponibles jusqu'à … » already says
    if last < first:
        return {}
    records = collection.board(actor(), view.prefecture.id or 0, first, last, today)
    lines = collection.incomplete_quarters(records, today)
    if lines:
        st.caption(plain("Chiffres calculés sur des mois incomplets (voir la page Collecte) — " + " · ".join(lines)))
    return collection.gaps_by_indicator([r for r in records if shown.start <= r.month <= shown.end], today)
