"""The operation log (``qep.operations``, qep_core/services/_unit.py): one JSON line per user
operation — who (the login only), what, préfecture, how long, done / refused / failed — written
where the app processes ask for it, silent elsewhere."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from collections.abc import Iterator

import pytest

from qep_core import services
from qep_core.access import AccessDenied
from qep_core.services._unit import OPERATION_LOG, OPERATIONS, operation
from tests.access_world import World

PERSON = "Jeanne Martin-Dupuis"
FIELDS = {"time", "level", "logger", "operation", "action", "writes", "login", "role", "prefecture_id", "ms", "outcome"}


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The log as an app process writes it (services.system.start_operation_log), into a buffer."""
    monkeypatch.setenv("QEP_LOG_FORMAT", "json")
    stream = io.StringIO()
    assert services.system.start_operation_log(stream) == "json"
    try:
        yield stream
    finally:
        for handler in [h for h in OPERATION_LOG.handlers if getattr(h, "qep_operation_log", False)]:
            OPERATION_LOG.removeHandler(handler)
        OPERATION_LOG.setLevel(logging.NOTSET)
        OPERATION_LOG.propagate = True


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_one_line_per_operation_with_its_fields(world: World, log: io.StringIO) -> None:
    services.dashboard.data_status(world.actor("copil"), world.pref)
    services.settings.save_targets(world.actor("admin"), world.pref, 2024,
                                   [{"code": "COURRIEL_5J", "target": 75.0, "alert": 60.0, "no_target": False}])
    read, write = lines(log)
    assert set(read) == FIELDS and set(write) == FIELDS
    assert read["operation"] == "dashboard.data_status" and read["action"] == "read" and read["writes"] is False
    assert (read["login"], read["role"], read["prefecture_id"], read["outcome"]) == ("sg44", "copil", world.pref, "ok")
    assert write["operation"] == "settings.save_targets" and write["writes"] is True and write["login"] == "rq44"
    assert write["logger"] == "qep.operations" and write["level"] == "info" and write["time"].endswith("Z")
    assert isinstance(read["ms"], float) and read["ms"] >= 0


def test_a_refusal_and_a_failure_say_so_without_their_message(world: World, log: io.StringIO) -> None:
    with pytest.raises(AccessDenied):
        services.history.change_history(world.actor("contributeur"), world.pref)
    with pytest.raises(services.imports.ImportRejected):
        services.imports.save_upload(world.actor("admin"), world.pref, f"Dossier de {PERSON}.csv",
                                     f"pas un tableau;{PERSON}\n".encode())
    refused, failed = lines(log)
    assert (refused["operation"], refused["outcome"], refused["login"]) == ("history.change_history", "refused",
                                                                            "coordination44")
    assert (failed["outcome"], failed["error"]) == ("error", "ImportRejected")
    assert PERSON not in log.getvalue() and "Jeanne" not in log.getvalue()


def test_no_personal_data_beyond_the_login(world: World, log: io.StringIO) -> None:
    """The laptop's user typed their name for the history: the log says the local login only."""
    laptop = world.actor("local").named(PERSON)
    services.events.add_event(laptop, world.pref, dt.date(2024, 3, 4), f"Arrivée de {PERSON}")
    (line,) = lines(log)
    assert line["login"] == "poste-local" and line["outcome"] == "ok"
    assert "Jeanne" not in log.getvalue() and "Arrivée" not in log.getvalue()


def test_an_operation_called_by_another_is_not_logged_twice(world: World, log: io.StringIO) -> None:
    """A service operation that calls others (the digest calls the dashboard's) makes one line, its own."""

    @operation("read", writes=False)
    def overview(actor: services.Actor, prefecture_id: int) -> str:
        services.dashboard.data_status(actor, prefecture_id)
        return services.system.data_version(actor, prefecture_id)

    try:
        overview(world.actor("copil"), world.pref)
    finally:
        del OPERATIONS["test_operation_log.overview"]  # not a real operation: out of the matrix
    assert [line["operation"] for line in lines(log)] == ["test_operation_log.overview"]


def test_silent_without_the_app_and_off_when_asked(world: World, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    services.dashboard.data_status(world.actor("copil"), world.pref)
    assert capsys.readouterr() == ("", "")
    monkeypatch.setenv("QEP_LOG_FORMAT", "none")
    try:
        assert services.system.start_operation_log(io.StringIO()) == "none"
        assert not OPERATION_LOG.isEnabledFor(logging.INFO)
    finally:
        OPERATION_LOG.setLevel(logging.NOTSET)


def test_the_text_format_reads_on_a_terminal(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QEP_LOG_FORMAT", "text")
    stream = io.StringIO()
    try:
        assert services.system.start_operation_log(stream) == "text"
        services.dashboard.data_status(world.actor("copil"), world.pref)
    finally:
        for handler in [h for h in OPERATION_LOG.handlers if getattr(h, "qep_operation_log", False)]:
            OPERATION_LOG.removeHandler(handler)
        OPERATION_LOG.setLevel(logging.NOTSET)
        OPERATION_LOG.propagate = True
    assert "operation=dashboard.data_status" in stream.getvalue() and "login=sg44" in stream.getvalue()
