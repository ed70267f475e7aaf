"""Widgets of the "Enquêtes" page (surveys, comments, question types, import) and the surveys
section of the Engagements page. The page script only arranges them; every read and write goes
through :mod:`qep_core.services.surveys`, as the session's actor.

Reads are cached with the database, the principal, the préfecture and a "survey version" among
the keys (it changes with every import, undo, correction or theme), like :mod:`qep_ui.data`. The
services cut what each principal sees: comments masked unless ``read_personal``, no free text for
the users' committee; downloads are always masked.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from qep_core import services
from qep_core.frenchforms import count_text, format_number_fr, normalize, plural
from qep_core.rules import format_change, is_stable, window_years
from qep_ui import importing
from qep_ui.auth import actor
from qep_ui.state import View, publish, remember_choice
from qep_ui.widgets import download_table, plain, show_issues

# What this module speaks, from the service layer (the UI imports nothing else of the core's).
CATEGORICAL_TYPES = services.surveys.CATEGORICAL_TYPES
LISTENING_ENGAGEMENTS = services.surveys.LISTENING_ENGAGEMENTS
MYSTERY_REFERENTIEL_CHANNEL = services.surveys.MYSTERY_REFERENTIEL_CHANNEL
REFERENTIEL_CHANNEL = services.surveys.REFERENTIEL_CHANNEL
ROLE_LABELS = services.surveys.ROLE_LABELS
SURVEY_CHANNELS = services.surveys.SURVEY_CHANNELS
TYPE_LABELS = services.surveys.TYPE_LABELS
YES_NO_SCALE = services.surveys.YES_NO_SCALE
Engagement = services.surveys.Engagement
ImportRejected = services.surveys.ImportRejected
IndicatorResult = services.surveys.IndicatorResult
MysterySummary = services.surveys.MysterySummary
QuestionStats = services.surveys.QuestionStats
RateComparison = services.surveys.RateComparison
ScaleStats = services.surveys.ScaleStats
SurveyError = services.surveys.SurveyError
SurveyInfo = services.surveys.SurveyInfo
SurveyPlan = services.surveys.SurveyPlan
SurveyResults = services.surveys.SurveyResults
SurveySummary = services.surveys.SurveySummary
UndoError = services.surveys.UndoError
channel_label = services.surveys.channel_label
choice_chart = services.surveys.choice_chart
cross_tab_table = services.surveys.cross_tab_table
distribution_table = services.surveys.distribution_table
mask_personal_data = services.surveys.mask_personal_data
number_chart = services.surveys.number_chart
pct = services.surveys.pct
period_text = services.surveys.period_text
rate_text = services.surveys.rate_text
scale_chart = services.surveys.scale_chart
type_label = services.surveys.type_label
wrap = services.surveys.wrap

SURVEY_KEY = "enquete"
NEXT_SURVEY_KEY = "qep_next_survey"  # the survey to show after a rerun (the picker's own key is locked by then)
PLANS_KEY = "qep_survey_plans"
YES_NO_COLOURS = ("#5C68E5", "#CECECE")


# --- cached reads --------------------------------------------------------------------------------

def who(acting: services.Actor) -> str:
    """The cache key of an actor: its database and its principal (what the services cut by)."""
    return f"{acting.database.url!r}|{acting.principal!r}"


def can_edit() -> bool:
    """The page offers survey changes to who may make them (checked again by every service)."""
    return services.surveys.can_edit(actor())


def version(view: View) -> str:
    return services.surveys.version(actor(), view.prefecture.id or 0)


@st.cache_data(show_spinner=False, max_entries=64)
def _surveys(_actor: services.Actor, key: str, pref_id: int, version: str) -> list[SurveyInfo]:
    return services.surveys.list_surveys(_actor, pref_id)


def surveys(view: View) -> list[SurveyInfo]:
    acting = actor()
    return _surveys(acting, who(acting), view.prefecture.id or 0, version(view))


@st.cache_data(show_spinner=False, max_entries=32)
def _results(_actor: services.Actor, key: str, pref_id: int, survey_id: int, version: str) -> SurveyResults:
    return services.surveys.results(_actor, pref_id, survey_id)


def results(view: View, survey_id: int) -> SurveyResults:
    acting = actor()
    return _results(acting, who(acting), view.prefecture.id or 0, survey_id, version(view))


@st.cache_data(show_spinner=False, max_entries=32)
def _comments(_actor: services.Actor, key: str, pref_id: int, survey_id: int, version: str) -> pd.DataFrame:
    return services.surveys.comments(_actor, pref_id, survey_id)


def comments(view: View, survey_id: int) -> pd.DataFrame:
    """The survey's comments, masked unless the viewer may read personal data."""
    acting = actor()
    return _comments(acting, who(acting), view.prefecture.id or 0, survey_id, version(view))


@st.cache_data(show_spinner=False, max_entries=32)
def _summaries(_actor: services.Actor, key: str, pref_id: int, year: int,
               version: str) -> tuple[list[SurveySummary], list[MysterySummary]]:
    return services.surveys.summaries(_actor, pref_id, year)


def summaries(view: View, year: int) -> tuple[list[SurveySummary], list[MysterySummary]]:
    acting = actor()
    return _summaries(acting, who(acting), view.prefecture.id or 0, year, version(view))


@contextmanager
def refusal_shown() -> Iterator[None]:
    """A write the services refuse (the role, the préfecture, the périmètres) says why and stops the
    run: a button drawn for a right the account lost meanwhile is not a permission."""
    try:
        yield
    except services.AccessDenied as exc:
        st.error(plain(exc))
        st.stop()


def after_write() -> None:
    importing.after_write()
    st.session_state.pop(PLANS_KEY, None)


# --- choosing a survey ---------------------------------------------------------------------------

def survey_picker(view: View) -> SurveyInfo | None:
    """The survey shown by the tabs; the view's year first. Bound to ``?enquete=`` in the URL."""
    available = surveys(view)
    if not available:
        return None
    by_id = {s.id: s for s in available}
    year = view.period.end.year
    default = next((s.id for s in available if s.year == year), available[0].id)
    if NEXT_SURVEY_KEY in st.session_state:  # just imported (or just removed): show that one (or the default)
        chosen_next = st.session_state.pop(NEXT_SURVEY_KEY)
        st.session_state[SURVEY_KEY] = chosen_next if chosen_next in by_id else default
    remember_choice(SURVEY_KEY, list(by_id), default, int)
    chosen = st.selectbox("Enquête", list(by_id), key=SURVEY_KEY,
                          format_func=lambda i: f"{by_id[i].year} — {by_id[i].channel_label} — {by_id[i].title} "
                                                f"({by_id[i].respondents} répondants)")
    publish(SURVEY_KEY)
    return by_id.get(chosen)


# --- results -------------------------------------------------------------------------------------

def _scale_rows(res: SurveyResults, stats: QuestionStats, previous: QuestionStats | None) -> list[tuple[str, ScaleStats]]:
    rows = [(str(res.survey.year), stats.scale)]
    if previous is not None and previous.scale is not None and res.previous is not None:
        if previous.scale.scale.levels == stats.scale.scale.levels:  # type: ignore[union-attr]
            rows.append((str(res.previous.year), previous.scale))
    return rows  # type: ignore[return-value]


def scale_figure(title: str, rows: list[tuple[str, ScaleStats]]) -> go.Figure:
    yes_no = _is_yes_no(rows[0][1])
    return scale_chart(title, rows, rate_label="oui" if yes_no else "satisfaits",
                       colours=YES_NO_COLOURS if yes_no else None)


def _is_yes_no(stats: ScaleStats) -> bool:
    """Cached results are copies: compare the scale's key, not its identity."""
    return stats.scale.key == YES_NO_SCALE.key


def rate_caption(res: SurveyResults, q_stats: QuestionStats, comparison: RateComparison | None,
                 previous: QuestionStats | None) -> tuple[str, str]:
    """One short line (the rate, its base, its interval, last year and the change) and the details
    on demand (how it is counted, the interval's and the test's method)."""
    s = q_stats.scale
    assert s is not None
    what = "de « oui »" if _is_yes_no(s) else "de satisfaits"
    ci = s.ci_pct
    line = f"**{pct(s.rate_pct)}** {what} ({s.satisfied} sur {s.expressed}" + (
        f", de {format_number_fr(ci[0], 1)} à {format_number_fr(ci[1], 1)} %)" if ci else ")")
    if comparison is not None and res.previous is not None and previous is not None and previous.scale is not None:
        line += f" · {res.previous.year} : {pct(previous.scale.rate_pct)} · {comparison.short_text}"
    left = ", ".join(f"{n} {label}" for label, n in s.excluded_detail.items())
    details = [f"Satisfaits : {s.scale.positive_text}." if not _is_yes_no(s) else "Part des « oui ».",
               f"Réponses exprimées : {s.expressed}" + (f" (exclues : {left})." if left else "."),
               "Entre parenthèses, l'intervalle de confiance à 95 % (méthode de Wilson)."]
    if comparison is not None:
        details.append(f"Évolution : {comparison.text()} (méthode de Newcombe).")
    elif res.previous is None:
        details.append("Pas d'enquête de ce canal l'année précédente : pas de comparaison.")
    return line, "\n\n".join(details)


def question_figure(res: SurveyResults, position: int) -> go.Figure | None:
    """The question's chart: its scale against last year's, its choices, or its numbers' spread."""
    q = res.questions[position]
    stats = q.stats
    if stats.scale is not None:
        return scale_figure("", _scale_rows(res, stats, q.previous)) if stats.scale.expressed else None
    if stats.type_key in ("single", "multiple") and stats.distribution:
        return choice_chart("", [(mask_personal_data(lbl), n) for lbl, n in stats.distribution], stats.answers,
                            "répondants à la question")
    if stats.type_key == "number" and stats.distribution:
        return number_chart("", stats.distribution)
    return None


@st.cache_resource(show_spinner=False, max_entries=256)
def _question_figure(key: str, pref_id: int, survey_id: int, position: int, version: str,
                     _res: SurveyResults) -> go.Figure | None:
    return question_figure(_res, position)


def cached_figure(view: View, res: SurveyResults, position: int) -> go.Figure | None:
    """:func:`question_figure`, built once per survey version and shared (a page of 18 charts spent
    a third of a second building them on every rerun); ``st.plotly_chart`` never changes a figure."""
    return _question_figure(who(actor()), view.prefecture.id or 0, res.survey.id, position, view.version, res)


def question_block(view: View, res: SurveyResults, position: int) -> None:
    q = res.questions[position]
    stats = q.stats
    title = f"Q{position + 1} · {q.info.text}"
    with st.container(border=True):
        star = " · ★ question de satisfaction générale" if q.is_overall else ""
        st.markdown(f"**{plain(title)}**")
        st.caption(f"{q.info.type_label}{' (corrigé)' if q.info.corrected else ''} · colonne {plain(q.info.column)} · "
                   f"{count_text(stats.answers, 'réponse')} sur {stats.respondents}{star}")
        key = f"q{res.survey.id}-{position}"
        if stats.scale is not None:
            if stats.scale.expressed == 0:
                st.caption("Aucune réponse exprimée.")
                return
            st.plotly_chart(cached_figure(view, res, position), config={"displayModeBar": False}, key=key)
            line, details = rate_caption(res, stats, q.comparison, q.previous)
            st.markdown(line, help=details)
        elif stats.type_key in ("single", "multiple") and stats.distribution:
            st.plotly_chart(cached_figure(view, res, position), config={"displayModeBar": False}, key=key)
            if stats.type_key == "multiple":
                st.caption("Plusieurs réponses possibles : le total dépasse 100 %.")
        elif stats.type_key == "number" and stats.numbers is not None:
            n = stats.numbers
            st.markdown(f"Moyenne **{format_number_fr(n.mean, 1)}** · médiane {format_number_fr(n.median, 1)} · "
                        f"de {format_number_fr(n.minimum, 1)} à {format_number_fr(n.maximum, 1)}")
            if stats.distribution:
                st.plotly_chart(cached_figure(view, res, position), config={"displayModeBar": False}, key=key)
        elif stats.type_key == "text":
            st.markdown(f"{count_text(stats.answers, 'commentaire')} : voir l'onglet **Commentaires**.")
            return
        else:
            st.caption("Aucune réponse.")
            return
        with st.expander("Tableau (alternative au graphique)"):
            st.dataframe(distribution_table(stats), hide_index=True, width="stretch", key=f"table-{key}")


def overview(view: View, res: SurveyResults) -> None:
    info = res.survey
    overall = res.overall
    period = (f"du {info.period_start:%d/%m/%Y} au {info.period_end:%d/%m/%Y}" if info.period_source == "dates"
              else f"année {info.year} (indiquée à l'import)")
    st.markdown(f"**{plain(info.channel_label)}** · {period}")
    cols = st.columns(4)
    cols[0].metric("Répondants", format_number_fr(info.respondents, 0))
    if overall is not None and overall.stats.scale is not None:
        s = overall.stats.scale
        delta, change = None, None
        if overall.comparison is not None:
            change = overall.comparison.difference
            delta = f"{format_change(change, '%')} vs {res.previous.year}"  # type: ignore[union-attr]
        stable = change is None or is_stable(change, "%")
        cols[1].metric("Satisfaction générale", pct(s.rate_pct), delta=delta, delta_arrow="off" if stable else "auto",
                       delta_color="normal" if overall.comparison is not None and overall.comparison.significant
                       and not stable else "off",
                       help=f"{rate_text(s)} — n = {s.expressed} réponses exprimées"
                            + (f" ; {overall.comparison.text()}" if overall.comparison else ""))
        ci = s.ci_pct
        cols[2].metric("Intervalle à 95 %", f"{format_number_fr(ci[0], 1)} – {format_number_fr(ci[1], 1)}" if ci else "–",
                       help="Intervalle de Wilson : avec ce nombre de réponses, le vrai taux a 95 chances sur 100 "
                            "d'être dans cette fourchette.")
        previous = overall.previous.scale if overall.previous is not None else None
        cols[3].metric(f"Année {res.previous.year}" if res.previous else "Année précédente",
                       pct(previous.rate_pct) if previous else "–",
                       help=(f"n = {previous.expressed} ; {overall.comparison.text()}" if previous and overall.comparison
                             else "Pas d'enquête de ce canal l'année précédente."))
    else:
        cols[1].metric("Satisfaction générale", "–", help="Choisissez la question de satisfaction générale dans "
                                                         "l'onglet « Questions ».")
    feeds = (f"La question de satisfaction générale alimente l'indicateur **{plain(res.indicator_code)}**."
             if res.indicator_code else "Cette enquête n'alimente aucun indicateur du tableau de bord.")
    st.caption(f"{plain(info.title)} · fichier « {plain(info.file_name)} » · {feeds}")
    if res.indicator_code:
        st.page_link("pages/indicateurs.py", label=f"Voir l'indicateur {plain(res.indicator_code)}",
                     query_params={"ind": res.indicator_code, "annee": str(info.year)}, icon=":material/monitoring:")
    if res.previous is not None:
        st.caption(f"Comparaison avec l'enquête {res.previous.year} du même canal ({res.previous.respondents} "
                   "répondants) : une évolution n'est dite significative que si elle dépasse la marge d'erreur.",
                   help="L'écart est significatif quand son intervalle à 95 % (méthode de Newcombe, à partir des "
                        "intervalles de Wilson) exclut zéro.")


#: Questions drawn at once on the results tab; the others wait in a lazy expander (each chart costs the
#: browser about 50 ms to draw: 18 of them made the page take over a second).
FIRST_QUESTIONS = 8


def results_section(view: View, info: SurveyInfo) -> None:
    res = results(view, info.id)
    overview(view, res)
    first = min(len(res.questions), FIRST_QUESTIONS)
    for position in range(first):
        question_block(view, res, position)
    if first < len(res.questions):  # lazy: the later questions' charts run (and draw) once opened
        more = st.expander(f"Questions {first + 1} à {len(res.questions)}", key=f"survey-more-{info.id}",
                           on_change="rerun")
        if more.open:
            with more:
                for position in range(first, len(res.questions)):
                    question_block(view, res, position)
    cross_tab_section(res)
    st.download_button("Télécharger tous les résultats (Excel)",
                       functools.partial(services.surveys.results_workbook, actor(), view.prefecture.id or 0, info.id),
                       f"enquete-{info.year}-{info.channel}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="survey-results-xlsx",
                       icon=":material/download:", on_click="ignore",
                       help="Une feuille de synthèse (taux, intervalles, année précédente) et une par question ; "
                            "sans commentaire ni donnée personnelle.")


def cross_tab_section(res: SurveyResults) -> None:
    st.subheader("Tableau croisé")
    questions = [q for q in res.questions if q.stats.type_key not in ("text", "empty", "number")]
    dims = [q for q in res.questions if q.info.type_key in CATEGORICAL_TYPES or q.info.type_key.startswith("scale:")]
    if len(questions) < 1 or len(dims) < 1:
        st.caption("Pas assez de questions à choix pour un tableau croisé.")
        return
    labels = {q.info.position: f"Q{q.info.position + 1} · {q.info.text}" for q in res.questions}
    default_q = next((q.info.position for q in questions if q.is_overall), questions[0].info.position)
    profile = [q.info.position for q in dims if q.info.profile]
    cols = st.columns(2)
    positions: list[int] = [q.info.position for q in questions]
    chosen_q = cols[0].selectbox("Question", positions, format_func=lambda p: labels[p],
                                 index=positions.index(default_q), key=f"xq-{res.survey.id}")
    position: int = default_q if chosen_q is None else chosen_q
    dim_options = [q.info.position for q in dims if q.info.position != position]
    if not dim_options:
        st.caption("Pas d'autre question à choix pour croiser.")
        return
    ages = [p for p in profile if p in dim_options and "age" in normalize(res.questions[p].info.text).split()]
    default_by = next(iter(ages), next((p for p in profile if p in dim_options), dim_options[0]))
    chosen_by = cols[1].selectbox("Selon (question de profil : âge, motif de venue…)", dim_options,
                                  format_func=lambda p: labels[p], index=dim_options.index(default_by),
                                  key=f"xby-{res.survey.id}")
    by: int = default_by if chosen_by is None else chosen_by
    tab = res.cross_tab(position, by)
    if res.questions[position].stats.scale is not None:
        rows = [(mask_personal_data(label), s) for label, s in zip(tab.rows, tab.scales, strict=True)
                if s is not None and s.expressed]
        if rows:
            title = wrap(f"{res.questions[position].info.text} — selon « {res.questions[by].info.text} »")
            st.plotly_chart(scale_figure(title, rows), config={"displayModeBar": False}, key=f"xchart-{res.survey.id}")
            st.caption("Les effectifs par ligne sont petits : lisez les taux avec leur intervalle (tableau).")
    table = cross_tab_table(tab)
    st.dataframe(table, hide_index=True, width="stretch", key=f"xtable-{res.survey.id}")
    download_table(table, f"tableau-croise-{res.survey.year}-{res.survey.channel}-Q{position + 1}-Q{by + 1}",
                   key=f"xdl-{res.survey.id}")


# --- comments ------------------------------------------------------------------------------------

def comments_section(view: View, info: SurveyInfo) -> None:
    frame = comments(view, info.id)
    admin = actor().principal.can("read_personal")
    if frame.empty:
        st.caption("Cette enquête n'a pas de question à réponse libre (ou aucune réponse libre).")
        return
    if admin:
        st.warning("Vue administrateur : les commentaires sont affichés tels qu'écrits, avec d'éventuelles données "
                   "personnelles. Les téléchargements restent masqués.")
    else:
        st.info("Les adresses électroniques, numéros de téléphone, noms, adresses et numéros de dossier sont masqués.")
    known = services.surveys.comment_themes(actor(), view.prefecture.id or 0)
    cols = st.columns([2, 2, 1.5])
    query = cols[0].text_input("Rechercher", key=f"c-search-{info.id}", placeholder="mot du commentaire")
    themes = cols[1].multiselect("Thèmes", known, key=f"c-themes-{info.id}", placeholder="tous")
    questions = dict(zip(frame["question_id"], frame["Question"], strict=False))
    question_id = None
    if len(questions) > 1:
        question_id = cols[2].selectbox("Question", [None, *questions], key=f"c-q-{info.id}",
                                        format_func=lambda i: "toutes" if i is None else questions[i])
    shown = services.surveys.search_comments(frame, query, themes, question_id)
    counts = services.surveys.theme_counts(frame)
    st.caption(f"{count_text(len(shown), 'commentaire')} sur {len(frame)}" + (
        " · thèmes : " + plain(", ".join(f"{t} ({n})" for t, n in counts.itertuples(index=False))) if len(counts) else ""))
    editor_frame = shown[["Ligne", "Date", "Commentaire", "Thèmes"]].copy()
    if len(questions) > 1:
        editor_frame.insert(0, "Question", shown["Question"])
    edited = st.data_editor(
        editor_frame, key=f"c-editor-{info.id}-{hashlib.md5((query + '|'.join(themes) + str(question_id)).encode()).hexdigest()[:8]}",
        hide_index=True, width="stretch", disabled=[c for c in editor_frame.columns if c != "Thèmes"],
        column_config={
            "Ligne": st.column_config.NumberColumn(width="small", format="%d", help="Ligne du fichier importé"),
            "Date": st.column_config.DatetimeColumn(format="DD/MM/YYYY", width="small"),
            "Commentaire": st.column_config.TextColumn(width="large"),
            "Thèmes": st.column_config.MultiselectColumn(options=known, accept_new_options=True, width="medium",
                                                         help="Choisissez ou tapez un thème"),
        },
    )
    changes = [(int(r.response_id), int(r.question_id), list(new))
               for r, new in zip(shown.itertuples(index=False), edited["Thèmes"], strict=True)
               if sorted(r[7]) != sorted(list(new or []))]
    buttons = st.columns(2) if can_edit() else None
    if buttons is not None and buttons[0].button(f"Enregistrer les thèmes ({len(changes)})", key=f"c-save-{info.id}", disabled=not changes,
                         type="primary", icon=":material/sell:"):
        with refusal_shown():
            count = services.surveys.save_comment_themes(actor(), view.prefecture.id or 0, info.id, changes)
        importing.flash("success", f"Thèmes enregistrés pour {count_text(count, 'commentaire')}.")
        after_write()
        st.rerun()
    if buttons is not None and buttons[1].button("Proposer des thèmes aux commentaires sans thème", key=f"c-suggest-{info.id}",
                         icon=":material/auto_awesome:",
                         help="D'après les mots des commentaires (attente, horaires, rendez-vous…) ; à corriger ensuite."):
        with refusal_shown():
            count = services.surveys.suggest_comment_themes(actor(), view.prefecture.id or 0, info.id)
        importing.flash("success", f"{count_text(count, 'commentaire')} {plural(count, 'a', 'ont')} reçu des thèmes proposés.")
        after_write()
        st.rerun()
    export = services.surveys.export_frame(shown)
    download_table(export, f"commentaires-{info.year}-{info.channel}", key=f"c-dl-{info.id}")
    st.caption("Les fichiers téléchargés sont toujours masqués, quel que soit le profil.")


# --- question types and overall question ---------------------------------------------------------

TYPE_BY_LABEL = {label: key for key, label in TYPE_LABELS.items()}


def questions_section(view: View, info: SurveyInfo) -> None:
    res = results(view, info.id)
    st.markdown("Le type de chaque question est reconnu à ses réponses ; corrigez-le si besoin (par exemple une note "
                "de 1 à 5 lue comme un nombre). Le type décide du calcul : seules les échelles et les questions oui / "
                "non donnent un taux.")
    table = pd.DataFrame({
        "n°": [f"Q{q.info.position + 1}" for q in res.questions],
        "Colonne": [q.info.column for q in res.questions],
        "Question": [q.info.text for q in res.questions],
        "Type reconnu": [type_label(q.info.detected_type) for q in res.questions],
        "Type retenu": [q.info.type_label for q in res.questions],
        "Réponses": [q.stats.answers for q in res.questions],
    })
    edited = st.data_editor(table, key=f"types-{info.id}-{version(view)[-12:]}", hide_index=True, width="stretch",
                            height="content", disabled=["n°", "Colonne", "Question", "Type reconnu", "Réponses"],
                            column_order=["n°", "Question", "Type retenu", "Type reconnu", "Réponses", "Colonne"],
                            column_config={"Type retenu": st.column_config.SelectboxColumn(
                                options=list(TYPE_LABELS.values()), required=True, width=250,
                                help="Cliquez pour corriger le type"),
                                "n°": st.column_config.TextColumn(width=45, pinned=True),
                                "Type reconnu": st.column_config.TextColumn(width=230),
                                "Réponses": st.column_config.NumberColumn(width=80),
                                "Colonne": st.column_config.TextColumn(width=70),
                                "Question": st.column_config.TextColumn(width=330)})
    changed = [(q, TYPE_BY_LABEL[new]) for q, new in zip(res.questions, edited["Type retenu"], strict=True)
               if TYPE_BY_LABEL.get(new, q.info.type_key) != q.info.type_key]
    if st.button(f"Enregistrer les types ({len(changed)})", key=f"types-save-{info.id}", disabled=not changed,
                 type="primary", icon=":material/save:"):
        messages, errors = [], []
        for q, key in changed:
            try:
                with refusal_shown():
                    change = services.surveys.set_question_type(actor(), view.prefecture.id or 0, info.id, q.info.id,
                                                                key)
                messages.append(f"Q{q.info.position + 1} : {type_label(key)}" + (f" ({change.message})" if change else ""))
            except SurveyError as exc:
                errors.append(str(exc))
        if messages:
            importing.flash("success", "Types enregistrés — " + " ; ".join(messages))
        for error in errors:
            importing.flash("error", f"Type refusé : {error}")
        after_write()
        st.rerun()
    overall_section(view, res)
    undo_section(view, info)


def overall_section(view: View, res: SurveyResults) -> None:
    st.subheader("Question de satisfaction générale")
    st.markdown("Elle donne le taux de satisfaction du canal et alimente un indicateur du tableau de bord "
                "(PAN_SATISFACTION, ACCUEIL_SATISFACTION ou un indicateur de la préfecture) pour la période de "
                "l'enquête. Le choix est retenu pour l'enquête de l'an prochain du même canal.")
    rateable = [q for q in res.questions if q.info.rateable]
    options: list[int | None] = [None, *[q.info.id for q in rateable]]
    labels = {q.info.id: f"Q{q.info.position + 1} · {q.info.text}" for q in rateable}
    current = next((q.info.id for q in res.questions if q.is_overall), None)
    indicators = services.surveys.rate_indicators(actor(), view.prefecture.id or 0)
    codes: list[str | None] = [None, *[d.code for d in indicators]]
    names = {d.code: f"{d.code} — {d.label}" for d in indicators}
    cols = st.columns(2)
    question = cols[0].selectbox("Question", options, index=options.index(current) if current in options else 0,
                                 format_func=lambda i: "aucune" if i is None else labels[i], key=f"overall-{res.survey.id}")
    indicator = cols[1].selectbox("Indicateur alimenté", codes,
                                  index=codes.index(res.indicator_code) if res.indicator_code in codes else 0,
                                  format_func=lambda c: "aucun" if c is None else names[c],
                                  key=f"overall-ind-{res.survey.id}")
    if st.button("Enregistrer ce choix", key=f"overall-save-{res.survey.id}", icon=":material/save:"):
        try:
            with refusal_shown():
                change = services.surveys.set_overall_question(actor(), view.prefecture.id or 0, res.survey.id,
                                                               question, indicator)
        except SurveyError as exc:
            st.error(f"Choix refusé : {plain(exc)}.")
            return
        importing.flash("success" if change.batch else "info", change.message[:1].upper() + change.message[1:] + (
            " L'historique de la page Import permet d'annuler ce lot." if change.batch else ""))
        after_write()
        st.rerun()


def undo_section(view: View, info: SurveyInfo) -> None:
    with st.expander("Retirer cette enquête"):
        st.markdown("Annule l'import du fichier (et les changements de question générale) : les valeurs qu'il avait "
                    "remplacées dans le tableau de bord sont rétablies, les réponses et thèmes sont supprimés.")
        confirmed = st.checkbox(f"Je confirme le retrait de l'enquête « {plain(info.title)} » ({info.year})",
                                key=f"undo-confirm-{info.id}")
        if st.button("Retirer l'enquête", key=f"undo-{info.id}", disabled=not confirmed, icon=":material/delete:"):
            try:
                with refusal_shown():
                    restored = services.surveys.undo_survey(actor(), view.prefecture.id or 0, info.id)
            except (UndoError, SurveyError) as exc:
                st.error(f"Retrait impossible : {plain(exc)}.")
                return
            importing.flash("success", f"Enquête retirée ; "
                            f"{count_text(restored, 'valeur antérieure rétablie', 'valeurs antérieures rétablies')}.")
            st.session_state[NEXT_SURVEY_KEY] = None
            after_write()
            st.rerun()


# --- import --------------------------------------------------------------------------------------

PERIOD_MODES = {"dates": "dates des réponses", "year": "une année", "range": "des dates"}


def _plan(view: View, name: str, content: bytes, channel: str, year: int | None,
          period: tuple[dt.date, dt.date] | None, overall: object, indicator: object) -> SurveyPlan:
    key = (view.prefecture.id, hashlib.sha256(content).hexdigest(), channel, year, period, overall, indicator,
           version(view))
    cache: dict[tuple, SurveyPlan] = st.session_state.setdefault(PLANS_KEY, {})
    if key not in cache:
        cache.clear()
        cache[key] = services.surveys.analyse_import(actor(), view.prefecture.id or 0, name, content, channel=channel,
                                                     year=year, period=period, overall=overall,  # type: ignore[arg-type]
                                                     indicator=indicator)  # type: ignore[arg-type]
    return cache[key]


def import_section(view: View) -> None:
    st.markdown("Déposez l'export de l'outil d'enquête (formulaire en ligne, tablette) : **une ligne par répondant, "
                "une colonne par question**, en `.xlsx` ou `.csv` (`;` ou `,`, UTF-8 ou Windows-1252). Une ligne de "
                "titre au-dessus de l'en-tête est acceptée. Les colonnes de date, d'identifiant et de mode de recueil "
                "sont reconnues ; les colonnes d'adresse électronique, de nom ou de téléphone ne sont pas conservées.")
    uploaded = importing.spreadsheet_upload("Export d'enquête", "survey-upload")
    if uploaded is None:
        return
    name, content = uploaded.name, uploaded.getvalue()
    base = _plan(view, name, content, None, None, None, "auto", "auto")  # type: ignore[arg-type]
    if base.table is None:
        st.error("Fichier refusé : rien ne sera enregistré.")
        show_issues(base.errors, key="survey-upload-errors")
        return
    if base.already_imported is not None:
        st.info(plain(importing.already_imported_text(base.already_imported)))
        return
    cols = st.columns(3)
    channels = list(SURVEY_CHANNELS)
    channel = cols[0].selectbox("Canal de l'enquête", channels,
                                index=channels.index(base.channel_guess) if base.channel_guess in channels else 0,
                                format_func=channel_label, key="survey-channel",
                                help="Déduit du titre ou du nom du fichier quand il le dit ; à vérifier.")
    has_dates = base.table.date_span is not None
    modes = list(PERIOD_MODES) if has_dates else ["year", "range"]
    mode = cols[1].radio("Période", modes, format_func=PERIOD_MODES.get, key="survey-period-mode", horizontal=True)
    year: int | None = None
    period: tuple[dt.date, dt.date] | None = None
    if mode == "year":
        years = window_years()  # a file dated 1995 suggests a year the input could not even show
        guess = base.table.date_span[1].year if has_dates else view.period.end.year  # type: ignore[index]
        year = int(cols[2].number_input("Année", min_value=years[-1], max_value=years[0],
                                        value=min(max(guess, years[-1]), years[0]), step=1, key="survey-year"))
    elif mode == "range":
        span = base.table.date_span or (dt.date(view.period.end.year, 1, 1), dt.date(view.period.end.year, 12, 31))
        chosen = cols[2].date_input("Du … au …", value=span, format="DD/MM/YYYY", key="survey-range")
        if isinstance(chosen, tuple) and len(chosen) == 2:
            period = (chosen[0], chosen[1])
    plan = _plan(view, name, content, channel, year, period, "auto", "auto")
    if plan.ok:
        rateable = [q for q in plan.questions if q.type_key.startswith("scale:") or q.type_key == "yes_no"]
        q_options: list[int | None] = [None, *[q.position for q in rateable]]
        q_labels = {q.position: f"Q{q.position + 1} · {q.text}" for q in rateable}
        indicators = services.surveys.rate_indicators(actor(), view.prefecture.id or 0)
        codes: list[str | None] = [None, *[d.code for d in indicators]]
        choice = st.columns(2)
        overall = choice[0].selectbox("Question de satisfaction générale", q_options,
                                    index=q_options.index(plan.overall_position) if plan.overall_position in q_options
                                    else 0, format_func=lambda p: "aucune" if p is None else q_labels[p],
                                    key=f"survey-overall-{plan.sha256[:8]}")
        indicator = choice[1].selectbox("Indicateur alimenté", codes,
                                      index=codes.index(plan.indicator_code) if plan.indicator_code in codes else 0,
                                      format_func=lambda c: "aucun" if c is None else c,
                                      key=f"survey-indicator-{plan.sha256[:8]}")
        if overall != plan.overall_position or indicator != plan.indicator_code:
            plan = _plan(view, name, content, channel, year, period, overall, indicator)
    show_survey_plan(view, name, content, plan, channel, year, period)


def plan_questions_table(plan: SurveyPlan) -> pd.DataFrame:
    assert plan.table is not None
    return pd.DataFrame({
        "n°": [f"Q{q.position + 1}" for q in plan.questions],
        "Colonne": [q.column for q in plan.questions],
        "Question": [q.text for q in plan.questions],
        "Type reconnu": [type_label(q.type_key) for q in plan.questions],
        "Réponses": [sum(1 for a in plan.table.questions[q.position].answers if a.strip()) for q in plan.questions],
    })


def show_survey_plan(view: View, name: str, content: bytes, plan: SurveyPlan, channel: str,
                     year: int | None, period: tuple[dt.date, dt.date] | None) -> None:
    if not plan.ok:
        st.error("Fichier refusé : rien ne sera enregistré ; corrigez puis déposez-le à nouveau.")
        show_issues(plan.errors, key="survey-plan-errors")
        return
    table = plan.table
    assert table is not None
    st.markdown(f"**{plain(table.title)}** · {count_text(plan.respondents, 'répondant')} · "
                f"{count_text(len(plan.questions), 'question')} · "
                f"{plan.period_text()} (année {plan.year}) · feuille « {plain(table.sheet)} », en-tête ligne {table.header_row}")
    meta = [c for c in table.columns if c.role != "question"]
    if meta:
        st.caption("Colonnes mises à part : " + plain(" ; ".join(f"{c.header} ({ROLE_LABELS[c.role]})" for c in meta)))
    if plan.overall_stats is not None and plan.overall_position is not None:
        st.markdown(f"Satisfaction générale : **{rate_text(plan.overall_stats)}** "
                    f"({plan.overall_stats.satisfied} / {plan.overall_stats.expressed} réponses exprimées)")
    if plan.feed is not None and len(plan.feed.drafts):
        n = len(plan.feed.drafts)
        st.caption(f"{count_text(n, 'valeur')} de {plain(plan.indicator_code)} {plural(n, 'sera enregistrée', 'seront enregistrées')}"
                   + (f", dont {len(plan.feed.replacements)} en remplacement de valeurs existantes (gardées dans "
                      "l'historique)" if len(plan.feed.replacements) else "") + ".")
    if plan.replaces:
        st.warning("Cette enquête remplacera " + ", ".join(f"« {plain(s.title)} » ({s.year}, {period_text(s.period_start, s.period_end)})"
                                                           for s in plan.replaces)
                   + " : même canal, périodes qui se recouvrent. Annuler l'import rétablira l'ancienne.")
    st.dataframe(plan_questions_table(plan), hide_index=True, width="stretch", key="survey-plan-questions")
    if plan.warnings:
        with st.expander(f"Avertissements ({len(plan.warnings)})"):
            show_issues(plan.warnings, key="survey-plan-warnings")
    if st.button("Enregistrer l'enquête", key="survey-save", type="primary", icon=":material/save:"):
        try:
            with refusal_shown():
                outcome = services.surveys.import_survey(actor(), view.prefecture.id or 0, name, content,
                                                         channel=channel, year=year, period=period,
                                                         overall=plan.overall_position, indicator=plan.indicator_code)
        except ImportRejected as exc:
            importing.flash("error", f"{name} : refusé à l'enregistrement, rien n'a été enregistré.", exc.errors)
        else:
            if outcome.survey is not None:
                importing.flash("success", f"Enregistré (lot n° {outcome.batch.id}) — {outcome.plan.summary()}")  # type: ignore[union-attr]
                st.session_state[NEXT_SURVEY_KEY] = outcome.survey.id
            else:
                importing.flash("info", outcome.plan.summary())
        after_write()
        st.rerun()


# --- engagements page ----------------------------------------------------------------------------

def engagement_surveys_section(view: View, engagement: Engagement, results_: list[IndicatorResult]) -> bool:
    """Survey results (and mystery checks) of the view's year that evidence this engagement."""
    year = view.period.end.year
    found_surveys, found_mystery = summaries(view, year)
    indicator_engagement = {r.indicator.code: r.indicator.engagement_key for r in results_}
    mine = [s for s in found_surveys
            if (s.indicator_code and indicator_engagement.get(s.indicator_code) == engagement.key)
            or (engagement.channel_code and REFERENTIEL_CHANNEL.get(s.channel) == engagement.channel_code)
            or engagement.key in LISTENING_ENGAGEMENTS]
    checks = [m for m in found_mystery if engagement.channel_code
              and MYSTERY_REFERENTIEL_CHANNEL.get(m.channel) == engagement.channel_code]
    if not mine and not checks:
        return False
    st.markdown(f"**Enquêtes {year}**")
    for s in mine:
        overall = s.overall
        if overall is not None and overall.satisfaction_rate is not None:
            text = (f"{pct(overall.satisfaction_rate)} de satisfaits [{format_number_fr(overall.ci_low or 0, 1)} – "
                    f"{format_number_fr(overall.ci_high or 0, 1)}], n = {overall.expressed}")
            if overall.previous_rate is not None:
                verdict = "évolution significative" if overall.change_significant else "dans la marge d'erreur"
                text += f" · {s.previous_year} : {pct(overall.previous_rate)} ({verdict})"
        else:
            text = "pas de question de satisfaction générale choisie"
        st.markdown(f"- {s.channel_label} — {s.respondents} répondants : {text}")
        st.page_link("pages/enquetes.py", label=f"Voir l'enquête {s.channel_label.lower()} {s.year}",
                     query_params={SURVEY_KEY: str(s.survey_id)}, icon=":material/forum:")
    for m in checks:
        st.markdown(f"- {m.channel_label} — {count_text(m.checks, 'contrôle')} : {pct(m.rate)} des critères respectés, "
                    f"{count_text(m.fully_met, 'contrôle')} sans aucun manquement")
    return True

