"""Mystery calls and e-mails: a grid imported from a sheet (all or nothing, idempotent, undone with its
batch) or typed in the app; results per criterion and per channel, over time, checked by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine

from qep_core.db import session_scope
from qep_core.importing import ImportRejected
from qep_core.importing.service import undo_batch
from qep_core.models import Prefecture
from qep_core.surveys import mystery
from qep_core.surveys.summary import mystery_summaries
from tests.conftest import make_workbook

CALLS = [
    ["Appels mystères mars 2023"],
    ["Date", "Service appelé", "Enquêteur", "Décroché en moins de 5 sonneries", "Formule d'accueil",
     "Réponse exacte", "Observations"],
    [dt.datetime(2023, 3, 2, 9, 30), "Standard", "Jean Testeur", "Oui", "oui", "Non", "Attente longue"],
    [dt.datetime(2023, 3, 3, 10, 0), "Séjour", "Jean Testeur", "Non", "X", "Sans objet", None],
    [dt.datetime(2023, 3, 6, 14, 0), "Standard", "Jean Testeur", "oui", "Oui", "oui", "Agent : Mme Durand, aimable"],
    [dt.datetime(2023, 3, 7, 11, 0), "Permis", "Jean Testeur", "OUI", "Non", "Oui", None],
]
MAILS = [
    ["Date d'envoi", "Boîte", "Accusé de réception", "Réponse en 5 jours ouvrés"],
    [dt.date(2023, 3, 2), "Boîte préfecture", "✓", "1"],
    [dt.date(2023, 3, 2), "Étrangers", "✓", "0"],
]


def grid() -> bytes:
    return make_workbook({"Appels mystères": CALLS, "Courriels mystères": MAILS})


def test_import_and_results_by_hand(engine: Engine, prefecture: Prefecture) -> None:
    pid = prefecture.id or 0
    plan, batch = mystery.import_mystery(engine, pid, "mysteres-2023.xlsx", grid(), user="rq")
    assert batch is not None and batch.kind == "mystere" and batch.rows == 6
    assert plan.summary() == "mysteres-2023.xlsx : 6 contrôles (4 appels mystères, 2 courriels mystères)"
    assert any("« Enquêteur »" in w.message for w in plan.warnings)  # a person's name: not kept
    with session_scope(engine) as session:
        frame = mystery.checks_frame(session, pid)
    assert "Jean Testeur" not in frame.to_csv()
    results = {(r.channel, r.criterion): r for r in mystery.criterion_results(frame)}
    # « Décroché… »: Oui, Non, oui, OUI → 3 met / 4 scored
    picked = results[("appel", "Décroché en moins de 5 sonneries")]
    assert (picked.met, picked.not_met, picked.na, picked.rate) == (3, 1, 0, 75.0)
    # « Réponse exacte »: Non, Sans objet, oui, Oui → 2 / 3 scored (n.a. left out), Wilson 95 %:
    # p = 0,666667, z²/n = 1,280486, centre = (0,666667 + 0,640243) / 2,280486 = 0,573081,
    # half = 1,959964·√(0,0740741 + 0,1067072) / 2,280486 = 0,365426 → [20,77 ; 93,85]
    exact = results[("appel", "Réponse exacte")]
    assert (exact.met, exact.not_met, exact.na) == (2, 1, 1)
    assert tuple(round(v, 2) for v in exact.ci) == (20.77, 93.85)  # type: ignore[union-attr]
    channels = {r.channel: r for r in mystery.channel_results(frame, "year")}
    # calls: « Décroché » 3 met / 1 not, « Formule d'accueil » (oui, X, Oui, Non) 3 / 1, « Réponse exacte » 2 / 1
    # and 1 n.a. → 8 met, 3 not met, 1 n.a.; checks without any « non »: the 6 March call only → 1
    assert (channels["appel"].met, channels["appel"].not_met, channels["appel"].na) == (8, 3, 1)
    assert channels["appel"].fully_met == 1 and channels["appel"].checks == 4
    assert (channels["courriel"].met, channels["courriel"].not_met, channels["courriel"].fully_met) == (3, 1, 1)
    table = mystery.checks_table(frame)
    assert "Durand" not in table.to_csv() and "[nom masqué]" in table.to_csv()
    assert "Durand" in mystery.checks_table(frame, masked=False).to_csv()
    with session_scope(engine) as session:
        summary = {m.channel: m for m in mystery_summaries(session, pid, 2023)}
    assert summary["appel"].rate == pytest.approx(100 * 8 / 11) and summary["appel"].checks == 4
    again, none = mystery.import_mystery(engine, pid, "copie.xlsx", grid())
    assert none is None and again.already_imported is not None
    with session_scope(engine, write=True) as session:
        undo_batch(session, pid, batch.id or 0)
    with session_scope(engine) as session:
        assert mystery.checks_frame(session, pid).empty


@pytest.mark.parametrize(("sheets", "channel", "message"), [
    ({"Appels mystères": [["Date", "Décroché"], [dt.date(2023, 3, 2), "peut-être"]]}, None,
     "« peut-être » n'est pas une note reconnue"),
    ({"Appels mystères": [["Date", "Décroché"], [None, "Oui"], [dt.date(2023, 3, 2), "Oui"]]}, None,
     "date manquante"),
    ({"Feuil1": [["Date", "Décroché"], [dt.date(2023, 3, 2), "Oui"]]}, None, "canal du contrôle inconnu"),
    ({"Feuil1": [["Date", "Canal", "Décroché"], [dt.date(2023, 3, 2), "fax", "Oui"]]}, None,
     "canal « fax » non reconnu"),
    ({"Appels": [["Service", "Décroché"], ["Standard", "Oui"]]}, None, "colonne « Date » introuvable"),
    ({"Appels": [["Date", "Service"], [dt.date(2023, 3, 2), "Standard"]]}, None, "aucun critère"),
])
def test_bad_grids_are_refused(engine: Engine, prefecture: Prefecture, sheets: dict, channel: str | None,
                               message: str) -> None:
    with pytest.raises(ImportRejected) as refused:
        mystery.import_mystery(engine, prefecture.id or 0, "grille.xlsx", make_workbook(sheets), channel)
    assert any(message in str(e) for e in refused.value.errors), refused.value.errors
    with session_scope(engine) as session:
        assert mystery.checks_frame(session, prefecture.id or 0).empty


def test_channel_chosen_by_the_user_and_checks_typed_in_the_app(engine: Engine, prefecture: Prefecture) -> None:
    pid = prefecture.id or 0
    sheet = make_workbook({"Feuil1": [["Date", "Décroché", "Courtoisie"], [dt.date(2024, 3, 2), "Oui", "Oui"]]})
    plan, _ = mystery.import_mystery(engine, pid, "grille.xlsx", sheet, channel="appel")
    assert plan.criteria == {"appel": ["Décroché", "Courtoisie"]}
    with session_scope(engine, write=True) as session:
        criteria = mystery.criteria_of(session, pid, "appel")
        assert [c.label for c in criteria] == ["Décroché", "Courtoisie"]
        with pytest.raises(mystery.MysteryError) as refused:
            mystery.add_check(session, pid, "appel", dt.date(2024, 4, 1), "Standard", {criteria[0].id: "met"})
        assert "non noté" in str(refused.value)
        with pytest.raises(mystery.MysteryError):
            mystery.add_criterion(session, pid, "appel", "  décroché ")
        mystery.add_criterion(session, pid, "appel", "Formule de fin d'appel")
    with session_scope(engine, write=True) as session:
        criteria = mystery.criteria_of(session, pid, "appel")
        check = mystery.add_check(session, pid, "appel", dt.date(2024, 4, 1), "Standard",
                                  {criteria[0].id: "not_met", criteria[1].id: "met", criteria[2].id: "na"}, "", "rq")
    with session_scope(engine) as session:
        frame = mystery.checks_frame(session, pid, 2024)
        by_quarter = {r.period: r for r in mystery.channel_results(frame, "quarter")}
    assert by_quarter["2024-T1"].met == 2 and by_quarter["2024-T2"].met == 1 and by_quarter["2024-T2"].na == 1
    with session_scope(engine, write=True) as session:
        imported = int(frame[frame["batch_id"].notna()]["check_id"].iloc[0])
        with pytest.raises(mystery.MysteryError):
            mystery.delete_check(session, pid, imported)  # imported checks go with their batch
        mystery.delete_check(session, pid, check.id or 0)
    with session_scope(engine) as session:
        assert mystery.checks_frame(session, pid)["check_id"].nunique() == 1
