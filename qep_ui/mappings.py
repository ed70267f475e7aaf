"""Widgets of the préfecture's own labels (:mod:`qep_core.mappings`): the « Correspondances » tab of
the Paramètres page, and the offer the Import page makes for a label a file uses that nothing
recognised (« Nb de mails traités » → COURRIEL_5J, dénominateur).

Labels come from files: they are shown with ``st.dataframe`` / ``st.text`` or through
:func:`qep_ui.widgets.plain`, never as raw Markdown. Writes go through
:mod:`qep_core.services.mappings` (the administrator's right is checked there, with its history
line); after one, the caches and the Import page's analyses are dropped so the files are read again
with the new meaning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.frenchforms import count_text
from qep_ui.auth import actor, principal
from qep_ui.state import View
from qep_ui.widgets import plain

mappings = services.mappings
KINDS = mappings.KINDS
KNOWN_ERRORS = (mappings.MappingError, services.AccessDenied)
FLASH_KEY = "_mappings_flash"
#: Where the Import page keeps its analyses (qep_ui.importing.PLANS_KEY is this key): dropped after
#: a mapping changes, so that the files still in the uploader are read again with it.
ANALYSES_KEY = "qep_import_plans"
MAX_OFFERS = 20


def may_edit() -> bool:
    return principal().can("edit_settings")


def _saved(message: str) -> None:
    st.session_state.pop(ANALYSES_KEY, None)
    st.session_state.setdefault(FLASH_KEY, []).append(message)
    st.rerun()


def show_flash() -> None:
    for message in st.session_state.pop(FLASH_KEY, []):
        st.success(plain(message), icon=":material/check_circle:")


def mappings_table(rows: Sequence[Any]) -> pd.DataFrame:
    return pd.DataFrame([{"N°": r.id, "Nature": r.kind_label, "Libellé": r.label, "Sens": r.meaning,
                          "Ajouté par": r.created_by, "Le": r.created_at.replace(tzinfo=None)} for r in rows],
                        columns=["N°", "Nature", "Libellé", "Sens", "Ajouté par", "Le"])


def mappings_tab(view: View) -> None:
    """See, add and remove the préfecture's mappings."""
    pid = view.prefecture.id or 0
    show_flash()
    st.caption("Un libellé propre à la préfecture (ligne « Nb de mails traités », thème « CERT 38 (fraude) », "
               "boîte « Coord. »…) et ce qu'il veut dire : dit une fois, il vaut pour tous les fichiers suivants. "
               "Majuscules, accents et ponctuation ne comptent pas.")
    rows = mappings.list_mappings(actor(), pid)
    if rows:
        st.dataframe(mappings_table(rows), hide_index=True, width="stretch", key=f"mappings-{pid}",
                     column_config={"Le": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm")})
    else:
        st.caption("Aucune correspondance pour l'instant.")
    if not may_edit():
        return
    st.subheader("Ajouter une correspondance")
    kind = st.selectbox("Nature du libellé", list(KINDS), format_func=lambda k: KINDS.get(k, k),
                        key=f"map-kind-{pid}") or next(iter(KINDS))
    choices = mappings.choices(actor(), pid, kind)
    with st.form(f"map-add-{pid}-{kind}", border=True):
        label = st.text_input("Libellé tel qu'il est écrit dans les fichiers", max_chars=200)
        target = st.selectbox("Ce qu'il veut dire", list(choices), format_func=lambda t: choices.get(t, t), index=None,
                              placeholder="Choisissez")
        added = st.form_submit_button("Ajouter", type="primary", icon=":material/add:")
    if added:
        _add(pid, kind, label, target)
    if rows:
        st.subheader("Retirer une correspondance")
        by_id = {r.id: r for r in rows}
        with st.form(f"map-remove-{pid}", border=True):
            chosen = st.selectbox("Correspondance", list(by_id), index=None, placeholder="Choisissez",
                                  format_func=lambda i: f"n° {i} — {by_id[i].kind_label} "  # options: plain text
                                                        f"« {by_id[i].label} » → {by_id[i].meaning}")
            removed = st.form_submit_button("Retirer", icon=":material/delete:")
        if removed and chosen is not None:
            try:
                row = mappings.remove(actor(), pid, chosen)
            except KNOWN_ERRORS as exc:
                st.error(plain(exc), icon=":material/error:")
            else:
                _saved(f"correspondance retirée : {row.kind_label} « {row.label} »")


def _add(pid: int, kind: str, label: str, target: str | None) -> None:
    try:
        if target is None:
            raise mappings.MappingError("choisissez ce que le libellé veut dire")
        row = mappings.add(actor(), pid, kind, label, target)
    except KNOWN_ERRORS as exc:
        st.error(plain(exc), icon=":material/error:")
    else:
        _saved(f"correspondance ajoutée : {row.kind_label} « {row.label} » → {row.meaning} ; les fichiers déposés "
               "sont analysés à nouveau")


def mapping_offer(view: View, unknown: Sequence[Any], key: str) -> None:
    """For each label a file uses that nothing recognised: say once what it means (administrators),
    or who can (others). *unknown* holds :class:`qep_core.importing.issues.UnknownLabel` items."""
    if not unknown:
        return
    pid = view.prefecture.id or 0
    st.markdown(f"**Libellés non reconnus ({len(unknown)})**")
    if not may_edit():
        st.caption("Votre référent(e) qualité peut leur donner un sens une fois pour toutes (Paramètres › "
                   "Correspondances) ; ils seront alors compris dans ce fichier et les suivants.")
        st.dataframe(pd.DataFrame([{"Nature": KINDS.get(u.kind, u.kind), "Libellé": u.label,
                                    "Feuille": u.sheet, "Ligne": u.row, "Colonne": u.column} for u in unknown]),
                     hide_index=True, key=f"unknown-{key}")
        return
    st.caption("Dites une fois ce que chacun veut dire : la correspondance est gardée pour la préfecture (Paramètres › "
               "Correspondances, où elle se retire) et le fichier est analysé à nouveau.")
    choices: dict[str, dict[str, str]] = {}
    for n, item in enumerate(unknown[:MAX_OFFERS]):
        where = ", ".join(p for p in (f"feuille {item.sheet}" if item.sheet else "",
                                      f"ligne {item.row}" if item.row else "",
                                      f"colonne {item.column}" if item.column else "") if p)
        options = choices.setdefault(item.kind, mappings.choices(actor(), pid, item.kind))
        text_col, pick_col, save_col = st.columns([3, 3, 1], vertical_alignment="bottom")
        with text_col:
            if item.kind == "perimetre":  # created on saving, unless it is another name of a known one
                st.text(f"nouveau périmètre « {item.label} » : ou l'autre nom d'un périmètre existant ?")
            else:
                st.text(f"{KINDS.get(item.kind, item.kind)} « {item.label} »" + (f" ({where})" if where else ""))
        with pick_col:
            target = st.selectbox("Veut dire", list(options), format_func=options.__getitem__, index=None,
                                  placeholder="Choisissez ce qu'il veut dire", key=f"offer-{key}-{n}",
                                  label_visibility="collapsed")
        with save_col:
            if st.button("Retenir ce sens", key=f"offer-save-{key}-{n}", disabled=target is None):
                _add(pid, item.kind, item.label, target)
    if len(unknown) > MAX_OFFERS:
        st.caption(f"… et {count_text(len(unknown) - MAX_OFFERS, 'autre')} : donnez d'abord un sens aux premiers.")
