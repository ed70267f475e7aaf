"""The « Services Publics+ » tab of the Paramètres page: the structure's four national fields and
the national code of each indicator, which the Services Publics+ file (page Exports) needs.

Writes go through :mod:`qep_core.services.sp_plus` (right checked there, one history line); its
French reasons are shown all at once and nothing is written. Texts typed here are shown back
through :func:`qep_ui.widgets.plain` or in widgets that show text as is.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qep_core import services
from qep_ui import settings as ui
from qep_ui.auth import actor
from qep_ui.state import View
from qep_ui.widgets import plain

sp_plus = services.sp_plus
KNOWN_ERRORS = (sp_plus.SpPlusError, services.AccessDenied)

CODE_COLUMNS = {
    "code": st.column_config.TextColumn("Code", pinned=True, width=200),
    "label": st.column_config.TextColumn("Indicateur", width=340),
    "module": st.column_config.TextColumn("Module", width=60),
    "frequency": st.column_config.TextColumn("Suivi", width=90),
    "sp_code": st.column_config.TextColumn(
        "Code SP+", width=110, max_chars=20, validate=r"^\s*([Ii][Nn][Dd]-\d+)?\s*$",
        help="Le code national de l'indicateur, « IND- » suivi de chiffres (IND-27). Vide : l'indicateur est "
             "laissé hors du fichier."),
    "source": st.column_config.TextColumn("Origine", width=100),
}
CODE_READ_ONLY = ["code", "label", "module", "frequency", "source"]


def _errors(exc: Exception) -> list[str]:
    """Each reason on its own line, as a sentence."""
    reasons = list(exc.errors) if isinstance(exc, sp_plus.SpPlusError) else [str(exc)]
    return [r[:1].upper() + r[1:] for r in reasons]


def structure_form(view: View) -> None:
    """The structure's SP+ code, typology, postal code and city."""
    pid = view.prefecture.id or 0
    current = sp_plus.structure(actor(), pid)
    if current is None:
        st.warning("Structure non renseignée : le fichier Services Publics+ est refusé tant que ces quatre champs "
                   "manquent.", icon=":material/warning:")
    typologies = list(sp_plus.TYPOLOGIES)
    if current is not None and current.typology not in typologies:
        typologies.append(current.typology)
    with st.form(f"sp-structure-{pid}", border=True):
        cols = st.columns(2)
        code = cols[0].text_input("Code SP+ de la structure", value=current.code if current else "", max_chars=40,
                                  key=f"sp_code_{pid}", help="Le code de la préfecture dans Services Publics+.")
        typology = cols[1].selectbox(
            "Intitulé de la typologie", typologies, accept_new_options=True, key=f"sp_typology_{pid}",
            index=typologies.index(current.typology) if current else 0,
            help="« Préfecture », « Sous-préfecture »… : choisissez ou tapez l'intitulé.")
        left, right = st.columns([1, 3])
        postal = left.text_input("Code postal", value=current.postal_code if current else "", max_chars=5,
                                    key=f"sp_postal_{pid}", help="Cinq chiffres : 44000, 20000 en Corse.")
        city = right.text_input("Ville", value=current.city if current else "", max_chars=120, key=f"sp_city_{pid}")
        submitted = st.form_submit_button("Enregistrer la structure", type="primary", icon=":material/save:")
    if current is not None and current.updated_at is not None:
        st.caption(f"Enregistrée par {plain(current.updated_by or '—')} le {current.updated_at:%d/%m/%Y à %H:%M}. "
                   f"Intitulé de la structure : {plain(view.prefecture.name)} (le nom de la préfecture).")
    if submitted:
        try:
            saved = sp_plus.save_structure(actor(), pid, code=code, typology=typology or "", postal_code=postal,
                                           city=city)
        except KNOWN_ERRORS as exc:
            ui.show_errors(_errors(exc))
            return
        ui.saved(f"structure Services Publics+ enregistrée : {saved.code} — {saved.typology} — "
                 f"{saved.postal_code} {saved.city}")


def codes_table(view: View) -> pd.DataFrame:
    lines = sp_plus.code_lines(actor(), view.prefecture.id or 0)
    return pd.DataFrame([{"code": x.indicator_code, "label": x.label, "module": x.module_code,
                          "frequency": x.frequency, "sp_code": x.sp_code or "", "source": x.source} for x in lines],
                        columns=list(CODE_COLUMNS))


def codes_editor(view: View) -> None:
    """Our indicators → their national codes, in a grid."""
    pid = view.prefecture.id or 0
    table = codes_table(view)
    st.caption("Le code national de chaque indicateur (« IND-27 »), tel que Services Publics+ le publie. Aucun "
               "code n'est proposé d'office : aucune source ne dit quel indicateur national correspond à un "
               "indicateur Qual-e-Pref. Un indicateur sans code est laissé hors du fichier, et nommé quand le "
               "fichier est préparé ; deux indicateurs ne peuvent pas partager un code.")
    with st.form(f"sp-codes-{pid}", border=False):
        edited = st.data_editor(table, key=ui.editor_key("sp-codes", pid), hide_index=True, num_rows="fixed",
                                column_config=CODE_COLUMNS, disabled=CODE_READ_ONLY, placeholder="",
                                alt="Codes Services Publics+ des indicateurs")
        submitted = st.form_submit_button("Enregistrer les codes SP+", type="primary", icon=":material/save:")
    if submitted:
        wanted = {str(r["code"]): r["sp_code"] for r in edited.to_dict("records")}
        try:
            done = sp_plus.save_codes(actor(), pid, wanted)
        except KNOWN_ERRORS as exc:
            ui.show_errors(_errors(exc))
            return
        if not done:
            st.info("Aucun code modifié : rien à enregistrer.")
            return
        ui.saved(f"codes SP+ enregistrés : {' ; '.join(done)}", editor="sp-codes")


def settings_tab(view: View) -> None:
    st.caption("Le fichier Services Publics+ (page Exports) suit les neuf champs obligatoires du jeu national « "
               "Résultats de qualité des services publics » de la DITP. Quatre d'entre eux décrivent la structure "
               "et ne se déduisent pas des données : renseignez-les ici, avec le code national de chaque "
               "indicateur publié.")
    structure_form(view)
    st.subheader("Codes nationaux des indicateurs")
    codes_editor(view)
