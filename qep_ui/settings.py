"""Widgets of the "Paramètres" page: the préfecture, its périmètres, its targets, its own
indicators and engagements.

Reads and writes go through :mod:`qep_core.services.settings` (the signed-in actor's right is
checked there), whose rules check everything and raise a French error (``KNOWN_ERRORS``) before
writing anything; each save is one transaction with its history line. After a write the caches are cleared, a message is kept for the
next run ("flash") and the script reruns so every figure, and the sidebar, shows the new state.

Two saves run as widget callbacks rather than in the script body: changing a préfecture's code
and creating a préfecture must also move the sidebar's préfecture selector (key ``pref``), and a
widget's value may only be set before the widget is drawn, i.e. in a callback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from qep_core import services
from qep_core.frenchforms import count_text
from qep_core.rules import window_years
from qep_ui.auth import actor
from qep_ui.state import View
from qep_ui.widgets import plain

settings = services.settings
FREQUENCY_LABELS, KIND_LABELS, KINDS = settings.FREQUENCY_LABELS, settings.KIND_LABELS, settings.KINDS
PERIMETRE_KIND_LABELS, ROLES_OF_KIND = settings.PERIMETRE_KIND_LABELS, settings.ROLES_OF_KIND

FLASH_KEY = "_parametres_flash"
ERRORS_KEY = "_parametres_errors"
KNOWN_ERRORS = (*settings.KNOWN_ERRORS, services.AccessDenied)
DIRECTION_CHOICES = {">=": "≥ — plus c'est haut, mieux c'est (taux)", "<=": "≤ — plus c'est bas, mieux c'est (délai)"}


# ---------------------------------------------------------------- messages and reruns


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def error_messages(exc: Exception) -> list[str]:
    """Each reason on its own line: the user fixes them all before saving again."""
    errors = exc.errors if isinstance(exc, settings.SettingsError) else [str(exc)]
    return [_sentence(e) for e in errors]


def show_errors(messages: Sequence[str], title: str = "Rien n'a été enregistré :") -> None:
    st.error("\n".join([title, *(f"- {plain(m)}" for m in messages)]), icon=":material/error:")


def flash(*messages: str) -> None:
    """Keep a success message across the rerun that follows a write."""
    st.session_state.setdefault(FLASH_KEY, []).extend(_sentence(m) for m in messages)


def show_flash() -> None:
    for message in st.session_state.pop(FLASH_KEY, []):
        st.success(plain(message), icon=":material/check_circle:")


def _callback_errors(form: str, exc: Exception) -> None:
    st.session_state[f"{ERRORS_KEY}_{form}"] = error_messages(exc)


def _show_callback_errors(form: str) -> None:
    messages = st.session_state.pop(f"{ERRORS_KEY}_{form}", None)
    if messages:
        show_errors(messages)


def editor_key(name: str, *parts: object) -> str:
    """A data editor's key, renewed after each save so old cell edits are not replayed on the
    new table (the editor's state holds edits by row position)."""
    revision = st.session_state.get(f"_rev_{name}", 0)
    return "-".join(str(p) for p in (name, *parts, revision))


def _bump(name: str) -> None:
    st.session_state[f"_rev_{name}"] = st.session_state.get(f"_rev_{name}", 0) + 1


def saved(*messages: str, editor: str | None = None) -> None:
    """After a write done in the script body: fresh caches, message kept, rerun."""
    if editor:
        _bump(editor)
    flash(*messages)
    st.rerun()


# ---------------------------------------------------------------- préfecture


def _optional_modules() -> dict[str, str]:
    return settings.module_choices(actor())


def _save_prefecture(pref_id: int) -> None:
    state = st.session_state
    try:
        code, name = settings.save_prefecture(actor(), pref_id, name=state[f"pp_name_{pref_id}"],
                                              code=state[f"pp_code_{pref_id}"],
                                              whit_monday_worked=state[f"pp_whit_{pref_id}"],
                                              modules=state[f"pp_modules_{pref_id}"])
    except KNOWN_ERRORS as exc:
        _callback_errors("prefecture", exc)
        return
    state["pref"] = code  # the sidebar follows a corrected code
    state[f"pp_code_{pref_id}"] = code
    flash(f"préfecture « {name} » ({code}) enregistrée")


def prefecture_form(view: View) -> None:
    """Name, département code, Whit Monday rule and labelled modules of the chosen préfecture."""
    pref = view.prefecture
    pid = pref.id or 0
    titles = _optional_modules()
    current = [m for m in settings.labelled(actor(), pid) if m in titles]
    with st.form(f"prefecture-{pid}", border=True):
        cols = st.columns([3, 1])
        cols[0].text_input("Nom", value=pref.name, key=f"pp_name_{pid}", max_chars=120)
        cols[1].text_input("Code du département", value=pref.code, key=f"pp_code_{pid}", max_chars=3,
                           help="Deux ou trois caractères : 44, 2A, 974. Il sert dans les liens (?pref=44).")
        st.checkbox("Lundi de Pentecôte travaillé (journée de solidarité)", value=pref.whit_monday_worked,
                    key=f"pp_whit_{pid}",
                    help="Coché, le lundi de Pentecôte compte comme jour ouvré dans le calcul des délais.")
        st.multiselect("Modules labellisés", list(titles), default=current,
                       format_func=lambda k: titles.get(k, str(k)),
                       key=f"pp_modules_{pid}", placeholder="Aucun module optionnel")
        st.caption("Le module 1 (relation générale avec les usagers), le pilotage de la politique qualité et la "
                   "démarche de labellisation sont toujours suivis. Retirer un module masque ses indicateurs sans "
                   "effacer leurs valeurs.")
        st.form_submit_button("Enregistrer", type="primary", icon=":material/save:", on_click=_save_prefecture,
                              args=(pid,))
    _show_callback_errors("prefecture")


def _create_prefecture() -> None:
    state = st.session_state
    try:
        _, code, name = settings.create_prefecture(actor(), str(state.get("new_pref_code") or ""),
                                                   " ".join(str(state.get("new_pref_name") or "").split()) or None,
                                                   tuple(state.get("new_pref_modules") or ()))
    except KNOWN_ERRORS as exc:
        _callback_errors("creation", exc)
        return
    state["pref"] = code  # open the new préfecture
    for key in ("new_pref_code", "new_pref_name", "new_pref_modules"):
        state.pop(key, None)
    flash(f"préfecture « {name} » ({code}) créée : ajoutez ses périmètres, puis importez ses tableaux de suivi")


def creation_form(first: bool) -> None:
    """A new préfecture: code, name, modules (the préfecture-wide périmètre comes with it)."""
    titles = _optional_modules()
    with st.form("new-prefecture", border=True):
        if first:
            st.markdown("**Créer la préfecture**")
        cols = st.columns([1, 3])
        cols[0].text_input("Code du département", key="new_pref_code", max_chars=3, placeholder="44")
        cols[1].text_input("Nom", key="new_pref_name", max_chars=120, placeholder="Préfecture de la Loire-Atlantique")
        st.multiselect("Modules labellisés", list(titles), key="new_pref_modules",
                       format_func=lambda k: titles.get(k, str(k)),
                       placeholder="Aucun module optionnel",
                       help="Le module 1, le pilotage et la labellisation sont toujours suivis.")
        st.form_submit_button("Créer la préfecture", type="primary", icon=":material/add:",
                              on_click=_create_prefecture)
    _show_callback_errors("creation")


def first_prefecture() -> None:
    """The page as it is before any préfecture exists: only the creation form."""
    st.info("Aucune préfecture n'est encore configurée. Créez-la ci-dessous (ou lancez "
            "`python -m qep_core init --demo` pour une préfecture de démonstration).", icon=":material/info:")
    creation_form(first=True)


def prefecture_tab(view: View) -> None:
    prefecture_form(view)
    with st.expander("Créer une autre préfecture", icon=":material/add_business:"):
        creation_form(first=False)


# ---------------------------------------------------------------- périmètres

PERIMETRE_COLUMNS = {
    "name": st.column_config.TextColumn("Nom", required=True, max_chars=200, width="medium",
                                        help="Le nom interne, celui des fichiers importés (« PC », « Coord. »)."),
    "public_name": st.column_config.TextColumn(
        "Nom public", max_chars=200, width="medium",
        help="Le nom des documents publics (CLU, affiche, Services Publics+) : « Permis de conduire » pour « PC ». "
             "Vide : le nom interne s'il se lit comme un nom complet, sinon le périmètre est regroupé dans "
             "« Autres périmètres »."),
    "shown": st.column_config.TextColumn("Dans les documents publics", width="medium",
                                         help="Ce que voient le comité des usagers et le public."),
    "kind": st.column_config.SelectboxColumn("Nature", options=list(PERIMETRE_KIND_LABELS), required=True, width="medium",
                                             default="service",
                                             format_func=lambda k: PERIMETRE_KIND_LABELS.get(str(k), str(k))),
    "address": st.column_config.TextColumn("Adresse (boîte fonctionnelle)", width="medium"),
    "values": st.column_config.NumberColumn("Valeurs enregistrées", format="%d",
                                            help="Valeurs importées ou saisies pour ce périmètre."),
    "delete": st.column_config.CheckboxColumn("Supprimer", default=False,
                                              help="Seulement pour un périmètre sans valeur enregistrée."),
}


def perimetres_tab(view: View) -> None:
    """The services, mailboxes and sous-préfectures figures are reported for."""
    pid = view.prefecture.id or 0
    table = settings.perimetres_table(actor(), pid)
    st.caption("Renommez, changez la nature ou ajoutez une ligne en bas du tableau, puis enregistrez. Les valeurs "
               "déjà enregistrées suivent un périmètre renommé. Un périmètre ne peut être supprimé que s'il n'a "
               "aucune valeur ; « Préfecture (ensemble) », qui reçoit les chiffres non ventilés par service, ne "
               "peut être ni renommé ni supprimé. Deux noms ne peuvent différer seulement par les majuscules ou "
               "les accents.")
    st.caption("Les documents publics ne montrent que les noms publics : un périmètre marqué « ⚠ nom public à "
               "renseigner » (abréviation, nom de personne…) y est regroupé dans « Autres périmètres ».")
    with st.form(f"perimetres-{pid}", border=False):
        edited = st.data_editor(
            table, key=editor_key("perimetres", pid), hide_index=True, num_rows="add",
            column_order=list(PERIMETRE_COLUMNS), column_config=PERIMETRE_COLUMNS, disabled=["shown", "values"],
            placeholder="", height=_grid_height(len(table) + 1), alt="Périmètres de la préfecture",
        )
        submitted = st.form_submit_button("Enregistrer les périmètres", type="primary", icon=":material/save:")
    if submitted:
        try:
            done = settings.save_perimetres(actor(), pid, edited.to_dict("records"))
        except KNOWN_ERRORS as exc:
            show_errors(error_messages(exc))
            return
        if not done:
            st.info("Aucune modification à enregistrer.")
            return
        saved(*done, editor="perimetres")


def _grid_height(rows: int, most: int = 25) -> int:
    """Tall enough to show every row up to *most* (a grid that scrolls hides rows from a quick review)."""
    return 35 * (min(rows, most) + 1) + 3


# ---------------------------------------------------------------- targets

TARGET_COLUMNS = {  # widths in pixels: the whole grid fits a laptop screen without scrolling sideways
    "code": st.column_config.TextColumn("Code", pinned=True, width=170),
    "label": st.column_config.TextColumn("Libellé", width=160),
    "module": st.column_config.TextColumn("Module", width=55),
    "unit": st.column_config.TextColumn("Unité", width=62),
    "direction": st.column_config.TextColumn("Sens", width=45,
                                             help="≥ : le résultat doit atteindre la cible ; ≤ : ne pas la dépasser."),
    "target": st.column_config.NumberColumn("Cible en vigueur", min_value=0, format="localized", width=115,
                                            help="Dans l'unité affichée : 90 pour 90 %, 5 pour 5 jours."),
    "alert": st.column_config.NumberColumn("Seuil d'alerte", min_value=0, format="localized", width=110,
                                           help="Entre ce seuil et la cible, le résultat est « à surveiller ». "
                                                "Sous la cible pour un « ≥ », au-dessus pour un « ≤ »."),
    "no_target": st.column_config.CheckboxColumn("Pas d'objectif", width=103),
    "source": st.column_config.TextColumn("Origine", width=110,
                                          help="« référentiel » : valeur par défaut ; sinon l'année où la "
                                               "préfecture l'a fixée."),
}
TARGET_READ_ONLY = ["code", "label", "module", "unit", "direction", "source"]


def target_years(view: View, today: dt.date | None = None) -> list[int]:
    """Years offered for targets: those with data, the coming year, and a little before."""
    this_year = (today or dt.date.today()).year
    first = view.first_month.year if view.first_month else view.period.year
    allowed = window_years(today)
    return [y for y in range(max(this_year, view.period.year) + 1, min(first, view.period.year) - 2, -1) if y in allowed]


def targets_tab(view: View) -> None:
    """Targets in force per indicator for a year, editable; a change applies from that year on."""
    pid = view.prefecture.id or 0
    years = target_years(view)
    cols = st.columns([1, 3], vertical_alignment="bottom")
    year = cols[0].selectbox("Année", years, index=years.index(view.period.year), key=f"cibles_annee_{pid}")
    every = cols[1].toggle("Afficher aussi les indicateurs des modules non labellisés", key=f"cibles_tous_{pid}")
    st.caption(f"Une cible fixée pour {year} s'applique à partir de {year} et pour les années suivantes, jusqu'à "
               "ce qu'une autre la remplace ; les années précédentes gardent la leur. Les valeurs par défaut du "
               "référentiel ne sont jamais modifiées. Cochez « Pas d'objectif » pour suivre un indicateur sans "
               "cible. Les taux s'écrivent en pourcentage (90 pour 90 %).")
    table = settings.targets_table(actor(), pid, year, labelled_only=not every)
    with st.form(f"cibles-{pid}", border=False):
        edited = st.data_editor(
            table, key=editor_key("cibles", pid, year, int(every)), hide_index=True, num_rows="fixed",
            column_config=TARGET_COLUMNS, disabled=TARGET_READ_ONLY, placeholder="–",
            height=_grid_height(len(table)), alt=f"Cibles {year} par indicateur",
        )
        submitted = st.form_submit_button(f"Enregistrer les cibles {year}", type="primary", icon=":material/save:")
    if submitted:
        try:
            written = settings.save_targets(actor(), pid, year, edited.to_dict("records"))
        except KNOWN_ERRORS as exc:
            show_errors(error_messages(exc))
            return
        if not written:
            st.info("Aucune cible modifiée : rien à enregistrer.")
            return
        saved(f"cibles {year} enregistrées pour {count_text(len(written), 'indicateur')} : {', '.join(written)}", editor="cibles")


# ---------------------------------------------------------------- own indicators and engagements

OWN_INDICATOR_LABELS = {"code": "Code", "label": "Libellé", "engagement": "Engagement", "module": "Module",
                        "kind": "Nature", "direction": "Sens", "target": "Cible", "alert": "Seuil d'alerte",
                        "frequency": "Fréquence", "counts": "Comptes"}


def count_labels_for(kind: str, first: str, second: str, third: str) -> dict[str, str]:
    """The form's three count boxes, read in the order of the kind's roles (numerator,
    denominator, complement for a rate; Σ delays and answers for a mean delay; the value for a
    count), because the form cannot change its boxes while the nature is being chosen."""
    return {role: text.strip() for role, text in zip(ROLES_OF_KIND.get(kind, ()), (first, second, third),
                                                     strict=False) if text and text.strip()}


def _engagement_choices(pid: int) -> dict[str, str]:
    return {e.key: f"{e.key} — {e.title}" for e in settings.engagements(actor(), pid)}


def own_indicators_tab(view: View) -> None:
    pref = view.prefecture
    pid = pref.id or 0
    table = settings.own_indicators_table(actor(), pid)
    modules = settings.module_choices(actor(), optional_only=False)
    engagements = _engagement_choices(pid)
    st.subheader("Indicateurs propres à la préfecture")
    if table.empty:
        st.caption("Aucun indicateur propre pour l'instant : ceux du référentiel sont dans l'onglet « Cibles ».")
    else:
        st.dataframe(table.rename(columns=OWN_INDICATOR_LABELS), hide_index=True, width="stretch")
    with st.expander("Ajouter un indicateur", icon=":material/add_chart:"), st.form(f"indicateur-{pid}"):
        cols: Sequence[DeltaGenerator] = st.columns([1, 2])  # rows of 2 and 3 columns below
        code = cols[0].text_input("Code", placeholder="ACCUEIL_ATTENTE_20MIN", max_chars=60, key=f"ind_code_{pid}")
        label = cols[1].text_input("Libellé", placeholder="Taux d'usagers reçus en moins de 20 minutes",
                                    key=f"ind_label_{pid}")
        cols = st.columns(2)
        engagement = cols[0].selectbox("Engagement", list(engagements), index=None,
                                       format_func=lambda k: engagements.get(k, str(k)),
                                       placeholder="Aucun (rattaché au module)", key=f"ind_engagement_{pid}")
        module = cols[1].selectbox("Module (sans engagement)", list(modules), index=None,
                                   format_func=lambda k: modules.get(k, str(k)),
                                   placeholder="Celui de l'engagement", key=f"ind_module_{pid}")
        cols = st.columns(3)
        kind = cols[0].selectbox("Nature", KINDS, format_func=lambda k: KIND_LABELS[k].capitalize(), key=f"ind_kind_{pid}")
        direction = cols[1].selectbox("Sens", list(DIRECTION_CHOICES),
                                      format_func=lambda k: DIRECTION_CHOICES.get(k, str(k)))
        frequency = cols[2].selectbox("Fréquence", list(FREQUENCY_LABELS),
                                      format_func=lambda f: FREQUENCY_LABELS[f].capitalize())
        cols = st.columns(2)
        target = cols[0].number_input("Cible", min_value=0.0, value=None, step=1.0, format="%g",
                                      placeholder="Pas d'objectif", help="90 pour 90 %, 5 pour 5 jours.",
                                      key=f"ind_target_{pid}")
        alert = cols[1].number_input("Seuil d'alerte", min_value=0.0, value=None, step=1.0, format="%g",
                                     placeholder="Aucun")
        st.markdown("Libellés des comptes, tels qu'ils figurent dans les tableaux de suivi (l'import reconnaît "
                    "les lignes à ces libellés) :")
        cols = st.columns(3)
        first = cols[0].text_input("Numérateur, somme des délais ou valeur", placeholder="Usagers reçus en 20 min",
                                   key=f"ind_count1_{pid}")
        second = cols[1].text_input("Dénominateur ou nombre de réponses", placeholder="Usagers reçus",
                                    key=f"ind_count2_{pid}")
        third = cols[2].text_input("Complément (facultatif)", placeholder="Usagers reçus après 20 min",
                                   help="Pour un taux : ce qui manque au numérateur pour faire le dénominateur.")
        submitted = st.form_submit_button("Ajouter l'indicateur", type="primary", icon=":material/add:")
    if submitted:
        try:
            added = settings.add_indicator(
                actor(), pid, code=code, label=label, engagement_key=engagement, module_code=module, kind=kind,
                direction=direction, target=target, alert=alert, frequency=frequency,
                count_labels=count_labels_for(kind, first, second, third))
        except KNOWN_ERRORS as exc:
            show_errors(error_messages(exc))
        else:
            saved(f"indicateur {added} ajouté")
    engagements_section(view, engagements, modules)


def engagements_section(view: View, engagements: dict[str, str], modules: dict[str, str]) -> None:
    """Rename an engagement in the préfecture's words, or add one the référentiel lacks."""
    pref = view.prefecture
    pid = pref.id or 0
    st.subheader("Engagements")
    st.caption("Le référentiel n'est pas modifié : la préfecture garde son propre intitulé à côté du sien.")
    with st.expander("Liste des engagements", icon=":material/list:"):
        st.dataframe(engagements_table(view), hide_index=True, width="stretch",
                     column_config={"N°": st.column_config.NumberColumn(format="%d"),
                                    "Intitulé": st.column_config.TextColumn(width="large")})
    with st.form(f"engagement-renommer-{pid}"):
        st.markdown("**Renommer un engagement**")
        cols = st.columns([2, 3])
        key = cols[0].selectbox("Engagement", list(engagements), format_func=lambda k: engagements.get(k, str(k)),
                                key=f"eng_rename_{pid}")
        title = cols[1].text_input("Nouvel intitulé", key=f"eng_title_{pid}")
        renamed = st.form_submit_button("Renommer", icon=":material/edit:")
    if renamed:
        _write(lambda: settings.rename_engagement(actor(), pid, key, title), f"engagement {key} renommé")
    with st.expander("Ajouter un engagement", icon=":material/add:"), st.form(f"engagement-ajouter-{pid}"):
        cols = st.columns([1, 1, 2])
        new_key = cols[0].text_input("Clé", placeholder="E47", max_chars=20, key=f"eng_new_key_{pid}")
        number = cols[1].number_input("Numéro", min_value=1, value=None, step=1, placeholder="47",
                                       key=f"eng_new_number_{pid}")
        module = cols[2].selectbox("Module", list(modules), format_func=lambda k: modules.get(k, str(k)),
                                   key=f"eng_new_module_{pid}")
        new_title = st.text_input("Intitulé", key=f"eng_new_title_{pid}")
        added = st.form_submit_button("Ajouter l'engagement", icon=":material/add:")
    if added:
        _write(lambda: settings.add_engagement(actor(), pid, key=new_key, module_code=module, title=new_title,
                                               number=int(number) if number is not None else None),
               f"engagement {(new_key or '').strip().upper()} ajouté")


def _write(action: Callable[[], object], message: str) -> None:
    try:
        action()
    except KNOWN_ERRORS as exc:
        show_errors(error_messages(exc))
    else:
        saved(message)


def engagements_table(view: View) -> pd.DataFrame:
    """The engagements as the préfecture words them, and whose wording it is."""
    rows = settings.engagements(actor(), view.prefecture.id or 0)
    return pd.DataFrame([{"Clé": e.key, "N°": e.number, "Module": e.module_code, "Intitulé": e.title,
                          "Origine": "préfecture" if e.own else "référentiel"} for e in rows])
