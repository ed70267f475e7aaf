"""Import history: idempotence, replacement of a month already loaded, undo, all-or-nothing saves."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from qep_core.compute import IndicatorResult, compute_indicator
from qep_core.db import session_scope
from qep_core.importing import (
    ImportOutcome,
    ImportPlan,
    ImportRejected,
    UndoError,
    analyze_file,
    import_file,
    undo_batch,
)
from qep_core.importing.service import replaced_history
from qep_core.models import ImportBatch, Prefecture
from qep_core.periods import month_period, quarter_period
from qep_core.prefectures import create_prefecture

Rows = list[list[object]]
Snapshot = Callable[[Engine], dict[str, list[tuple]]]
MakeWorkbook = Callable[[dict[str, Rows]], bytes]
Counts = dict[int, tuple[int, int]]  # month → (answers in time, answers)

ANSWERS = "Nombre de réponses"
IN_TIME = "Nombre de réponses dans les délais"
LONG_HEADER: list[object] = ["indicateur", "période", "périmètre", "numérateur", "dénominateur"]
MONTH_NAMES = {1: "janvier", 2: "février", 3: "mars", 4: "avril"}

ORIGINAL: Counts = {1: (18, 20), 2: (27, 30), 3: (36, 40)}
CORRECTED: Counts = {1: (18, 20), 2: (24, 30), 3: (36, 40)}  # February corrected: 90 % → 80 %
LAYOUTS = ["wide", "long"]


# --- files ------------------------------------------------------------------------------------

def courriels_sheet(counts: Counts, layout: str, title: str = "Courriels 2022") -> Rows:
    """COURRIEL_5J for the given months of 2022, as a monthly tracking sheet or as a long table."""
    months = sorted(counts)
    if layout == "wide":
        return [[title], ["", *(MONTH_NAMES[m] for m in months)],
                [ANSWERS, *(counts[m][1] for m in months)], [IN_TIME, *(counts[m][0] for m in months)]]
    return [[title], LONG_HEADER, *(["COURRIEL_5J", f"2022-{m:02d}", "", counts[m][0], counts[m][1]] for m in months)]


def courriels_file(workbook: MakeWorkbook, counts: Counts, layout: str = "wide", title: str = "Courriels 2022") -> bytes:
    return workbook({"Courriels": courriels_sheet(counts, layout, title)})


# --- reading the database ------------------------------------------------------------------------

def month_result(engine: Engine, pref_id: int, month: int, code: str = "COURRIEL_5J") -> IndicatorResult:
    with session_scope(engine) as session:
        return compute_indicator(session, pref_id, code, month_period(2022, month))


def counts_of(engine: Engine, pref_id: int, month: int) -> tuple[float | None, float | None]:
    result = month_result(engine, pref_id, month)
    return result.numerator, result.denominator


def table_count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def stored_values(engine: Engine) -> list[tuple]:
    """Every observation without its id (ids are not kept by an undo, the values are)."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT prefecture_id, indicator_id, perimetre_id, period_start, period_end, numerator, denominator, "
            "batch_id FROM observation")).all()
    return sorted(map(tuple, rows), key=repr)


def batch(engine: Engine, batch_id: int) -> ImportBatch:
    with session_scope(engine) as session:
        found = session.get(ImportBatch, batch_id)
        assert found is not None
        return found


def preview(engine: Engine, pref_id: int, name: str, data: bytes) -> ImportPlan:
    with session_scope(engine) as session:
        prefecture = session.get(Prefecture, pref_id)
        assert prefecture is not None
        return analyze_file(session, prefecture, name, data)


def undo(engine: Engine, pref_id: int, batch_id: int) -> int:
    with session_scope(engine, write=True) as session:
        return undo_batch(session, pref_id, batch_id)


def batch_id_of(outcome: ImportOutcome) -> int:
    assert outcome.batch is not None and outcome.batch.id is not None
    return outcome.batch.id


@pytest.fixture
def pref_id(prefecture: Prefecture) -> int:
    assert prefecture.id is not None
    return prefecture.id


# --- idempotence ------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUTS)
def test_same_file_twice_changes_nothing(engine: Engine, pref_id: int, workbook: MakeWorkbook, snapshot: Snapshot,
                                         layout: str) -> None:
    data = courriels_file(workbook, ORIGINAL, layout)
    first = import_file(engine, pref_id, "courriels.xlsx", data)
    assert first.changed and first.inserted == 3 and first.replaced == 0
    observations, batches = table_count(engine, "observation"), table_count(engine, "import_batch")
    before = snapshot(engine)

    second = import_file(engine, pref_id, "courriels (copie).xlsx", data)

    assert second.changed is False
    assert second.batch is None and second.inserted == 0 and second.replaced == 0
    assert second.plan.already_imported is not None
    assert second.plan.already_imported.id == batch_id_of(first)
    assert "déjà importé" in second.plan.summary() and f"lot n° {batch_id_of(first)}" in second.plan.summary()
    assert table_count(engine, "observation") == observations == 3
    assert table_count(engine, "import_batch") == batches == 1
    assert snapshot(engine) == before


def test_preview_of_an_imported_file_says_already_imported(engine: Engine, pref_id: int,
                                                           workbook: MakeWorkbook) -> None:
    data = courriels_file(workbook, ORIGINAL)
    first = import_file(engine, pref_id, "courriels.xlsx", data)
    plan = preview(engine, pref_id, "courriels.xlsx", data)
    assert plan.ok
    assert plan.already_imported is not None and plan.already_imported.id == batch_id_of(first)
    assert plan.replacements.empty


def test_dry_run_writes_nothing(engine: Engine, pref_id: int, workbook: MakeWorkbook, snapshot: Snapshot) -> None:
    before = snapshot(engine)
    outcome = import_file(engine, pref_id, "courriels.xlsx", courriels_file(workbook, ORIGINAL), dry_run=True)
    assert outcome.changed is False and outcome.plan.ok and outcome.plan.rows == 3
    assert snapshot(engine) == before


# --- replacement --------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUTS)
def test_corrected_file_replaces_february(engine: Engine, pref_id: int, workbook: MakeWorkbook, snapshot: Snapshot,
                                          layout: str) -> None:
    first = import_file(engine, pref_id, "courriels.xlsx", courriels_file(workbook, ORIGINAL, layout))
    assert month_result(engine, pref_id, 2).value == pytest.approx(90.0)
    corrected = courriels_file(workbook, CORRECTED, layout)

    # the preview lists the replacement, old and new, and writes nothing
    before = snapshot(engine)
    plan = preview(engine, pref_id, "courriels corrigé.xlsx", corrected)
    assert snapshot(engine) == before
    assert plan.ok and plan.already_imported is None
    assert plan.unchanged == 2
    assert len(plan.replacements) == 1
    replacement = plan.replacements.iloc[0]
    assert replacement["indicator"] == "COURRIEL_5J"
    assert replacement["period"] == "février 2022"
    assert replacement["old_value"] == pytest.approx(90.0) and replacement["new_value"] == pytest.approx(80.0)
    assert (replacement["old_numerator"], replacement["old_denominator"]) == (27.0, 30.0)
    assert (replacement["new_numerator"], replacement["new_denominator"]) == (24.0, 30.0)
    assert "1 valeur remplacée" in plan.summary() and "2 déjà à jour" in plan.summary()

    outcome = import_file(engine, pref_id, "courriels corrigé.xlsx", corrected)

    # the batch owns every value of its file (the two identical ones too), so it can be undone exactly
    assert outcome.changed and outcome.replaced == 1 and outcome.inserted == 3
    assert outcome.plan.unchanged == 2
    february = month_result(engine, pref_id, 2)
    assert (february.numerator, february.denominator) == (24.0, 30.0)
    assert february.value == pytest.approx(80.0) and february.observations == 1
    assert counts_of(engine, pref_id, 1) == (18.0, 20.0) and counts_of(engine, pref_id, 3) == (36.0, 40.0)
    with session_scope(engine) as session:
        quarter = compute_indicator(session, pref_id, "COURRIEL_5J", quarter_period(2022, 1))
        history = replaced_history(session, pref_id)
        for_batch = replaced_history(session, pref_id, batch_id_of(outcome))
    assert (quarter.numerator, quarter.denominator) == (78.0, 90.0)
    assert len(history) == 1 and len(for_batch) == 1
    old = history.iloc[0]
    assert old["indicateur"] == "COURRIEL_5J" and old["mois"] == "février 2022"
    assert (old["numérateur"], old["dénominateur"]) == (27.0, 30.0)
    assert old["valeur"] == "90,0"
    assert old["lot d'origine"] == batch_id_of(first)
    assert old["remplacé par le lot"] == batch_id_of(outcome)
    assert table_count(engine, "observation") == 3
    assert batch(engine, batch_id_of(outcome)).replaced == 1


def test_identical_values_in_another_file_are_not_shown_as_replaced(engine: Engine, pref_id: int,
                                                           workbook: MakeWorkbook) -> None:
    first = import_file(engine, pref_id, "courriels.xlsx", courriels_file(workbook, ORIGINAL))
    # other bytes (another title, one more month), same values for January–March
    data = courriels_file(workbook, {**ORIGINAL, 4: (30, 35)}, title="Courriels 2022 (version du 5 mai)")

    plan = preview(engine, pref_id, "courriels avril.xlsx", data)
    assert plan.already_imported is None
    assert plan.unchanged == 3 and plan.replacements.empty

    outcome = import_file(engine, pref_id, "courriels avril.xlsx", data)
    assert outcome.replaced == 0 and outcome.inserted == 4 and outcome.plan.unchanged == 3
    with session_scope(engine) as session:
        assert replaced_history(session, pref_id).empty
    assert counts_of(engine, pref_id, 4) == (30.0, 35.0)
    with engine.connect() as conn:
        owners = dict(conn.execute(text("SELECT period_start, batch_id FROM observation")).all())
    assert batch_id_of(first) != batch_id_of(outcome)
    assert sorted(owners.values()) == [batch_id_of(outcome)] * 4  # the newer file now owns all four months


def test_long_file_replaces_a_wide_import(engine: Engine, pref_id: int, workbook: MakeWorkbook) -> None:
    """The same month, whatever the layout of the file that brought it, is one value."""
    import_file(engine, pref_id, "courriels.xlsx", courriels_file(workbook, ORIGINAL, "wide"))
    outcome = import_file(engine, pref_id, "extraction.xlsx", courriels_file(workbook, CORRECTED, "long"))
    assert outcome.replaced == 1 and outcome.plan.unchanged == 2
    assert counts_of(engine, pref_id, 2) == (24.0, 30.0)
    assert table_count(engine, "observation") == 3


# --- undo -------------------------------------------------------------------------------------------

@pytest.fixture
def two_batches(engine: Engine, pref_id: int, workbook: MakeWorkbook) -> tuple[int, int, list[tuple]]:
    """The original file, then the corrected one; with the values stored between the two imports."""
    first = import_file(engine, pref_id, "courriels.xlsx", courriels_file(workbook, ORIGINAL))
    after_first = stored_values(engine)
    second = import_file(engine, pref_id, "courriels corrigé.xlsx", courriels_file(workbook, CORRECTED))
    assert second.replaced == 1
    return batch_id_of(first), batch_id_of(second), after_first


def test_undo_restores_replaced_values_exactly(engine: Engine, pref_id: int,
                                               two_batches: tuple[int, int, list[tuple]]) -> None:
    first_id, second_id, after_first = two_batches
    assert undo(engine, pref_id, second_id) == 3  # February changed; January and March came back identical
    assert stored_values(engine) == after_first
    february = month_result(engine, pref_id, 2)
    assert (february.numerator, february.denominator) == (27.0, 30.0)
    assert february.value == pytest.approx(90.0)
    assert batch(engine, second_id).status == "undone"
    assert batch(engine, first_id).status == "imported"
    with session_scope(engine) as session:
        assert replaced_history(session, pref_id).empty


def test_undo_twice_is_refused(engine: Engine, pref_id: int, two_batches: tuple[int, int, list[tuple]],
                               snapshot: Snapshot) -> None:
    _, second_id, _ = two_batches
    undo(engine, pref_id, second_id)
    before = snapshot(engine)
    with pytest.raises(UndoError, match="déjà été annulé"):
        undo(engine, pref_id, second_id)
    assert snapshot(engine) == before


def test_undo_of_a_replaced_batch_is_refused(engine: Engine, pref_id: int,
                                             two_batches: tuple[int, int, list[tuple]], snapshot: Snapshot) -> None:
    first_id, second_id, _ = two_batches
    before = snapshot(engine)
    with pytest.raises(UndoError) as info:
        undo(engine, pref_id, first_id)
    message = str(info.value)
    assert "remplacées" in message and f"lot n° {second_id}" in message and "annulez d'abord" in message
    assert snapshot(engine) == before
    assert batch(engine, first_id).status == "imported"


def test_undo_in_reverse_order_empties_the_month(engine: Engine, pref_id: int,
                                                 two_batches: tuple[int, int, list[tuple]]) -> None:
    first_id, second_id, _ = two_batches
    undo(engine, pref_id, second_id)
    assert undo(engine, pref_id, first_id) == 0
    assert table_count(engine, "observation") == 0 and table_count(engine, "observation_history") == 0
    february = month_result(engine, pref_id, 2)
    assert february.observations == 0 and february.value is None


def test_undo_unknown_or_foreign_batch_is_refused(engine: Engine, pref_id: int,
                                                  two_batches: tuple[int, int, list[tuple]]) -> None:
    _, second_id, _ = two_batches
    with pytest.raises(UndoError, match="introuvable"):
        undo(engine, pref_id, 9999)
    with session_scope(engine, write=True) as session:
        other = create_prefecture(session, "09", "Préfecture de l'Ariège")
        assert other.id is not None
        other_id = other.id
    with pytest.raises(UndoError, match="introuvable"):
        undo(engine, other_id, second_id)
    assert batch(engine, second_id).status == "imported"


def test_chain_of_corrections_is_undone_step_by_step(engine: Engine, pref_id: int, workbook: MakeWorkbook,
                                                     two_batches: tuple[int, int, list[tuple]]) -> None:
    first_id, second_id, _ = two_batches
    third = import_file(engine, pref_id, "courriels v3.xlsx", courriels_file(workbook, {**CORRECTED, 2: (21, 30)}))
    assert third.replaced == 1 and counts_of(engine, pref_id, 2) == (21.0, 30.0)
    with pytest.raises(UndoError, match=f"lot n° {batch_id_of(third)}"):
        undo(engine, pref_id, second_id)
    assert undo(engine, pref_id, batch_id_of(third)) == 3
    assert counts_of(engine, pref_id, 2) == (24.0, 30.0)
    assert undo(engine, pref_id, second_id) == 3
    assert counts_of(engine, pref_id, 2) == (27.0, 30.0)
    assert undo(engine, pref_id, first_id) == 0
    assert table_count(engine, "observation") == 0


def test_quarter_figure_replaces_its_months_and_undo_restores_them(engine: Engine, pref_id: int,
                                                                  workbook: MakeWorkbook) -> None:
    import_file(engine, pref_id, "courriels.xlsx", courriels_file(workbook, ORIGINAL))
    before = stored_values(engine)
    data = workbook({"T1": [LONG_HEADER, ["COURRIEL_5J", "2022-T1", "", 70, 90]]})
    plan = preview(engine, pref_id, "trimestre.xlsx", data)
    assert len(plan.replacements) == 3
    outcome = import_file(engine, pref_id, "trimestre.xlsx", data)
    assert outcome.replaced == 3 and outcome.inserted == 1
    with session_scope(engine) as session:
        quarter = compute_indicator(session, pref_id, "COURRIEL_5J", quarter_period(2022, 1))
    assert (quarter.numerator, quarter.denominator) == (70.0, 90.0)
    assert month_result(engine, pref_id, 2).observations == 0  # a quarterly figure belongs to no single month
    assert undo(engine, pref_id, batch_id_of(outcome)) == 3
    assert stored_values(engine) == before


def test_reimport_after_undo(engine: Engine, pref_id: int, workbook: MakeWorkbook,
                             two_batches: tuple[int, int, list[tuple]]) -> None:
    _, second_id, _ = two_batches
    undo(engine, pref_id, second_id)
    again = import_file(engine, pref_id, "courriels corrigé.xlsx", courriels_file(workbook, CORRECTED))
    assert again.changed and again.plan.already_imported is None
    assert again.replaced == 1 and batch_id_of(again) != second_id
    assert counts_of(engine, pref_id, 2) == (24.0, 30.0)
    # and the fresh batch can be undone in turn
    assert undo(engine, pref_id, batch_id_of(again)) == 3
    assert counts_of(engine, pref_id, 2) == (27.0, 30.0)


def test_reimport_of_the_only_batch_after_undo(engine: Engine, pref_id: int, workbook: MakeWorkbook) -> None:
    data = courriels_file(workbook, ORIGINAL)
    first = import_file(engine, pref_id, "courriels.xlsx", data)
    assert undo(engine, pref_id, batch_id_of(first)) == 0
    assert table_count(engine, "observation") == 0
    again = import_file(engine, pref_id, "courriels.xlsx", data)
    assert again.changed and again.inserted == 3
    assert counts_of(engine, pref_id, 2) == (27.0, 30.0)


def test_file_with_unchanged_values_owns_them_for_undo(engine: Engine, pref_id: int, workbook: MakeWorkbook) -> None:
    """A second file bringing the same values takes them over: undo follows the files, newest first."""
    first = import_file(engine, pref_id, "courriels.xlsx", courriels_file(workbook, ORIGINAL))
    same_values = courriels_file(workbook, ORIGINAL, title="Courriels 2022 (renvoi)")
    second = import_file(engine, pref_id, "courriels renvoi.xlsx", same_values)
    assert second.plan.unchanged == 3 and second.replaced == 0
    with session_scope(engine) as session:
        assert replaced_history(session, pref_id).empty  # nothing changed: nothing to show
    with pytest.raises(UndoError, match=f"lot n° {batch_id_of(second)}"):
        undo(engine, pref_id, batch_id_of(first))
    assert undo(engine, pref_id, batch_id_of(second)) == 3
    assert counts_of(engine, pref_id, 2) == (27.0, 30.0)  # the first file's values are back
    assert undo(engine, pref_id, batch_id_of(first)) == 0
    assert table_count(engine, "observation") == 0
    again = import_file(engine, pref_id, "courriels renvoi.xlsx", same_values)
    assert again.changed and counts_of(engine, pref_id, 2) == (27.0, 30.0)


# --- all or nothing -----------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUTS)
def test_one_bad_sheet_rejects_the_whole_workbook(engine: Engine, pref_id: int, workbook: MakeWorkbook,
                                                  snapshot: Snapshot, layout: str) -> None:
    import_file(engine, pref_id, "courriels.xlsx", courriels_file(workbook, ORIGINAL))
    before = snapshot(engine)
    good = courriels_sheet({**CORRECTED, 4: (30, 35)}, layout)  # would replace February and add April
    if layout == "wide":
        bad: Rows = [["Courrier 2022"], ["", "janvier", "février"], ["Courriers reçus", 10, "douze"],
                     ["Réponses dans le délai de 10 jours ouvrés", 9, 8]]
    else:
        bad = [LONG_HEADER, ["COURRIER_10J", "2022-01", "", 9, 10], ["COURRIER_10J", "2022-02", "", "douze", 10]]
    data = workbook({"Courriels": good, "Courrier": bad})

    with pytest.raises(ImportRejected) as info:
        import_file(engine, pref_id, "suivi complet.xlsx", data)

    assert any("douze" in str(e) and e.sheet == "Courrier" for e in info.value.errors), info.value.errors
    assert all(e.sheet != "Courriels" for e in info.value.errors)
    assert snapshot(engine) == before
    assert counts_of(engine, pref_id, 2) == (27.0, 30.0)
    assert month_result(engine, pref_id, 4).observations == 0
    assert month_result(engine, pref_id, 1, "COURRIER_10J").observations == 0
    plan = preview(engine, pref_id, "suivi complet.xlsx", data)
    assert not plan.ok and "refusé" in plan.summary() and "rien n'a été enregistré" in plan.summary()


def test_bad_sheet_first_still_rejects_everything(engine: Engine, pref_id: int, workbook: MakeWorkbook,
                                                  snapshot: Snapshot) -> None:
    before = snapshot(engine)
    bad: Rows = [LONG_HEADER, ["COURRIEL_5J", "2022-05", "", 40, 20]]
    data = workbook({"Mai": bad, "Courriels": courriels_sheet(ORIGINAL, "wide")})
    with pytest.raises(ImportRejected, match="dépasse le dénominateur"):
        import_file(engine, pref_id, "suivi.xlsx", data)
    assert snapshot(engine) == before
