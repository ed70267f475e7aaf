"""The Historique page shows labels, not codes (issue 14, « French throughout »): the kind of
change (« Enquête », not ``survey``) and the form of an imported file (« enquête de satisfaction »,
not ``enquete``), for events recorded before this rule too."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine

from qep_core.change_history import history, readable_json, record_change
from qep_core.db import session_scope
from qep_core.models import Prefecture
from qep_core.rules import format_label


@pytest.mark.parametrize(("code", "label"), [
    ("enquete", "enquête de satisfaction"), ("mystere", "contrôles mystères"), ("long", "format long"),
    ("wide", "tableau de suivi (mois en colonnes)"), ("saisie", "saisie dans l'application"),
    ("journal:courriels", "journal « courriels »"), ("inconnu", "forme non reconnue"), ("xyz", "xyz"),
])
def test_each_form_of_file_has_its_french_name(code: str, label: str) -> None:
    assert format_label(code) == label


def test_readable_json_translates_codes_and_keeps_the_rest() -> None:
    assert json.loads(readable_json('{"format": "enquete", "lot": 34, "fichier": "enquete.csv"}')) == {
        "format": "enquête de satisfaction", "lot": 34, "fichier": "enquete.csv"}
    assert json.loads(readable_json('{"login": "copil1", "rôle": "copil"}')) == {
        "login": "copil1", "rôle": "Comité de pilotage (lecture, commentaires)"}
    assert json.loads(readable_json('{"lot": 3, "statut": "undone"}')) == {"lot": 3, "statut": "annulé"}
    assert readable_json(None) == "" and readable_json("") == ""
    assert json.loads(readable_json('[{"format": "enquete"}]')) == [{"format": "enquete"}]  # only a record's own keys


def test_history_shows_labels_for_an_event_stored_with_codes(engine: Engine, prefecture: Prefecture) -> None:
    with session_scope(engine, write=True) as session:
        record_change(session, user="démo", action="import", prefecture_id=prefecture.id, entity="lot n° 7 — a.csv",
                      summary="a.csv", after={"lot": 7, "format": "enquete"})
        record_change(session, user="démo", action="survey", prefecture_id=prefecture.id, entity="enquête n° 1",
                      summary="retirée")
    with session_scope(engine) as session:
        frame = history(session, prefecture.id)
    assert list(frame["Quoi"]) == ["Enquête", "Import"]  # newest first
    after = json.loads(frame.loc[frame["Quoi"] == "Import", "Après"].iloc[0])
    assert after == {"lot": 7, "format": "enquête de satisfaction"}
    assert "enquete" not in " ".join(frame.drop(columns=["action"]).astype(str).agg(" ".join, axis=1))


def test_an_event_dated_on_the_curves_reads_as_such(engine: Engine, prefecture: Prefecture) -> None:
    with session_scope(engine, write=True) as session:
        record_change(session, user="rq", action="event", prefecture_id=prefecture.id,
                      entity="03/10/2022 « Serveur vocal »", summary="événement retiré",
                      before={"date": "2022-10-03", "changement de fonctionnement": "oui"})
    with session_scope(engine) as session:
        frame = history(session, prefecture.id)
    assert list(frame["Quoi"]) == ["Événement"] and list(frame["Objet"]) == ["03/10/2022 « Serveur vocal »"]
