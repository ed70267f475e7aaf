"""Importing surveys: all or nothing, idempotent, feeding the catalogue through the importer's history
(replacement and undo), remembered choices, corrections after the import."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from qep_core.compute import compute_indicator
from qep_core.db import session_scope
from qep_core.importing import ImportRejected, UndoError
from qep_core.importing.service import undo_batch
from qep_core.models import ImportBatch, Observation, Prefecture
from qep_core.periods import month_period, year_period
from qep_core.settings import add_own_indicator
from qep_core.surveys.models import Survey, SurveyQuestion, SurveyResponse
from qep_core.surveys.results import survey_results
from qep_core.surveys.service import (
    SurveyError,
    active_surveys,
    current_feed,
    import_survey,
    set_overall_question,
    set_question_type,
    undo_survey,
)
from tests import survey_files as files
from tests.conftest import db_snapshot, make_workbook

Snapshot = Callable[[Engine], dict[str, list[tuple]]]
SURVEY_TABLES = ("survey", "survey_question", "survey_response", "survey_feed", "survey_channel_setting")


def everything(engine: Engine) -> dict[str, list[tuple]]:
    snap = db_snapshot(engine)
    with engine.connect() as conn:
        for table in SURVEY_TABLES:
            snap[table] = sorted(map(tuple, conn.execute(text(f"SELECT * FROM {table}")).all()), key=repr)
    return snap


def survey_csv(rows: list[list[str]], header: list[str], sep: str = ";") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def pan_survey(year: int, monthly: dict[int, tuple[int, int]], question: str = "Globalement, êtes-vous satisfait(e) ?"
               ) -> bytes:
    """A PAN survey: for each month, (satisfied, unsatisfied) answers, plus one blank answer."""
    rows = []
    for month, (happy, unhappy) in monthly.items():
        answers = ["Très satisfait"] * happy + ["Peu satisfait"] * unhappy + [""]
        for i, answer in enumerate(answers):
            rows.append([f"{3 + i % 20:02d}/{month:02d}/{year} 10:00", "60 ans et plus", answer])
    return survey_csv(rows, ["Horodateur", "Votre âge", question])


def value(engine: Engine, pid: int, code: str, period) -> tuple[float | None, float | None]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        r = compute_indicator(session, pid, code, period)
    return r.numerator, r.denominator


def test_import_feeds_accueil_satisfaction_and_is_idempotent(engine: Engine, prefecture: Prefecture) -> None:
    pid = prefecture.id or 0
    data = files.accueil_xlsx_title_row()
    outcome = import_survey(engine, pid, "accueil-2023.xlsx", data, channel="accueil", user="rq")
    plan = outcome.plan
    assert outcome.changed and plan.year == 2023 and plan.period_source == "dates"
    assert plan.questions[plan.overall_position].text == "Globalement, êtes-vous satisfait(e) de l'accueil ?"  # type: ignore[index]
    assert plan.indicator_code == "ACCUEIL_SATISFACTION"
    # 22 satisfied of 28 expressed (see test_survey_stats), one value over the survey's month (March 2023)
    assert value(engine, pid, "ACCUEIL_SATISFACTION", year_period(2023)) == (22, 28)
    assert value(engine, pid, "ACCUEIL_SATISFACTION", month_period(2023, 3)) == (22, 28)
    with session_scope(engine) as session:
        survey = session.exec(select(Survey)).one()
        assert (survey.respondents, survey.channel, survey.header_row) == (30, "accueil", 3)
        assert session.exec(select(SurveyResponse)).all()[0].collection_channel == "Site internet"
        batch = session.get(ImportBatch, survey.batch_id)
        assert batch is not None and batch.kind == "enquete" and batch.rows == 1 and batch.imported_by == "rq"
    before = everything(engine)
    again = import_survey(engine, pid, "copie.xlsx", data, channel="accueil")
    assert not again.changed and again.plan.already_imported is not None
    assert "déjà importé" in again.plan.summary()
    assert everything(engine) == before


def test_year_or_dates_given_by_the_user(engine: Engine, prefecture: Prefecture) -> None:
    pid = prefecture.id or 0
    undated = survey_csv([["Très satisfait"], ["Satisfait"], ["Peu satisfait"]], ["Votre satisfaction globale"])
    with pytest.raises(ImportRejected) as refused:
        import_survey(engine, pid, "sans-date.csv", undated, channel="collectivites")
    assert "période de l'enquête inconnue" in str(refused.value.errors[0])
    outcome = import_survey(engine, pid, "sans-date.csv", undated, channel="collectivites", year=2022)
    assert (outcome.plan.period_start, outcome.plan.period_end) == (dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    assert outcome.plan.period_source == "user" and outcome.plan.indicator_code is None  # no default indicator
    dated = files.phone_csv_cp1252()  # answers from 2 May to 13 June 2022
    with pytest.raises(ImportRejected) as refused:
        import_survey(engine, pid, "tel.csv", dated, channel="telephone", year=2023)
    assert "22 réponses datées hors de la période indiquée" in refused.value.errors[0].message
    with pytest.raises(ImportRejected):
        import_survey(engine, pid, "tel.csv", dated, channel="telephone", period=(dt.date(2022, 5, 10),
                                                                                  dt.date(2022, 12, 31)))
    ok = import_survey(engine, pid, "tel.csv", dated, channel="telephone", period=(dt.date(2022, 5, 1),
                                                                                   dt.date(2022, 11, 30)))
    assert ok.survey is not None and ok.survey.period_end == dt.date(2022, 11, 30) and ok.survey.year == 2022


@pytest.mark.parametrize(("name", "content", "kwargs", "message"), [
    ("vide.csv", b"", {}, "le fichier est vide"),
    ("abime.xlsx", b"PK\x03\x04 pas un classeur", {}, "tronqué ou abîmé"),
    ("entete.csv", b"Horodateur;Votre satisfaction\n", {"channel": "accueil"}, "aucune réponse"),
    ("suivi.xlsx", make_workbook({"Courriels": [["Suivi"], ["", "janvier", "février", "mars"], ["Réponses", 1, 2, 3]]}),
     {"channel": "accueil"}, "tableau de suivi"),
    ("date.csv", b"Horodateur;Satisfaction\n12/05/2023;Satisfait\nhier;Satisfait\n", {"channel": "accueil"},
     "date illisible"),
    ("canal.csv", b"Horodateur;Satisfaction\n12/05/2023;Satisfait\n", {}, "canal de l'enquête à préciser"),
    ("canal.csv", b"Horodateur;Satisfaction\n12/05/2023;Satisfait\n", {"channel": "fax"}, "canal inconnu"),
    ("q.csv", b"Horodateur;Satisfaction;Remarque\n12/05/2023;Satisfait;Trop long, vraiment trop\n",
     {"channel": "accueil", "overall": 1}, "ne donne pas de taux"),
    ("i.csv", b"Horodateur;Satisfaction\n12/05/2023;Satisfait\n",
     {"channel": "accueil", "overall": 0, "indicator": "TEL_ABOUTIS"}, "n'est pas un taux de satisfaction"),
])
def test_bad_files_are_refused_in_french_and_change_nothing(engine: Engine, prefecture: Prefecture, name: str,
                                                            content: bytes, kwargs: dict, message: str) -> None:
    before = everything(engine)
    with pytest.raises(ImportRejected) as refused:
        import_survey(engine, prefecture.id or 0, name, content, **kwargs)
    assert any(message in str(issue) for issue in refused.value.errors), refused.value.errors
    assert everything(engine) == before


def test_monthly_indicator_gets_one_value_per_month(engine: Engine, prefecture: Prefecture) -> None:
    pid = prefecture.id or 0
    data = pan_survey(2023, {1: (20, 1), 2: (18, 0), 3: (25, 2)})
    outcome = import_survey(engine, pid, "pan-2023.csv", data, channel="pan")
    assert outcome.plan.indicator_code == "PAN_SATISFACTION"
    assert value(engine, pid, "PAN_SATISFACTION", month_period(2023, 1)) == (20, 21)
    assert value(engine, pid, "PAN_SATISFACTION", month_period(2023, 2)) == (18, 18)
    assert value(engine, pid, "PAN_SATISFACTION", month_period(2023, 3)) == (25, 27)
    assert value(engine, pid, "PAN_SATISFACTION", year_period(2023)) == (63, 66)  # Σ satisfied / Σ expressed


def test_replacing_a_survey_and_undoing_the_replacement(engine: Engine, prefecture: Prefecture) -> None:
    pid = prefecture.id or 0
    first = import_survey(engine, pid, "pan-v1.csv", pan_survey(2023, {1: (20, 1), 2: (18, 0)}), channel="pan")
    corrected = pan_survey(2023, {2: (17, 1), 3: (25, 2)})  # February corrected, March added, January gone
    plan = import_survey(engine, pid, "pan-v2.csv", corrected, channel="pan", dry_run=True).plan
    assert [s.id for s in plan.replaces] == [first.survey.id]  # type: ignore[union-attr]
    assert len(plan.feed.replacements) == 1  # type: ignore[union-attr]  # February's value
    second = import_survey(engine, pid, "pan-v2.csv", corrected, channel="pan")
    with session_scope(engine) as session:
        assert [s.id for s in active_surveys(session, pid)] == [second.survey.id]  # type: ignore[union-attr]
    # the replaced survey's January leaves the catalogue too; February is the new file's
    assert value(engine, pid, "PAN_SATISFACTION", month_period(2023, 1)) == (None, None)
    assert value(engine, pid, "PAN_SATISFACTION", month_period(2023, 2)) == (17, 18)
    assert second.batch is not None and second.batch.replaced == 2
    with session_scope(engine, write=True) as session:
        undo_batch(session, pid, second.batch.id or 0)  # from the Import page's history
    with session_scope(engine) as session:
        assert [s.id for s in active_surveys(session, pid)] == [first.survey.id]  # type: ignore[union-attr]
    assert value(engine, pid, "PAN_SATISFACTION", month_period(2023, 1)) == (20, 21)
    assert value(engine, pid, "PAN_SATISFACTION", month_period(2023, 2)) == (18, 18)
    assert value(engine, pid, "PAN_SATISFACTION", month_period(2023, 3)) == (None, None)


def test_survey_values_replace_tracking_sheet_values_with_history(engine: Engine, prefecture: Prefecture) -> None:
    from qep_core.importing import import_file

    pid = prefecture.id or 0
    long = "indicateur;période;numérateur;dénominateur\nACCUEIL_SATISFACTION;2023-03;40;50\n".encode()
    import_file(engine, pid, "suivi.csv", long)
    outcome = import_survey(engine, pid, "accueil-2023.xlsx", files.accueil_xlsx_title_row(), channel="accueil")
    assert value(engine, pid, "ACCUEIL_SATISFACTION", year_period(2023)) == (22, 28)
    with session_scope(engine, write=True) as session:
        undo_survey(session, pid, outcome.survey.id or 0)  # type: ignore[union-attr]
    assert value(engine, pid, "ACCUEIL_SATISFACTION", year_period(2023)) == (40, 50)
    with session_scope(engine) as session:
        assert session.exec(select(Survey)).all() == [] and session.exec(select(SurveyResponse)).all() == []


def test_overall_question_is_remembered_for_next_year(engine: Engine, prefecture: Prefecture) -> None:
    pid = prefecture.id or 0
    with session_scope(engine, write=True) as session:
        pref = session.get(Prefecture, pid)
        add_own_indicator(session, pref, code="TEL_SATISFACTION", label="Satisfaction de l'accueil téléphonique",
                          engagement_key="E10", module_code=None, kind="survey_rate", direction=">=", target=70,
                          alert=None, frequency="yearly")
    header = ["Date de soumission", "Objet", "Qualité de l'échange"]  # no « globalement »: nothing to guess from
    y1 = survey_csv([["10/05/2022", "Séjour", "Satisfait"], ["11/05/2022", "Séjour", "Peu satisfait"]], header)
    y2 = survey_csv([["10/05/2023", "Séjour", "Très satisfait"], ["11/05/2023", "Carte grise", "Satisfait"],
                     ["12/05/2023", "Séjour", "Pas du tout satisfait"]], header)
    assert import_survey(engine, pid, "tel-2022.csv", y1, channel="telephone", dry_run=True).plan.overall_position is None
    import_survey(engine, pid, "tel-2022.csv", y1, channel="telephone", overall=1, indicator="TEL_SATISFACTION")
    second = import_survey(engine, pid, "tel-2023.csv", y2, channel="telephone")  # "auto": last year's choice
    assert second.plan.overall_position == 1 and second.plan.indicator_code == "TEL_SATISFACTION"
    assert value(engine, pid, "TEL_SATISFACTION", year_period(2022)) == (1, 2)
    assert value(engine, pid, "TEL_SATISFACTION", year_period(2023)) == (2, 3)
    with session_scope(engine) as session:
        res = survey_results(session, pid, second.survey.id or 0)  # type: ignore[union-attr]
    overall = res.overall
    assert overall is not None and overall.previous is not None and overall.comparison is not None
    assert res.previous is not None and res.previous.year == 2022


def test_choosing_another_overall_question_is_a_batch_that_can_be_undone(engine: Engine,
                                                                          prefecture: Prefecture) -> None:
    pid = prefecture.id or 0
    outcome = import_survey(engine, pid, "tel.csv", files.phone_csv_cp1252(), channel="telephone",
                            indicator="ACCUEIL_SATISFACTION")
    survey_id = outcome.survey.id or 0  # type: ignore[union-attr]
    assert value(engine, pid, "ACCUEIL_SATISFACTION", year_period(2022)) == (12, 18)
    with session_scope(engine) as session:
        courtesy = session.exec(select(SurveyQuestion).where(SurveyQuestion.survey_id == survey_id,
                                                             SurveyQuestion.column == "H")).one()
    with session_scope(engine, write=True) as session:
        change = set_overall_question(session, pid, survey_id, courtesy.id, "ACCUEIL_SATISFACTION", "rq")
    assert change.batch is not None and change.replaced == 1
    assert value(engine, pid, "ACCUEIL_SATISFACTION", year_period(2022)) == (14, 19)
    with session_scope(engine, write=True) as session:
        assert set_overall_question(session, pid, survey_id, courtesy.id, "ACCUEIL_SATISFACTION").batch is None
        with pytest.raises(UndoError):  # the file's values were replaced by the later batch
            undo_batch(session, pid, outcome.batch.id or 0)  # type: ignore[union-attr]
    with session_scope(engine, write=True) as session:
        undo_batch(session, pid, change.batch.id or 0)
    assert value(engine, pid, "ACCUEIL_SATISFACTION", year_period(2022)) == (12, 18)
    with session_scope(engine) as session:
        feed = current_feed(session, survey_id)
        assert feed is not None and feed.question_id != courtesy.id  # the previous choice is back
    with session_scope(engine, write=True) as session:
        none = set_overall_question(session, pid, survey_id, None, None)
    assert none.batch is not None and value(engine, pid, "ACCUEIL_SATISFACTION", year_period(2022)) == (None, None)
    with session_scope(engine, write=True) as session, pytest.raises(SurveyError):
        set_overall_question(session, pid, survey_id, None, "ACCUEIL_SATISFACTION")


def test_type_correction_feeds_again_or_stops_feeding(engine: Engine, prefecture: Prefecture) -> None:
    pid = prefecture.id or 0
    data = survey_csv([["01/06/2023", "4"], ["02/06/2023", "5"], ["03/06/2023", "2"], ["04/06/2023", "3"]],
                      ["Horodateur", "Satisfaction globale"])
    outcome = import_survey(engine, pid, "notes.csv", data, channel="accueil")
    survey_id = outcome.survey.id or 0  # type: ignore[union-attr]
    with session_scope(engine) as session:
        question = session.exec(select(SurveyQuestion).where(SurveyQuestion.survey_id == survey_id)).one()
    assert question.type_key == "scale:note5"  # « satisf » in the wording: a mark, not a count
    assert value(engine, pid, "ACCUEIL_SATISFACTION", year_period(2023)) == (2, 4)  # 4 and 5 of 4 marks
    with session_scope(engine, write=True) as session, pytest.raises(SurveyError) as refused:
        set_question_type(session, pid, survey_id, question.id or 0, "scale:satisfaction4")
    assert "hors de l'échelle" in str(refused.value)
    with session_scope(engine, write=True) as session:
        change = set_question_type(session, pid, survey_id, question.id or 0, "scale:note10")
    assert change is not None and change.batch is not None
    assert value(engine, pid, "ACCUEIL_SATISFACTION", year_period(2023)) == (0, 4)  # on 0-10, 7 and more satisfy
    with session_scope(engine, write=True) as session:
        stop = set_question_type(session, pid, survey_id, question.id or 0, "number")
    assert stop is not None and value(engine, pid, "ACCUEIL_SATISFACTION", year_period(2023)) == (None, None)
    with session_scope(engine) as session:
        assert current_feed(session, survey_id).question_id is None  # type: ignore[union-attr]
        assert session.get(SurveyQuestion, question.id).detected_type == "scale:note5"  # type: ignore[union-attr]


def test_undo_survey_refuses_when_a_later_import_replaced_its_values(engine: Engine, prefecture: Prefecture) -> None:
    from qep_core.importing import import_file

    pid = prefecture.id or 0
    outcome = import_survey(engine, pid, "accueil.xlsx", files.accueil_xlsx_title_row(), channel="accueil")
    import_file(engine, pid, "suivi.csv", "indicateur;période;numérateur;dénominateur\n"
                                         "ACCUEIL_SATISFACTION;2023-03;40;50\n".encode())
    with session_scope(engine, write=True) as session, pytest.raises(UndoError):
        undo_survey(session, pid, outcome.survey.id or 0)  # type: ignore[union-attr]
    with session_scope(engine) as session:
        assert len(active_surveys(session, pid)) == 1
        assert session.exec(select(Observation)).one().numerator == 40
