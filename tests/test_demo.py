"""The demo préfecture: every file imports, every indicator has data, loading twice changes nothing.

The demo is what people see first; a demo file refused by the importer, or a year without a
value, would make the dashboard look broken, so these are checked on every run.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import python_calamine
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from qep_core.compute import compute_indicator, compute_indicators
from qep_core.db import session_scope
from qep_core.demo import DEMO_CODE, DEMO_DIR, DEMO_NAME, demo_files, load_demo, write_demo_files
from qep_core.drilldown import archived_items, log_items, personal_columns
from qep_core.models import (
    ImportBatch,
    Indicator,
    LogItemArchive,
    Observation,
    ObservationHistory,
    Perimetre,
    Prefecture,
)
from qep_core.periods import range_period, year_period
from qep_core.referentiel import indicators_for
from qep_core.rules.signals import PREOCCUPATION
from qep_core.signals.models import Alert, Event
from qep_core.spc_series import charts_all

# Warnings the demo shows on purpose (see data/demo/README.md); anything else is a surprise.
INTENDED_WARNINGS = (
    r"le total [\d\s\u202f]+ ≠ [\d\s\u202f]+, somme des parties",  # 2021 switchboard: typing slip in a Total
    r"TEL_ABOUTIS : mois sans donnée en 2023 : août$",  # August 2023 "n.c"
    r"ligne « Nombre de messages reçus » non reconnue",  # the bilan's extra row, not an indicator
    r"taux de la colonne Total 94,0 % ≠ .* pondéré et non moyenne des taux",  # average of monthly rates
    r"mois sans donnée en 2024 : octobre, novembre, décembre$",  # 2024 stops in September
    r"mois sans donnée en 2024 : août, septembre, octobre, novembre, décembre$",  # CM late (collection board)
)


def _prefecture_id(engine: Engine) -> int:
    with session_scope(engine) as session:
        pref = session.exec(select(Prefecture).where(Prefecture.code == DEMO_CODE)).one()
        assert pref.name == DEMO_NAME
        return pref.id or 0


def _counts(engine: Engine) -> tuple[int, int, int, int]:
    with session_scope(engine) as session:
        return (
            session.exec(select(func.count()).select_from(ImportBatch)).one(),
            session.exec(select(func.count()).select_from(Observation)).one(),
            session.exec(select(func.count()).select_from(ObservationHistory)).one(),
            session.exec(select(func.coalesce(func.sum(LogItemArchive.items), 0))).one(),
        )


def test_every_demo_file_imports_with_only_intended_warnings(engine: Engine) -> None:
    files = demo_files()
    assert len(files) == 23
    assert sum(p.stat().st_size for p in files) < 2 * 1024 * 1024
    summary = load_demo(engine)
    assert f"{len(files)} fichiers importés" in summary
    with session_scope(engine) as session:
        names = {p.name for p in files}  # the surveys and mystery checks are checked in test_survey_demo
        batches = [b for b in session.exec(select(ImportBatch)).all() if b.file_name in names]
    assert sorted(b.file_name for b in batches) == [p.name for p in files]
    assert all(b.status == "imported" and b.rows > 0 for b in batches)
    messages = [w["message"] for b in batches for w in json.loads(b.warnings_json)]
    surprises = [m for m in messages if not any(re.search(p, m) for p in INTENDED_WARNINGS)]
    assert surprises == []
    for pattern in INTENDED_WARNINGS[:4]:  # the 2024 ones depend on today's date
        assert any(re.search(pattern, m) for m in messages), pattern


def test_every_indicator_has_a_value_in_2022_and_2023(engine: Engine) -> None:
    load_demo(engine)
    pid = _prefecture_id(engine)
    with session_scope(engine) as session:
        for year in (2022, 2023):
            results = compute_indicators(session, pid, year_period(year))
            assert len(results) == 20
            missing = [r.indicator.code for r in results if r.value is None]
            assert missing == [], year


def test_counts_are_integers_and_numerators_never_exceed_denominators(engine: Engine) -> None:
    load_demo(engine)
    with session_scope(engine) as session:
        rows = session.exec(select(Observation, Indicator).where(Observation.indicator_id == Indicator.id)).all()
    assert rows
    for obs, ind in rows:
        if ind.kind == "mean_delay":
            assert obs.denominator is not None and obs.denominator > 0, ind.code
            continue
        assert float(obs.numerator).is_integer(), ind.code
        if ind.kind != "count":
            assert obs.denominator is not None and float(obs.denominator).is_integer(), ind.code
            assert 0 <= obs.numerator <= obs.denominator, ind.code


def test_loading_the_demo_twice_changes_nothing(engine: Engine) -> None:
    load_demo(engine)
    before = _counts(engine)
    summary = load_demo(engine)
    assert _counts(engine) == before
    assert "rien n'a changé" in summary


def test_main_mailbox_2022_keeps_the_bilan_figures(engine: Engine) -> None:
    """January–October 2022 of prefecture@: 719 answers in time out of 786 (bilan 2022)."""
    load_demo(engine)
    pid = _prefecture_id(engine)
    with session_scope(engine) as session:
        box = session.exec(select(Perimetre).where(Perimetre.prefecture_id == pid,
                                                   Perimetre.name == "Boîte préfecture")).one()
        period = range_period(dt.date(2022, 1, 1), dt.date(2022, 10, 1))
        result = compute_indicator(session, pid, "COURRIEL_5J", period, perimetre_ids=[box.id or 0])
    assert (result.numerator, result.denominator) == (719, 786)
    assert round(result.value or 0, 1) == 91.5


def test_item_logs_give_late_items_for_the_drill_down(engine: Engine) -> None:
    """The 2024 logs replace the months they cover and keep their items, some of them late."""
    load_demo(engine)
    pid = _prefecture_id(engine)
    with session_scope(engine) as session:
        items = archived_items(session, pid)
        by_status = items.groupby(["indicator", "status"]).size().to_dict()
        coord = session.exec(select(Perimetre).where(Perimetre.prefecture_id == pid, Perimetre.name == "Coord.")).one()
        assert set(items.loc[items["indicator"] == "COURRIEL_5J", "perimetre_id"]) == {coord.id}
        recla = compute_indicator(session, pid, "RECLA_DELAI", range_period(dt.date(2024, 1, 1), dt.date(2024, 9, 1)))
        mails = compute_indicator(session, pid, "COURRIEL_5J", range_period(dt.date(2024, 7, 1), dt.date(2024, 9, 1)),
                                  perimetre_ids=[coord.id or 0])
        late = log_items(session, pid, "RECLA_DELAI", year_period(2024), only_late=True)
        replaced = session.exec(select(func.count()).select_from(ObservationHistory).where(
            ObservationHistory.replaced_by_batch_id == ImportBatch.id, ImportBatch.kind != "enquete")).one()
    assert by_status == {
        ("RECLA_DELAI", "dans les délais"): 43, ("RECLA_DELAI", "hors délai"): 2,
        ("RECLA_DELAI", "sans réponse, délai dépassé"): 2,
        ("COURRIEL_5J", "dans les délais"): 18, ("COURRIEL_5J", "hors délai"): 4,
    }  # each e-mail and complaint stored once: the mean delay's drill-down reads the rate's items
    assert (recla.numerator, recla.denominator) == (43, 47)  # the log's figures, not the template's 40 / 41
    assert (mails.numerator, mails.denominator) == (18, 22)  # the sheet counted 21 / 22
    assert len(late) == 4 and "Expéditeur" not in late.columns
    assert all(v.endswith("@example.org") or v.startswith("Usager Exemple")
               for v in personal_columns(late)["Expéditeur"])
    assert replaced == 1 + 9 * 2 + 3 * 2  # March 2024 switchboard; the months the two logs cover


def _cells(path: Path) -> object:
    if path.suffix == ".csv":
        return path.read_bytes()
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_committed_demo_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    """Regenerating must give the files in data/demo (the generator is seeded)."""
    written = write_demo_files(tmp_path)
    assert [p.name for p in written] == [p.name for p in demo_files(DEMO_DIR)]
    for path in written:
        assert _cells(path) == _cells(DEMO_DIR / path.name), path.name


def test_the_demo_dates_the_voice_server_and_a_staff_change(engine: Engine) -> None:
    """Its charts show them: the interactive voice server of October 2022 (a process change of the
    switchboard, whose answered rate climbs from then on) and a staff change in spring 2024."""
    load_demo(engine)
    load_demo(engine)  # loading twice adds no event
    pid = _prefecture_id(engine)
    with session_scope(engine) as session:
        events = session.exec(select(Event).where(Event.prefecture_id == pid).order_by(Event.day)).all()  # type: ignore[arg-type]
        phone = compute_indicators(session, pid, range_period(dt.date(2022, 1, 1), dt.date(2022, 9, 1)),
                                   codes=["TEL_ABOUTIS"])[0].value
        after = compute_indicators(session, pid, range_period(dt.date(2023, 1, 1), dt.date(2023, 6, 1)),
                                   codes=["TEL_ABOUTIS"])[0].value
    assert [(e.day, e.label, e.indicator_code, e.process_change) for e in events] == [
        (dt.date(2022, 10, 3), "Mise en service du serveur vocal interactif", "TEL_ABOUTIS", True),
        (dt.date(2024, 4, 15), "Départ de deux agents d'accueil", None, False)]
    assert phone is not None and after is not None and after > phone + 20  # the level really changed


def test_the_demo_s_chart_alerts_say_what_the_tiles_say_of_their_month(engine: Engine) -> None:
    """An alert « préoccupation (carte de contrôle) » and the tile of the same month read the same
    window and the same process changes (qep_core.spc_series): the tile of that month says
    « préoccupation » too, never the opposite."""
    load_demo(engine)
    pid = _prefecture_id(engine)
    with session_scope(engine) as session:
        alerts = session.exec(select(Alert).where(Alert.prefecture_id == pid, Alert.kind == "spc")).all()
        indicators = indicators_for(session, pid)
        assert alerts  # the demo's last twelve months hold some
        for alert in alerts:
            chart = charts_all(session, pid, indicators, alert.month)[alert.indicator_code]
            assert (chart.points[-1].month, chart.points[-1].variation) == (alert.month, PREOCCUPATION), alert.key
