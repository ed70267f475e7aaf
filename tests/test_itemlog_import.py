"""An e-mail log through the real import: monthly figures, items kept for drill-down, undo."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from qep_core.compute import compute_indicator
from qep_core.db import session_scope
from qep_core.drilldown import log_items, personal_columns
from qep_core.importing import ImportRejected, import_file, undo_batch
from qep_core.periods import month_period
from tests.conftest import make_workbook

AS_OF = dt.date(2024, 6, 10)
HEADER = ["Date de réception", "Date de réponse", "Boîte", "Expéditeur", "Objet"]
# Loire-Atlantique (44), Whit Monday worked: holidays in May 2024 on the 1st, 8th and 9th.
MAY = [
    [dt.date(2024, 5, 2), dt.date(2024, 5, 3), "PC", "a@example.fr", "permis"],     # 1 day: in time
    [dt.date(2024, 5, 6), dt.date(2024, 5, 15), "PC", "b@example.fr", "permis"],    # 7, 10, 13, 14, 15: 5 days, in time
    [dt.date(2024, 5, 6), dt.date(2024, 5, 16), "PC", "c@example.fr", "échange"],   # 6 days: late
    [dt.date(2024, 5, 31), None, "Coord.", "d@example.fr", "réunion"],              # no answer; deadline 7 June passed
]
JUNE = [[dt.date(2024, 6, 7), None, "PC", "e@example.fr", "relance"]]               # no answer; deadline 14 June: pending


def log_file(rows: list[list[object]]) -> bytes:
    return make_workbook({"Courriels": [["Suivi des courriels — boîtes fonctionnelles"], HEADER, *rows]})


@pytest.fixture
def imported(engine, prefecture):
    return import_file(engine, prefecture.id, "journal-courriels.xlsx", log_file(MAY + JUNE), as_of=AS_OF)


def test_log_gives_monthly_rates_and_mean_delays(engine, prefecture, imported):
    assert imported.plan.layout == "journal:courriels"
    with session_scope(engine) as session:
        rate = compute_indicator(session, prefecture.id, "COURRIEL_5J", month_period(2024, 5))
        delay = compute_indicator(session, prefecture.id, "COURRIEL_DELAI_MOYEN", month_period(2024, 5))
        june = compute_indicator(session, prefecture.id, "COURRIEL_5J", month_period(2024, 6))
    assert (rate.numerator, rate.denominator) == (2, 4)  # the unanswered item is late: its deadline passed
    assert delay.value == pytest.approx((1 + 5 + 6) / 3)  # answered items only
    assert june.value is None  # the only June item is still within its deadline: pending, left out


def test_late_items_are_kept_for_drill_down_with_personal_columns_apart(engine, prefecture, imported):
    with session_scope(engine) as session:
        late = log_items(session, prefecture.id, "COURRIEL_5J", month_period(2024, 5), only_late=True)
        everything = log_items(session, prefecture.id, "COURRIEL_5J", month_period(2024, 5))
    assert len(everything) == 4 and len(late) == 2
    assert sorted(late["Statut"]) == ["hors délai", "sans réponse, délai dépassé"]
    assert "Expéditeur" not in late.columns  # personal data only on request
    assert set(personal_columns(late)["Expéditeur"]) == {"c@example.fr", "d@example.fr"}


def test_longer_log_replaces_the_months_and_undo_restores(engine, prefecture, imported):
    answered_late = [dt.date(2024, 5, 31), dt.date(2024, 6, 4), "Coord.", "d@example.fr", "réunion"]  # 2 days
    corrected = import_file(engine, prefecture.id, "journal-courriels-v2.xlsx", log_file([*MAY[:3], answered_late, *JUNE]),
                            as_of=AS_OF)
    assert corrected.replaced >= 1
    with session_scope(engine) as session:
        rate = compute_indicator(session, prefecture.id, "COURRIEL_5J", month_period(2024, 5))
        late = log_items(session, prefecture.id, "COURRIEL_5J", month_period(2024, 5), only_late=True)
    assert (rate.numerator, rate.denominator) == (3, 4)
    assert len(late) == 1  # only the new log's items explain the figure now
    with session_scope(engine, write=True) as session:
        undo_batch(session, prefecture.id, corrected.batch.id)
    with session_scope(engine) as session:
        rate = compute_indicator(session, prefecture.id, "COURRIEL_5J", month_period(2024, 5))
        late = log_items(session, prefecture.id, "COURRIEL_5J", month_period(2024, 5), only_late=True)
    assert (rate.numerator, rate.denominator) == (2, 4) and len(late) == 2
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM log_item_archive WHERE batch_id = :b"),
                            {"b": corrected.batch.id}).scalar() == 0


def test_same_log_again_changes_nothing(engine, prefecture, imported):
    again = import_file(engine, prefecture.id, "journal-courriels.xlsx", log_file(MAY + JUNE), as_of=AS_OF)
    assert not again.changed


def test_answer_before_reception_rejects_the_log(engine, prefecture, snapshot):
    before = snapshot(engine)
    bad = [[dt.date(2024, 5, 6), dt.date(2024, 5, 3), "PC", "x@example.fr", "?"]]
    with pytest.raises(ImportRejected) as info:
        import_file(engine, prefecture.id, "journal.xlsx", log_file(MAY + bad), as_of=AS_OF)
    error = info.value.errors[0]
    assert error.sheet == "Courriels" and error.row == 7 and error.column is not None
    assert snapshot(engine) == before


def test_indicator_page_lists_late_items_and_hides_personal_columns(engine, prefecture, imported, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    for key, value in {"ind": "COURRIEL_5J", "annee": "2024", "vue": "mois", "mois": "5"}.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/indicateurs.py").run()
    assert not at.exception
    assert any(h.value.startswith("Éléments en retard") for h in at.subheader)
    items = next(d.value for d in at.dataframe if "Reçu le" in d.value.columns)
    assert len(items) == 2 and "Expéditeur" not in items.columns
    at.toggle(key="personal-COURRIEL_5J").set_value(True).run()
    items = next(d.value for d in at.dataframe if "Reçu le" in d.value.columns)
    assert "Expéditeur" in items.columns


def test_import_page_previews_and_saves_a_log(engine, prefecture, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60).run()
    at.switch_page("pages/import_fichiers.py").run()
    at.selectbox(key="import-log-kind").set_value("courriels").run()
    at.file_uploader(key="import-files").upload(
        "journal.xlsx", log_file(MAY), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet").run()
    assert not at.exception
    assert any("journal « courriels »" in m.value for m in at.markdown)
    next(b for b in at.button if b.label == "Enregistrer").click().run()
    with session_scope(engine) as session:
        items = log_items(session, prefecture.id, "COURRIEL_5J", month_period(2024, 5))
    assert len(items) == 4
