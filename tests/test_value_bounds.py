"""Values out of bounds (issue 13, item 6): periods outside the window, counts not finite or absurd,
texts too long. Each is refused in French, wherever it comes from (CSV, xlsx, the ORM, the command
line), alike on SQLite and PostgreSQL, and a page still opens on rows stored before the bounds.

The window, with the default settings, is January 2000 to December of next year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL
from qep_core.cli.main import main as cli_main
from qep_core.compute import compute_indicator
from qep_core.db import session_scope
from qep_core.importing import ImportRejected, import_file
from qep_core.models import Indicator, Observation, Perimetre, Prefecture, Target
from qep_core.periods import year_period
from qep_core.pilotage.errors import PilotageError
from qep_core.pilotage.models import Action
from qep_core.prefectures import whole_prefecture
from qep_core.rules.bounds import (
    MAX_MONTHLY_COUNT,
    ValueOutOfBounds,
    bounded_years,
    clamp_month,
    period_window,
)
from qep_core.settings import SettingsError, add_perimetre
from tests.test_import_rejections import assert_rejected, csv_bytes, long_rows

Snapshot = Callable[[Engine], dict[str, list[tuple]]]
MakeWorkbook = Callable[[dict[str, list[list[object]]]], bytes]
APP = Path(__file__).resolve().parent.parent / "app.py"
TODAY = dt.date(2026, 12, 7)
# Ten months of COURRIEL_5J: 95/100 nine times, 94/100 once: Σ 949 / Σ 1000 = 94,9 % for 2024.
SANE_2024 = [["COURRIEL_5J", f"2024-{m:02d}", "", 95 if m < 10 else 94, 100] for m in range(1, 11)]
OUT_OF_BOUNDS = "hors des périodes acceptées"


@pytest.fixture
def pref_id(engine: Engine, prefecture: Prefecture) -> int:
    """The préfecture with a sane year 2024 already imported (ten months, 94,9 %)."""
    assert prefecture.id is not None
    outcome = import_file(engine, prefecture.id, "courriels-2024.csv", csv_bytes(long_rows(*SANE_2024)))
    assert outcome.inserted == 10
    return prefecture.id


def yearly_rate(engine: Engine, pref_id: int) -> tuple[float | None, float | None, float | None]:
    with session_scope(engine) as session:
        result = compute_indicator(session, pref_id, "COURRIEL_5J", year_period(2024))
    return result.numerator, result.denominator, result.value


# --- the window itself ------------------------------------------------------------------------

def test_the_window_runs_from_the_first_year_to_december_of_next_year(monkeypatch: pytest.MonkeyPatch) -> None:
    assert period_window(TODAY) == (dt.date(2000, 1, 1), dt.date(2027, 12, 1))
    monkeypatch.setenv("QEP_PERIOD_FIRST_YEAR", "2015")
    monkeypatch.setenv("QEP_PERIOD_YEARS_AHEAD", "2")
    assert period_window(TODAY) == (dt.date(2015, 1, 1), dt.date(2028, 12, 1))
    monkeypatch.setenv("QEP_PERIOD_FIRST_YEAR", "1")  # a typing error cannot open the window to year 1
    monkeypatch.setenv("QEP_PERIOD_YEARS_AHEAD", "7000")
    assert period_window(TODAY) == (dt.date(1990, 1, 1), dt.date(2031, 12, 1))


def test_year_lists_are_the_data_cut_to_the_window() -> None:
    assert bounded_years(dt.date(1900, 1, 1), dt.date(9999, 12, 1), TODAY) == list(range(2027, 1999, -1))
    assert bounded_years(dt.date(2022, 3, 1), dt.date(2024, 5, 1), TODAY) == [2024, 2023, 2022]
    assert bounded_years(None, None, TODAY) == [2026]
    assert bounded_years(dt.date(9999, 1, 1), dt.date(9999, 12, 1), TODAY) == [2026]  # nothing in the window
    assert clamp_month(dt.date(9999, 12, 1), TODAY) == dt.date(2027, 12, 1)
    assert clamp_month(dt.date(1900, 1, 1), TODAY) == dt.date(2000, 1, 1)


# --- imports ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("period", "month"), [("9999-12", "décembre 9999"), ("1900-01", "janvier 1900")])
def test_a_csv_period_outside_the_window_is_refused_naming_its_row(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                                     period: str, month: str) -> None:
    rows = long_rows(["COURRIEL_5J", "2024-02", "", 99, 100], ["COURRIEL_5J", period, "", 1, 2])
    issue = assert_rejected(engine, pref_id, snapshot, "suivi.csv", csv_bytes(rows), OUT_OF_BOUNDS,
                            sheet="suivi", row=5)
    assert issue.message.startswith(f"période {month} hors des périodes acceptées (de janvier 2000 à décembre ")
    assert yearly_rate(engine, pref_id) == (949, 1000, pytest.approx(94.9))


@pytest.mark.parametrize("period", ["9999-12", "1900-01"])
def test_an_xlsx_period_outside_the_window_is_refused_naming_its_row(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                                       workbook: MakeWorkbook, period: str) -> None:
    data = workbook({"Suivi": long_rows(["COURRIEL_5J", "2024-02", "", 99, 100], ["COURRIEL_5J", period, "", 1, 2],
                                        ["COURRIEL_5J", period, "", 3, 4])})
    issue = assert_rejected(engine, pref_id, snapshot, "suivi.xlsx", data, OUT_OF_BOUNDS, sheet="Suivi", row=5)
    assert "(ligne 6)" not in issue.message and "lignes 5, 6" in issue.message


def test_an_absurd_count_is_refused_and_the_yearly_rate_stays_exact(engine: Engine, pref_id: int,
                                                                    snapshot: Snapshot, workbook: MakeWorkbook) -> None:
    data = workbook({"Suivi": long_rows(["COURRIEL_5J", "2024-11", "", 1e308, 1e308])})
    issue = assert_rejected(engine, pref_id, snapshot, "absurde.xlsx", data, "nombre invraisemblable",
                            sheet="Suivi", row=4, column="D")
    assert "plus de 10\u202f000\u202f000 par mois et par périmètre" in issue.message
    assert yearly_rate(engine, pref_id) == (949, 1000, pytest.approx(94.9))  # not 55,6 %


def test_a_count_just_under_the_maximum_is_accepted_and_one_above_refused(engine: Engine, pref_id: int,
                                                                         snapshot: Snapshot) -> None:
    ok = long_rows(["COURRIEL_5J", "2024-11", "", MAX_MONTHLY_COUNT, MAX_MONTHLY_COUNT])
    assert import_file(engine, pref_id, "plein.csv", csv_bytes(ok)).inserted == 1
    assert yearly_rate(engine, pref_id) == (949 + 10_000_000, 1000 + 10_000_000, pytest.approx(
        100 * 10_000_949 / 10_001_000))
    over = long_rows(["COURRIEL_5J", "2024-12", "", MAX_MONTHLY_COUNT, MAX_MONTHLY_COUNT + 1])
    assert_rejected(engine, pref_id, snapshot, "trop.csv", csv_bytes(over), "dénominateur : nombre invraisemblable", row=4)


def test_a_span_of_months_may_hold_as_many_times_the_monthly_maximum(engine: Engine, pref_id: int,
                                                                     snapshot: Snapshot) -> None:
    """A quarter is three months: 30 000 000 fits, 30 000 001 does not."""
    over = long_rows(["COURRIEL_5J", "2025-T1", "", 1, 3 * MAX_MONTHLY_COUNT + 1])
    assert_rejected(engine, pref_id, snapshot, "trimestre.csv", csv_bytes(over), "dénominateur : nombre invraisemblable",
                    row=4)
    ok = long_rows(["COURRIEL_5J", "2025-T1", "", 1, 3 * MAX_MONTHLY_COUNT])
    assert import_file(engine, pref_id, "trimestre-ok.csv", csv_bytes(ok)).inserted == 1


@pytest.mark.parametrize(("cell", "fragment"), [("inf", "n'est pas un nombre"), ("nan", "n'est pas un nombre"),
                                                ("-5", "négatif")])
def test_infinite_unreadable_and_negative_counts_are_refused(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                             cell: str, fragment: str) -> None:
    rows = long_rows(["COURRIEL_5J", "2024-11", "", cell, 100])
    assert_rejected(engine, pref_id, snapshot, "compte.csv", csv_bytes(rows), fragment, row=4, column="D")


def test_an_absurd_mean_delay_is_refused(engine: Engine, pref_id: int, snapshot: Snapshot) -> None:
    header = ["indicateur", "période", "périmètre", "valeur", "effectif"]
    rows = long_rows(["COURRIEL_DELAI_MOYEN", "2024-11", "", 5000, 10], header=header)
    with session_scope(engine) as session:
        kinds = {i.code: i.kind for i in session.exec(select(Indicator))}
    assert kinds.get("COURRIEL_DELAI_MOYEN") == "mean_delay"
    assert_rejected(engine, pref_id, snapshot, "delai.csv", csv_bytes(rows), "délai moyen invraisemblable (plus de "
                    "1000 jours ouvrés)", row=4)


def test_a_long_perimetre_name_in_a_file_is_refused_naming_its_row(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                                   workbook: MakeWorkbook) -> None:
    data = workbook({"Suivi": long_rows(["COURRIEL_5J", "2024-11", "S" * 5000, 1, 2])})
    issue = assert_rejected(engine, pref_id, snapshot, "nom.xlsx", data, "texte trop long", sheet="Suivi", row=4)
    assert issue.message == f"nom du périmètre « {'S' * 40}… » : texte trop long : 5\u202f000 caractères pour 200 au plus"


@pytest.mark.parametrize(("perimetre", "row", "fragment"), [
    ("P" * 1_000_000, services.entry.EntryRow("COURRIEL_5J", 9, 10),
     f"nom du périmètre « {'P' * 40}… » : texte trop long : 1\u202f000\u202f000 caractères pour 200 au plus"),
    (None, services.entry.EntryRow("COURRIEL_5J", 1e308, 1e308), "numérateur : nombre invraisemblable"),
])
def test_a_typed_entry_out_of_bounds_is_refused_in_french(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                          perimetre: str | None, row: services.entry.EntryRow,
                                                          fragment: str) -> None:
    before = snapshot(engine)
    with pytest.raises(ImportRejected) as info:
        services.entry.save_entries(services.Actor(LOCAL_PRINCIPAL, engine), pref_id, dt.date(2024, 11, 1),
                                    perimetre, [row])
    assert any(fragment in str(e) for e in info.value.errors), info.value.errors
    assert snapshot(engine) == before


# --- every write through the ORM -------------------------------------------------------------------

def test_a_one_megabyte_perimetre_name_gets_the_same_french_refusal_on_every_back_end(
        engine: Engine, prefecture: Prefecture, snapshot: Snapshot) -> None:
    """PostgreSQL's varchar(200) used to answer with a raw error, SQLite to store the megabyte."""
    before = snapshot(engine)
    with pytest.raises(ValueOutOfBounds) as info, session_scope(engine, write=True) as session:
        session.add(Perimetre(prefecture_id=prefecture.id or 0, name="P" * 1_000_000))
    assert str(info.value) == ("nom du périmètre : texte trop long : 1\u202f000\u202f000 caractères pour 200 au plus ; "
                               "rien n'a été enregistré")
    with pytest.raises(SettingsError, match="200 caractères au plus"), session_scope(engine, write=True) as session:
        add_perimetre(session, prefecture.id or 0, "P" * 1_000_000)  # the settings form says it first, alike
    assert snapshot(engine) == before


@pytest.mark.parametrize(("change", "fragment"), [
    ({"period_start": dt.date(9999, 12, 1), "period_end": dt.date(9999, 12, 1)}, "période : 01/12/9999 est hors"),
    ({"period_start": dt.date(1900, 1, 1), "period_end": dt.date(1900, 1, 1)}, "période : 01/01/1900 est hors"),
    ({"numerator": float("nan")}, "numérateur : nombre NaN refusé"),
    ({"numerator": float("inf"), "denominator": float("inf")}, "numérateur : nombre infini refusé"),
    ({"numerator": 1e308, "denominator": 1e308}, "numérateur : nombre invraisemblable"),
    ({"numerator": -1.0}, "numérateur : nombre négatif"),
])
def test_the_flush_refuses_an_observation_out_of_bounds(engine: Engine, pref_id: int, snapshot: Snapshot,
                                                        change: dict[str, object], fragment: str) -> None:
    before = snapshot(engine)
    with pytest.raises(ValueOutOfBounds, match=fragment), session_scope(engine, write=True) as session:
        indicator = session.exec(select(Indicator).where(Indicator.code == "COURRIEL_5J")).one()
        values: dict[str, object] = {"prefecture_id": pref_id, "indicator_id": indicator.id,
                                     "perimetre_id": whole_prefecture(session, pref_id).id,
                                     "period_start": dt.date(2025, 1, 1), "period_end": dt.date(2025, 1, 1),
                                     "numerator": 5.0, "denominator": 10.0, **change}
        session.add(Observation.model_validate(values))
        session.flush()
    assert snapshot(engine) == before


def test_the_flush_refuses_a_changed_row_and_a_target_year_out_of_the_window(engine: Engine, pref_id: int) -> None:
    with pytest.raises(ValueOutOfBounds, match="année de la cible : 1900 est hors"), \
            session_scope(engine, write=True) as session:
        session.add(Target(prefecture_id=pref_id, indicator_code="COURRIEL_5J", year=1900, target=90.0))
    with pytest.raises(ValueOutOfBounds, match="nom de la préfecture : texte trop long"), \
            session_scope(engine, write=True) as session:
        pref = session.get(Prefecture, pref_id)
        assert pref is not None
        pref.name = "N" * 201
    with session_scope(engine) as session:
        assert session.get(Prefecture, pref_id).name == "Préfecture de test"  # type: ignore[union-attr]
        assert session.exec(select(Target).where(Target.year == 1900)).first() is None


def test_a_pilotage_edit_out_of_bounds_is_the_pages_own_french_error(engine: Engine, pref_id: int) -> None:
    """The Plan d'actions page shows PilotageError: a due date in 2999 arrives as one, not as a traceback."""
    actor = services.Actor(LOCAL_PRINCIPAL, engine)
    with pytest.raises(PilotageError, match=r"échéance de l'action : 01/01/2999 est hors des dates acceptées"):
        services.action_plan.add_action(actor, pref_id, title="Relancer", module_code="M1", source="clu",
                                        due_date=dt.date(2999, 1, 1))
    with session_scope(engine) as session:
        assert session.exec(select(Action)).first() is None
    ref = services.action_plan.add_action(actor, pref_id, title="Relancer", module_code="M1", source="clu",
                                          due_date=dt.date(2027, 6, 30))
    assert ref


# --- the command line ------------------------------------------------------------------------------

@pytest.fixture
def cli_db(engine: Engine, pref_id: int, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("QEP_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return engine


@pytest.mark.parametrize(("argv", "fragment"), [
    (["target", "--year", "9999", "--indicator", "COURRIEL_5J", "--value", "90"], "--year : 9999 est hors des années"),
    (["target", "--year", "2025", "--indicator", "COURRIEL_5J", "--value", "inf"], "n'est pas un nombre fini"),
    (["target", "--year", "2025", "--indicator", "COURRIEL_5J", "--value", "1e308"], "invraisemblable"),
    (["report", "--month", "9999-12"], "décembre 9999 est hors des périodes acceptées"),
    (["template", "--year", "1900", "-o", "modele.xlsx"], "--year : 1900 est hors des années"),
])
def test_the_command_line_refuses_absurd_entries_in_french(cli_db: Engine, snapshot: Snapshot, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str],
                                                           argv: list[str], fragment: str) -> None:
    monkeypatch.chdir(tmp_path)
    before = snapshot(cli_db)
    assert cli_main(argv) != 0
    assert fragment in capsys.readouterr().err
    assert snapshot(cli_db) == before
    assert not (tmp_path / "modele.xlsx").exists()


# --- pages on data stored before the bounds existed -------------------------------------------------

def test_a_page_still_opens_on_rows_stored_outside_the_window(engine: Engine, pref_id: int,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows written before the bounds existed (raw SQL: the flush check does not see it) are left
    out of the year list; the page shows 2024, the only year of the window with data."""
    with session_scope(engine, write=True) as session:
        indicator = session.exec(select(Indicator).where(Indicator.code == "COURRIEL_5J")).one()
        whole = whole_prefecture(session, pref_id).id
        old = [{"prefecture_id": pref_id, "indicator_id": indicator.id, "perimetre_id": whole, "period_start": day,
                "period_end": day, "numerator": 1.0, "denominator": 2.0}
               for day in (dt.date(9999, 12, 1), dt.date(1900, 1, 1))]
        session.connection().execute(insert(Observation), old)
    monkeypatch.setenv("QEP_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, at.exception
    years = next(s for s in at.sidebar.selectbox if s.label == "Année")
    assert list(years.options) == ["2024"]
    assert "année 2024" in at.subheader[0].value
    with session_scope(engine) as session:  # the page read them, wrote nothing
        assert len(session.exec(select(Perimetre)).all()) == 1
        assert len(session.exec(select(Observation)).all()) == 12
