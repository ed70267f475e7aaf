"""The data version the page caches are keyed on (``services.system.history_version``): read from
the change history, so that every write of every process changes it — and only its préfecture's —
and cheap enough to read once per script run."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, text

from qep_core import services
from qep_core.change_history import ChangeEvent
from qep_core.db import session_scope
from qep_core.models import utcnow
from tests.access_world import World
from tests.databases import on_postgresql

ROOT = Path(__file__).resolve().parent.parent
CSV = "indicateur;periode;perimetre;numerateur;denominateur\nCOURRIEL_5J;2024-01;Coordination;{n};100\n"


def version(world: World, prefecture_id: int | None = None) -> str:
    return services.system.data_version(world.actor("local"), world.pref if prefecture_id is None else prefecture_id)


def _import(w: World, n: int = 50) -> int:
    outcome = services.imports.save_upload(w.actor("local"), w.pref, f"suivi-{n}.csv", CSV.format(n=n).encode())
    assert outcome.batch is not None
    return outcome.batch.id or 0


#: Every kind of write a figure depends on: the version must change after each.
WRITES: dict[str, Callable[[World], object]] = {
    "import": _import,
    "undo": lambda w: services.imports.undo_import(w.actor("local"), w.pref, _import(w, 61)),
    "entry": lambda w: services.entry.save_entries(w.actor("local"), w.pref, dt.date(2024, 2, 1), "Coordination",
                                                   [services.entry.EntryRow("COURRIEL_5J", 9, 10)]),
    "target": lambda w: services.settings.save_targets(
        w.actor("local"), w.pref, 2024, [{"code": "COURRIEL_5J", "target": 75.0, "alert": 60.0, "no_target": False}]),
    "prefecture": lambda w: services.settings.save_prefecture(
        w.actor("local"), w.pref, name="Préfecture renommée", code="44", whit_monday_worked=True, modules=["M2"]),
    "perimetres": lambda w: services.settings.save_perimetres(
        w.actor("local"), w.pref, [{"id": None, "name": "Accueil", "kind": "service", "address": "", "delete": False}]),
    "public name": lambda w: services.settings.set_public_name(w.actor("local"), w.pref, w.own, "Coordination"),
    "event": lambda w: services.events.add_event(w.actor("local"), w.pref, dt.date(2024, 3, 4), "Nouvel outil",
                                                 process_change=True),
    "mapping": lambda w: services.mappings.add(w.actor("local"), w.pref, "theme", "CERT 44", "fraude"),
}


@pytest.mark.parametrize("kind", list(WRITES))
def test_every_write_a_figure_depends_on_changes_the_version(world: World, kind: str) -> None:
    before = version(world)
    WRITES[kind](world)
    after = version(world)
    assert after != before
    assert version(world) == after  # reading changes nothing


def test_reads_leave_the_version_alone_and_another_prefectures_writes_too(world: World) -> None:
    before = version(world)
    services.dashboard.data_status(world.actor("copil"), world.pref)
    services.history.change_history(world.actor("copil"), world.pref)
    services.settings.save_targets(world.actor("admin-38"), world.other_pref, 2024,
                                   [{"code": "COURRIEL_5J", "target": 80.0, "alert": 70.0, "no_target": False}])
    assert version(world) == before
    assert services.dashboard.data_status(world.actor("copil"), world.pref).version == before  # the sidebar's


def test_a_write_of_another_process_is_seen_through_a_connection_of_its_own(world: World) -> None:
    """Another app process holds its own engine (its own pool): the version it reads changes with
    a write committed elsewhere, which is what makes its caches see the write."""
    url = world.database.url.render_as_string(hide_password=False)
    other = create_engine(url)
    try:
        with session_scope(other) as session:
            before = services.system.history_version(session, world.pref)
        _import(world, 73)
        with session_scope(other) as session:
            assert services.system.history_version(session, world.pref) != before
    finally:
        other.dispose()


def test_a_restore_changes_the_version_even_back_to_an_equal_count(world: World) -> None:
    """The instance-wide lines count too: a restore (prefecture_id NULL) is newer than anything."""
    before = version(world)
    with session_scope(world.database, write=True) as session:
        session.add(ChangeEvent(user="x", prefecture_id=None, action="restore", entity="archive.zip"))
    assert version(world) != before


def test_no_page_clears_every_users_cache() -> None:
    """A write used to empty every cache of the process (``st.cache_data.clear()``): other users'
    and other préfectures' figures then had to be computed again, and other processes never
    learnt of the write at all. The version in the keys does both jobs now."""
    offenders = [str(p.relative_to(ROOT)) for folder in ("qep_ui", "pages") for p in (ROOT / folder).rglob("*.py")
                 if "cache_data.clear(" in p.read_text(encoding="utf-8") or "data.clear(" in p.read_text(encoding="utf-8")]
    assert (ROOT / "app.py").read_text(encoding="utf-8").count("cache_data.clear(") == 0
    assert offenders == []


LINES = 20_000


def test_reading_the_version_is_one_cheap_indexed_query(world: World) -> None:
    """With 20 000 history lines in the préfecture and 20 000 in another, reading the version
    stays well under a few milliseconds (about 2 ms on SQLite here; the sidebar reads it once per
    script run), from the ``(prefecture_id, at)`` index alone."""
    start = utcnow()
    with session_scope(world.database, write=True) as session:
        for pref in (world.pref, world.other_pref):
            session.execute(insert(ChangeEvent), [
                {"user": "bench", "prefecture_id": pref, "action": "import", "entity": f"lot n° {i}", "summary": "",
                 "at": start + dt.timedelta(seconds=i)} for i in range(LINES)])
    if not on_postgresql():
        with world.database.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            plan = " ".join(str(row[-1]) for row in conn.execute(text(
                "EXPLAIN QUERY PLAN SELECT count(*), max(at) FROM change_event WHERE prefecture_id = 1")))
        assert "COVERING INDEX ix_change_event_pref_at" in plan
    timings = []
    with session_scope(world.database) as session:
        for _ in range(30):
            began = time.perf_counter()
            services.system.history_version(session, world.pref)
            timings.append(time.perf_counter() - began)
    median_ms = statistics.median(timings) * 1000
    print(f"data version with {LINES} lines: median {median_ms:.2f} ms")
    assert median_ms < 25
