"""Permission matrix of the pilotage services (action plan, audits, trainings, engagement dossier)
and the bugs fixed with them. See tests/access_world.py.

Pilotage data (actions, audits, agents) belongs to a préfecture, not to a périmètre: the scope
columns are « own préfecture » (44) and « other préfecture » (38); a contributor reads the
pilotage of its préfecture like the COPIL does (``read_detail``) and changes nothing.

* reads of the pages (``read_detail``): admin, copil, contributeur, local — not the CLU, not 38;
* writes, file analyses included (``edit_pilotage``): admin and local only;
* Excel exports (``export_internal``: owners' and agents' names): admin, copil, local;
* the engagement dossier (``read``): everyone of 44, cut for the CLU (no remarks, no owners, no notes).
"""

from __future__ import annotations

import ast
import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from qep_core import services
from qep_core.access import AccessDenied, Principal
from qep_core.cli import main
from qep_core.db import create_schema, get_engine, session_scope
from qep_core.demo import load_demo
from qep_core.pilotage.errors import PilotageError
from qep_core.users import add_user
from tests.access_world import World
from tests.conftest import make_workbook
from tests.signed_in import give_accounts

_counter = itertools.count(1)

PS_TEXT = "Les délais de réponse aux élus ne sont pas suivis"
PP_TEXT = "Tenir un registre des demandes des collectivités"
NOTE_TEXT = "Entretien avec Mme Lefebvre du bureau des collectivités"
OWNER = "Mme Dupont"
AUDITOR = "M. Auditeur"


@dataclass(frozen=True)
class Targets:
    """Fresh objects of préfecture 44 for one call: an action, an audit (one NC finding with a PS
    and a PP), an agent with a training and a tutoring."""

    n: int
    action_id: int
    audit_id: int
    finding_id: int
    remark_id: int
    agent_id: int
    training_id: int
    tutoring_id: int


def fresh(w: World) -> Targets:
    admin, pid, n = w.actor("admin"), w.pref, next(_counter)
    services.action_plan.add_action(admin, pid, title=f"Action {n}", module_code="M4", source="agents", owner=OWNER)
    table = services.action_plan.list_actions(admin, pid, dt.date.today()).table
    action_id = int(table[table["title"] == f"Action {n}"]["id"].iloc[0])
    audit = services.audits.create_audit(admin, pid, kind="interne", audit_date=dt.date(2020, 1, 1) + dt.timedelta(n),
                                         auditor=AUDITOR, modules=["M4"])
    services.audits.save_findings(admin, pid, audit.id, [
        {"engagement": "E36", "conformity": "NC_MIN", "comments": f"PS : {PS_TEXT}. PP : {PP_TEXT}. Note : {NOTE_TEXT}"}])
    finding = services.audits.audit_detail(admin, pid, audit.id).findings[0]
    remark_id = next(r.remark.id for r in finding.remarks if r.remark.kind == "PS")
    services.trainings.save_agents(admin, pid, [{"name": f"Agent {n}", "role": "accueil_telephonique",
                                                 "post_start": dt.date(2023, 1, 2)}])
    agent = next(r for r in services.trainings.agents(admin, pid) if r.agent.name == f"Agent {n}").agent
    services.trainings.record_training(admin, pid, [agent.id or 0], dt.date(2023, 6, 1), "Accueil téléphonique")
    tutoring_id = services.trainings.record_tutoring(admin, pid, agent.id or 0, "Tuteur", dt.date(2023, 2, 1))
    record = next(r for r in services.trainings.agents(admin, pid) if r.agent.id == agent.id)
    return Targets(n, action_id, audit.id, finding.finding.id or 0, remark_id or 0, agent.id or 0,
                   record.trainings[0].id or 0, tutoring_id)


def plan_file(n: int) -> bytes:
    return make_workbook({"Plan": [["Action", "Module", "Source", "Statut"],
                                   [f"Action du fichier {n}", "Module 4", "Agents", "À faire"]]})


def audit_file(n: int) -> bytes:
    return make_workbook({"Rapport": [["Type d'audit", "Interne"],
                                      ["Date de l'audit", f"{dt.date(2010, 1, 1) + dt.timedelta(n):%d/%m/%Y}"], [],
                                      ["Engagements de service", "Commentaires", "Conformité"],
                                      ["Module 4 36. Répondre aux élus", f"PP : piste {n}", "C"]]})


def trainings_file(n: int) -> bytes:
    return make_workbook({"Agents": [["Nom", "Rôle", "Prise de poste"],
                                     [f"Agent du fichier {n}", "Accueil physique", "15/07/2023"]]})


TODAY = dt.date.today()
Call = Callable[[services.Actor, int, Targets], Any]

#: operation → what it needs, and one valid call of it on préfecture *pid*.
OPERATIONS: dict[str, tuple[str, Call]] = {
    "action_plan.referentiel": ("read_detail", lambda a, p, t: services.action_plan.referentiel(a, p)),
    "action_plan.plan_summary": ("read_detail", lambda a, p, t: services.action_plan.plan_summary(a, p, TODAY)),
    "action_plan.plan_progress": ("read_detail", lambda a, p, t: services.action_plan.plan_progress(a, p, TODAY)),
    "action_plan.list_actions": ("read_detail", lambda a, p, t: services.action_plan.list_actions(
        a, p, TODAY, modules=["M4"], statuses=["a_faire"])),
    "action_plan.status_history": ("read_detail", lambda a, p, t: services.action_plan.status_history(a, p)),
    "action_plan.save_actions_grid": ("edit_pilotage", lambda a, p, t: services.action_plan.save_actions_grid(
        a, p, [{"title": f"Nouvelle {t.n}", "module": "M4", "source": "agents", "status": "a_faire"}])),
    "action_plan.add_action": ("edit_pilotage", lambda a, p, t: services.action_plan.add_action(
        a, p, title=f"Ajoutée {t.n}", module_code="M4", source="clu")),
    "action_plan.update_action": ("edit_pilotage", lambda a, p, t: services.action_plan.update_action(
        a, p, t.action_id, {"owner": "M. Martin"})),
    "action_plan.set_action_status": ("edit_pilotage", lambda a, p, t: services.action_plan.set_action_status(
        a, p, t.action_id, "fait")),
    "action_plan.delete_action": ("edit_pilotage", lambda a, p, t: services.action_plan.delete_action(
        a, p, t.action_id)),
    "action_plan.analyse_plan_file": ("edit_pilotage", lambda a, p, t: services.action_plan.analyse_plan_file(
        a, p, "plan.xlsx", plan_file(t.n))),
    "action_plan.import_plan_file": ("edit_pilotage", lambda a, p, t: services.action_plan.import_plan_file(
        a, p, "plan.xlsx", plan_file(t.n))),
    "action_plan.export_plan_xlsx": ("export_internal", lambda a, p, t: services.action_plan.export_plan_xlsx(
        a, p, TODAY)),
    "audits.list_audits": ("read_detail", lambda a, p, t: services.audits.list_audits(a, p)),
    "audits.audit_detail": ("read_detail", lambda a, p, t: services.audits.audit_detail(a, p, t.audit_id)),
    "audits.findings_grid": ("read_detail", lambda a, p, t: services.audits.findings_grid(a, p, t.audit_id)),
    "audits.create_audit": ("edit_pilotage", lambda a, p, t: services.audits.create_audit(
        a, p, kind="suivi", audit_date=dt.date(2000, 1, 1) + dt.timedelta(t.n), modules=["M4"])),
    "audits.save_findings": ("edit_pilotage", lambda a, p, t: services.audits.save_findings(
        a, p, t.audit_id, [{"engagement": "E37", "conformity": "C", "comments": ""}])),
    "audits.delete_audit": ("edit_pilotage", lambda a, p, t: services.audits.delete_audit(a, p, t.audit_id)),
    "audits.action_for_remark": ("edit_pilotage", lambda a, p, t: services.audits.action_for_remark(
        a, p, t.remark_id)),
    "audits.action_for_finding": ("edit_pilotage", lambda a, p, t: services.audits.action_for_finding(
        a, p, t.finding_id)),
    "audits.actions_for_all": ("edit_pilotage", lambda a, p, t: services.audits.actions_for_all(a, p, t.audit_id)),
    "audits.analyse_audit_file": ("edit_pilotage", lambda a, p, t: services.audits.analyse_audit_file(
        a, p, "audit.xlsx", audit_file(t.n))),
    "audits.import_audit_file": ("edit_pilotage", lambda a, p, t: services.audits.import_audit_file(
        a, p, "audit.xlsx", audit_file(t.n))),
    "engagements.engagement_dossiers": ("read", lambda a, p, t: services.engagements.engagement_dossiers(
        a, p, TODAY)),
    "trainings.agents": ("read_detail", lambda a, p, t: services.trainings.agents(a, p)),
    "trainings.compliance": ("read_detail", lambda a, p, t: services.trainings.compliance(a, p, TODAY)),
    "trainings.save_agents": ("edit_pilotage", lambda a, p, t: services.trainings.save_agents(
        a, p, [{"id": t.agent_id, "name": f"Agent {t.n}", "service": "Standard", "role": "accueil_telephonique",
                "post_start": dt.date(2023, 1, 2)}])),
    "trainings.record_training": ("edit_pilotage", lambda a, p, t: services.trainings.record_training(
        a, p, [t.agent_id], dt.date(2024, 2, 1), "Recyclage")),
    "trainings.record_tutoring": ("edit_pilotage", lambda a, p, t: services.trainings.record_tutoring(
        a, p, t.agent_id, "Autre tuteur", dt.date(2024, 1, 1))),
    "trainings.delete_training": ("edit_pilotage", lambda a, p, t: services.trainings.delete_training(
        a, p, t.training_id)),
    "trainings.delete_tutoring": ("edit_pilotage", lambda a, p, t: services.trainings.delete_tutoring(
        a, p, t.tutoring_id)),
    "trainings.analyse_trainings_file": ("edit_pilotage", lambda a, p, t: services.trainings.analyse_trainings_file(
        a, p, "formations.xlsx", trainings_file(t.n))),
    "trainings.import_trainings_file": ("edit_pilotage", lambda a, p, t: services.trainings.import_trainings_file(
        a, p, "formations.xlsx", trainings_file(t.n))),
    "trainings.export_xlsx": ("export_internal", lambda a, p, t: services.trainings.export_xlsx(a, p, TODAY)),
}
COVERED = set(OPERATIONS)

#: Who may, in préfecture 44, per action the operation needs.
ALLOWED = {
    "read": {"admin", "copil", "contributeur", "lecture-clu", "local"},
    "read_detail": {"admin", "copil", "contributeur", "local"},
    "export_internal": {"admin", "copil", "local"},
    "edit_pilotage": {"admin", "local"},
}
ROLES = ("admin", "copil", "contributeur", "lecture-clu", "admin-38", "local")


def history_size(w: World) -> int:
    return len(services.history.change_history(w.actor("admin"), w.pref))


def test_the_matrix_lists_every_pilotage_operation_with_the_action_it_registers() -> None:
    pilotage = {name for name in services.OPERATIONS if name.split(".")[0] in
                ("action_plan", "audits", "trainings", "engagements")}
    assert pilotage == COVERED
    assert {name: services.OPERATIONS[name].action for name in COVERED} == {
        name: action for name, (action, _) in OPERATIONS.items()}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_pilotage_operation_by_role_in_its_prefecture_and_in_another(world: World, name: str) -> None:
    """Each role on préfecture 44's fresh objects: allowed (a write records exactly one history
    line) or refused in French with nothing recorded; and none of 44's accounts reaches 38."""
    action, call = OPERATIONS[name]
    for role in ROLES:
        targets = fresh(world)
        before = history_size(world)
        if role in ALLOWED[action]:
            call(world.actor(role), world.pref, targets)
            if services.OPERATIONS[name].writes:
                assert history_size(world) == before + 1, f"{role}: a write records exactly one history line"
        else:
            with pytest.raises(AccessDenied, match=r"^Accès refusé : "):
                call(world.actor(role), world.pref, targets)
            assert history_size(world) == before, role
    for role in ("admin", "copil", "contributeur", "lecture-clu"):
        refusal = ("cette préfecture n'est pas dans le périmètre de votre compte" if role in ALLOWED[action]
                   else "ne permet pas de")
        with pytest.raises(AccessDenied, match=refusal):
            call(world.actor(role), world.other_pref, targets)


@pytest.mark.parametrize("name", ["action_plan.update_action", "action_plan.set_action_status",
                                  "action_plan.delete_action", "audits.audit_detail", "audits.findings_grid",
                                  "audits.save_findings", "audits.delete_audit", "audits.action_for_remark",
                                  "audits.action_for_finding", "audits.actions_for_all", "trainings.record_training",
                                  "trainings.record_tutoring", "trainings.delete_training",
                                  "trainings.delete_tutoring"])
def test_the_admin_of_38_cannot_reach_44s_objects_through_its_own_prefecture(world: World, name: str) -> None:
    _, call = OPERATIONS[name]
    targets = fresh(world)
    before = history_size(world)
    with pytest.raises(PilotageError, match=r"introuvable|inconnu"):
        call(world.actor("admin-38"), world.other_pref, targets)
    assert history_size(world) == before


def test_refusals_are_french_sentences_naming_the_right(world: World) -> None:
    targets = fresh(world)
    with pytest.raises(AccessDenied) as refused:
        services.action_plan.set_action_status(world.actor("copil"), world.pref, targets.action_id, "fait")
    assert str(refused.value) == ("Accès refusé : votre rôle (Comité de pilotage (lecture, commentaires)) ne permet "
                                  "pas de modifier le plan d'actions, les audits et les formations.")


# ------------------------------------------------------------------ the CLU's dossier


def test_the_clu_dossier_carries_no_remark_no_owner_no_note(world: World) -> None:
    targets = fresh(world)
    admin = world.actor("admin")
    services.audits.action_for_remark(admin, world.pref, targets.remark_id)  # its title is the PS's text
    services.action_plan.update_action(admin, world.pref, targets.action_id, {"engagement": "E36",
                                                                              "comment": "relancer M. Martin"})
    full = services.engagements.engagement_dossiers(admin, world.pref, TODAY)["E36"]
    public = services.engagements.engagement_dossiers(world.actor("lecture-clu"), world.pref, TODAY)["E36"]

    assert full.audit is not None and full.audit.auditor == AUDITOR and full.audit.note.startswith("Entretien")
    assert {r.text.rstrip(".") for r in full.audit.remarks} == {PS_TEXT, PP_TEXT}
    assert full.actions is not None and OWNER in {a.owner for a in full.actions.rows}
    assert PS_TEXT + "." in {a.title for a in full.actions.rows}

    assert public.public_only and public.audit is not None and public.actions is not None
    assert (public.audit.title, public.audit.conformity, public.audit.remark_counts) == (
        full.audit.title, "NC_MIN", {"PF": 0, "PS": 1, "PP": 1})
    assert (public.actions.done, public.actions.open, public.actions.late) == (0, 2, 0)
    shown = repr(public)
    for secret in (PS_TEXT, PP_TEXT, "Entretien", "Lefebvre", AUDITOR, OWNER, "Martin", "Action "):
        assert secret not in shown, secret
    assert public.audit.remarks == [] and public.actions.rows == [] and public.audit.note == ""


def test_the_clu_sees_the_same_counts_as_the_referent(world: World) -> None:
    fresh(world)
    full = services.engagements.engagement_dossiers(world.actor("admin"), world.pref, TODAY)
    public = services.engagements.engagement_dossiers(world.actor("lecture-clu"), world.pref, TODAY)
    assert full.keys() == public.keys()
    for key, dossier in full.items():
        assert public[key].trainings == dossier.trainings
        if dossier.actions is not None:
            assert public[key].actions is not None and (public[key].actions.done, public[key].actions.open) == (
                dossier.actions.done, dossier.actions.open)


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}


def test_pilotage_sections_and_engagement_sections_import_each_other_no_more() -> None:
    ui = Path(__file__).resolve().parent.parent / "qep_ui"
    assert "qep_ui.pilotage_sections" in _imported(ui / "engagement_sections.py")
    assert not {m for m in _imported(ui / "pilotage_sections.py") if m.startswith("qep_ui.engagement_sections")}


# ------------------------------------------------------------------ the command line


@pytest.fixture
def accounts(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("QEP_DATABASE_URL", str(world.database.url))
    with session_scope(world.database, write=True) as session:
        add_user(session, "rq44", "admin", password="un mot de passe solide", prefecture_id=world.pref)
        add_user(session, "sg44", "copil", password="un mot de passe solide", prefecture_id=world.pref)
    return world


def test_cli_actions_import_writes_its_history_line_as_the_principal(accounts: World, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_bytes(plan_file(next(_counter)))
    assert main(["--as", "rq44", "actions", "import", str(path), "--prefecture", "44"]) == 0
    assert "plan d'actions, 1 action dont 1 nouvelle" in capsys.readouterr().out
    lines = services.history.change_history(accounts.actor("admin"), accounts.pref)
    assert list(lines[["Qui", "action"]].itertuples(index=False, name=None)) == [("rq44", "action")]
    assert "plan.xlsx" in lines["Résumé"].iloc[0]
    # the same file again changes nothing and records nothing
    assert main(["--as", "rq44", "actions", "import", str(path), "--prefecture", "44"]) == 0
    assert len(services.history.change_history(accounts.actor("admin"), accounts.pref)) == 1


def test_cli_pilotage_refuses_an_account_without_the_right(accounts: World, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_bytes(plan_file(next(_counter)))
    assert main(["--as", "sg44", "actions", "import", str(path), "--prefecture", "44"]) == 3
    assert "Accès refusé" in capsys.readouterr().err
    assert len(services.action_plan.list_actions(accounts.actor("admin"), accounts.pref, TODAY).table) == 0
    assert main(["--as", "sg44", "training", "compliance", "--prefecture", "44"]) == 0  # reading is allowed
    assert main(["--as", "sg44", "audit", "import", str(path), "--prefecture", "38"]) == 3


# ------------------------------------------------------------------ the CLU on the dossier's page

APP = Path(__file__).resolve().parent.parent / "app.py"
DEMO_REMARK = "Revoir le questionnaire de l'enquête de satisfaction"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('pilotage-access') / 'demo.db'}"
    engine = get_engine(url)
    create_schema(engine)
    load_demo(engine)
    return url


def dossier_page(principal: Principal, url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("QEP_DATABASE_URL", url)
    monkeypatch.setenv("QEP_AUTH", "accounts")
    give_accounts(get_engine(url), principal)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["_principal"] = principal
    at.query_params["annee"], at.query_params["dossier"] = "2024", "E3"
    at.run()
    at.switch_page("pages/engagements.py").run()
    assert not at.exception, at.exception
    return at


def test_the_clu_opens_the_dossier_page_without_remarks_or_owners(demo_url: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    admin = dossier_page(Principal("marie", "admin", prefecture_ids=frozenset({1})), demo_url, monkeypatch)
    shown = " ".join(m.value for m in admin.markdown)
    assert DEMO_REMARK in shown and any("Responsable" in t.value.columns for t in admin.table)

    clu = dossier_page(Principal("clu", "lecture-clu", prefecture_ids=frozenset({1})), demo_url, monkeypatch)
    assert clu.title[0].value == "Dossier de l'engagement 3"
    shown = " ".join(str(e.value) for e in [*clu.markdown, *clu.caption])
    assert "Dernier audit : Audit de suivi du 12/03/2024**" in shown and DEMO_REMARK not in shown
    assert "Note de l'auditeur" not in shown and "Remarques de l'auditeur" in shown
    assert "Actions au 31/12/2024** :" in shown
    assert not any("Responsable" in t.value.columns or "Action" in t.value.columns for t in clu.table)
