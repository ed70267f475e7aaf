"""The period a table states, and the dating of month columns (qep_core/importing/table_period.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from qep_core.importing.table_period import (
    MonthColumn,
    PeriodConflict,
    UndatedColumns,
    date_month_columns,
    stated_period,
    table_period,
)

D = dt.date


@pytest.mark.parametrize(("text", "source", "expected"), [
    ("Bilan annuel 2022", "titre", (D(2022, 1, 1), D(2022, 12, 1), "year")),
    ("Courriels — juin 2022", "titre", (D(2022, 6, 1), D(2022, 6, 1), "month")),
    ("du 1er novembre 2021 au 30 septembre 2022", "titre", (D(2021, 11, 1), D(2022, 9, 1), "range")),
    ("Bilan annuel 2022 — du 1er novembre 2021 au 30 septembre 2022", "titre", (D(2021, 11, 1), D(2022, 9, 1), "range")),
    ("du 01/11/2021 au 30/09/2022", "titre", (D(2021, 11, 1), D(2022, 9, 1), "range")),
    ("du 1er janvier 2023 au 31 décembre 2023", "titre", (D(2023, 1, 1), D(2023, 12, 1), "year")),
    ("T2 2022", "nom de la feuille", (D(2022, 4, 1), D(2022, 6, 1), "quarter")),
    ("2e trimestre 2022", "titre", (D(2022, 4, 1), D(2022, 6, 1), "quarter")),
    ("Campagne 2021-2022", "titre", (D(2021, 1, 1), D(2022, 12, 1), "years")),
    ("suivi_courriels_2022.xlsx", "nom du fichier", (D(2022, 1, 1), D(2022, 12, 1), "year")),
    ("bilan 2022 (export du 2023-01-15).xlsx", "nom du fichier", (D(2022, 1, 1), D(2022, 12, 1), "year")),
])
def test_what_a_text_states(text: str, source: str, expected: tuple[dt.date, dt.date, str]) -> None:
    found = stated_period(text, source)
    assert found is not None and (found.start, found.end, found.kind) == expected


@pytest.mark.parametrize("text", ["Courriels", "mai 2022 et juin 2022", "2019, 2021 et 2022", "",
                                  "du 1er novembre 2022 au 30 septembre 2021"])
def test_texts_that_state_no_single_period(text: str) -> None:
    assert stated_period(text, "titre") is None


def test_the_narrowest_overlapping_statement_wins_and_disjoint_ones_conflict() -> None:
    june = stated_period("juin 2022", "nom de la feuille")
    year = stated_period("Bilan 2022", "titre")
    assert june is not None and year is not None
    assert table_period([year, june]) is june
    other = stated_period("2021", "nom du fichier")
    assert other is not None
    with pytest.raises(PeriodConflict, match="« juin 2022 » \\(nom de la feuille\\) et « 2021 » \\(nom du fichier\\)"):
        table_period([june, other])
    assert table_period([]) is None


def columns(*months: int, years: dict[int, int] | None = None) -> list[MonthColumn]:
    return [MonthColumn(i + 1, chr(66 + i), m, (years or {}).get(i)) for i, m in enumerate(months)]


NOV_TO_SEP = (11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9)


def test_a_range_dates_the_columns_on_each_side_of_january() -> None:
    dated = date_month_columns(columns(*NOV_TO_SEP), stated_period("du 1er novembre 2021 au 30 septembre 2022", "titre"))
    assert [dated[i] for i in (1, 2, 3, 11)] == [D(2021, 11, 1), D(2021, 12, 1), D(2022, 1, 1), D(2022, 9, 1)]


def test_a_column_past_the_range_is_refused() -> None:
    with pytest.raises(UndatedColumns, match="la colonne L \\(septembre\\) ne tient pas"):
        date_month_columns(columns(*NOV_TO_SEP), stated_period("du 1er novembre 2021 au 31 août 2022", "titre"))


def test_one_year_and_columns_that_turn_the_year_are_refused_naming_them() -> None:
    with pytest.raises(UndatedColumns, match="B \\(novembre\\), C \\(décembre\\) sont-elles de 2021 ou de 2022"):
        date_month_columns(columns(*NOV_TO_SEP), stated_period("Bilan annuel 2022", "titre"))


def test_two_years_need_exactly_one_turn() -> None:
    two = stated_period("2021-2022", "titre")
    assert date_month_columns(columns(11, 12, 1), two)[3] == D(2022, 1, 1)
    with pytest.raises(UndatedColumns, match="ne passent pas de décembre à janvier"):
        date_month_columns(columns(1, 2, 3), two)


def test_a_header_with_its_year_dates_its_neighbours() -> None:
    dated = date_month_columns(columns(10, 11, 12, 1, 2, years={2: 2021}), None)
    assert [dated[i] for i in range(1, 6)] == [D(2021, 10, 1), D(2021, 11, 1), D(2021, 12, 1), D(2022, 1, 1),
                                               D(2022, 2, 1)]


def test_no_year_anywhere_is_refused() -> None:
    with pytest.raises(UndatedColumns, match="n'est écrite nulle part"):
        date_month_columns(columns(1, 2, 3), None)
