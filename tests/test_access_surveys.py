"""Permission matrix of the surveys and mystery-check services (see tests/access_world.py).

Surveys and mystery checks are préfecture-wide data: reading them needs ``read`` (comments
``read_detail``: never the users' committee), changing them needs ``import`` (surveys, grids) or
``enter`` (checks typed in), as on the page, over the whole préfecture — which a contributor's
périmètres do not cover. Another préfecture's administrator is refused everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from qep_core import services
from qep_core.access import AccessDenied
from qep_core.change_history import ChangeEvent
from qep_core.db import create_schema, get_engine, session_scope
from qep_core.referentiel import seed_referentiel
from qep_core.surveys.models import SurveyQuestion
from tests import survey_files as files
from tests.access_world import ROLES_UNDER_TEST, World, build_world
from tests.conftest import make_workbook
from tests.databases import database, on_postgresql

MYSTERY_GRID = [["Date", "Service", "Décroché en moins de 5 sonneries", "Formule d'accueil", "Observations"],
                [dt.date(2023, 3, 1), "Standard", "oui", "non", "Agent: Mme Durand, rappel au 06 39 98 12 34"],
                [dt.date(2023, 3, 2), "Étrangers", "oui", "oui", ""]]
OTHER_GRID = [["Date", "Service", "Réponse sous 5 jours"], [dt.date(2023, 4, 1), "Boîte préfecture", "oui"]]


@dataclass(frozen=True)
class Surveyed:
    """The world with one reception survey (comments holding personal data) and mystery checks in 44."""

    world: World
    survey_id: int
    yes_no_question: int  # « Vous êtes-vous repéré(e) facilement ? »
    signs_question: int  # « La signalétique est claire » (a scale, not the overall question)
    comment: tuple[int, int]  # (response, question) of a comment
    typed_check: int  # a mystery check typed in the app


def populate(w: World) -> Surveyed:
    admin = w.actor("admin")
    outcome = services.surveys.import_survey(admin, w.pref, "accueil-2023.xlsx", files.accueil_xlsx_title_row(),
                                             channel="accueil")
    assert outcome.survey is not None
    survey_id = outcome.survey.id or 0
    with session_scope(w.database) as session:
        questions = {q.text: q for q in session.exec(select(SurveyQuestion)
                                                      .where(SurveyQuestion.survey_id == survey_id))}
    frame = services.surveys.comments(admin, w.pref, survey_id)
    services.mystery.import_checks(admin, w.pref, "appels-mysteres-2023.xlsx",
                                   make_workbook({"Appels mystères": MYSTERY_GRID}))
    criteria = services.mystery.criteria(admin, w.pref, "appel")
    check = services.mystery.add_check(admin, w.pref, "appel", dt.date(2023, 5, 2), "Standard",
                                       {c.id: "met" for c in criteria})
    return Surveyed(w, survey_id, questions["Vous êtes-vous repéré(e) facilement ?"].id or 0,
                    questions["La signalétique est claire"].id or 0,
                    (int(frame["response_id"].iloc[0]), int(frame["question_id"].iloc[0])), check)


@pytest.fixture
def surveyed(world: World) -> Surveyed:
    """A world of the test's own: for the writes that are allowed (they change it)."""
    return populate(world)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Surveyed]:
    """One world for the reads and the refusals (a refused write changes nothing: checked)."""
    with database(tmp_path_factory.mktemp("access-surveys"), seeded=True) as url:
        engine = get_engine(url)
        create_schema(engine)
        if not on_postgresql():  # the PostgreSQL template already holds the référentiel
            with session_scope(engine, write=True) as session:
                seed_referentiel(session)
        yield populate(build_world(engine))
        engine.dispose()


Call = Callable[[services.Actor, Surveyed], Any]

READ_ALL = {"admin": True, "copil": True, "contributeur": True, "lecture-clu": True, "admin-38": False, "local": True}
READ_DETAIL = {**READ_ALL, "lecture-clu": False}
CHANGE = {"admin": True, "copil": False, "contributeur": False, "lecture-clu": False, "admin-38": False, "local": True}

#: operation → (who may, the call, does it write a history line when allowed)
MATRIX: dict[str, tuple[dict[str, bool], Call, bool]] = {
    "surveys.version": (READ_ALL, lambda a, s: services.surveys.version(a, s.world.pref), False),
    "surveys.list_surveys": (READ_ALL, lambda a, s: services.surveys.list_surveys(a, s.world.pref), False),
    "surveys.results": (READ_ALL, lambda a, s: services.surveys.results(a, s.world.pref, s.survey_id), False),
    "surveys.results_workbook": (READ_ALL, lambda a, s: services.surveys.results_workbook(a, s.world.pref,
                                                                                         s.survey_id), False),
    "surveys.summaries": (READ_ALL, lambda a, s: services.surveys.summaries(a, s.world.pref, 2023), False),
    "surveys.rate_indicators": (READ_ALL, lambda a, s: services.surveys.rate_indicators(a, s.world.pref), False),
    "surveys.comments": (READ_DETAIL, lambda a, s: services.surveys.comments(a, s.world.pref, s.survey_id), False),
    "surveys.comment_themes": (READ_DETAIL, lambda a, s: services.surveys.comment_themes(a, s.world.pref), False),
    "surveys.analyse_import": (CHANGE, lambda a, s: services.surveys.analyse_import(
        a, s.world.pref, "tel.csv", files.phone_csv_cp1252(), channel="telephone"), False),
    "surveys.import_survey": (CHANGE, lambda a, s: services.surveys.import_survey(
        a, s.world.pref, "tel.csv", files.phone_csv_cp1252(), channel="telephone"), True),
    "surveys.undo_survey": (CHANGE, lambda a, s: services.surveys.undo_survey(a, s.world.pref, s.survey_id), True),
    "surveys.set_question_type": (CHANGE, lambda a, s: services.surveys.set_question_type(
        a, s.world.pref, s.survey_id, s.yes_no_question, "single"), True),
    "surveys.set_overall_question": (CHANGE, lambda a, s: services.surveys.set_overall_question(
        a, s.world.pref, s.survey_id, s.signs_question, None), True),
    "surveys.save_comment_themes": (CHANGE, lambda a, s: services.surveys.save_comment_themes(
        a, s.world.pref, s.survey_id, [(*s.comment, ["Accueil et courtoisie"])]), True),
    "surveys.suggest_comment_themes": (CHANGE, lambda a, s: services.surveys.suggest_comment_themes(
        a, s.world.pref, s.survey_id), True),
    "mystery.checks": (READ_ALL, lambda a, s: services.mystery.checks(a, s.world.pref), False),
    "mystery.criteria": (READ_ALL, lambda a, s: services.mystery.criteria(a, s.world.pref, "appel"), False),
    "mystery.add_criterion": (CHANGE, lambda a, s: services.mystery.add_criterion(
        a, s.world.pref, "appel", "Musique d'attente"), True),
    "mystery.add_check": (CHANGE, lambda a, s: services.mystery.add_check(
        a, s.world.pref, "appel", dt.date(2023, 6, 1), "Standard",
        {c.id: "not_met" for c in services.mystery.criteria(s.world.actor("admin"), s.world.pref, "appel")}), True),
    "mystery.delete_check": (CHANGE, lambda a, s: services.mystery.delete_check(a, s.world.pref, s.typed_check),
                             True),
    "mystery.analyse_import": (CHANGE, lambda a, s: services.mystery.analyse_import(
        a, s.world.pref, "courriels.xlsx", make_workbook({"Courriels mystères": OTHER_GRID})), False),
    "mystery.import_checks": (CHANGE, lambda a, s: services.mystery.import_checks(
        a, s.world.pref, "courriels.xlsx", make_workbook({"Courriels mystères": OTHER_GRID})), True),
}
COVERED = set(MATRIX)


def history_lines(s: Surveyed) -> int:
    with session_scope(s.world.database) as session:
        return session.exec(select(func.count()).select_from(ChangeEvent)).one()


def test_the_matrix_has_every_survey_and_mystery_operation() -> None:
    mine = {name for name in services.OPERATIONS if name.split(".")[0] in ("surveys", "mystery")}
    assert mine == COVERED


@pytest.mark.parametrize("operation", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
def test_operation_by_role(request: pytest.FixtureRequest, operation: str, role: str) -> None:
    allowed, call, writes = MATRIX[operation]
    assert services.OPERATIONS[operation].writes == writes
    surveyed: Surveyed = request.getfixturevalue("surveyed" if allowed[role] and writes else "shared")
    before = history_lines(surveyed)
    if allowed[role]:
        call(surveyed.world.actor(role), surveyed)
        if writes:
            assert history_lines(surveyed) > before, f"{operation} wrote no history line"
    else:
        with pytest.raises(AccessDenied, match="Accès refusé"):
            call(surveyed.world.actor(role), surveyed)
        assert history_lines(surveyed) == before


def test_a_contributor_is_refused_survey_changes_for_the_whole_prefecture(shared: Surveyed) -> None:
    surveyed = shared
    with pytest.raises(AccessDenied, match="ne couvre pas le périmètre « "):
        services.surveys.undo_survey(surveyed.world.actor("contributeur"), surveyed.world.pref, surveyed.survey_id)
    with pytest.raises(AccessDenied, match="ne couvre pas"):
        services.mystery.delete_check(surveyed.world.actor("contributeur"), surveyed.world.pref, surveyed.typed_check)
    assert not services.surveys.can_edit(surveyed.world.actor("contributeur"))
    assert not services.mystery.can_enter(surveyed.world.actor("contributeur"))
    assert services.surveys.can_edit(surveyed.world.actor("admin"))


def test_an_administrator_is_refused_another_prefecture(shared: Surveyed) -> None:
    surveyed = shared
    admin = surveyed.world.actor("admin")
    with pytest.raises(AccessDenied, match="cette préfecture"):
        services.surveys.list_surveys(admin, surveyed.world.other_pref)
    with pytest.raises(AccessDenied, match="cette préfecture"):
        services.surveys.import_survey(admin, surveyed.world.other_pref, "tel.csv", files.phone_csv_cp1252(),
                                       channel="telephone")


def test_the_users_committee_gets_no_comment_nor_free_text(shared: Surveyed) -> None:
    surveyed = shared
    clu = surveyed.world.actor("lecture-clu")
    with pytest.raises(AccessDenied, match="détail"):
        services.surveys.comments(clu, surveyed.world.pref, surveyed.survey_id)
    res = services.surveys.results(clu, surveyed.world.pref, surveyed.survey_id)
    text_positions = [q.info.position for q in res.questions if q.info.type_key == "text"]
    assert text_positions and all(not a for p in text_positions for a in res.answers[p])
    assert all(c is None for c in res.collection)
    assert res.overall is not None and res.overall.stats.scale is not None  # rates, counts, intervals stay
    assert res.overall.stats.scale.expressed == 28
    checks = services.mystery.checks(clu, surveyed.world.pref)
    assert len(checks) and set(checks["notes"]) == {""}
    workbook = services.surveys.results_workbook(clu, surveyed.world.pref, surveyed.survey_id)
    assert workbook[:2] == b"PK"


def test_a_copil_member_reads_masked_comments(shared: Surveyed) -> None:
    surveyed = shared
    frame = services.surveys.comments(surveyed.world.actor("copil"), surveyed.world.pref, surveyed.survey_id)
    text = frame.to_csv()
    for secret in files.ACCUEIL_PERSONAL:
        assert secret not in text, secret
    assert "Merci à Madame [nom masqué] pour son aide" in frame["Commentaire"].tolist()
    checks = services.mystery.checks(surveyed.world.actor("copil"), surveyed.world.pref)
    assert "06 39 98 12 34" not in checks.to_csv() and "[téléphone masqué]" in checks.to_csv()


def test_the_administrator_reads_comments_as_written(shared: Surveyed) -> None:
    surveyed = shared
    frame = services.surveys.comments(surveyed.world.actor("admin"), surveyed.world.pref, surveyed.survey_id)
    assert "Merci à Madame Durand pour son aide" in frame["Commentaire"].tolist()
    assert "jean.dupont@example.org" in frame.to_csv()
    checks = services.mystery.checks(surveyed.world.actor("admin"), surveyed.world.pref)
    assert "06 39 98 12 34" in checks.to_csv()


def test_writes_are_recorded_under_the_acting_account(surveyed: Surveyed) -> None:
    admin = surveyed.world.actor("admin")
    services.surveys.set_question_type(admin, surveyed.world.pref, surveyed.survey_id, surveyed.yes_no_question,
                                       "single")
    frame = services.history.change_history(admin, surveyed.world.pref, action="survey")
    assert frame.iloc[0]["Qui"] == "rq44"
    assert "oui / non → choix unique" in " ".join(str(v) for v in frame.iloc[0].tolist())
