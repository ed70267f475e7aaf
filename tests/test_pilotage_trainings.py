"""The training rule (trained within a year of taking the post, then at least every four years,
calendar years) on hand-checked dates, the counts per role, and the Excel import and export."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from qep_core.db import session_scope
from qep_core.importing import ImportRejected
from qep_core.pilotage.errors import PilotageError
from qep_core.pilotage.trainings import (
    add_years,
    agent_records,
    counts_per_role,
    export_trainings_xlsx,
    import_trainings_file,
    record_training,
    record_tutoring,
    save_agents,
    training_compliance,
)
from tests.conftest import make_workbook

AS_OF = dt.date(2024, 6, 15)


# ------------------------------------------------------------------ the rule, by hand


def test_post_taken_11_months_ago_untrained_is_due():
    c = training_compliance(dt.date(2023, 7, 15), [], AS_OF)
    assert (c.concerned, c.status, c.deadline) == (True, "a_former", dt.date(2024, 7, 15))
    assert c.due_this_year and c.label == "à former"


def test_post_taken_13_months_ago_untrained_is_overdue():
    c = training_compliance(dt.date(2023, 5, 15), [], AS_OF)
    assert (c.status, c.deadline) == ("en_retard", dt.date(2024, 5, 15))


def test_trained_4_years_and_1_day_ago_is_overdue_and_4_years_ago_exactly_is_not():
    late = training_compliance(dt.date(2015, 1, 5), [dt.date(2020, 6, 14)], AS_OF)
    assert (late.status, late.deadline, late.last_training) == ("en_retard", dt.date(2024, 6, 14), dt.date(2020, 6, 14))
    on_the_day = training_compliance(dt.date(2015, 1, 5), [dt.date(2020, 6, 15)], AS_OF)
    assert (on_the_day.status, on_the_day.deadline) == ("a_jour", AS_OF)  # the deadline day is still in time


def test_first_year_boundary_is_the_same_day_a_year_later():
    start = dt.date(2023, 6, 15)
    assert training_compliance(start, [], dt.date(2024, 6, 15)).status == "a_former"
    assert training_compliance(start, [], dt.date(2024, 6, 16)).status == "en_retard"
    assert training_compliance(start, [dt.date(2024, 6, 15)], dt.date(2024, 6, 16)).status == "a_jour"


def test_29_february_gives_28_february_in_a_common_year():
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)
    assert training_compliance(dt.date(2020, 1, 6), [dt.date(2020, 2, 29)], dt.date(2024, 2, 29)).status == "a_jour"
    assert training_compliance(dt.date(2024, 2, 29), [], dt.date(2025, 3, 1)).deadline == dt.date(2025, 2, 28)


def test_trainings_before_the_post_or_after_the_date_do_not_count():
    before_post = training_compliance(dt.date(2023, 9, 1), [dt.date(2023, 3, 1)], AS_OF)
    assert (before_post.status, before_post.last_training) == ("a_former", None)
    planned = training_compliance(dt.date(2023, 9, 1), [dt.date(2024, 9, 1)], AS_OF)
    assert planned.last_training is None and planned.deadline == dt.date(2024, 9, 1)


def test_not_concerned_before_the_post_or_after_leaving_it():
    assert not training_compliance(dt.date(2024, 7, 1), [], AS_OF).concerned
    left = training_compliance(dt.date(2015, 1, 5), [], AS_OF, post_end=dt.date(2024, 6, 14))
    assert (left.concerned, left.status, left.label) == (False, None, "hors obligation")
    last_day = training_compliance(dt.date(2015, 1, 5), [dt.date(2022, 1, 1)], AS_OF, post_end=AS_OF)
    assert last_day.concerned


def test_tutoring_runs_meanwhile_but_does_not_replace_the_training():
    start = dt.date(2023, 2, 1)
    c = training_compliance(start, [], AS_OF, tutorings=[(start, None)])
    assert (c.status, c.tutored, c.untrained_without_tutor) == ("en_retard", True, False)
    ended = training_compliance(start, [], AS_OF, tutorings=[(start, dt.date(2024, 1, 31))])
    assert not ended.tutored and ended.untrained_without_tutor


def test_due_this_year_includes_the_late_and_the_deadlines_of_the_year():
    assert training_compliance(dt.date(2015, 1, 5), [dt.date(2020, 12, 1)], AS_OF).due_this_year  # due 01/12/2024
    assert not training_compliance(dt.date(2015, 1, 5), [dt.date(2021, 1, 10)], AS_OF).due_this_year  # 2025
    assert not training_compliance(dt.date(2024, 3, 1), [], AS_OF).due_this_year  # first year ends in 2025
    assert training_compliance(dt.date(2022, 1, 3), [], AS_OF).due_this_year  # late since 2023


# ------------------------------------------------------------------ records and counts

AGENTS_SHEET = [
    ["Suivi des formations Qual-e-Pref"],
    [],
    ["Nom", "Service", "Rôle", "Prise de poste", "Fin de poste"],
    ["Agent A", "Accueil général", "Accueil physique", "15/07/2023", ""],  # 11 months: due
    ["Agent B", "Accueil général", "accueil", "15/05/2023", ""],  # 13 months: late
    ["Agent C", "Standard", "Standard téléphonique", "05/01/2015", ""],  # trained 4 years and a day ago: late
    ["Agent D", "Standard", "Accueil téléphonique", "05/01/2015", ""],  # trained 2022: up to date
    ["Agent E", "CERT", "Fraude", "01/02/2023", ""],  # late, tutored
    ["Agent F", "Standard", "Accueil téléphonique", "05/01/2015", "31/12/2023"],  # gone
]
TRAININGS_SHEET = [["Agent", "Date", "Intitulé"],
                   ["Agent C", "14/06/2020", "Accueil téléphonique"],
                   ["Agent D", "10/10/2022", "Accueil téléphonique"],
                   ["Agent F", "10/10/2016", "Accueil téléphonique"]]
TUTORING_SHEET = [["Agent", "Tuteur", "Début", "Fin"], ["Agent E", "Agent D", "01/02/2023", ""]]


def workbook() -> bytes:
    return make_workbook({"Agents": AGENTS_SHEET, "Formations": TRAININGS_SHEET, "Tutorats": TUTORING_SHEET})


def counts(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in ("pilotage_agent", "pilotage_training", "pilotage_tutoring")}


def test_an_imported_workbook_gives_the_counts_per_role(engine, prefecture):
    plan = import_trainings_file(engine, prefecture.id, "formations.xlsx", workbook(), today=AS_OF)
    assert plan.summary() == "formations.xlsx : 6 agents dont 6 nouveaux, 3 formations, 1 tutorat"
    with session_scope(engine) as session:
        records = agent_records(session, prefecture.id)
    status = {r.agent.name: r.compliance(AS_OF).status for r in records}
    assert status == {"Agent A": "a_former", "Agent B": "en_retard", "Agent C": "en_retard", "Agent D": "a_jour",
                      "Agent E": "en_retard", "Agent F": None}
    rows, total = counts_per_role(records, AS_OF)
    table = {r.role: (r.concerned, r.due_this_year, r.a_jour, r.a_former, r.en_retard, r.tutored) for r in rows}
    assert table == {"accueil_physique": (2, 2, 0, 1, 1, 0), "accueil_telephonique": (2, 1, 1, 0, 1, 0),
                     "fraude": (1, 1, 0, 0, 1, 1)}
    assert (total.concerned, total.due_this_year, total.a_jour, total.a_former, total.en_retard) == (5, 4, 1, 1, 3)


def test_reimporting_the_same_or_the_exported_file_adds_nothing(engine, prefecture):
    import_trainings_file(engine, prefecture.id, "formations.xlsx", workbook(), today=AS_OF)
    before = counts(engine)
    assert import_trainings_file(engine, prefecture.id, "f.xlsx", workbook(), today=AS_OF).already_imported
    with session_scope(engine) as session:
        exported = export_trainings_xlsx(session, prefecture.id, AS_OF)
    plan = import_trainings_file(engine, prefecture.id, "export.xlsx", exported, today=AS_OF)
    assert plan.ok and all(a.existing is not None for a in plan.agents)
    assert counts(engine) == before


def test_a_bad_workbook_is_refused_whole(engine, prefecture):
    agents = [row[:] for row in AGENTS_SHEET]
    agents[3][2] = "Jardinier"
    agents[4][3] = "32/01/2023"
    agents[5][4] = "01/01/2010"  # leaves before arriving
    trainings = [*TRAININGS_SHEET, ["Agent Z", "01/01/2024", "Accueil"], ["Agent D", "01/01/2030", "Plus tard"]]
    data = make_workbook({"Agents": agents, "Formations": trainings})
    with pytest.raises(ImportRejected) as refused:
        import_trainings_file(engine, prefecture.id, "faux.xlsx", data, today=AS_OF)
    messages = [str(i) for i in refused.value.errors]
    assert any("ligne 4, colonne C (Rôle)" in m and "rôle inconnu « Jardinier »" in m for m in messages)
    assert any("ligne 5, colonne D (Prise de poste)" in m and "date impossible" in m for m in messages)
    assert any("ligne 6" in m and "la fin de poste (01/01/2010) précède la prise de poste" in m for m in messages)
    assert any("agent inconnu « agent z »" in m for m in messages)
    assert any("date dans le futur" in m for m in messages)
    assert counts(engine) == {"pilotage_agent": 0, "pilotage_training": 0, "pilotage_tutoring": 0}


def test_an_isere_like_sheet_with_the_last_training_in_a_column(engine, prefecture):
    sheet = [["Agent", "Service", "Thème", "Date de prise de poste", "Date de la dernière formation", "Intitulé"],
             ["Agent G", "Accueil", "Accueil physique", "02/09/2019", "10/03/2022", "Gestion des conflits à l'accueil"],
             ["Agent H", "Accueil", "Accueil physique", "02/09/2019", "", ""]]
    import_trainings_file(engine, prefecture.id, "isere.xlsx", make_workbook({"Suivi": sheet}), today=AS_OF)
    with session_scope(engine) as session:
        records = {r.agent.name: r for r in agent_records(session, prefecture.id)}
    assert [t.title for t in records["Agent G"].trainings] == ["Gestion des conflits à l'accueil"]
    assert records["Agent G"].compliance(AS_OF).status == "a_jour"
    assert records["Agent H"].compliance(AS_OF).status == "en_retard"


def test_agents_grid_session_and_tutoring_forms(engine, prefecture):
    rows = [{"id": None, "name": "Agent X", "service": "Accueil", "role": "accueil_physique",
             "post_start": dt.date(2024, 1, 8), "post_end": None, "delete": False},
            {"id": None, "name": "agent x", "service": "", "role": "rq", "post_start": dt.date(2024, 1, 8),
             "post_end": None, "delete": False}]
    with pytest.raises(PilotageError, match="noms en double"), session_scope(engine, write=True) as session:
        save_agents(session, prefecture.id, rows)
    with session_scope(engine, write=True) as session:
        assert save_agents(session, prefecture.id, rows[:1]) == ["1 agent ajouté"]
        agent = agent_records(session, prefecture.id)[0].agent
        with pytest.raises(PilotageError, match="n'a pas encore eu lieu"):
            record_training(session, prefecture.id, [agent.id], dt.date(2030, 1, 1), "Accueil", AS_OF)
        assert record_training(session, prefecture.id, [agent.id], dt.date(2024, 5, 2), "Accueil", AS_OF) == 1
        assert record_training(session, prefecture.id, [agent.id], dt.date(2024, 5, 2), "accueil", AS_OF) == 0
        with pytest.raises(PilotageError, match="précède son début"):
            record_tutoring(session, prefecture.id, agent.id, "Agent Y", dt.date(2024, 2, 1), dt.date(2024, 1, 1))
        record_tutoring(session, prefecture.id, agent.id, "Agent Y", dt.date(2024, 1, 8), None)
        record = agent_records(session, prefecture.id)[0]
        c = record.compliance(AS_OF)
        assert (c.status, c.deadline, c.tutored) == ("a_jour", dt.date(2028, 5, 2), True)
