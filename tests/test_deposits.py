"""A service's deposit going through validation (issue 16 part 4), in the world of
tests/access_world.py: « Coordination » is the contributor's périmètre.

With validation on, the contributor's file is checked whole and kept « à valider »: no value
stored, no figure moves, until the référente validates it; then the values are those of the
file, under the depositor's name, and the history says who deposited and who validated. Sent
back, the contributor reads the comment; nothing was ever counted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text

from qep_core import services
from qep_core.access import AccessDenied, Principal
from qep_core.cli import main
from qep_core.collection.deposits import deposit_cells
from qep_core.db import session_scope
from qep_core.periods import month_period
from qep_core.services import deposits as deposits_service
from qep_core.users import add_user
from tests.access_world import World
from tests.test_access_imports import count, long_csv, stored

JAN = dt.date(2024, 1, 1)


def _turn_on(world: World) -> None:
    assert services.deposits.set_validation(world.actor("admin"), world.pref, True) is True


def _figure(world: World) -> float | None:
    """The préfecture's January 2024 COURRIEL_5J as the dashboard computes it (Σ num / Σ den)."""
    results = services.dashboard.indicator_results(world.actor("admin"), world.pref, month_period(2024, 1))
    value = next(r.value for r in results if r.indicator.code == "COURRIEL_5J")
    return None if value is None else round(value, 4)


def _history(world: World) -> list[tuple[str, str, str]]:
    with world.database.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            'SELECT "user", action, summary FROM change_event WHERE prefecture_id = :p ORDER BY id'),  # quoted: a keyword
            {"p": world.pref})]


def test_without_validation_a_contributor_s_file_is_saved_at_once(world: World) -> None:
    outcome = services.imports.save_upload(world.actor("contributeur"), world.pref, "coord.csv",
                                           long_csv(("Coordination", 60, 100)))
    assert outcome.batch is not None and outcome.deposit_id is None
    assert stored(world, "Coordination")[:2] == (60, 100)


def test_a_deposit_counts_nowhere_until_the_referente_validates_it(world: World) -> None:
    admin, contributor = world.actor("admin"), world.actor("contributeur")
    services.imports.save_upload(admin, world.pref, "base.csv", long_csv(("Coordination", 50, 100)))
    before = _figure(world)
    assert before == 50.0
    _turn_on(world)

    outcome = services.imports.save_upload(contributor, world.pref, "coord-janvier.csv",
                                           long_csv(("Coordination", 90, 100)))

    assert outcome.batch is None and outcome.deposit_id is not None
    assert stored(world, "Coordination")[:2] == (50, 100)  # the value in force is untouched
    assert _figure(world) == before
    waiting = services.deposits.deposits(contributor, world.pref)
    assert [(d.file_name, d.status_label, d.perimetres, d.months) for d in waiting] == [
        ("coord-janvier.csv", "à valider", ("Coordination",), (JAN,))]
    assert services.deposits.pending_deposits(admin, world.pref) == 1
    plan = services.deposits.deposit_plan(admin, world.pref, waiting[0].id)  # what validating would change
    assert plan.ok and len(plan.replacements) == 1

    validated = services.deposits.validate_deposit(admin, world.pref, waiting[0].id)

    assert validated.batch is not None and validated.batch.imported_by == "coordination44, validé par rq44"
    assert stored(world, "Coordination")[:2] == (90, 100)
    assert _figure(world) == 90.0
    shown = services.deposits.deposits(contributor, world.pref)[0]
    assert (shown.status_label, shown.reviewed_by, shown.batch_id) == ("validé", "rq44", validated.batch.id)
    lines = _history(world)
    assert ("coordination44", "deposit") == lines[-3][:2] and "à valider" in lines[-3][2]
    assert lines[-2][:2] == ("coordination44, validé par rq44", "import")  # the service's values, validated
    assert lines[-1][:2] == ("rq44", "validation") and "validé" in lines[-1][2]
    with pytest.raises(services.deposits.DepositError, match="déjà validé"):
        services.deposits.validate_deposit(admin, world.pref, waiting[0].id)
    with world.database.connect() as conn:  # a decided deposit keeps no bytes
        assert conn.execute(text("SELECT length(content) FROM deposit")).scalar_one() == 0


def test_sent_back_with_a_comment_the_contributor_reads_it_and_nothing_was_counted(world: World) -> None:
    admin, contributor = world.actor("admin"), world.actor("contributeur")
    _turn_on(world)
    outcome = services.imports.save_upload(contributor, world.pref, "coord.csv", long_csv(("Coordination", 95, 100)))
    assert outcome.deposit_id is not None
    with pytest.raises(services.deposits.DepositError, match="commentaire est obligatoire"):
        services.deposits.return_deposit(admin, world.pref, outcome.deposit_id, "   ")

    services.deposits.return_deposit(admin, world.pref, outcome.deposit_id,
                                     "Le dénominateur de janvier compte aussi les courriels de décembre.")

    shown = services.deposits.deposits(contributor, world.pref)[0]
    assert (shown.status_label, shown.comment) == ("renvoyé", "Le dénominateur de janvier compte aussi les "
                                                              "courriels de décembre.")
    assert stored(world, "Coordination") is None and count(world, "import_batch") == 0
    assert _history(world)[-1][:2] == ("rq44", "return")
    with pytest.raises(services.deposits.DepositError, match="déjà renvoyé"):
        services.deposits.validate_deposit(admin, world.pref, outcome.deposit_id)


def test_the_same_file_waits_once_and_its_author_may_withdraw_it(world: World) -> None:
    contributor = world.actor("contributeur")
    _turn_on(world)
    content = long_csv(("Coordination", 70, 100))
    first = services.imports.save_upload(contributor, world.pref, "coord.csv", content)
    with pytest.raises(services.imports.ImportRejected) as refused:
        services.imports.save_upload(contributor, world.pref, "coord.csv", content)
    assert "attend déjà la validation" in str(refused.value.errors[0])

    services.deposits.withdraw_deposit(contributor, world.pref, first.deposit_id or 0)

    assert [d.status_label for d in services.deposits.deposits(contributor, world.pref)] == ["retiré"]
    again = services.imports.save_upload(contributor, world.pref, "coord.csv", content)  # may be deposited again
    assert again.deposit_id is not None


def test_a_deposit_is_refused_whole_outside_the_contributor_s_perimetres(world: World) -> None:
    _turn_on(world)
    with pytest.raises(AccessDenied, match="Étrangers"):
        services.imports.save_upload(world.actor("contributeur"), world.pref, "both.csv",
                                     long_csv(("Coordination", 70, 100), ("Étrangers", 99, 100)))
    assert count(world, "deposit") == 0


def test_a_refused_file_is_no_deposit(world: World) -> None:
    _turn_on(world)
    with pytest.raises(services.imports.ImportRejected):
        services.imports.save_upload(world.actor("contributeur"), world.pref, "bad.csv",
                                     long_csv(("Coordination", 120, 100)))
    assert count(world, "deposit") == 0


def test_the_referente_s_own_imports_and_typed_entries_of_a_contributor(world: World) -> None:
    _turn_on(world)
    mine = services.imports.save_upload(world.actor("admin"), world.pref, "rq.csv", long_csv(("Étrangers", 8, 10)))
    assert mine.batch is not None  # who validates needs no validation
    typed = services.entry.save_entries(world.actor("contributeur"), world.pref, JAN, "Coordination",
                                        [services.entry.EntryRow("COURRIEL_5J", 9, 10)])
    assert typed.batch is None and typed.deposit_id is not None and stored(world, "Coordination") is None
    validated = services.deposits.validate_deposit(world.actor("admin"), world.pref, typed.deposit_id)
    assert validated.batch is not None and validated.batch.kind == "saisie"  # still a typed entry in the history
    assert stored(world, "Coordination")[:2] == (9, 10)


def test_with_validation_on_a_contributor_cannot_undo_a_batch(world: World) -> None:
    contributor = world.actor("contributeur")
    outcome = services.imports.save_upload(contributor, world.pref, "coord.csv", long_csv(("Coordination", 60, 100)))
    _turn_on(world)
    with pytest.raises(AccessDenied, match="valide les dépôts"):
        services.imports.undo_import(contributor, world.pref, outcome.batch.id or 0)
    assert stored(world, "Coordination")[:2] == (60, 100)


def test_waiting_deposits_are_bounded_per_account_and_in_bytes(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("qep_core.collection.deposits.MAX_PENDING_PER_DEPOSITOR", 2)
    _turn_on(world)
    contributor = world.actor("contributeur")
    for n in (61, 62):
        services.imports.save_upload(contributor, world.pref, f"c{n}.csv", long_csv(("Coordination", n, 100)))
    with pytest.raises(services.imports.ImportRejected) as refused:
        services.imports.save_upload(contributor, world.pref, "c63.csv", long_csv(("Coordination", 63, 100)))
    assert str(refused.value.errors[0]).startswith("2 dépôts de votre compte attendent déjà la validation")
    other = _another_contributor(world)  # another service still may deposit
    assert services.imports.save_upload(other, world.pref, "e.csv", long_csv(("Étrangers", 5, 10))).deposit_id
    monkeypatch.setattr("qep_core.collection.deposits.MAX_PENDING_MB", 0)
    with pytest.raises(services.imports.ImportRejected, match="dépassent ensemble 0 Mo"):
        services.imports.save_upload(other, world.pref, "e2.csv", long_csv(("Étrangers", 6, 10)))
    assert count(world, "deposit") == 3


def _another_contributor(world: World) -> services.Actor:
    return services.Actor(Principal("etrangers44", "contributeur", "etrangers44", frozenset({world.pref}),
                                    frozenset({world.other})), world.database)


def test_a_deposit_records_the_perimetre_months_it_covers(world: World) -> None:
    """A long file with Coordination in January and Étrangers in February, and a quarterly value:
    the board marks exactly those périmètre-months, not their cross product."""
    _turn_on(world)
    both = services.Actor(Principal("deux44", "contributeur", "deux44", frozenset({world.pref}),
                                    frozenset({world.own, world.other})), world.database)
    content = (b"indicateur;periode;perimetre;numerateur;denominateur\n"
               b"COURRIEL_5J;2024-01;Coordination;7;10\n"
               b"COURRIEL_5J;2024-02;\xc3\x89trangers;8;10\n")
    deposit_id = services.imports.save_upload(both, world.pref, "deux.csv", content).deposit_id
    [shown] = services.deposits.deposits(world.actor("admin"), world.pref)
    assert shown.id == deposit_id and shown.months == (JAN, dt.date(2024, 2, 1))
    assert shown.cells == ((world.own, JAN), (world.other, dt.date(2024, 2, 1)))
    assert deposit_cells([(world.own, dt.date(2024, 4, 1), dt.date(2024, 6, 1))]) == [
        (world.own, dt.date(2024, 4, 1)), (world.own, dt.date(2024, 5, 1)), (world.own, dt.date(2024, 6, 1))]


def test_a_deposit_raises_no_alert_and_a_contributor_sees_only_its_own(world: World) -> None:
    _turn_on(world)
    services.imports.save_upload(world.actor("contributeur"), world.pref, "c.csv", long_csv(("Coordination", 1, 100)))
    services.imports.save_upload(_another_contributor(world), world.pref, "e.csv", long_csv(("Étrangers", 1, 100)))
    assert count(world, "alert") == 0 and count(world, "import_batch") == 0
    assert [d.file_name for d in services.deposits.deposits(world.actor("contributeur"), world.pref)] == ["c.csv"]
    assert len(services.deposits.deposits(world.actor("admin"), world.pref)) == 2


def test_a_deposit_withdrawn_while_being_validated_is_not_imported(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The référente clicks « Valider » while the service withdraws it: the file is read outside any
    transaction, so the mark re-reads the deposit inside the import's transaction and refuses."""
    _turn_on(world)
    contributor = world.actor("contributeur")
    deposit_id = services.imports.save_upload(contributor, world.pref, "c.csv",
                                              long_csv(("Coordination", 70, 100))).deposit_id or 0
    real_save = deposits_service._save

    def withdrawn_meanwhile(*args: object, **kwargs: object) -> object:
        services.deposits.withdraw_deposit(contributor, world.pref, deposit_id)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(deposits_service, "_save", withdrawn_meanwhile)
    with pytest.raises(services.deposits.DepositError, match="déjà retiré"):
        services.deposits.validate_deposit(world.actor("admin"), world.pref, deposit_id)
    assert stored(world, "Coordination") is None and count(world, "import_batch") == 0


def test_validation_reads_the_file_as_of_the_day_it_was_deposited(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """An item log's open items are late or pending as of a date: the validated figures are those
    the service deposited, not re-judged on the day of validation."""
    _turn_on(world)
    deposit_id = services.imports.save_upload(world.actor("contributeur"), world.pref, "c.csv",
                                              long_csv(("Coordination", 70, 100))).deposit_id or 0
    with world.database.begin() as conn:
        conn.execute(text("UPDATE deposit SET as_of = '2024-02-05' WHERE id = :i"), {"i": deposit_id})
    seen: list[object] = []
    real_save = deposits_service._save

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(kwargs.get("as_of"))
        return real_save(*args, **kwargs)

    monkeypatch.setattr(deposits_service, "_save", spy)
    services.deposits.validate_deposit(world.actor("admin"), world.pref, deposit_id)
    assert seen == [dt.date(2024, 2, 5)]


def test_a_deposit_of_another_prefecture_is_out_of_reach(world: World) -> None:
    services.deposits.set_validation(world.actor("admin-38"), world.other_pref, True)
    standard = services.Actor(Principal("standard38", "contributeur", "standard38", frozenset({world.other_pref}),
                                        frozenset({world.other_pref_perimetre})), world.database)
    theirs = services.imports.save_upload(standard, world.other_pref, "s.csv",
                                          long_csv(("Standard", 5, 10))).deposit_id or 0
    admin = world.actor("admin")
    for step in (lambda: services.deposits.validate_deposit(admin, world.pref, theirs),
                 lambda: services.deposits.return_deposit(admin, world.pref, theirs, "non"),
                 lambda: services.deposits.deposit_plan(admin, world.pref, theirs),
                 lambda: services.deposits.withdraw_deposit(world.actor("contributeur"), world.pref, theirs)):
        with pytest.raises(services.deposits.DepositError, match="introuvable"):
            step()
    assert [d.status for d in services.deposits.deposits(world.actor("admin-38"), world.other_pref)] == ["pending"]


def test_the_cli_deposits_and_the_referente_validates_from_the_cli(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _turn_on(world)
    with session_scope(world.database, write=True) as session:
        add_user(session, "coordination44", "contributeur", password="secret-secret-1", prefecture_id=world.pref,
                 perimetre_ids=[world.own])
        add_user(session, "rq44", "admin", password="secret-secret-1", prefecture_id=world.pref)
    monkeypatch.setenv("QEP_DATABASE_URL", world.database.url.render_as_string(hide_password=False))
    monkeypatch.setenv("QEP_AUTH", "accounts")
    path = tmp_path / "coord.csv"
    path.write_bytes(long_csv(("Coordination", 66, 100)))

    assert main(["--as", "coordination44", "import", str(path), "--prefecture", "44"]) == 0
    assert "à valider" in capsys.readouterr().out and stored(world, "Coordination") is None
    assert main(["--as", "rq44", "deposit", "list", "--pending", "--prefecture", "44"]) == 0
    listed = capsys.readouterr().out
    assert "coord.csv" in listed and "coordination44" in listed
    deposit_id = services.deposits.deposits(world.actor("admin"), world.pref)[0].id
    assert main(["--as", "coordination44", "deposit", "validate", str(deposit_id), "--prefecture", "44"]) == 3
    assert main(["--as", "rq44", "deposit", "validate", str(deposit_id), "--prefecture", "44"]) == 0
    assert stored(world, "Coordination")[:2] == (66, 100)
    assert main(["--as", "rq44", "deposit", "validate", str(deposit_id), "--prefecture", "44"]) == 1
