"""The « Plan d'actions », « Audits » and « Formations » pages and the engagement dossier, run
headless with AppTest: on the demo préfecture (read only), and on a test préfecture for writes.

Grid edits are given as the keyed editor's edit state in ``at.session_state`` (see
tests/test_page_parametres.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from qep_core.db import create_schema, get_engine, session_scope
from qep_core.demo import load_demo
from qep_core.pilotage.actions import create_action, list_actions
from qep_core.pilotage.audits import import_audit_file, list_audits
from qep_core.pilotage.models import ActionPlanSnapshot, Agent, Training
from qep_core.pilotage.summary import action_plan_summary, training_summary
from qep_core.pilotage.trainings import agent_records
from qep_ui.theme import CSS
from tests.conftest import make_workbook
from tests.seed_pilotage import ACTION_PLAN_COMPLETION_2022, TG_AUDIT_MODULE_1, audit_sheet

APP = Path(__file__).resolve().parent.parent / "app.py"
END_2024 = dt.date(2024, 12, 31)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo-pilotage') / 'demo.db'}"
    engine = get_engine(url)
    create_schema(engine)
    load_demo(engine)
    return url


@pytest.fixture
def demo(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("QEP_DATABASE_URL", demo_url)
    return demo_url


@pytest.fixture
def app_db(engine, prefecture, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    return prefecture


def open_page(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def editor(at: AppTest, prefix: str):  # type: ignore[no-untyped-def]
    found = [e for e in at.data_editor if (e.key or "").startswith(prefix)]
    assert len(found) == 1, [e.key for e in at.data_editor]
    return found[0]


# ------------------------------------------------------------------ Plan d'actions


def test_plan_page_shows_the_demo_plan_as_of_the_end_of_the_chosen_year(demo):
    at = open_page("pages/plan_actions.py", annee="2024")
    assert at.title[0].value == "Plan d'actions"
    assert [t.label for t in at.tabs] == ["Avancement", "Actions", "Import / export"]
    with session_scope(get_engine(demo)) as session:
        summary = action_plan_summary(session, 1, END_2024)
    shown = metrics(at)
    assert shown["Taux de réalisation"] == f"{summary.overall.rate:.0f} %"
    # the plan file's 42 actions and the 3 decisions of the demo's COPIL reviews, which join the plan
    assert shown["Actions"] == "45" and shown["En retard"] == str(summary.late_count)
    assert at.date_input[0].value == END_2024
    assert len(at.get("plotly_chart")) == 3  # per module, per source, over time
    grid = editor(at, "pa-grid-").value
    assert len(grid) == 42 + 3 and (grid["late"] == "en retard").sum() == summary.late_count
    # an earlier date: the plan as it stood then (fewer actions, from the history)
    at.date_input[0].set_value(dt.date(2022, 12, 31)).run()
    with session_scope(get_engine(demo)) as session:
        then = action_plan_summary(session, 1, dt.date(2022, 12, 31))
    assert metrics(at)["Actions"] == str(then.overall.total) and then.overall.total < 42


def test_editing_the_plan_in_the_grid(app_db, engine):
    with session_scope(engine, write=True) as session:
        create_action(session, app_db.id, title="Afficher les horaires", module_code="M1", engagement_key="E1",
                      source="agents", today=dt.date(2024, 1, 8))
    at = open_page("pages/plan_actions.py")
    grid = editor(at, f"pa-grid-{app_db.id}-")
    at.session_state[grid.key] = {"edited_rows": {0: {"status": "bogus", "title": ""}}, "added_rows": [],
                                  "deleted_rows": []}
    click(at, "Enregistrer le plan d'actions")
    assert "Rien n'a été enregistré" in at.error[0].value and "l'intitulé de l'action est obligatoire" in at.error[0].value
    assert "statut inconnu « bogus »" in at.error[0].value
    with session_scope(engine) as session:
        assert [a.status for a in list_actions(session, app_db.id)] == ["a_faire"]
    at = open_page("pages/plan_actions.py")
    grid = editor(at, f"pa-grid-{app_db.id}-")
    at.session_state[grid.key] = {
        "edited_rows": {0: {"status": "fait"}},
        "added_rows": [{"title": "Relancer la lettre qualité", "module": "PIL", "source": "audit_externe",
                        "status": "a_faire", "delete": False}],
        "deleted_rows": []}
    click(at, "Enregistrer le plan d'actions")
    assert "1 action ajoutée" in " ".join(s.value for s in at.success)
    with session_scope(engine) as session:
        actions = {a.title: (a.status, a.status_date) for a in list_actions(session, app_db.id)}
    assert actions == {"Afficher les horaires": ("fait", dt.date.today()),
                       "Relancer la lettre qualité": ("a_faire", dt.date.today())}


def test_importing_the_seed_completion_table_from_the_page(app_db, engine):
    at = open_page("pages/plan_actions.py")
    uploader = next(u for u in at.file_uploader if u.key == "pa-upload")
    uploader.upload("bilan-2022.xlsx", make_workbook({"Plan": ACTION_PLAN_COMPLETION_2022})).run()
    assert not at.exception
    assert "taux de réalisation 70 %" in at.success[0].value
    assert any("colonne « En cours » : le total imprimé (15)" in str(w) for df in at.dataframe
               for w in df.value.get("Message", []))
    click(at, "Enregistrer")
    assert any("bilan-2022.xlsx enregistré" in s.value.lower() for s in at.success)
    with session_scope(engine) as session:
        assert len(session.exec(select(ActionPlanSnapshot)).all()) == 4


# ------------------------------------------------------------------ Audits


def test_audits_page_on_the_demo(demo):
    at = open_page("pages/audits.py")
    assert at.title[0].value == "Audits"
    shown = metrics(at)
    assert (shown["Conformes"], shown["NC mineures"], shown["Points forts"], shown["Points sensibles"],
            shown["Pistes de progrès"]) == ("29", "1", "6", "1", "9")
    assert shown["PS, PP et NC avec action"] == "5 / 11"
    make = [b for b in at.button if b.label == "Créer l'action"]
    assert len(make) == 6  # the PS, PP and NC without an action yet
    assert any(b.label.startswith("Créer une action pour chacun des 6") for b in at.button)


def test_one_click_turns_a_remark_into_an_action(app_db, engine):
    data = make_workbook({"Rapport": audit_sheet(TG_AUDIT_MODULE_1)})
    import_audit_file(engine, app_db.id, "audit.xlsx", data)
    at = open_page("pages/audits.py")
    assert metrics(at)["PS, PP et NC avec action"] == "0 / 10"
    next(b for b in at.button if b.label == "Créer l'action").click().run()
    assert not at.exception
    assert "ajoutée au plan d'actions" in at.success[0].value
    assert metrics(at)["PS, PP et NC avec action"] == "1 / 10"
    with session_scope(engine) as session:
        actions = list_actions(session, app_db.id)
    assert len(actions) == 1 and actions[0].remark_id is not None and actions[0].source == "audit_externe"
    click(at, "Créer une action pour chacun des 9 PS, PP et NC sans action")
    assert metrics(at)["PS, PP et NC avec action"] == "10 / 10"


def test_entering_an_audit_in_the_app(app_db, engine):
    at = open_page("pages/audits.py")
    at.multiselect(key="na-modules").set_value(["M4"])
    at.date_input(key="na-date").set_value(dt.date(2024, 5, 14))
    at.text_input(key="na-auditor").input("Préfecture du Lot")
    click(at, "Créer l'audit")
    assert "Audit de suivi du 14/05/2024 créé" in at.success[0].value
    grid = editor(at, "findings-grid-")
    assert list(grid.value["engagement"]) == ["E34", "E35", "E36", "E37"]
    at.session_state[grid.key] = {"edited_rows": {2: {"conformity": "NC_MIN", "comments": "PP : Tenir un registre. "
                                                                                          "Note : délais non suivis"}},
                                  "added_rows": [], "deleted_rows": []}
    click(at, "Enregistrer les constats")
    assert "1 constat ajouté" in at.success[0].value
    assert metrics(at)["NC mineures"] == "1" and metrics(at)["PS, PP et NC avec action"] == "0 / 2"
    with session_scope(engine) as session:
        assert [a.auditor for a in list_audits(session, app_db.id)] == ["Préfecture du Lot"]


# ------------------------------------------------------------------ Formations


def test_formations_page_on_the_demo(demo):
    at = open_page("pages/formations.py", annee="2024")
    assert at.title[0].value == "Formations"
    with session_scope(get_engine(demo)) as session:
        total = training_summary(session, 1, END_2024).total
    shown = metrics(at)
    assert (shown["Agents concernés"], shown["À jour"], shown["En retard"], shown["À former en 2024"]) == (
        str(total.concerned), str(total.a_jour), str(total.en_retard), str(total.due_this_year))
    roles = next(df.value for df in at.dataframe if "Rôle" in df.value.columns and "Agents concernés" in df.value.columns)
    assert list(roles["Rôle"])[-1] == "Total" and roles["Agents concernés"].iloc[-1] == total.concerned
    assert "Accueil physique" in list(roles["Rôle"])


def test_adding_an_agent_and_a_training_session(app_db, engine):
    at = open_page("pages/formations.py")
    assert "Aucun agent" in at.info[0].value
    grid = editor(at, f"agents-grid-{app_db.id}-")
    at.session_state[grid.key] = {"edited_rows": {}, "added_rows": [
        {"name": "Agent A", "service": "Standard", "role": "accueil_telephonique", "post_start": "2024-01-08",
         "delete": False}],
        "deleted_rows": []}
    click(at, "Enregistrer les agents")
    assert "1 agent ajouté" in at.success[0].value
    with session_scope(engine) as session:
        agent = session.exec(select(Agent)).one()
    at.text_input(key="tr-title").input("Accueil téléphonique")
    at.date_input(key="tr-date").set_value(dt.date(2024, 3, 5))
    at.multiselect(key="tr-agents").set_value([agent.id])
    click(at, "Enregistrer la formation")
    assert "enregistrée pour 1 agent" in at.success[0].value
    with session_scope(engine) as session:
        assert [t.title for t in session.exec(select(Training))] == ["Accueil téléphonique"]
        assert agent_records(session, app_db.id)[0].compliance(dt.date.today()).status == "a_jour"


# ------------------------------------------------------------------ the engagement dossier


def test_an_engagement_dossier_gathers_indicators_audit_actions_and_trainings(demo):
    at = open_page("pages/engagements.py", annee="2024", dossier="E3")
    assert at.title[0].value == "Dossier de l'engagement 3"
    headings = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert headings[:1] == ["### Indicateurs"] and "### Audit" in headings and "### Actions" in headings
    text = " ".join(m.value for m in at.markdown)
    assert "Dernier audit : Audit de suivi du 12/03/2024" in text
    assert "Revoir le questionnaire de l'enquête de satisfaction" in text
    assert "Actions au 31/12/2024" in text
    actions = next(t.value for t in at.table if "Action" in t.value.columns)
    assert {"PA-05", "PA-06", "PA-07", "PA-27"} <= set(actions.index)  # and the COPIL's decisions on engagement 3


def test_the_engagements_page_links_each_engagement_to_its_dossier(demo):
    at = open_page("pages/engagements.py", annee="2024")
    assert at.title[0].value == "Engagements de service"
    closed = [e.proto.id.rsplit("-", 1)[-1] for e in at.expander if not e.proto.expanded]
    assert len(at.expander) >= 20 and closed  # a closed engagement runs nothing until opened
    links = [p for p in at.get("page_link") if "dossier" in str(p.proto.label).lower()]
    assert len(links) == len(at.expander) - len(closed)
    for key in closed:  # opened, each shows its content and its dossier's link
        at.session_state[f"engagement-{key}"] = True
    at.run()
    links = [p for p in at.get("page_link") if "dossier" in str(p.proto.label).lower()]
    assert len(links) == len(at.expander) >= 20
    at = open_page("pages/engagements.py", annee="2024", dossier="PIL3")
    text = " ".join(m.value for m in at.markdown)
    assert "Formations au 31/12/2024** (tous les rôles)" in text  # pilotage 3: every role's training


def test_the_theme_hides_the_chrome_when_printing():
    printing = CSS[CSS.index("@media print"):]
    for part in ('[data-testid="stSidebar"]', 'header[data-testid="stHeader"]', "button", "break-inside: avoid",
                 "overflow: visible"):
        assert part in printing
