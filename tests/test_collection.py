"""The monthly collection: declarations checked before anything is written, and the board's
statuses on hand-built data (as-of dates around the due day, a partial month, a quarterly
indicator), and ``python -m qep_core collecte --format json`` exactly."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL
from qep_core.cli.main import main
from qep_core.collection.board import board, completeness, due_date, incomplete_quarters, quarters_around
from qep_core.collection.sources import CollectionError, Contact, parse_contacts, set_source
from qep_core.db import session_scope
from qep_core.models import ImportBatch, Indicator, Observation, Perimetre, Prefecture, utcnow

SEPT = dt.date(2024, 9, 1)
MAIL = ("COURRIEL_5J", "COURRIEL_DELAI_MOYEN")


def _perimetre(engine: Engine, pid: int, name: str) -> int:
    with session_scope(engine, write=True) as session:
        row = Perimetre(prefecture_id=pid, name=name, kind="mailbox")
        session.add(row)
        session.flush()
        return row.id or 0


def _observe(engine: Engine, pid: int, perimetre_id: int, code: str, start: dt.date, end: dt.date | None = None,
             by: str = "nadia") -> int:
    """One observation brought by its own import batch; the batch id."""
    with session_scope(engine, write=True) as session:
        batch = ImportBatch(prefecture_id=pid, file_name=f"{code}.xlsx", sha256=f"{code}{start}{perimetre_id}"[:64],
                            kind="wide", imported_by=by, imported_at=dt.datetime(2024, 10, 8, 7, 30, tzinfo=dt.UTC))
        session.add(batch)
        session.flush()
        indicator = session.exec(select(Indicator).where(Indicator.code == code)).first()
        assert indicator is not None
        session.add(Observation(prefecture_id=pid, indicator_id=indicator.id or 0, perimetre_id=perimetre_id,
                                period_start=start, period_end=end or start, numerator=9, denominator=10,
                                batch_id=batch.id))
        return batch.id or 0


def _declare(engine: Engine, pid: int, perimetre_id: int, codes: tuple[str, ...], due_day: int = 10) -> None:
    with session_scope(engine, write=True) as session:
        set_source(session, pid, perimetre_id, codes, (Contact("pc@demo.gouv.fr", "Bureau PC"),), due_day, author="t")


def _status(engine: Engine, pid: int, as_of: dt.date, month: dt.date = SEPT) -> dict[str, tuple[str, tuple[str, ...]]]:
    with session_scope(engine) as session:
        return {r.perimetre: (r.status, r.missing) for r in board(session, pid, month, month, as_of)}


@pytest.fixture
def scene(engine: Engine, prefecture: Prefecture) -> tuple[Engine, int, dict[str, int]]:
    """Four mailboxes declared for the two e-mail indicators, due on the 10th: PC sent both for
    September, Étrangers one, CM none, Natu. only a quarterly total of Q3."""
    pid = prefecture.id or 0
    ids = {name: _perimetre(engine, pid, name) for name in ("PC", "Étrangers", "CM", "Natu.")}
    for p in ids.values():
        _declare(engine, pid, p, MAIL)
    for code in MAIL:
        _observe(engine, pid, ids["PC"], code, SEPT)
    _observe(engine, pid, ids["Étrangers"], "COURRIEL_5J", SEPT)
    _observe(engine, pid, ids["Natu."], "COURRIEL_5J", dt.date(2024, 7, 1), SEPT)  # a quarter, not the month
    return engine, pid, ids


def test_statuses_around_the_due_day(scene: tuple[Engine, int, dict[str, int]]) -> None:
    engine, pid, _ = scene
    assert due_date(SEPT, 10) == dt.date(2024, 10, 10) and due_date(dt.date(2024, 12, 1), 5) == dt.date(2025, 1, 5)
    for as_of in (dt.date(2024, 9, 20), dt.date(2024, 10, 9), dt.date(2024, 10, 10)):  # the due day is still on time
        assert _status(engine, pid, as_of) == {
            "CM": ("attendu", MAIL), "Natu.": ("attendu", MAIL), "PC": ("reçu", ()),
            "Étrangers": ("partiel", ("COURRIEL_DELAI_MOYEN",))}
    late = _status(engine, pid, dt.date(2024, 10, 11))
    assert late["CM"] == late["Natu."] == ("en retard", MAIL)  # a quarterly total is not September's figure
    assert late["Étrangers"] == ("partiel", ("COURRIEL_DELAI_MOYEN",))  # past due, partial stays partial
    assert late["PC"] == ("reçu", ())


def test_a_received_month_says_when_by_whom_and_which_batch(scene: tuple[Engine, int, dict[str, int]]) -> None:
    engine, pid, _ = scene
    with session_scope(engine) as session:
        pc = next(r for r in board(session, pid, SEPT, SEPT, dt.date(2024, 11, 1)) if r.perimetre == "PC")
    assert pc.received == MAIL and pc.received_by == ("nadia",) and len(pc.batch_ids) == 2
    assert pc.received_at == dt.datetime(2024, 10, 8, 9, 30, tzinfo=pc.received_at.tzinfo)  # Paris time
    assert "reçu le 08/10/2024 à 09:30 par nadia (lots n°" in pc.detail()


def test_a_quarterly_indicator_is_declared_but_not_chased_monthly(engine: Engine, prefecture: Prefecture) -> None:
    pid = prefecture.id or 0
    site = _perimetre(engine, pid, "Communication")
    _declare(engine, pid, site, ("SITE_MAJ_3J", "SITE_CONNEXION"))  # monthly, quarterly
    _observe(engine, pid, site, "SITE_MAJ_3J", SEPT)
    records = _status(engine, pid, dt.date(2024, 12, 1))
    assert records == {"Communication": ("reçu", ())}
    only_quarterly = _perimetre(engine, pid, "Réseaux")
    _declare(engine, pid, only_quarterly, ("SITE_CONNEXION",))
    assert set(_status(engine, pid, dt.date(2024, 12, 1))) == {"Communication"}  # nothing to chase monthly


def test_completeness_and_incomplete_quarters(scene: tuple[Engine, int, dict[str, int]]) -> None:
    engine, pid, _ = scene
    with session_scope(engine) as session:
        records = board(session, pid, dt.date(2024, 7, 1), dt.date(2024, 10, 1), dt.date(2024, 10, 15))
    shares = {c.code: (c.expected, c.received) for c in completeness(records)}
    # 4 périmètres × July–September (due) = 12 each; October, not due and empty, is not counted
    assert shares == {"COURRIEL_5J": (12, 2), "COURRIEL_DELAI_MOYEN": (12, 1)}
    lines = incomplete_quarters(records, dt.date(2024, 10, 15))
    assert lines == ["T3 2024 : 0 mois sur 3 reçu pour CM, Étrangers, Natu. ; 1 mois sur 3 reçu pour PC"]
    assert quarters_around(dt.date(2024, 8, 1), dt.date(2024, 11, 1)) == (dt.date(2024, 7, 1), dt.date(2024, 12, 1))


def test_declarations_are_checked_before_anything_is_written(engine: Engine, prefecture: Prefecture) -> None:
    pid = prefecture.id or 0
    pc = _perimetre(engine, pid, "PC")
    assert parse_contacts(["Nadia Martin <n.martin@demo.gouv.fr>\nN.MARTIN@demo.gouv.fr", "b@demo.gouv.fr"]) == (
        Contact("n.martin@demo.gouv.fr", "Nadia Martin"), Contact("b@demo.gouv.fr"))
    for bad, message in ((["pas une adresse"], "Adresse de courriel invalide"), ([""], "au moins un contact"),
                         (["Nom <a@b>"], "Adresse de courriel invalide")):
        with pytest.raises(CollectionError, match=message):
            parse_contacts(bad)
    actor = services.Actor(LOCAL_PRINCIPAL, engine)
    contacts = [Contact("pc@demo.gouv.fr")]
    for codes, day, message in ((["NOPE"], 10, "Indicateur inconnu dans cette préfecture : NOPE"),
                                ([], 10, "au moins un indicateur"), (list(MAIL), 29, "Jour d'échéance invalide : 29"),
                                (list(MAIL), 0, "Jour d'échéance invalide")):
        with pytest.raises(CollectionError, match=message):
            services.collection.set_source(actor, pid, pc, codes, contacts, day)
    assert services.collection.list_sources(actor, pid) == []
    with pytest.raises(CollectionError, match="Trop de contacts : 11"):
        services.collection.set_source(actor, pid, pc, list(MAIL), [f"s{i}@demo.gouv.fr" for i in range(11)])
    with pytest.raises(CollectionError, match="Adresse de courriel invalide"):  # built, not typed: checked too
        services.collection.set_source(actor, pid, pc, list(MAIL), [Contact("nobody")])
    assert services.collection.list_sources(actor, pid) == []
    source = services.collection.set_source(actor, pid, pc, ["courriel_5j", "COURRIEL_5J"],
                                            ["a@demo.gouv.fr", "Anne <A@demo.gouv.fr>"], 5)
    assert (source.indicators, source.due_day, source.contacts) == (("COURRIEL_5J",), 5, (Contact("a@demo.gouv.fr"),))


def test_cli_source_and_collecte_json(scene: tuple[Engine, int, dict[str, int]], monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    engine = scene[0]
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    monkeypatch.setenv("QEP_AUTH", "local")
    assert main(["source", "set", "--perimetre", "cm", "--indicators", "COURRIEL_5J",
                 "--contact", "Cellule CM <cm@demo.gouv.fr>", "--due-day", "12"]) == 0
    assert main(["source", "set", "--perimetre", "CM", "--indicators", "NOPE", "--contact", "cm@demo.gouv.fr"]) == 1
    assert main(["source", "set", "--perimetre", "Inconnu", "--indicators", "COURRIEL_5J", "--contact", "a@b.fr"]) == 2
    capsys.readouterr()
    assert main(["source", "list", "--format", "json"]) == 0
    listed = {s["perimetre"]: s for s in json.loads(capsys.readouterr().out)}
    assert listed["CM"] == {"perimetre": "CM", "indicators": ["COURRIEL_5J"], "due_day": 12,
                            "contacts": [{"email": "cm@demo.gouv.fr", "name": "Cellule CM"}]}
    assert main(["collecte", "--month", "2024-09", "--as-of", "2024-10-11", "--format", "json"]) == 0
    records = {r["perimetre"]: r for r in json.loads(capsys.readouterr().out)}
    assert list(records["CM"]) == ["perimetre", "contacts", "expected", "received", "missing", "status", "due_date",
                                   "received_at", "received_by", "batch_ids"]
    assert records["CM"] == {"perimetre": "CM", "contacts": [{"email": "cm@demo.gouv.fr", "name": "Cellule CM"}],
                             "expected": ["COURRIEL_5J"], "received": [], "missing": ["COURRIEL_5J"],
                             "status": "attendu", "due_date": "2024-10-12", "received_at": None, "received_by": [],
                             "batch_ids": []}
    pc = records["PC"]
    assert (pc["status"], pc["received"], pc["received_at"], pc["received_by"]) == (
        "reçu", list(MAIL), "2024-10-08T09:30:00+02:00", ["nadia"])
    assert records["Étrangers"]["status"] == "partiel" and records["Natu."]["status"] == "en retard"
    assert main(["source", "remove", "--perimetre", "CM"]) == 0
    assert main(["collecte", "--month", "2024-13"]) == 2
    capsys.readouterr()
    assert main(["collecte", "--month", "2024-09", "--as-of", "2024-10-11"]) == 0
    table = capsys.readouterr().out
    assert "3 périmètres : 1 reçu, 1 partiel, 1 en retard" in table and "CM" not in table


def test_history_lines_for_each_change(engine: Engine, prefecture: Prefecture) -> None:
    pid = prefecture.id or 0
    pc = _perimetre(engine, pid, "PC")
    actor = services.Actor(LOCAL_PRINCIPAL.named("Marie"), engine)
    services.collection.set_source(actor, pid, pc, list(MAIL), ["a@demo.gouv.fr"])
    services.collection.set_source(actor, pid, pc, list(MAIL), ["a@demo.gouv.fr"])  # unchanged: no line
    services.collection.set_source(actor, pid, pc, list(MAIL), ["a@demo.gouv.fr"], 15)
    services.collection.remove_source(actor, pid, pc)
    history = services.history.change_history(actor, pid)
    lines = history[history["Quoi"] == "Collecte"]
    assert list(lines["Résumé"])[::-1] == ["collecte déclarée", "collecte modifiée", "collecte retirée"]
    with pytest.raises(CollectionError, match="n'a pas de déclaration"):
        services.collection.remove_source(actor, pid, pc)
    assert utcnow()  # the clock the rows use
