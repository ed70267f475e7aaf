"""Permission matrix of the imports and the manual entry (see tests/access_world.py), and the
cases found by trying each role: a contributor importing, undoing or typing figures of another
service, or of the préfecture as a whole; the import history cut to its périmètres; the CLI
writing its history line as the ``--as`` account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from qep_core import services
from qep_core.access import AccessDenied
from qep_core.cli import main
from qep_core.db import session_scope
from qep_core.users import add_user
from tests.access_world import ROLES_UNDER_TEST, World, build_world

COVERED = {"imports.analyse_upload", "imports.save_upload", "imports.undo_import", "imports.import_history",
           "imports.batch_replaced_values", "imports.template_workbook", "entry.entry_perimetres",
           "entry.entry_grid", "entry.save_entries"}



@pytest.fixture(name="world")
def world_fixture(engine: Engine) -> World:
    return build_world(engine)


ROOT = Path(__file__).resolve().parent.parent
HEADER = "indicateur;periode;perimetre;numerateur;denominateur\n"
MONTH = dt.date(2024, 1, 1)


def long_csv(*rows: tuple[str, int, int], code: str = "COURRIEL_5J", month: str = "2024-01") -> bytes:
    """A long-layout file: one (périmètre, numerator, denominator) per row ("" = the whole)."""
    return (HEADER + "".join(f"{code};{month};{p};{n};{d}\n" for p, n, d in rows)).encode()


def whole_csv(numerator: int, denominator: int) -> bytes:
    """A file with no périmètre column: its values are the préfecture's as a whole."""
    return f"indicateur;periode;numerateur;denominateur\nCOURRIEL_5J;2024-01;{numerator};{denominator}\n".encode()


def admin(w: World) -> services.Actor:
    return w.actor("local")


def target(w: World, scope: str) -> tuple[int, str]:
    """(préfecture, périmètre name) of a scope of the matrix."""
    return {"own": (w.pref, "Coordination"), "other": (w.pref, "Étrangers"),
            "other_pref": (w.other_pref, "Standard")}[scope]


def stored(w: World, perimetre: str, month: str = "2024-01-01") -> tuple | None:
    with w.database.connect() as conn:
        return conn.execute(text(
            "SELECT o.numerator, o.denominator, o.batch_id FROM observation o JOIN indicator i ON i.id = o.indicator_id "
            "JOIN perimetre p ON p.id = o.perimetre_id WHERE i.code = 'COURRIEL_5J' AND o.period_start = :m "
            "AND p.name = :p"), {"m": month, "p": perimetre}).first()


def count(w: World, table: str) -> int:
    with w.database.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def seed(w: World, scope: str, numerator: int = 50, name: str | None = None) -> int:
    """A batch imported by the administrator into the scope's périmètre; its id."""
    pref, perimetre = target(w, scope)
    outcome = services.imports.save_upload(admin(w), pref, name or f"{scope}-{numerator}.csv",
                                           long_csv((perimetre, numerator, 100)))
    assert outcome.batch is not None
    return outcome.batch.id or 0


# --- the matrix ----------------------------------------------------------------------------------

def _analyse(w: World, actor: services.Actor, scope: str) -> bool:
    pref, perimetre = target(w, scope)
    plan = services.imports.analyse_upload(actor, pref, "f.csv", long_csv((perimetre, 60, 100)))
    assert plan.ok or "Accès refusé" in plan.errors[0].message
    return plan.ok


def _save(w: World, actor: services.Actor, scope: str) -> bool:
    pref, perimetre = target(w, scope)
    outcome = services.imports.save_upload(actor, pref, "f.csv", long_csv((perimetre, 60, 100)))
    assert outcome.batch is not None and stored(w, perimetre)[:2] == (60, 100)
    return True


def _undo(w: World, actor: services.Actor, scope: str) -> bool:
    pref, _ = target(w, scope)
    batch = seed(w, scope)
    services.imports.undo_import(actor, pref, batch)
    return True


def _history(w: World, actor: services.Actor, scope: str) -> bool:
    pref, _ = target(w, scope)
    batch = seed(w, scope)
    return batch in {b.id for b in services.imports.import_history(actor, pref)}


def _replaced(w: World, actor: services.Actor, scope: str) -> bool:
    pref, perimetre = target(w, scope)
    seed(w, scope, 50)
    second = seed(w, scope, 70)
    frame = services.imports.batch_replaced_values(actor, pref, second)
    assert set(frame["périmètre"]) <= {perimetre}
    return len(frame) == 1


def _template(w: World, actor: services.Actor, scope: str) -> bool:
    pref, _ = target(w, scope)
    return services.imports.template_workbook(actor, pref, 2024).data.startswith(b"PK")


def _entry_perimetres(w: World, actor: services.Actor, scope: str) -> bool:
    pref, perimetre = target(w, scope)
    return perimetre in {c.name for c in services.entry.entry_perimetres(actor, pref)}


def _entry_grid(w: World, actor: services.Actor, scope: str) -> bool:
    pref, perimetre = target(w, scope)
    grid = services.entry.entry_grid(actor, pref, MONTH, perimetre)
    return grid.perimetre.name == perimetre and not grid.perimetre.is_new


def _save_entries(w: World, actor: services.Actor, scope: str) -> bool:
    pref, perimetre = target(w, scope)
    rows = [services.entry.EntryRow("COURRIEL_5J", 9, 10)]
    outcome = services.entry.save_entries(actor, pref, MONTH, perimetre, rows)
    assert outcome.batch is not None and outcome.batch.kind == "saisie" and stored(w, perimetre)[:2] == (9, 10)
    return True


RUNNERS: dict[str, Callable[[World, services.Actor, str], bool]] = {
    "imports.analyse_upload": _analyse, "imports.save_upload": _save, "imports.undo_import": _undo,
    "imports.import_history": _history, "imports.batch_replaced_values": _replaced,
    "imports.template_workbook": _template, "entry.entry_perimetres": _entry_perimetres,
    "entry.entry_grid": _entry_grid, "entry.save_entries": _save_entries,
}

#: role → allowed on (own périmètre, another service's, another préfecture's).
EXPECTED: dict[str, tuple[bool, bool, bool]] = {
    "admin": (True, True, False), "copil": (False, False, False), "contributeur": (True, False, False),
    "lecture-clu": (False, False, False), "admin-38": (False, False, True), "local": (True, True, True),
}
#: The template holds no périmètre's data: a contributor downloads it for its préfecture.
OVERRIDES = {("imports.template_workbook", "contributeur"): (True, True, False)}


def _allowed(w: World, operation: str, role: str, scope: str) -> bool:
    try:
        return RUNNERS[operation](w, w.actor(role), scope)
    except AccessDenied as exc:
        assert str(exc).startswith("Accès refusé")
        return False


@pytest.mark.parametrize("operation", sorted(COVERED))
@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
def test_matrix(world: World, operation: str, role: str) -> None:
    expected = OVERRIDES.get((operation, role), EXPECTED[role])
    got = tuple(_allowed(world, operation, role, scope) for scope in ("own", "other", "other_pref"))
    assert got == expected


def test_every_operation_has_a_runner() -> None:
    assert set(RUNNERS) == COVERED
    assert {o for o in services.OPERATIONS if o.split(".")[0] in ("imports", "entry")} == COVERED


# --- a contributor importing another service's figures -------------------------------------------

def test_a_contributor_cannot_replace_another_services_figures(world: World) -> None:
    seed(world, "other", 50)  # Étrangers' January e-mails
    events, batches = count(world, "change_event"), count(world, "import_batch")
    contributor = world.actor("contributeur")
    content = long_csv(("Étrangers", 99, 100))
    plan = services.imports.analyse_upload(contributor, world.pref, "etrangers.csv", content)
    assert not plan.ok and "« Étrangers »" in plan.errors[0].message
    assert plan.replacements.empty  # Étrangers' stored value is not shown either
    with pytest.raises(AccessDenied, match="« Étrangers »"):
        services.imports.save_upload(contributor, world.pref, "etrangers.csv", content)
    assert stored(world, "Étrangers")[:2] == (50, 100)
    assert (count(world, "change_event"), count(world, "import_batch")) == (events, batches)


def test_a_file_touching_its_own_and_another_perimetre_is_refused_whole(world: World) -> None:
    contributor = world.actor("contributeur")
    content = long_csv(("Coordination", 70, 100), ("Étrangers", 99, 100))
    with pytest.raises(AccessDenied, match="« Étrangers »") as refused:
        services.imports.save_upload(contributor, world.pref, "deux.csv", content)
    assert "Coordination" not in str(refused.value)
    assert stored(world, "Coordination") is None and count(world, "import_batch") == 0


def test_a_file_of_the_whole_prefecture_or_a_new_perimetre_is_outside_a_contributor(world: World) -> None:
    contributor = world.actor("contributeur")
    with pytest.raises(AccessDenied, match="Préfecture \\(ensemble\\)"):
        services.imports.save_upload(contributor, world.pref, "global.csv", whole_csv(80, 100))
    with pytest.raises(AccessDenied, match="« Bureau du courrier »"):
        services.imports.save_upload(contributor, world.pref, "neuf.csv", long_csv(("Bureau du courrier", 1, 2)))
    assert count(world, "import_batch") == 0
    plan = services.imports.analyse_upload(contributor, world.pref, "global.csv", whole_csv(80, 100))
    assert not plan.ok and "Préfecture (ensemble)" in plan.errors[0].message


def test_a_contributor_covering_the_whole_prefecture_imports_it(world: World) -> None:
    with session_scope(world.database) as session:
        whole = session.exec(text("SELECT id FROM perimetre WHERE kind = 'prefecture' AND prefecture_id = :p")
                             .bindparams(p=world.pref)).scalar_one()
    principal = world.actor("contributeur").principal
    wide = services.Actor(type(principal)(**{**principal.__dict__, "perimetre_ids": frozenset({world.own, whole})}),
                          world.database)
    outcome = services.imports.save_upload(wide, world.pref, "global.csv", whole_csv(80, 100))
    assert outcome.batch is not None


def test_a_contributors_own_import_is_saved_under_its_name(world: World) -> None:
    outcome = services.imports.save_upload(world.actor("contributeur"), world.pref, "coord.csv",
                                           long_csv(("Coordination", 70, 100)))
    assert outcome.batch is not None and outcome.batch.imported_by == "coordination44"
    with world.database.connect() as conn:
        who, action = conn.execute(text('SELECT "user", action FROM change_event ORDER BY id DESC')).first()
    assert (who, action) == ("coordination44", "import")


def test_the_size_limit_is_checked_by_the_service(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("qep_core.importing.safety.MAX_UPLOAD_BYTES", 10)
    content = long_csv(("Coordination", 70, 100))
    plan = services.imports.analyse_upload(admin(world), world.pref, "gros.csv", content)
    assert not plan.ok and "limite" in plan.errors[0].message
    with pytest.raises(services.imports.ImportRejected):
        services.imports.save_upload(admin(world), world.pref, "gros.csv", content)
    assert count(world, "import_batch") == 0


# --- undo, history, replaced values --------------------------------------------------------------

def test_a_contributor_cannot_undo_the_switchboards_import(world: World) -> None:
    batch = seed(world, "other")
    with pytest.raises(AccessDenied, match="« Étrangers »"):
        services.imports.undo_import(world.actor("contributeur"), world.pref, batch)
    mixed = services.imports.save_upload(admin(world), world.pref, "deux.csv",
                                         long_csv(("Coordination", 1, 2), ("Étrangers", 3, 4), month="2024-02"))
    with pytest.raises(AccessDenied, match="« Étrangers »"):
        services.imports.undo_import(world.actor("contributeur"), world.pref, mixed.batch.id or 0)
    with world.database.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM import_batch WHERE status = 'imported'")).scalar_one() == 2
    own = seed(world, "own")
    assert services.imports.undo_import(world.actor("contributeur"), world.pref, own) == 0


def test_the_history_and_the_replaced_values_are_cut_to_a_contributors_perimetres(world: World) -> None:
    own_first, other_first = seed(world, "own", 10, "coord-1.csv"), seed(world, "other", 20, "etr-1.csv")
    both = services.imports.save_upload(admin(world), world.pref, "deux.csv",
                                        long_csv(("Coordination", 11, 100), ("Étrangers", 21, 100))).batch
    assert both is not None
    contributor = world.actor("contributeur")
    seen = [b.id for b in services.imports.import_history(contributor, world.pref)]
    assert seen == [both.id, own_first]  # newest first; Étrangers' own batch is not shown
    assert len(services.imports.import_history(admin(world), world.pref)) == 3
    replaced = services.imports.batch_replaced_values(contributor, world.pref, both.id)
    assert list(replaced["périmètre"]) == ["Coordination"]
    assert len(services.imports.batch_replaced_values(admin(world), world.pref, both.id)) == 2
    assert list(services.imports.batch_replaced_values(contributor, world.pref)["périmètre"]) == ["Coordination"]
    assert other_first not in seen


# --- manual entry --------------------------------------------------------------------------------

def test_the_entry_grid_offers_a_contributor_only_its_perimetres(world: World) -> None:
    contributor = world.actor("contributeur")
    assert [c.name for c in services.entry.entry_perimetres(contributor, world.pref)] == ["Coordination"]
    offered = [c.name for c in services.entry.entry_perimetres(admin(world), world.pref)]
    assert offered[0] == "Préfecture (ensemble)" and {"Coordination", "Étrangers"} <= set(offered)
    rows = [services.entry.EntryRow("COURRIEL_5J", 9, 10)]
    for perimetre in ("Étrangers", "", "Nouveau service"):
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.entry.entry_grid(contributor, world.pref, MONTH, perimetre)
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.entry.save_entries(contributor, world.pref, MONTH, perimetre, rows)
    assert count(world, "import_batch") == 0
    grid = services.entry.entry_grid(contributor, world.pref, MONTH, "coordination")  # any case and accents
    assert grid.perimetre.name == "Coordination" and any(d.code == "COURRIEL_5J" for d in grid.indicators)
    services.entry.save_entries(contributor, world.pref, MONTH, "Coordination", rows)
    assert services.entry.entry_grid(contributor, world.pref, MONTH, "Coordination").stored["COURRIEL_5J"] == (9, 10)


# --- the command line ----------------------------------------------------------------------------

@pytest.fixture
def accounts(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    with session_scope(world.database, write=True) as session:
        add_user(session, "coordination44", "contributeur", password="secret-secret-1", prefecture_id=world.pref,
                 perimetre_ids=[world.own])
        add_user(session, "clu44", "lecture-clu", password="secret-secret-1", prefecture_id=world.pref)
        add_user(session, "rq44", "admin", password="secret-secret-1", prefecture_id=world.pref)
    monkeypatch.setenv("QEP_DATABASE_URL", world.database.url.render_as_string(hide_password=False))
    monkeypatch.setenv("QEP_AUTH", "accounts")
    return world


def test_the_cli_imports_as_the_account_and_writes_the_history_line_like_the_page(accounts: World, tmp_path) -> None:
    own = tmp_path / "coord.csv"
    own.write_bytes(long_csv(("Coordination", 70, 100)))
    assert main(["--as", "coordination44", "import", str(own), "--prefecture", "44", "--user", "ignoré"]) == 0
    with accounts.database.connect() as conn:
        assert conn.execute(text("SELECT imported_by FROM import_batch")).scalar_one() == "coordination44"
        assert conn.execute(text("SELECT \"user\" FROM change_event WHERE action = 'import'")).scalar_one() == "coordination44"
    other = tmp_path / "etrangers.csv"
    other.write_bytes(long_csv(("Étrangers", 99, 100)))
    assert main(["--as", "coordination44", "import", str(other), "--prefecture", "44"]) == 3
    assert main(["--as", "clu44", "import", str(own), "--prefecture", "44"]) == 3
    assert main(["import", str(own), "--prefecture", "44"]) == 2  # accounts: nobody is not an account
    assert count(accounts, "import_batch") == 1 and stored(accounts, "Étrangers") is None


def test_the_cli_on_a_laptop_writes_the_user_name(world: World, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QEP_DATABASE_URL", world.database.url.render_as_string(hide_password=False))
    monkeypatch.delenv("QEP_AUTH", raising=False)
    monkeypatch.delenv("QEP_AS", raising=False)
    path = tmp_path / "global.csv"
    path.write_bytes(whole_csv(80, 100))
    assert main(["import", str(path), "--prefecture", "44", "--user", "Marie"]) == 0
    with world.database.connect() as conn:
        assert conn.execute(text("SELECT \"user\" FROM change_event WHERE action = 'import'")).scalar_one() == "Marie"


# --- the pages, as a contributor -------------------------------------------------------------------

def open_as(world: World, role: str, page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["_principal"] = world.actor(role).principal
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_the_pages_show_a_contributor_only_its_perimetres(accounts: World) -> None:
    own, other = seed(accounts, "own", 10, "coord.csv"), seed(accounts, "other", 20, "etrangers.csv")
    saisie = open_as(accounts, "contributeur", "pages/saisie.py")
    [picker] = [s for s in saisie.selectbox if s.label == "Périmètre"]
    assert picker.options == ["Coordination"]
    page = open_as(accounts, "contributeur", "pages/import_fichiers.py")
    history = next(f.value for f in page.dataframe if "Statut" in f.value.columns)
    assert list(history["N°"]) == [own] and other not in list(history["N°"])
    assert list(next(f.value for f in open_as(accounts, "admin", "pages/import_fichiers.py").dataframe
                     if "Statut" in f.value.columns)["N°"]) == [other, own]
