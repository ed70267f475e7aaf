"""Local labels, learned once (qep_core.mappings): a label the préfecture mapped is understood in every
later file of that préfecture, of every kind that reads such a label, and nowhere else."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import select

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL
from qep_core.cli import main
from qep_core.db import session_scope
from qep_core.importing import ImportRejected
from qep_core.importing.service import analyze_file, import_file
from qep_core.models import Observation, Perimetre, Prefecture
from qep_core.pilotage.trainings import agent_records, analyze_trainings_file, import_trainings_file
from qep_core.prefectures import create_prefecture
from qep_core.users import add_user
from tests.conftest import make_workbook

AS_OF = dt.date(2024, 6, 10)
REGISTER = make_workbook({"Agents": [
    ["Nom", "Service", "Thème", "Prise de poste"],
    ["Agent A", "CERT", "CERT 38 (fraude)", "01/02/2023"],
    ["Agent B", "Qualité", "RQ", "01/03/2023"],
]})
MAILS = "Nb de mails traités"
SHEET = make_workbook({"Courriels 2024": [
    ["Suivi des courriels 2024"],
    ["", "janvier", "février"],
    ["Réponses dans le délai de 5 jours ouvrés", 90, 80],
    [MAILS, 100, 100],
]})

MARCH = make_workbook({"Courriels 2024": [["Suivi des courriels 2024"], ["", "mars"],
                                          ["Réponses dans le délai de 5 jours ouvrés", 70], [MAILS, 75]]})


def _actor(engine):  # type: ignore[no-untyped-def]
    return services.Actor(LOCAL_PRINCIPAL.named("Marie"), engine)


def _stored(engine, prefecture_id: int) -> list[tuple[str, float, float | None]]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        rows = session.exec(select(Observation, Perimetre).where(Observation.prefecture_id == prefecture_id,
                                                                 Observation.perimetre_id == Perimetre.id)).all()
        return sorted((p.name, o.numerator, o.denominator) for o, p in rows)


def test_a_training_theme_is_refused_until_mapped_then_imported_with_its_role(engine, prefecture) -> None:
    with pytest.raises(ImportRejected) as refused:
        import_trainings_file(engine, prefecture.id, "formations.xlsx", REGISTER, today=AS_OF)
    assert any("thème inconnu « CERT 38 (fraude) »" in str(e) for e in refused.value.errors)
    with session_scope(engine) as session:
        plan = analyze_trainings_file(session, prefecture.id, "formations.xlsx", REGISTER, today=AS_OF)
    assert [(u.kind, u.label, u.row) for u in plan.unknown] == [("theme", "CERT 38 (fraude)", 2)]

    services.mappings.add(_actor(engine), prefecture.id, "theme", "cert 38 FRAUDE", "Lutte contre la fraude")
    import_trainings_file(engine, prefecture.id, "formations.xlsx", REGISTER, today=AS_OF)
    with session_scope(engine) as session:
        roles = {r.agent.name: r.agent.role for r in agent_records(session, prefecture.id)}
    assert roles == {"Agent A": "fraude", "Agent B": "rq"}


def test_a_row_label_is_left_out_until_mapped_and_removing_the_mapping_undoes_it(engine, prefecture) -> None:
    with session_scope(engine) as session:
        pref = session.get(Prefecture, prefecture.id)
        before = analyze_file(session, pref, "courriels.xlsx", SHEET)
    assert [(u.kind, u.label, u.row) for u in before.unknown] == [("row_label", MAILS, 4)]
    assert any("non reconnue" in w.message for w in before.warnings)
    assert "COURRIEL_5J" not in before.indicators

    actor = _actor(engine)
    row = services.mappings.add(actor, prefecture.id, "row_label", MAILS, "courriel_5j:denominator")
    assert row.meaning == "COURRIEL_5J — Courriels ayant reçu une réponse (dénominateur)"
    outcome = import_file(engine, prefecture.id, "courriels.xlsx", SHEET)
    assert outcome.plan.unknown == []
    assert _stored(engine, prefecture.id) == [("Préfecture (ensemble)", 80.0, 100.0),
                                              ("Préfecture (ensemble)", 90.0, 100.0)]

    services.mappings.remove(actor, prefecture.id, row.id)
    with session_scope(engine) as session:
        again = analyze_file(session, session.get(Prefecture, prefecture.id), "courriels-mars.xlsx", MARCH)
    assert [u.label for u in again.unknown] == [MAILS]
    history = services.history.change_history(actor, prefecture.id)
    assert list(history.loc[history["Quoi"] == "Correspondance", "Résumé"])[:2] == [
        "correspondance retirée", f"correspondance ajoutée : {row.meaning}"]


def test_a_perimetre_alias_serves_a_tracking_sheet_and_a_later_item_log(engine, prefecture) -> None:
    """« Coord. » said once to be « Coordination »: the sheet's column and the log's mailbox both land there."""
    with session_scope(engine, write=True) as session:
        session.add(Perimetre(prefecture_id=prefecture.id, name="Coordination", kind="mailbox"))
    with session_scope(engine) as session:
        sheet = make_workbook({"Courriels 2024": [
            ["Courriels par boîte 2024"], ["", "Coord."],
            ["Réponses dans le délai de 5 jours ouvrés", 9], ["Courriels ayant reçu une réponse", 10]]})
        plan = analyze_file(session, session.get(Prefecture, prefecture.id), "boites.xlsx", sheet)
    assert plan.new_perimetres == ["Coord."] and [(u.kind, u.label) for u in plan.unknown] == [("perimetre", "Coord.")]

    actor = _actor(engine)
    choices = services.mappings.choices(actor, prefecture.id, "perimetre")
    services.mappings.add(actor, prefecture.id, "perimetre", "Coord.", next(k for k, v in choices.items()
                                                                            if v == "Coordination"))
    outcome = import_file(engine, prefecture.id, "boites.xlsx", sheet)
    assert outcome.plan.new_perimetres == []
    log = make_workbook({"Courriels": [["Date de réception", "Date de réponse", "Boîte"],
                                       [dt.date(2023, 3, 6), dt.date(2023, 3, 7), "COORD"]]})
    import_file(engine, prefecture.id, "journal.xlsx", log, as_of=AS_OF)
    with session_scope(engine) as session:
        names = {p.name for p in session.exec(select(Perimetre).where(Perimetre.prefecture_id == prefecture.id))}
    assert names == {"Préfecture (ensemble)", "Coordination"}
    # the sheet's 9 / 10 (COURRIEL_5J), the log's one e-mail answered in a day: 1 / 1 in time, 1 day / 1 answer
    assert [s for s in _stored(engine, prefecture.id) if s[0] == "Coordination"] == [
        ("Coordination", 1.0, 1.0), ("Coordination", 1.0, 1.0), ("Coordination", 9.0, 10.0)]


def test_a_column_said_to_be_ignored_no_longer_warns(engine, prefecture) -> None:
    sheet = make_workbook({"Courriels 2024": [
        ["Suivi des courriels 2024"], ["", "janvier", "Observations"],
        ["Réponses dans le délai de 5 jours ouvrés", 9, "RAS"], ["Courriels ayant reçu une réponse", 10, "RAS"]]})

    def analysed():  # type: ignore[no-untyped-def]
        with session_scope(engine) as session:
            return analyze_file(session, session.get(Prefecture, prefecture.id), "c.xlsx", sheet)

    first = analysed()
    assert [(u.kind, u.label, u.column) for u in first.unknown] == [("column", "Observations", "C")]
    services.mappings.add(_actor(engine), prefecture.id, "column", "observations", "ignore")
    second = analysed()
    assert second.unknown == [] and not any("Observations" in w.message for w in second.warnings)
    assert second.rows == 1


def test_another_prefecture_s_mapping_is_never_used(engine, prefecture) -> None:
    with session_scope(engine, write=True) as session:
        other = create_prefecture(session, "38", "Isère", ()).id
    actor = _actor(engine)
    services.mappings.add(actor, other, "theme", "CERT 38 (fraude)", "fraude")
    services.mappings.add(actor, other, "row_label", MAILS, "COURRIEL_5J:denominator")
    with pytest.raises(ImportRejected):
        import_trainings_file(engine, prefecture.id, "formations.xlsx", REGISTER, today=AS_OF)
    with session_scope(engine) as session:
        plan = analyze_file(session, session.get(Prefecture, prefecture.id), "courriels.xlsx", SHEET)
    assert [u.label for u in plan.unknown] == [MAILS]
    assert [m.label for m in services.mappings.list_mappings(actor, prefecture.id)] == []


@pytest.mark.parametrize(("kind", "label", "target", "message"), [
    ("row_label", "Nb de mails", "COURRIEL_5J:hors_sujet", "ne correspond à rien"),
    ("column", "Obs.", "PAS_UN_CODE", "ne correspond à rien"),
    ("theme", "  ", "fraude", "libellé est vide"),
    ("famille", "x", "y", "nature inconnue"),
])
def test_a_mapping_that_means_nothing_is_refused(engine, prefecture, kind, label, target, message) -> None:
    with pytest.raises(services.mappings.MappingError, match=message):
        services.mappings.add(_actor(engine), prefecture.id, kind, label, target)


def test_a_label_has_one_meaning_per_kind(engine, prefecture) -> None:
    actor = _actor(engine)
    services.mappings.add(actor, prefecture.id, "role", "Chargé d'accueil", "accueil_physique")
    with pytest.raises(services.mappings.MappingError, match="a déjà un sens"):
        services.mappings.add(actor, prefecture.id, "role", "CHARGE D ACCUEIL", "courrier")
    services.mappings.add(actor, prefecture.id, "theme", "Chargé d'accueil", "courrier")  # another kind: its own


def test_the_command_line_lists_adds_and_removes_as_its_account(engine, prefecture, tmp_path, monkeypatch,
                                                                 capsys) -> None:
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    register = tmp_path / "formations.xlsx"
    register.write_bytes(REGISTER)
    assert main(["training", "import", str(register)]) == 1
    assert main(["mapping", "add", "theme", "CERT 38 (fraude)", "Lutte contre la fraude"]) == 0
    assert "thème de formation « CERT 38 (fraude) » → Lutte contre la fraude" in capsys.readouterr().out
    assert main(["training", "import", str(register)]) == 0

    assert main(["mapping", "add", "theme", "cert 38 fraude", "courrier"]) == 1
    assert "a déjà un sens" in capsys.readouterr().err
    assert main(["mapping", "add", "famille", "x", "y"]) == 2
    assert main(["mapping", "choices", "column"]) == 0 and "COURRIEL_5J" in capsys.readouterr().out

    with session_scope(engine, write=True) as session:
        add_user(session, "sg44", "copil", password="un-mot-de-passe-long", prefecture_id=prefecture.id)
    assert main(["--as", "sg44", "mapping", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(m["kind"], m["label"], m["target"]) for m in listed] == [("theme", "CERT 38 (fraude)", "fraude")]
    assert main(["--as", "sg44", "mapping", "remove", str(listed[0]["id"])]) == 3
    assert main(["mapping", "remove", str(listed[0]["id"])]) == 0
    assert main(["mapping", "list"]) == 0 and "aucune correspondance" in capsys.readouterr().out
