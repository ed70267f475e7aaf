"""Free-text answers: listed, searched, tagged by theme; masked for anyone but an administrator.

The raw text stays in the database (the référent(e) qualité may need to call a user back); what
leaves the admin view — other views, every export — is :func:`~qep_core.privacy.mask_personal_data`'s
output. Searching, for a viewer who sees masked text, searches the masked text: otherwise typing
a surname would tell whether someone wrote in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pandas as pd
from sqlalchemy import delete
from sqlmodel import Session, col, select

from qep_core.frenchforms import normalize
from qep_core.privacy import mask_personal_data
from qep_core.surveys.models import Survey, SurveyCommentTag, SurveyQuestion
from qep_core.surveys.service import SurveyError, answers_by_question, get_survey, questions_of, responses_of

COLUMNS = ["response_id", "question_id", "Question", "Ligne", "Date", "Mode de recueil", "Commentaire", "Thèmes"]
MAX_THEME = 80

# Themes offered by default (a préfecture adds its own by typing them), with the words that suggest them
THEME_WORDS: dict[str, tuple[str, ...]] = {
    "Attente": ("attente", "attendre", "attendu", "file", "queue", "longtemps", "minutes", "heure d attente"),
    "Accueil et courtoisie": ("accueil", "aimable", "courtois", "courtoisie", "poli", "politesse", "souriant",
                              "desagreable", "agent", "agents", "personnel", "gentil", "gentille"),
    "Rendez-vous": ("rendez vous", "rdv", "creneau", "creneaux", "prise de rendez vous"),
    "Horaires": ("horaire", "horaires", "ouverture", "fermeture", "fermé", "ferme", "samedi", "midi"),
    "Signalétique et orientation": ("signaletique", "panneau", "panneaux", "orientation", "trouver", "perdu",
                                    "indication", "fleche"),
    "Confort et propreté": ("propre", "proprete", "sale", "siege", "sieges", "chaise", "chaises", "toilettes",
                            "chauffage", "froid", "chaud", "confort", "assis"),
    "Accessibilité": ("handicap", "fauteuil", "pmr", "ascenseur", "boucle", "malentendant", "accessible",
                      "accessibilite", "poussette"),
    "Téléphone": ("telephone", "standard", "appel", "appels", "joindre", "repondeur", "decroche"),
    "Site internet et démarches en ligne": ("site", "internet", "en ligne", "ants", "formulaire", "connexion",
                                            "numerique", "ordinateur"),
    "Délais de traitement": ("delai", "delais", "traitement", "dossier", "titre", "recepisse", "relance",
                             "toujours pas", "semaines", "mois"),
    "Information et réponses": ("information", "informations", "reponse", "reponses", "renseignement", "explication",
                                "clair", "claire", "precis", "comprendre"),
}


def clean_theme(theme: str) -> str:
    text = re.sub(r"\s+", " ", str(theme or "")).strip()
    return text[:1].upper() + text[1:MAX_THEME] if text else ""


def suggest_themes(text: str) -> list[str]:
    """Themes whose words appear in a comment (a starting point the user corrects)."""
    words = f" {normalize(text)} "
    return [theme for theme, keys in THEME_WORDS.items() if any(f" {normalize(k)} " in words for k in keys)]


def _comment_positions(questions: Sequence[SurveyQuestion]) -> list[SurveyQuestion]:
    return [q for q in questions if q.type_key == "text"]


def comments_frame(session: Session, prefecture_id: int, survey_id: int, masked: bool = True) -> pd.DataFrame:
    """One row per comment (free-text answer), with its themes; *masked* unless shown to an admin."""
    survey = get_survey(session, prefecture_id, survey_id)
    questions = questions_of(session, survey.id or 0)
    texts = _comment_positions(questions)
    if not texts:
        return pd.DataFrame(columns=COLUMNS)
    responses = responses_of(session, survey.id or 0)
    answers = answers_by_question(responses, len(questions))
    tags: dict[tuple[int, int], list[str]] = {}
    for tag in session.exec(select(SurveyCommentTag).where(SurveyCommentTag.survey_id == survey.id)
                            .order_by(SurveyCommentTag.theme)):
        tags.setdefault((tag.response_id, tag.question_id), []).append(tag.theme)
    records = []
    for q in texts:
        for response, text in zip(responses, answers[q.position], strict=True):
            if not text.strip():
                continue
            shown = mask_personal_data(text) if masked else text
            collection = response.collection_channel or ""
            records.append((response.id, q.id, q.text, response.row, response.submitted_at,
                            mask_personal_data(collection) if masked else collection, shown,
                            tags.get((response.id or 0, q.id or 0), [])))
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def search_comments(frame: pd.DataFrame, query: str = "", themes: Iterable[str] = (),
                    question_id: int | None = None) -> pd.DataFrame:
    """Comments containing every word of *query* (whatever the case and accents) and every theme.

    The search runs on the frame's own text: give it the masked frame for a non-admin viewer.
    """
    out = frame
    if question_id is not None:
        out = out[out["question_id"] == question_id]
    words = normalize(query).split()
    if words:
        folded = out["Commentaire"].map(normalize)
        mask = pd.Series(True, index=out.index)
        for word in words:
            mask &= folded.str.contains(rf"\b{re.escape(word)}", regex=True)
        out = out[mask]
    for theme in themes:
        out = out[out["Thèmes"].map(lambda ts, t=theme: t in ts)]
    return out


def set_comment_themes(session: Session, prefecture_id: int, survey_id: int, response_id: int, question_id: int,
                       themes: Iterable[str]) -> list[str]:
    """Replace a comment's themes; returns them cleaned (no blanks, no duplicates)."""
    survey = get_survey(session, prefecture_id, survey_id)
    question = session.get(SurveyQuestion, question_id)
    if question is None or question.survey_id != survey.id or question.type_key != "text":
        raise SurveyError("commentaire introuvable dans cette enquête")
    cleaned = list(dict.fromkeys(t for t in (clean_theme(x) for x in themes) if t))
    session.exec(delete(SurveyCommentTag).where(col(SurveyCommentTag.response_id) == response_id,
                                                col(SurveyCommentTag.question_id) == question_id))
    for theme in cleaned:
        session.add(SurveyCommentTag(survey_id=survey.id or 0, response_id=response_id, question_id=question_id,
                                     theme=theme))
    session.flush()
    return cleaned


def save_themes(session: Session, prefecture_id: int, survey_id: int,
                changes: Iterable[tuple[int, int, Iterable[str]]]) -> list[tuple[int, int, list[str]]]:
    """Several comments' themes at once (an edited table); returns what each comment now carries
    (response, question, themes), one entry per comment changed. The caller records the change."""
    return [(response_id, question_id,
             set_comment_themes(session, prefecture_id, survey_id, response_id, question_id, themes))
            for response_id, question_id, themes in changes]


def suggest_for_untagged(session: Session, prefecture_id: int, survey_id: int, user: str = "") -> int:
    """Give every comment without a theme the themes its words suggest; returns comments tagged."""
    frame = comments_frame(session, prefecture_id, survey_id, masked=False)
    tagged = 0
    for row in frame.itertuples(index=False):
        if row[7]:
            continue
        themes = suggest_themes(row[6])
        if themes:
            set_comment_themes(session, prefecture_id, survey_id, int(row[0]), int(row[1]), themes)
            tagged += 1
    return tagged


def themes_in_use(session: Session, prefecture_id: int) -> list[str]:
    """The default themes and every theme the préfecture has used, sorted."""

    used = session.exec(select(SurveyCommentTag.theme).join(Survey, col(SurveyCommentTag.survey_id) == Survey.id)
                        .where(Survey.prefecture_id == prefecture_id).distinct()).all()
    return sorted({*THEME_WORDS, *used}, key=normalize)


def theme_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """How many comments carry each theme (most frequent first)."""
    counts: dict[str, int] = {}
    for themes in frame["Thèmes"]:
        for theme in themes:
            counts[theme] = counts.get(theme, 0) + 1
    return pd.DataFrame(sorted(counts.items(), key=lambda kv: (-kv[1], normalize(kv[0]))),
                        columns=["Thème", "Commentaires"])


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """What a download contains: masked text, themes as words; never the raw comment.

    Masks again whatever frame it is given, so that even the admin's (raw) frame cannot leave unmasked.
    """
    return pd.DataFrame({
        "Question": frame["Question"].tolist(),
        "Ligne du fichier": frame["Ligne"].tolist(),
        "Date": [d.strftime("%d/%m/%Y") if d is not None and not pd.isna(d) else "" for d in frame["Date"]],
        "Mode de recueil": [mask_personal_data(v) for v in frame["Mode de recueil"]],
        "Commentaire": [mask_personal_data(v) for v in frame["Commentaire"]],
        "Thèmes": [", ".join(ts) for ts in frame["Thèmes"]],
    })
