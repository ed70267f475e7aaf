"""Issue 13, item 6, for the five importers besides the monthly figures: surveys, mystery checks,
action plans, audit reports and training registers read their file in the bounded child
(:mod:`qep_core.importing.sandbox`), outside any write transaction, and save it in a short one.

For each kind of file: a file over the memory or the time budget is refused in French with
nothing written; a normal file still imports with its figures and its history line; while a
hostile analysis runs, another writer (a typed action, a small import) goes through at once
instead of waiting for it or failing with "database is locked"."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL
from qep_core.db import session_scope
from qep_core.importing import ImportRejected, sandbox
from qep_core.models import Prefecture
from qep_core.services._bounded import settled
from tests import sandbox_children
from tests import survey_files as files
from tests.test_access_pilotage import audit_file, plan_file
from tests.test_mystery import grid
from tests.test_pilotage_trainings import AS_OF
from tests.test_pilotage_trainings import workbook as trainings_workbook

TABLES = ("import_batch", "change_event", "observation", "survey", "survey_response", "mystery_check", "mystery_score",
          "pilotage_action", "pilotage_audit", "pilotage_audit_finding", "pilotage_agent", "pilotage_training",
          "pilotage_tutoring")
GOOD_CSV = "indicateur;période;périmètre;numérateur;dénominateur\nCOURRIEL_5J;2023-0{m};;9;10\n"


@dataclass(frozen=True)
class Kind:
    """One kind of file: a normal file, the service's import and preview of it, what it stores."""

    name: str
    file_name: str
    data: Callable[[], bytes]
    save: Callable[[services.Actor, int, str, bytes], Any]
    preview: Callable[[services.Actor, int, str, bytes], Any]
    stored: dict[str, int]  # table → rows the normal file adds


KINDS = [
    Kind("enquete", "tel.csv", files.phone_csv_cp1252,
         lambda a, p, n, d: services.surveys.import_survey(a, p, n, d, channel="telephone"),
         lambda a, p, n, d: services.surveys.analyse_import(a, p, n, d, channel="telephone"),
         {"survey": 1, "survey_response": 22}),
    Kind("mystere", "mysteres-2023.xlsx", grid,
         lambda a, p, n, d: services.mystery.import_checks(a, p, n, d),
         lambda a, p, n, d: services.mystery.analyse_import(a, p, n, d),
         {"mystery_check": 6, "mystery_score": 16}),
    Kind("plan", "plan.xlsx", lambda: plan_file(1),
         lambda a, p, n, d: services.action_plan.import_plan_file(a, p, n, d),
         lambda a, p, n, d: services.action_plan.analyse_plan_file(a, p, n, d),
         {"pilotage_action": 1}),
    Kind("audit", "audit.xlsx", lambda: audit_file(1),
         lambda a, p, n, d: services.audits.import_audit_file(a, p, n, d),
         lambda a, p, n, d: services.audits.analyse_audit_file(a, p, n, d),
         {"pilotage_audit": 1, "pilotage_audit_finding": 1}),
    Kind("formations", "formations.xlsx", trainings_workbook,
         lambda a, p, n, d: services.trainings.import_trainings_file(a, p, n, d, today=AS_OF),
         lambda a, p, n, d: services.trainings.analyse_trainings_file(a, p, n, d, today=AS_OF),
         {"pilotage_agent": 6, "pilotage_training": 3, "pilotage_tutoring": 1}),
]
IDS = [k.name for k in KINDS]


def actor(engine: Engine) -> services.Actor:
    return services.Actor(LOCAL_PRINCIPAL, engine)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}


def added(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {t: after[t] - before[t] for t in TABLES if after[t] != before[t]}


def assert_imported(kind: Kind, before: dict[str, int], after: dict[str, int]) -> None:
    """The file's figures, its ledger line and its history line."""
    delta = added(before, after)
    assert {t: delta.get(t, 0) for t in kind.stored} == kind.stored, delta
    assert delta.get("import_batch") == 1 and delta.get("change_event", 0) >= 1, delta


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_a_normal_file_still_imports_with_its_figures_and_its_history_line(
        engine: Engine, prefecture: Prefecture, kind: Kind) -> None:
    before = counts(engine)
    preview = kind.preview(actor(engine), prefecture.id or 0, kind.file_name, kind.data())
    assert preview.ok and preview.already_imported is None, preview.errors
    assert counts(engine) == before  # the preview writes nothing
    kind.save(actor(engine), prefecture.id or 0, kind.file_name, kind.data())
    assert_imported(kind, before, counts(engine))
    again = counts(engine)
    kind.save(actor(engine), prefecture.id or 0, "copie-" + kind.file_name, kind.data())  # same bytes: nothing
    assert added(again, counts(engine)) == {}


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_a_file_over_the_memory_budget_is_refused_in_french_and_nothing_is_written(
        engine: Engine, prefecture: Prefecture, kind: Kind, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real analysis of a normal file under a budget smaller than it needs (the libraries alone
    take about 470 Mo of address space), then a reader that asks for 800 Mo under 700 Mo."""
    before = counts(engine)
    monkeypatch.setenv("QEP_IMPORT_MEMORY_MB", "300")
    with pytest.raises(ImportRejected) as refused:
        kind.save(actor(engine), prefecture.id or 0, kind.file_name, kind.data())
    assert "mémoire permise" in str(refused.value.errors[0]) and "rien n'a été enregistré" in str(refused.value.errors[0])
    monkeypatch.setenv("QEP_IMPORT_MEMORY_MB", "700")
    monkeypatch.setattr(sandbox, "_analyse", sandbox_children.hungry_analysis)
    with pytest.raises(ImportRejected) as refused:
        kind.save(actor(engine), prefecture.id or 0, kind.file_name, kind.data())
    assert "a dépassé la mémoire permise (700 Mo)" in str(refused.value.errors[0])
    preview = kind.preview(actor(engine), prefecture.id or 0, kind.file_name, kind.data())  # the page's preview
    assert not preview.ok and "mémoire permise (700 Mo)" in str(preview.errors[0])
    assert counts(engine) == before


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_a_file_over_the_time_budget_is_stopped_and_refused_in_french(
        engine: Engine, prefecture: Prefecture, kind: Kind, monkeypatch: pytest.MonkeyPatch) -> None:
    before = counts(engine)
    monkeypatch.setenv("QEP_IMPORT_SECONDS", "1")
    monkeypatch.setattr(sandbox, "_analyse", sandbox_children.slow_analysis)
    started = time.monotonic()
    with pytest.raises(ImportRejected) as refused:
        kind.save(actor(engine), prefecture.id or 0, sandbox_children.SLOW_PREFIX + kind.file_name, kind.data())
    assert time.monotonic() - started < sandbox_children.STALL
    assert "a dépassé 1 s et a été arrêtée" in str(refused.value.errors[0])
    assert counts(engine) == before


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_another_writer_goes_through_while_a_slow_analysis_runs(
        engine: Engine, prefecture: Prefecture, kind: Kind, monkeypatch: pytest.MonkeyPatch) -> None:
    """The slow file is read for :data:`~tests.sandbox_children.STALL` seconds; meanwhile an action
    typed in and a small import of figures are written at once (the analysis holds no lock), and
    the slow file is imported afterwards with its figures."""
    monkeypatch.setattr(sandbox, "_analyse", sandbox_children.slow_analysis)
    pid = prefecture.id or 0
    before = counts(engine)
    outcome: list[object] = []

    def slow_import() -> None:
        try:
            outcome.append(kind.save(actor(engine), pid, sandbox_children.SLOW_PREFIX + kind.file_name, kind.data()))
        except BaseException as exc:  # reported by the main thread
            outcome.append(exc)

    thread = threading.Thread(target=slow_import)
    thread.start()
    try:
        time.sleep(0.5)  # the child is reading
        started = time.monotonic()
        services.action_plan.add_action(actor(engine), pid, title="Action saisie pendant l'analyse", module_code="M4",
                                        source="agents", today=dt.date(2024, 10, 15))
        figures = services.imports.save_upload(actor(engine), pid, "petit.csv", GOOD_CSV.format(m=1).encode())
        assert figures.batch is not None
        assert time.monotonic() - started < sandbox_children.STALL - 0.5
        assert thread.is_alive()  # the slow analysis was still running all along
    finally:
        thread.join(60)
    assert len(outcome) == 1 and not isinstance(outcome[0], BaseException), outcome
    after = counts(engine)
    expected = dict(kind.stored)
    expected["pilotage_action"] = expected.get("pilotage_action", 0) + 1  # the action typed in
    delta = added(before, after)
    assert {t: delta.get(t, 0) for t in expected} == expected, delta
    assert delta["import_batch"] == 2  # the slow file and the small import


def test_a_plan_settled_in_the_write_transaction_sees_what_changed_meanwhile(engine: Engine,
                                                                             prefecture: Prefecture) -> None:
    """The same training register imported while another copy was being analysed: the second
    save finds it in the ledger at settle time and writes nothing (no agent twice)."""
    pid = prefecture.id or 0
    analysed = services.trainings.analyse_trainings_file(actor(engine), pid, "formations.xlsx", trainings_workbook(),
                                                         today=AS_OF)
    assert analysed.ok and analysed.already_imported is None
    services.trainings.import_trainings_file(actor(engine), pid, "formations.xlsx", trainings_workbook(), today=AS_OF)
    before = counts(engine)
    with session_scope(engine, write=True) as session:
        plan = settled(session, pid, "formations", analysed)
    assert plan.already_imported is not None and "déjà importé" in plan.summary()
    assert counts(engine) == before


def test_a_plan_whose_file_was_undone_meanwhile_is_refused(engine: Engine, prefecture: Prefecture) -> None:
    """A grid of checks analysed while already imported, then undone before the save: refused in
    French (its content was never checked against the database), nothing written."""
    pid = prefecture.id or 0
    _, batch = services.mystery.import_checks(actor(engine), pid, "mysteres-2023.xlsx", grid())
    assert batch is not None
    analysed = services.mystery.analyse_import(actor(engine), pid, "copie.xlsx", grid())
    assert analysed.already_imported is not None
    services.imports.undo_import(actor(engine), pid, batch.id or 0)
    with pytest.raises(ImportRejected, match="annulé pendant l'analyse"), session_scope(engine, write=True) as session:
        settled(session, pid, "mystere", analysed)


def test_an_audit_entered_while_its_report_was_analysed_is_not_recorded_twice(engine: Engine,
                                                                              prefecture: Prefecture) -> None:
    """The same audit (kind and date) typed in the Audits page during the report's analysis: the
    save finds it in the write transaction and refuses the report in French, nothing written."""
    pid = prefecture.id or 0
    analysed = services.audits.analyse_audit_file(actor(engine), pid, "audit.xlsx", audit_file(1))
    assert analysed.ok and analysed.meta.audit_date == dt.date(2010, 1, 2)
    services.audits.create_audit(actor(engine), pid, kind="interne", audit_date=dt.date(2010, 1, 2), modules=["M4"])
    before = counts(engine)
    with pytest.raises(ImportRejected, match="existe déjà"), session_scope(engine, write=True) as session:
        settled(session, pid, "audit", analysed)
    assert counts(engine) == before


def test_a_plan_row_is_paired_with_the_action_added_while_the_file_was_analysed(engine: Engine,
                                                                                prefecture: Prefecture) -> None:
    """An action of the same title and module added meanwhile: the settled plan updates it rather
    than adding it a second time."""
    pid = prefecture.id or 0
    analysed = services.action_plan.analyse_plan_file(actor(engine), pid, "plan.xlsx", plan_file(7))
    assert analysed.ok and analysed.new_count == 1
    services.action_plan.add_action(actor(engine), pid, title="Action du fichier 7", module_code="M4",
                                    source="agents", today=dt.date(2024, 10, 15))
    with session_scope(engine) as session:
        plan = settled(session, pid, "plan", analysed)
    assert plan.new_count == 0 and plan.matched_count == 1
