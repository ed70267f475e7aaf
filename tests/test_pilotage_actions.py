"""The action plan: the Loire-Atlantique completion table (seed 003) through the import path,
completion rates and late actions as of a date, the grid's checks, and Excel round trips."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import func, text
from sqlmodel import select

from qep_core.db import session_scope
from qep_core.importing import ImportRejected
from qep_core.pilotage.action_files import analyze_actions_file, export_actions_xlsx, import_actions_file
from qep_core.pilotage.actions import (
    actions_table,
    completion_of,
    completion_over_time,
    create_action,
    is_late,
    list_actions,
    plan_on,
    save_actions,
    status_history,
)
from qep_core.pilotage.errors import PilotageError
from qep_core.pilotage.models import Action, ActionPlanSnapshot, ActionStatusChange
from qep_core.pilotage.summary import action_plan_summary
from tests.conftest import make_workbook
from tests.seed_pilotage import ACTION_PLAN_COMPLETION_2022

TODAY = dt.date(2024, 10, 15)
PLAN_HEADER = ["Réf.", "Action", "Module", "Engagement", "Source", "Responsable", "Échéance", "Statut",
               "Date du statut", "Date de création"]


def pilotage_rows(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    tables = ["pilotage_action", "pilotage_action_status", "pilotage_plan_snapshot", "import_batch"]
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in tables}


def plan_file(rows: list[list[object]], history: list[list[object]] | None = None) -> bytes:
    sheets: dict[str, list[list[object]]] = {"Plan d'actions": [PLAN_HEADER, *rows]}
    if history is not None:
        sheets["Historique des statuts"] = [["Réf.", "Statut", "Date"], *history]
    return make_workbook(sheets)


SMALL_PLAN = [
    ["A-1", "Installer une boucle magnétique", "Module 1", "2", "Enquête de satisfaction", "Logistique",
     "30/06/2023", "Fait", "12/05/2023", "01/02/2023"],
    ["A-2", "Mettre à jour les formulaires de contact", "", "18", "Réclamation", "Webmestre", "31/03/2024",
     "En cours", "01/03/2024", "15/01/2024"],
    ["A-3", "Suivre les délais des rendez-vous des élus", "Module 4", "37", "Audit interne", "DCL", "31/12/2023",
     "Non fait", "", "01/06/2023"],
    ["A-4", "Recruter des volontaires en service civique", "Module 1", "15", "Auto-diagnostic", "PAN", "",
     "Abandonné", "01/09/2023", "01/01/2023"],
    ["A-5", "Relancer la lettre d'information qualité", "Pilotage", "Pilotage 4", "Audit externe", "RQ",
     "31/12/2024", "À faire", "", "20/03/2024"],
]


# ------------------------------------------------------------------ the seed's completion table


def test_the_loire_atlantique_completion_table_gives_the_published_rates(engine, prefecture):
    data = make_workbook({"Plan d'amélioration": ACTION_PLAN_COMPLETION_2022})
    plan = import_actions_file(engine, prefecture.id, "bilan-2022.xlsx", data, today=TODAY)
    assert plan.layout == "bilan" and plan.bilan is not None
    assert plan.bilan.as_of == dt.date(2022, 12, 31)  # from « 2022 » in the title
    rates = {row.key: (row.fait, row.counted, round(row.rate or 0)) for row in plan.bilan.modules}
    assert rates == {"M1": (65, 93, 70), "M2": (4, 4, 100), "M4": (1, 4, 25), "PIL": (25, 34, 74)}
    total = plan.bilan.total
    assert (total.fait, total.en_cours, total.a_faire, total.total) == (95, 18, 22, 135)
    assert round(total.rate or 0) == 70
    with session_scope(engine) as session:
        summary = action_plan_summary(session, prefecture.id, dt.date(2022, 12, 31))
        assert summary.basis == "tableau de réalisation importé (31/12/2022)"
        assert [round(c.rate or 0) for c in summary.by_module] == [70, 100, 25, 74]
        assert round(summary.rate or 0) == 70
        assert len(session.exec(select(ActionPlanSnapshot)).all()) == 4
        before = action_plan_summary(session, prefecture.id, dt.date(2022, 12, 30))
        assert before.basis == "aucune action" and before.rate is None


def test_printed_totals_that_disagree_with_the_modules_are_reported_by_column(engine, prefecture):
    data = make_workbook({"Plan d'amélioration": ACTION_PLAN_COMPLETION_2022})
    with session_scope(engine) as session:
        plan = analyze_actions_file(session, prefecture.id, "bilan-2022.xlsx", data, today=TODAY)
    messages = [(w.column, w.row, w.message) for w in plan.warnings]
    assert messages == [
        ("C (En cours)", 8, "colonne « En cours » : le total imprimé (15) diffère de la somme des modules (18) ; "
                            "la somme des modules est retenue"),
        ("D (Non fait)", 8, "colonne « Non fait » : le total imprimé (25) diffère de la somme des modules (22) ; "
                            "la somme des modules est retenue"),
    ]  # « Fait » (95) agrees; every printed rate agrees with its counts once rounded


def test_a_printed_rate_that_disagrees_is_reported(engine, prefecture):
    table = [row[:] for row in ACTION_PLAN_COMPLETION_2022]
    table[6][4] = "80 %"  # Pilotage: 25 / 34 is 73,5 %
    with session_scope(engine) as session:
        plan = analyze_actions_file(session, prefecture.id, "bilan.xlsx", make_workbook({"B": table}), today=TODAY)
    rate = [w for w in plan.warnings if "taux" in w.message]
    assert len(rate) == 1 and rate[0].row == 7
    assert "Pilotage : taux de réalisation imprimé 80 % ≠ 73,5 % calculé (25 faites / 34)" in rate[0].message


def test_the_same_table_twice_changes_nothing_and_a_table_without_year_needs_a_date(engine, prefecture):
    data = make_workbook({"Plan d'amélioration": ACTION_PLAN_COMPLETION_2022})
    import_actions_file(engine, prefecture.id, "bilan-2022.xlsx", data, today=TODAY)
    before = pilotage_rows(engine)
    again = import_actions_file(engine, prefecture.id, "copie.xlsx", data, today=TODAY)
    assert again.already_imported is not None and "rien n'a changé" in again.summary()
    assert pilotage_rows(engine) == before
    untitled = make_workbook({"Feuil1": ACTION_PLAN_COMPLETION_2022[2:]})
    with pytest.raises(ImportRejected) as refused:
        import_actions_file(engine, prefecture.id, "sans-titre.xlsx", untitled, today=TODAY)
    assert "date du tableau inconnue" in str(refused.value.errors[0])
    assert pilotage_rows(engine) == before
    plan = import_actions_file(engine, prefecture.id, "sans-titre.xlsx", untitled, as_of=dt.date(2023, 6, 30),
                               today=TODAY)
    assert plan.bilan is not None and plan.bilan.as_of == dt.date(2023, 6, 30)


def test_a_completion_table_with_an_unknown_row_or_a_bad_count_is_refused_whole(engine, prefecture):
    table = [row[:] for row in ACTION_PLAN_COMPLETION_2022]
    table[4][0] = "Service des étrangers"
    table[5][3] = "trois"
    with pytest.raises(ImportRejected) as refused:
        import_actions_file(engine, prefecture.id, "faux.xlsx", make_workbook({"B": table}), today=TODAY)
    messages = [str(i) for i in refused.value.errors]
    assert any("ligne 5" in m and "« Service des étrangers » n'est pas un module" in m for m in messages)
    assert any("ligne 6, colonne D (Non fait)" in m and "« trois » n'est pas un nombre d'actions" in m for m in messages)
    assert pilotage_rows(engine)["pilotage_plan_snapshot"] == 0


# ------------------------------------------------------------------ a detailed plan


def test_a_detailed_plan_imports_with_its_rates_late_actions_and_history(engine, prefecture):
    plan = import_actions_file(engine, prefecture.id, "plan.xlsx", plan_file(SMALL_PLAN), today=TODAY)
    assert (plan.layout, plan.new_count) == ("plan", 5)
    with session_scope(engine) as session:
        actions = {a.ref: a for a in list_actions(session, prefecture.id)}
        assert actions["A-2"].module_code == "M1" and actions["A-2"].engagement_key == "E18"  # module from engagement
        assert actions["A-5"].engagement_key == "PIL4" and actions["A-5"].source == "audit_externe"
        assert actions["A-3"].status == "a_faire"  # « Non fait »
        history = status_history(session, [a.id for a in actions.values()])
        a1 = [(c.status, c.changed_on) for c in history[actions["A-1"].id]]
        assert a1 == [("a_faire", dt.date(2023, 2, 1)), ("fait", dt.date(2023, 5, 12))]
        # On 31/12/2023: A-1 done, A-4 abandoned, A-3 open and due that very day (not late yet)
        # did not exist. Rate = 1 / (3 − 1) = 50 %.
        end_2023 = plan_on(session, prefecture.id, dt.date(2023, 12, 31))
        assert {s.action.ref: s.status for s in end_2023.states} == {"A-1": "fait", "A-3": "a_faire",
                                                                     "A-4": "abandonne"}
        assert end_2023.completion().rate == 50.0 and end_2023.late == []
        # On 15/10/2024: A-2 (due 31/03/2024, en cours) and A-3 (due 31/12/2023) are late; 1 / (5 − 1) = 25 %.
        today = plan_on(session, prefecture.id, TODAY)
        assert sorted(s.action.ref for s in today.late) == ["A-2", "A-3"]
        assert today.completion().rate == 25.0
        modules = {c.key: (c.fait, c.counted) for c in today.completion_by_module()}
        assert modules == {"M1": (1, 2), "M4": (0, 1), "PIL": (0, 1)}
        sources = {c.key: c.total for c in today.completion_by_source()}
        assert sources == {"auto_diagnostic": 1, "audit_interne": 1, "audit_externe": 1, "enquete_satisfaction": 1,
                           "reclamation": 1}
        summary = action_plan_summary(session, prefecture.id, TODAY)
        assert summary.late_count == 2 and [a.ref for a in summary.late] == ["A-3", "A-2"]  # oldest due date first
        curve = completion_over_time(session, prefecture.id, TODAY)
    assert curve["day"].iloc[0] == dt.date(2023, 1, 31) and curve["day"].iloc[-1] == TODAY
    by_day = dict(zip(curve["day"], curve["rate"], strict=True))
    assert by_day[dt.date(2023, 4, 30)] == 0.0  # exist, nothing done yet
    assert by_day[dt.date(2023, 5, 31)] == 50.0  # A-1 done on 12 May: 1 / 2
    assert round(by_day[dt.date(2023, 6, 30)], 1) == 33.3  # A-3 created in June: 1 / 3
    assert by_day[dt.date(2023, 9, 30)] == 50.0  # A-4 abandoned in September: 1 / (3 − 1)


def test_late_means_strictly_after_the_due_date_and_not_closed():
    due = dt.date(2024, 6, 30)
    assert not is_late(due, "en_cours", dt.date(2024, 6, 30))
    assert is_late(due, "en_cours", dt.date(2024, 7, 1)) and is_late(due, "a_faire", dt.date(2024, 7, 1))
    assert not is_late(due, "fait", dt.date(2025, 1, 1)) and not is_late(due, "abandonne", dt.date(2025, 1, 1))
    assert not is_late(None, "a_faire", dt.date(2025, 1, 1))


def test_completion_rate_leaves_abandoned_actions_out_and_is_undefined_without_actions():
    c = completion_of(["fait"] * 3 + ["en_cours", "a_faire"] + ["abandonne"] * 2)
    assert (c.total, c.counted, c.rate) == (7, 5, 60.0)
    assert completion_of(["abandonne"]).rate is None and completion_of([]).rate is None


def test_reimporting_the_export_changes_nothing_and_an_edited_export_updates_in_place(engine, prefecture):
    import_actions_file(engine, prefecture.id, "plan.xlsx", plan_file(SMALL_PLAN), today=TODAY)
    with session_scope(engine) as session:
        exported = export_actions_xlsx(session, prefecture.id, TODAY)
    before = pilotage_rows(engine)
    plan = import_actions_file(engine, prefecture.id, "export.xlsx", exported, today=TODAY)
    assert (plan.new_count, plan.matched_count) == (0, 5)
    after = pilotage_rows(engine)
    assert {k: v for k, v in after.items() if k != "import_batch"} == {
        k: v for k, v in before.items() if k != "import_batch"}
    book = openpyxl.load_workbook(io.BytesIO(exported))
    sheet = book["Plan d'actions"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "A-2")
    row[header.index("Statut")].value = "Fait"
    row[header.index("Date du statut")].value = dt.date(2024, 9, 2)
    sheet.append(["", "Publier le bilan des réclamations", "Module 1", "3", "Audit externe", "RQ", None, "À faire"])
    buffer = io.BytesIO()
    book.save(buffer)
    plan = import_actions_file(engine, prefecture.id, "export-modifie.xlsx", buffer.getvalue(), today=TODAY)
    assert (plan.new_count, plan.matched_count) == (1, 5)
    with session_scope(engine) as session:
        a2 = session.exec(select(Action).where(Action.ref == "A-2")).one()
        assert (a2.status, a2.status_date) == ("fait", dt.date(2024, 9, 2))
        assert [c.status for c in status_history(session, [a2.id])[a2.id]] == ["a_faire", "en_cours", "fait"]
        assert session.exec(select(func.count()).select_from(Action)).one() == 6


def test_a_plan_with_errors_is_refused_whole_with_located_french_messages(engine, prefecture, snapshot):
    rows = [r[:] for r in SMALL_PLAN]
    rows[0][7] = "Presque fini"
    rows[1][3] = "99"
    rows[2][4] = "Rumeur"
    rows[3][6] = "31/02/2024"
    rows[4][1] = ""
    rows[4][8] = "01/01/2030"
    before = pilotage_rows(engine)
    with pytest.raises(ImportRejected) as refused:
        import_actions_file(engine, prefecture.id, "plan-faux.xlsx", plan_file(rows), today=TODAY)
    messages = [str(i) for i in refused.value.errors]
    assert any("ligne 2, colonne H (Statut)" in m and "statut inconnu « Presque fini »" in m for m in messages)
    assert any("ligne 3, colonne D (Engagement)" in m and "engagement inconnu « 99 »" in m for m in messages)
    assert any("ligne 4, colonne E (Source)" in m and "source inconnue « Rumeur »" in m for m in messages)
    assert any("ligne 5, colonne G (Échéance)" in m and "date impossible : « 31/02/2024 »" in m for m in messages)
    assert any("ligne 6" in m and "l'intitulé de l'action est obligatoire" in m for m in messages)
    assert any("ligne 6" in m and "la date du statut (01/01/2030) est dans le futur" in m for m in messages)
    assert pilotage_rows(engine) == before


def test_files_that_are_not_action_plans_are_refused(engine, prefecture):
    for name, data, expected in [
        ("vide.xlsx", b"", "le fichier est vide"),
        ("abime.xlsx", b"PK\x03\x04 pas un classeur", "tronqué ou abîmé"),
        ("autre.xlsx", make_workbook({"Feuil1": [["Nom", "Prénom"], ["Dupont", "Jean"]]}), "aucun plan d'actions"),
        ("doublons.xlsx", plan_file([SMALL_PLAN[0], SMALL_PLAN[0]]), "référence « A-1 » en double"),
    ]:
        with pytest.raises(ImportRejected) as refused:
            import_actions_file(engine, prefecture.id, name, data, today=TODAY)
        assert expected in str(refused.value), name
    assert pilotage_rows(engine)["pilotage_action"] == 0


def test_a_csv_plan_in_windows_1252_with_semicolons(engine, prefecture):
    content = ("Action;Module;Source;Statut;Échéance\r\nRéviser la signalétique du hall;Module 1;Agents;En cours;"
               "31/12/2024\r\n").encode("cp1252")
    plan = import_actions_file(engine, prefecture.id, "plan.csv", content, today=TODAY)
    assert plan.new_count == 1
    with session_scope(engine) as session:
        action = list_actions(session, prefecture.id)[0]
    assert (action.title, action.status, action.source, action.due_date) == (
        "Réviser la signalétique du hall", "en_cours", "agents", dt.date(2024, 12, 31))


# ------------------------------------------------------------------ the app's grid


def test_the_grid_checks_every_row_and_writes_nothing_when_one_is_wrong(engine, prefecture):
    rows = [
        {"id": None, "title": "Afficher les horaires", "module": "M1", "engagement": "E1", "source": "agents",
         "owner": "Accueil", "due_date": dt.date(2024, 12, 31), "status": "a_faire", "status_date": None,
         "comment": "", "delete": False},
        {"id": None, "title": "", "module": "M1", "engagement": None, "source": "agents", "owner": "x",
         "due_date": None, "status": "a_faire", "status_date": None, "comment": "", "delete": False},
        {"id": None, "title": "Mauvais module", "module": "M4", "engagement": "E3", "source": None,
         "owner": "", "due_date": None, "status": "fait", "status_date": dt.date(2030, 1, 1), "comment": "",
         "delete": False},
    ]
    with pytest.raises(PilotageError) as refused, session_scope(engine, write=True) as session:
        save_actions(session, prefecture.id, rows, TODAY, "test")
    errors = refused.value.errors
    assert "ligne 2 : l'intitulé de l'action est obligatoire" in errors
    assert any(e.startswith("ligne 3 (Mauvais module) : l'engagement 3. À votre écoute") and "relève de « Module 1 »,"
               " pas de « Module 4 »" in e for e in errors)
    assert any("ligne 3 (Mauvais module) : la source est obligatoire" in e for e in errors)
    assert any("la date du statut (01/01/2030) est dans le futur" in e for e in errors)
    assert pilotage_rows(engine)["pilotage_action"] == 0
    with session_scope(engine, write=True) as session:
        assert save_actions(session, prefecture.id, rows[:1], TODAY, "test") == ["1 action ajoutée"]


def test_a_status_changed_in_the_grid_is_dated_today_or_on_the_date_typed(engine, prefecture):
    with session_scope(engine, write=True) as session:
        action = create_action(session, prefecture.id, title="Former les agents du standard", module_code="M1",
                               engagement_key="E10", source="enquete_mystere", today=dt.date(2024, 1, 8))
        aid = action.id
    with session_scope(engine, write=True) as session:
        grid = actions_table(session, prefecture.id, TODAY).to_dict("records")
        grid[0]["status"] = "en_cours"
        assert save_actions(session, prefecture.id, grid, dt.date(2024, 9, 2), "test") == [
            "1 changement de statut enregistré (avec leur date)"]
    with session_scope(engine, write=True) as session:
        grid = actions_table(session, prefecture.id, TODAY).to_dict("records")
        grid[0]["status"], grid[0]["status_date"] = "fait", dt.date(2024, 10, 1)  # « fait le 1er octobre »
        save_actions(session, prefecture.id, grid, TODAY, "test")
    with session_scope(engine) as session:
        changes = [(c.status, c.changed_on, c.recorded_by) for c in status_history(session, [aid])[aid]]
    assert changes == [("a_faire", dt.date(2024, 1, 8), ""), ("en_cours", dt.date(2024, 9, 2), "test"),
                       ("fait", dt.date(2024, 10, 1), "test")]
    with session_scope(engine, write=True) as session:  # a date before the current status is refused
        grid = actions_table(session, prefecture.id, TODAY).to_dict("records")
        grid[0]["status"], grid[0]["status_date"] = "en_cours", dt.date(2024, 9, 15)
        with pytest.raises(PilotageError, match="précède celle du statut actuel"):
            save_actions(session, prefecture.id, grid, TODAY, "test")
    with session_scope(engine) as session:  # the history, not the current row, decides past dates
        assert plan_on(session, prefecture.id, dt.date(2024, 10, 1)).states[0].status == "fait"
        assert plan_on(session, prefecture.id, dt.date(2024, 9, 30)).states[0].status == "en_cours"
        assert plan_on(session, prefecture.id, dt.date(2024, 9, 1)).states[0].status == "a_faire"


def test_deleting_an_action_in_the_grid_removes_its_history(engine, prefecture):
    import_actions_file(engine, prefecture.id, "plan.xlsx", plan_file(SMALL_PLAN), today=TODAY)
    with session_scope(engine, write=True) as session:
        grid = actions_table(session, prefecture.id, TODAY).to_dict("records")
        grid[0]["delete"] = True
        assert save_actions(session, prefecture.id, grid, TODAY) == ["1 action supprimée"]
    with session_scope(engine) as session:
        assert len(list_actions(session, prefecture.id)) == 4
        orphans = session.exec(select(ActionStatusChange).where(
            ActionStatusChange.action_id.not_in([a.id for a in list_actions(session, prefecture.id)]))).all()
        assert orphans == []


def test_the_grid_records_which_survey_result_an_action_answers(engine, prefecture):
    with session_scope(engine, write=True) as session:
        create_action(session, prefecture.id, title="Former à la courtoisie au téléphone", module_code="M1",
                      engagement_key="E2", source="enquete_satisfaction", today=dt.date(2023, 2, 1))
    with session_scope(engine, write=True) as session:
        grid = actions_table(session, prefecture.id, TODAY).to_dict("records")
        grid[0]["answers"] = "Enquête téléphone 2022 : 58 % jugent l'interlocuteur ni cordial ni courtois (n = 44)"
        assert save_actions(session, prefecture.id, grid, TODAY) == ["1 action modifiée"]
    with session_scope(engine) as session:
        assert list_actions(session, prefecture.id)[0].answers.startswith("Enquête téléphone 2022 : 58 %")
