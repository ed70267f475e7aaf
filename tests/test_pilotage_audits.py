"""Audits: the Tarn-et-Garonne follow-up audit of 05/07/2022 (seed 000) through the import path,
remarks split into PF / PS / PP, one finding per engagement, remarks and NC turned into actions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from qep_core.db import session_scope
from qep_core.importing import ImportRejected
from qep_core.pilotage.action_files import import_actions_file
from qep_core.pilotage.actions import list_actions
from qep_core.pilotage.audits import (
    action_from_finding,
    action_from_remark,
    actions_for_all,
    audit_findings,
    conformity_counts,
    create_audit,
    delete_audit,
    export_audit_rows,
    findings_table,
    import_audit_file,
    last_finding,
    remark_counts,
    save_findings,
)
from qep_core.pilotage.errors import PilotageError
from qep_core.pilotage.models import Audit
from qep_core.pilotage.remarks import parse_comments
from qep_core.pilotage.summary import last_audit_per_module
from qep_core.prefectures import create_prefecture
from tests.conftest import make_workbook
from tests.seed_pilotage import (
    TG_AUDIT_MODULE_1,
    TG_AUDIT_MODULE_4_AND_PILOTAGE,
    TG_AUDIT_REMOTE,
    audit_sheet,
)

TODAY = dt.date(2024, 10, 15)


@pytest.fixture
def tarn_et_garonne(engine):  # type: ignore[no-untyped-def]
    with session_scope(engine, write=True) as session:
        return create_prefecture(session, "82", "Préfecture de Tarn-et-Garonne", ("M4", "M6"))


def rows_in(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    tables = ["pilotage_audit", "pilotage_audit_finding", "pilotage_audit_remark", "pilotage_action", "import_batch"]
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in tables}


def remarks_of(view) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(r.remark.kind, r.remark.text) for r in view.remarks]


# ------------------------------------------------------------------ remarks


def test_a_comments_cell_is_split_into_its_remarks_and_its_note():
    cell = TG_AUDIT_MODULE_4_AND_PILOTAGE[8][1]  # pilotage 3: one PF, then four PP run together in a paragraph
    parsed = parse_comments(cell)
    assert [(r.kind, r.text) for r in parsed.remarks] == [
        ("PF", "Le tableau de suivi des formations intègre les contractuels comme les agents titulaires réalisant de "
               "l'accueil du public."),
        ("PP", "Planifier dans les meilleurs délais la formation pour l'accueil des usagers en situation de handicap"),
        ("PP", "S'assurer d'intégrer, dans la mesure du possible, les VSC du PAN aux formations d'accueil du public."),
        ("PP", "Relancer les visites d'intégration des nouveaux agents dans les services."),
        ("PP", "Formaliser le tutorat des nouveaux agents du Bureau du contrôle de légalité, en utilisant le support "
               "prévu."),
    ]
    assert parsed.note == "Le tableau de suivi des formations a été refondu en 2022."


@pytest.mark.parametrize(("cell", "expected", "note"), [
    ("", [], ""),
    ("Note : Cf. Pilotage.", [], "Cf. Pilotage."),
    ("PS: un seul point\nPoints forts : accueil soigné", [("PS", "un seul point"), ("PF", "accueil soigné")], ""),
    ("Piste de progrès – relancer le CLU. Note : vu en mai", [("PP", "relancer le CLU.")], "vu en mai"),
    ("Texte libre sans marqueur", [], "Texte libre sans marqueur"),
    ("Les ps : ne comptent qu'en capitales ; PP : celui-ci oui", [("PP", "celui-ci oui")],
     "Les ps : ne comptent qu'en capitales"),
    ("FB : 8 000 abonnés ; PP : suivre les abonnés", [("PP", "suivre les abonnés")], "FB : 8 000 abonnés"),
])
def test_markers_are_read_in_their_short_and_long_forms(cell, expected, note):
    parsed = parse_comments(cell)
    assert [(r.kind, r.text) for r in parsed.remarks] == expected
    assert parsed.note == note


# ------------------------------------------------------------------ the Tarn-et-Garonne report


def test_module_1_of_the_tarn_et_garonne_audit_through_the_import_path(engine, tarn_et_garonne):
    data = make_workbook({"Rapport": audit_sheet(TG_AUDIT_MODULE_1)})
    plan, audit = import_audit_file(engine, tarn_et_garonne.id, "audit-82.xlsx", data, today=TODAY)
    assert audit is not None and plan.warnings == []
    assert (audit.kind, audit.audit_date, audit.auditor, audit.modules) == (
        "suivi", dt.date(2022, 7, 5), "Aurélie ROUMEGOUX", "M1")
    with session_scope(engine) as session:
        findings = {v.key: v for v in audit_findings(session, audit.id)}
    assert list(findings) == [f"E{n}" for n in range(1, 21)]  # every engagement of module 1, headings skipped
    assert findings["E8"].finding.conformity == "NA"
    assert conformity_counts(findings.values()) == {"C": 19, "NA": 1, "NC_MAJ": 0, "NC_MIN": 0, "none": 0}
    assert remark_counts(findings.values()) == {"PF": 6, "PS": 1, "PP": 9}
    assert remarks_of(findings["E3"]) == [
        ("PP", "Etudier la possibilité de revoir les questions et le support d'enquêtes (il y a trop de questions et "
               "toutes ne permettent pas d'analyse pertinente de la satisfaction et de la qualité de service rendu à "
               "l'utilisateur)."),
        ("PP", "Mettre à jour le bilan des réclamations sur le site internet."),
        ("PP", "Intégrer le traitement des réclamations, suggestions et retours positifs identifiées sur les avis en "
               "ligne (avis Google notamment)."),
    ]
    assert findings["E3"].finding.note.startswith("L'enquête de satisfaction 2021 a été réalisée sur tablette")
    assert remarks_of(findings["E15"]) == [
        ("PF", "Projet d'animation commune du PAN ANTS et du futur PAN Emeraude et pour l'accompagnement sur les "
               "sujets armes."),
        ("PF", "Prise en charge des usagers sans RDV dans la mesure du possible."),
    ]
    assert remarks_of(findings["E20"]) == [
        ("PS", "L'animation des réseaux sociaux se fait avec les outils personnels, notamment sur Instagram. Il y a un "
               "risque de confusion important entre les réseaux sociaux de la Préfecture et les comptes personnels.")]
    assert remarks_of(findings["E19"])[0][0] == "PP" and findings["E19"].finding.note == (
        "FB : 8 000 abonnés Twitter : 5 800 abonnés")
    assert remarks_of(findings["E1"]) == [] and remarks_of(findings["E9"]) == []


def test_the_whole_report_with_pilotage_labellisation_and_the_remote_part(engine, tarn_et_garonne):
    data = make_workbook({"Rapport": audit_sheet(TG_AUDIT_MODULE_1, TG_AUDIT_MODULE_4_AND_PILOTAGE, TG_AUDIT_REMOTE)})
    plan, audit = import_audit_file(engine, tarn_et_garonne.id, "audit-82.xlsx", data, today=TODAY)
    assert audit.modules == "M1,M4,PIL,LAB"
    # engagement 8: NA on site, C by phone → one finding, C kept, and the user is told
    assert [w.message for w in plan.warnings] == [
        "engagement 8. Un serveur vocal interactif local, s'il existe, évalué deux fois (lignes 17 et 50) : NA puis "
        "C ; « C » est retenu"]
    with session_scope(engine) as session:
        findings = {v.key: v for v in audit_findings(session, audit.id)}
        summaries = {s.module_code: s for s in last_audit_per_module(session, tarn_et_garonne.id)}
    assert len(findings) == 31 and findings["E8"].finding.conformity == "C"
    assert [k for k in findings][-7:] == ["PIL1", "PIL2", "PIL3", "PIL4", "PIL5", "LAB1", "LAB2"]
    assert remarks_of(findings["E1"]) == [("PP", "S'assurer que les informations sur la page Google de la Préfecture "
                                                 "sont à jour.")]  # from the remote part, merged
    assert [k for k, _ in remarks_of(findings["PIL3"])] == ["PF", "PP", "PP", "PP", "PP"]
    assert remarks_of(findings["LAB1"]) == [("PF", "Format des CR de COPILs et du bilan annuel."),
                                            ("PP", "Proposer une analyse des indicateurs d'année en année pour les "
                                                   "prochains bilans.")]
    assert findings["E37"].finding.conformity == "NA"
    assert remark_counts(findings.values()) == {"PF": 10, "PS": 1, "PP": 18}
    assert (summaries["M1"].engagements, summaries["M1"].conforme, summaries["M1"].points_sensibles) == (20, 20, 1)
    assert (summaries["M4"].conforme, summaries["M4"].non_applicable, summaries["M4"].points_forts) == (3, 1, 2)
    assert summaries["PIL"].pistes_de_progres == 7 and summaries["LAB"].audit_title == "Audit de suivi du 05/07/2022"


def test_type_and_date_given_by_the_user_and_refusals_in_french(engine, tarn_et_garonne):
    bare = make_workbook({"Rapport": audit_sheet(TG_AUDIT_MODULE_1, title=False)})
    before = rows_in(engine)
    with pytest.raises(ImportRejected) as refused:
        import_audit_file(engine, tarn_et_garonne.id, "audit.xlsx", bare, today=TODAY)
    messages = " | ".join(str(i) for i in refused.value.errors)
    assert "type d'audit inconnu : précisez-le" in messages and "date de l'audit inconnue" in messages
    assert rows_in(engine) == before
    _, audit = import_audit_file(engine, tarn_et_garonne.id, "audit.xlsx", bare, kind="interne",
                                 audit_date=dt.date(2022, 3, 1), auditor="Préfecture voisine", today=TODAY)
    assert (audit.kind, audit.audit_date, audit.auditor) == ("interne", dt.date(2022, 3, 1), "Préfecture voisine")
    again = import_audit_file(engine, tarn_et_garonne.id, "audit-bis.xlsx", bare, kind="interne",
                              audit_date=dt.date(2022, 3, 1), today=TODAY)
    assert again[1] is None and "rien n'a changé" in again[0].summary()  # same bytes: nothing happens
    wrong = audit_sheet([["Module 1 99. Un engagement qui n'existe pas", "", "C"],
                         ["Module 1 2. Un accueil attentif", "", "Conformissime"]])
    with pytest.raises(ImportRejected) as refused:
        import_audit_file(engine, tarn_et_garonne.id, "faux.xlsx", make_workbook({"R": wrong}), today=TODAY)
    messages = [str(i) for i in refused.value.errors]
    assert any("ligne 7, colonne A (Engagements de service)" in m and "engagement non reconnu" in m for m in messages)
    assert any("ligne 8, colonne C (Conformité)" in m and "conformité inconnue « Conformissime »" in m for m in messages)


def test_the_same_audit_from_another_file_is_refused(engine, tarn_et_garonne):
    import_audit_file(engine, tarn_et_garonne.id, "a.xlsx", make_workbook({"R": audit_sheet(TG_AUDIT_MODULE_1)}),
                      today=TODAY)
    other = make_workbook({"R": audit_sheet(TG_AUDIT_MODULE_4_AND_PILOTAGE)})
    with pytest.raises(ImportRejected, match="Audit de suivi du 05/07/2022 existe déjà"):
        import_audit_file(engine, tarn_et_garonne.id, "b.xlsx", other, today=TODAY)


# ------------------------------------------------------------------ remarks and NC → actions


def test_every_ps_pp_and_nc_becomes_an_action_in_one_call(engine, tarn_et_garonne):
    data = make_workbook({"Rapport": audit_sheet(TG_AUDIT_MODULE_1)})
    _, audit = import_audit_file(engine, tarn_et_garonne.id, "audit.xlsx", data, today=TODAY)
    with session_scope(engine, write=True) as session:
        e20 = next(v for v in audit_findings(session, audit.id) if v.key == "E20")
        action = action_from_remark(session, tarn_et_garonne.id, e20.remarks[0].remark.id, TODAY, "rq")
        assert (action.module_code, action.engagement_key, action.source, action.status) == (
            "M1", "E20", "audit_externe", "a_faire")
        assert action.title.startswith("L'animation des réseaux sociaux se fait avec les outils personnels")
        assert action.answers.startswith("Audit de suivi du 05/07/2022 — engagement 20 — PS : L'animation")
        again = action_from_remark(session, tarn_et_garonne.id, e20.remarks[0].remark.id, TODAY, "rq")
        assert again.id == action.id  # one click, one action
        e6 = next(v for v in audit_findings(session, audit.id) if v.key == "E6")
        with pytest.raises(PilotageError, match="un point fort n'appelle pas d'action"):
            action_from_remark(session, tarn_et_garonne.id, e6.remarks[0].remark.id, TODAY)
        assert actions_for_all(session, tarn_et_garonne.id, audit.id, TODAY) == 9  # the 9 PP left
        assert actions_for_all(session, tarn_et_garonne.id, audit.id, TODAY) == 0
        views = audit_findings(session, audit.id)
        assert all(r.action is not None for v in views for r in v.remarks if r.remark.kind in ("PS", "PP"))
        assert len(list_actions(session, tarn_et_garonne.id)) == 10


def test_a_non_conformity_entered_in_the_app_calls_for_a_corrective_action(engine, tarn_et_garonne):
    with session_scope(engine, write=True) as session:
        audit = create_audit(session, tarn_et_garonne.id, kind="interne", audit_date=dt.date(2024, 5, 14),
                             auditor="Préfecture du Lot", modules=["M4"], today=TODAY)
        rows = findings_table(session, audit)
        assert [r["engagement"] for r in rows] == ["E34", "E35", "E36", "E37"]
        rows[2].update(conformity="NC_MIN", comments="PP : Tenir un registre des courriels des élus.\nNote : Pas de "
                                                     "suivi des délais en 2024.")
        rows[3].update(conformity="C")
        assert save_findings(session, audit, rows) == ["2 constats ajoutés"]
        e36 = next(v for v in audit_findings(session, audit.id) if v.key == "E36")
        action = action_from_finding(session, tarn_et_garonne.id, e36.finding.id, TODAY)
        assert action.title == ("Lever la non-conformité mineure de l'engagement 36 : Pas de suivi des délais en "
                                "2024.")
        assert action.source == "audit_interne" and action.finding_id == e36.finding.id
        with pytest.raises(PilotageError):
            action_from_finding(session, tarn_et_garonne.id,
                                next(v for v in audit_findings(session, audit.id) if v.key == "E37").finding.id, TODAY)
        found = last_finding(session, tarn_et_garonne.id, "E36")
        assert found is not None and found[1].nc_action is not None
        with pytest.raises(PilotageError, match="existe déjà"):
            create_audit(session, tarn_et_garonne.id, kind="interne", audit_date=dt.date(2024, 5, 14), modules=["M4"])


def test_editing_findings_keeps_the_actions_of_unchanged_remarks(engine, tarn_et_garonne):
    data = make_workbook({"Rapport": audit_sheet(TG_AUDIT_MODULE_1)})
    _, audit = import_audit_file(engine, tarn_et_garonne.id, "audit.xlsx", data, today=TODAY)
    with session_scope(engine, write=True) as session:
        actions_for_all(session, tarn_et_garonne.id, audit.id, TODAY)
        audit = session.get(Audit, audit.id)
        rows = findings_table(session, audit)
        e3 = next(r for r in rows if r["engagement"] == "E3")
        lines = e3["comments"].split("\n")
        e3["comments"] = "\n".join([lines[0], lines[2], "PS : Nouveau point sensible.", lines[-1]])  # 2nd PP removed
        assert save_findings(session, audit, rows) == ["1 constat modifié"]
        e3_view = next(v for v in audit_findings(session, audit.id) if v.key == "E3")
        assert [(r.remark.kind, r.action is not None) for r in e3_view.remarks] == [
            ("PP", True), ("PP", True), ("PS", False)]
        assert len(list_actions(session, tarn_et_garonne.id)) == 10  # the removed remark's action stays
        title = delete_audit(session, tarn_et_garonne.id, audit.id)
        assert title == "Audit de suivi du 05/07/2022"
        actions = list_actions(session, tarn_et_garonne.id)
        assert len(actions) == 10 and all(a.remark_id is None and a.answers for a in actions)


def test_a_plan_that_copies_a_remark_is_linked_to_it(engine, tarn_et_garonne):
    import_audit_file(engine, tarn_et_garonne.id, "audit.xlsx",
                      make_workbook({"R": audit_sheet(TG_AUDIT_MODULE_1)}), today=TODAY)
    plan = make_workbook({"Plan": [["Action", "Engagement", "Source", "Statut"],
                                   ["Mettre à jour le bilan des réclamations sur le site internet", "3", "Audit externe",
                                    "En cours"],
                                   ["Autre chose", "3", "Agents", "À faire"]]})
    import_actions_file(engine, tarn_et_garonne.id, "plan.xlsx", plan, today=TODAY)
    with session_scope(engine) as session:
        linked = {a.title: a.remark_id is not None for a in list_actions(session, tarn_et_garonne.id)}
        assert linked == {"Mettre à jour le bilan des réclamations sur le site internet": True, "Autre chose": False}


def test_the_exported_table_reimports_into_the_same_findings(engine, tarn_et_garonne, prefecture):
    data = make_workbook({"Rapport": audit_sheet(TG_AUDIT_MODULE_1, TG_AUDIT_MODULE_4_AND_PILOTAGE)})
    _, audit = import_audit_file(engine, tarn_et_garonne.id, "audit.xlsx", data, today=TODAY)
    with session_scope(engine) as session:
        rows = export_audit_rows(session, session.get(Audit, audit.id))
        original = [(v.key, v.finding.conformity, remarks_of(v), v.finding.note) for v in audit_findings(session, audit.id)]
    _, copy = import_audit_file(engine, prefecture.id, "copie.xlsx", make_workbook({"R": rows}), today=TODAY)
    with session_scope(engine) as session:
        again = [(v.key, v.finding.conformity, remarks_of(v), v.finding.note) for v in audit_findings(session, copy.id)]
    assert again == original
