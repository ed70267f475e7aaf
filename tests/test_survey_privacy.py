"""Personal data in comments: masked everywhere outside the admin view and in every export (downloads,
CLI output, the exports' accessor); comments searchable and tagged by theme."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from qep_core.db import session_scope
from qep_core.models import Prefecture
from qep_core.privacy import contains_personal_data, mask_personal_data
from qep_core.surveys import comments
from qep_core.surveys.reading import read_survey
from qep_core.surveys.report import to_json, to_table
from qep_core.surveys.results import table_results
from qep_core.surveys.service import import_survey
from qep_core.surveys.summary import survey_summaries
from qep_ui.widgets import csv_bytes, xlsx_bytes
from tests import survey_files as files

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("raw", "masked"), [
    ("Écrivez-moi à jean.dupont@example.org merci", "Écrivez-moi à [courriel masqué] merci"),
    ("Rappel au 06 39 98 12 34 ou +33 6 39 98 12 34", "Rappel au [téléphone masqué] ou [téléphone masqué]"),
    ("fixe 02.40.41.20.20, portable 0639981234", "fixe [téléphone masqué], portable [téléphone masqué]"),
    ("Merci à Mme Durand et à M. Jean MARTIN", "Merci à Mme [nom masqué] et à M. [nom masqué]"),
    ("Madame la Préfète et monsieur le sous-préfet", "Madame la Préfète et monsieur le sous-préfet"),
    ("madame dupont était absente", "madame [nom masqué] était absente"),
    ("J'habite 12 rue des Lilas, 44000 Nantes depuis 2019", "J'habite [adresse masquée] depuis 2019"),
    ("3 bis avenue Jean Jaurès", "[adresse masquée]"),
    ("mon dossier n° 2023-44-01234 est bloqué", "mon dossier n° [n° masqué] est bloqué"),
    ("numéro étranger 4401234567", "numéro étranger [n° masqué]"),
    ("immatriculation AB-123-CD, ancienne 1234 AB 44", "immatriculation [immatriculation masquée], ancienne "
                                                       "[immatriculation masquée]"),
    ("sécu 1 85 05 44 109 123 45", "sécu [numéro masqué]"),
    ("IBAN FR76 3000 6000 0112 3456 7890 189", "IBAN [IBAN masqué]"),
    ("Je m'appelle Paul Bernard et j'attends", "Je m'appelle [nom masqué] et j'attends"),
    # what must stay: figures, dates, times, ordinary words
    ("Attente de 45 minutes le 12/05/2023 à 10h30, 3 guichets sur 8", "Attente de 45 minutes le 12/05/2023 à 10h30, "
                                                                       "3 guichets sur 8"),
    ("48 %, 1 234 usagers, 263 réponses, 99,6 %", "48 %, 1 234 usagers, 263 réponses, 99,6 %"),
    ("Très bon accueil, merci !", "Très bon accueil, merci !"),
])
def test_mask_personal_data(raw: str, masked: str) -> None:
    assert mask_personal_data(raw) == masked
    assert mask_personal_data(masked) == masked  # masking twice changes nothing
    assert contains_personal_data(raw) == (raw != masked)


def _no_personal_data(text: str) -> None:
    for secret in files.ACCUEIL_PERSONAL:
        assert secret not in text, secret


@pytest.fixture
def survey_id(engine: Engine, prefecture: Prefecture) -> int:
    outcome = import_survey(engine, prefecture.id or 0, "accueil-2023.xlsx", files.accueil_xlsx_title_row(),
                            channel="accueil")
    return outcome.survey.id or 0  # type: ignore[union-attr]


def test_comments_are_masked_unless_admin_and_downloads_always(engine: Engine, prefecture: Prefecture,
                                                                survey_id: int) -> None:
    pid = prefecture.id or 0
    with session_scope(engine) as session:
        masked = comments.comments_frame(session, pid, survey_id, masked=True)
        raw = comments.comments_frame(session, pid, survey_id, masked=False)
    assert len(masked) == len(raw) == 7
    _no_personal_data(masked.to_csv())
    assert "Durand" in raw.to_csv() and "jean.dupont@example.org" in raw.to_csv()  # the admin view has it all
    assert "Merci à Madame [nom masqué] pour son aide" in masked["Commentaire"].tolist()
    for frame in (masked, raw):  # the download is masked whatever the frame it starts from
        export = comments.export_frame(frame)
        _no_personal_data(csv_bytes(export).decode("utf-8-sig"))
        assert b"Durand" not in xlsx_bytes({"commentaires": export})  # zip-compressed: check the cells too
        import openpyxl

        book = openpyxl.load_workbook(__import__("io").BytesIO(xlsx_bytes({"commentaires": export})))
        _no_personal_data(" ".join(str(c.value) for row in book.active.iter_rows() for c in row))
    # the e-mail column of the file was never stored
    from sqlmodel import select

    from qep_core.surveys.models import SurveyResponse

    with session_scope(engine) as session:
        stored = " ".join(r.answers_json for r in session.exec(select(SurveyResponse)))
    assert "a.martin@example.org" not in stored and "b.durand@example.org" not in stored


def test_search_runs_on_what_the_viewer_sees(engine: Engine, prefecture: Prefecture, survey_id: int) -> None:
    with session_scope(engine) as session:
        masked = comments.comments_frame(session, prefecture.id or 0, survey_id, masked=True)
        raw = comments.comments_frame(session, prefecture.id or 0, survey_id, masked=False)
    assert comments.search_comments(masked, "durand").empty  # a masked name cannot be found by typing it
    assert len(comments.search_comments(raw, "durand")) == 1
    assert len(comments.search_comments(masked, "ATTENTE")) == 2  # « salle d'attente », « Attente trop longue »
    assert len(comments.search_comments(masked, "attente lundi")) == 1  # every word


def test_themes(engine: Engine, prefecture: Prefecture, survey_id: int) -> None:
    pid = prefecture.id or 0
    with session_scope(engine) as session:
        frame = comments.comments_frame(session, pid, survey_id)
    first = frame.iloc[0]
    with session_scope(engine, write=True) as session:
        kept = comments.set_comment_themes(session, pid, survey_id, int(first["response_id"]),
                                           int(first["question_id"]), ["  accueil  ", "Accueil", "", "Délais"])
        assert kept == ["Accueil", "Délais"]
        tagged = comments.suggest_for_untagged(session, pid, survey_id)
    assert tagged >= 2
    with session_scope(engine) as session:
        frame = comments.comments_frame(session, pid, survey_id)
        known = comments.themes_in_use(session, pid)
    assert frame.iloc[0]["Thèmes"] == ["Accueil", "Délais"]  # a tagged comment keeps the user's themes
    assert "Délais" in known and "Attente" in known
    waiting = comments.search_comments(frame, themes=["Attente"])
    assert len(waiting) == 2
    counts = comments.theme_counts(frame)
    assert counts.iloc[0]["Commentaires"] >= counts.iloc[-1]["Commentaires"]
    assert comments.suggest_themes("Trop d'attente, pas de siège") == ["Attente", "Confort et propreté"]


def test_cli_output_masks_comments_and_choices() -> None:
    table = read_survey("accueil.xlsx", files.accueil_xlsx_title_row())
    questions = table_results(table)
    _no_personal_data(to_table(table, questions))
    _no_personal_data(to_json(table, questions))
    phone = read_survey("tel.csv", files.phone_csv_cp1252())
    text = to_json(phone, table_results(phone)) + to_table(phone, table_results(phone))
    assert "06 39 98 12 34" not in text and "jean.dupont@example.org" not in text and "Lefèvre" not in text


def test_cli_survey_command(tmp_path: Path) -> None:
    path = tmp_path / "enquete-telephone.csv"
    path.write_bytes(files.phone_csv_cp1252())
    done = subprocess.run([sys.executable, "-m", "qep_core", "survey", str(path), "--format", "json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["respondents"] == 22
    overall = next(q for q in payload["questions"] if q["column"] == "G")
    assert overall["type"] == "scale:satisfaction4" and overall["answers"] == 20
    # 12 / 18, Wilson [43,75 ; 83,72] (test_survey_stats); excluded: 2 blanks, « Sans avis », « Ne sait pas »
    assert {k: overall[k] for k in ("satisfaction_rate", "expressed", "excluded", "ci_low", "ci_high")} == {
        "satisfaction_rate": 66.67, "expressed": 18, "excluded": 4, "ci_low": 43.75, "ci_high": 83.72}
    assert overall["distribution"] == {"Très satisfait": 5, "Satisfait": 7, "Peu satisfait": 4,
                                       "Pas du tout satisfait": 2, "Sans avis": 1, "Ne sait pas": 1}
    remarks = next(q for q in payload["questions"] if q["type"] == "text")
    assert "Rappelez-moi au [téléphone masqué] s'il vous plaît" in remarks["comments"]
    assert "06 39 98" not in done.stdout
    table = subprocess.run([sys.executable, "-m", "qep_core", "survey", str(path)], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    assert table.returncode == 0
    assert "satisfaction : 66,7 % (12 / 18 exprimées ; IC 95 % 43,7 % – 83,7 %)" in table.stdout
    assert "06 39 98" not in table.stdout
    bad = tmp_path / "vide.csv"
    bad.write_bytes(b"")
    refused = subprocess.run([sys.executable, "-m", "qep_core", "survey", str(bad)], cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == 1 and "le fichier est vide" in refused.stderr


def test_summary_for_exports_has_no_personal_data(engine: Engine, prefecture: Prefecture, survey_id: int) -> None:
    with session_scope(engine) as session:
        summaries = survey_summaries(session, prefecture.id or 0, 2023)
    assert len(summaries) == 1
    s = summaries[0]
    assert (s.channel, s.respondents, s.indicator_code) == ("accueil", 30, "ACCUEIL_SATISFACTION")
    overall = s.overall
    assert overall is not None and (overall.satisfied, overall.expressed) == (22, 28)
    assert (round(overall.ci_low, 2), round(overall.ci_high, 2)) == (60.46, 89.79)  # type: ignore[arg-type]
    assert overall.previous_rate is None and overall.change_significant is None
    assert [q.type for q in s.scales] == ["yes_no", "scale:accord5", "scale:satisfaction5"]
    _no_personal_data(repr(summaries))
