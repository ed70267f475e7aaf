from __future__ import annotations

import datetime as dt

import pytest

from qep_core.frenchforms import (
    PeriodFormatError,
    ValueFormatError,
    is_missing,
    is_no_target,
    parse_month_cell,
    parse_month_header,
    parse_number,
)


@pytest.mark.parametrize(("cell", "value", "unit"), [
    ("48 %", 48.0, "%"), ("99,6%", 99.6, "%"), ("1 234", 1234.0, None), ("1\u00a0234,5", 1234.5, None),
    ("1\u202f234", 1234.0, None), ("5 jours", 5.0, "j"), ("0,05 /1000", 0.05, "‰"), ("0,05 ‰", 0.05, "‰"),
    (12, 12.0, None), (3.5, 3.5, None), ("4", 4.0, None), ("  7  ", 7.0, None),
])
def test_french_numbers(cell, value, unit):
    parsed = parse_number(cell)
    assert parsed is not None and parsed.value == pytest.approx(value) and parsed.unit == unit


@pytest.mark.parametrize("cell", ["n.c", "n.c.", "NC", "", None, "  ", "-", float("nan")])
def test_missing_is_not_zero(cell):
    assert is_missing(cell)
    assert parse_number(cell) is None


@pytest.mark.parametrize("cell", ["douze", "12 appels", "oui", True, dt.date(2022, 1, 1)])
def test_text_is_not_a_number(cell):
    with pytest.raises(ValueFormatError):
        parse_number(cell)


def test_no_target_marker():
    assert is_no_target("Pas d'obj.") and is_no_target("pas d’objectif".replace("’", "'"))
    assert not is_no_target("90 %")


@pytest.mark.parametrize(("cell", "month", "year"), [
    ("janvier", 1, None), ("févr.", 2, None), ("Fév", 2, None), ("sept.", 9, None), ("Août", 8, None),
    ("mai 2022", 5, 2022), ("mai-22", 5, 2022), ("2022-05", 5, 2022), ("05/2022", 5, 2022),
    (dt.date(2022, 5, 1), 5, 2022), (44682, 5, 2022), (dt.datetime(2023, 12, 1), 12, 2023),
])
def test_month_headers(cell, month, year):
    ref = parse_month_header(cell)
    assert ref is not None and (ref.month, ref.year) == (month, year)


@pytest.mark.parametrize("cell", ["Total", "Taux", "PC", 12, "", None, "Nombre de demandes"])
def test_not_month_headers(cell):
    assert parse_month_header(cell) is None


@pytest.mark.parametrize("cell", ["2022-05", "05/2022", "mai 2022", "mai-22", 44682, "01/05/2022",
                                  dt.date(2022, 5, 17)])
def test_month_cells(cell):
    assert parse_month_cell(cell) == dt.date(2022, 5, 1)


@pytest.mark.parametrize("cell", ["2022-13", "31/02/2022", "mai", "Trimestre prochain", "13/2022", "00/2022"])
def test_impossible_month_cells(cell):
    with pytest.raises(PeriodFormatError):
        parse_month_cell(cell)
