from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from qep_core.db import session_scope
from qep_core.frenchforms import (
    MISSING_SPELLINGS,
    PeriodFormatError,
    ValueFormatError,
    count_text,
    is_missing,
    is_no_target,
    parse_month_cell,
    parse_month_header,
    parse_number,
    plural,
)
from qep_core.importing.service import analyze_file
from qep_core.models import Prefecture
from tests.conftest import make_workbook


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


README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_documents_exactly_the_missing_value_spellings():
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- valeurs-manquantes -->")[1].split("<!-- /valeurs-manquantes -->")[0]
    assert re.findall(r"`([^`]+)`", block) == list(MISSING_SPELLINGS)


@pytest.mark.parametrize("cell", [*MISSING_SPELLINGS, "Non communiqué", "NON DISPONIBLE", " N.D. ", "Non Communiquée"])
def test_every_documented_spelling_is_missing_in_any_case(cell):
    assert is_missing(cell) and parse_number(cell) is None


@pytest.mark.parametrize("cell", ["non", "communiqué", "n", "0", "//", "nc 12"])
def test_words_near_a_marker_are_not_missing(cell):
    assert not is_missing(cell)


def test_a_count_written_non_communique_leaves_the_month_empty_instead_of_refusing_the_file(engine, prefecture):
    sheet = make_workbook({"Courriels 2024": [
        ["Suivi des courriels 2024"], ["", "janvier", "février", "mars"],
        ["Réponses dans le délai de 5 jours ouvrés", 90, "non communiqué", "/"],
        ["Courriels ayant reçu une réponse", 100, "Non disponible", 50]]})
    with session_scope(engine) as session:
        plan = analyze_file(session, session.get(Prefecture, prefecture.id), "courriels.xlsx", sheet)
    assert plan.ok, plan.errors
    assert plan.months == [dt.date(2024, 1, 1)]
    assert any("numérateur non communiqué" in w.message and w.column == "D (mars)" for w in plan.warnings)


@pytest.mark.parametrize(("n", "singular", "plural_form", "expected"), [
    (0, "valeur", "", "0 valeur"), (1, "valeur", "", "1 valeur"), (2, "valeur", "", "2 valeurs"),
    (3, "erreur", "", "3 erreurs"), (2, "avis", "", "2 avis"), (5, "prix", "", "5 prix"),
    (2, "total", "totaux", "2 totaux"), (1, "nouveau", "nouveaux", "1 nouveau"),
    (3, "valeur retirée", "valeurs retirées", "3 valeurs retirées"),
    (1, "valeur retirée", "valeurs retirées", "1 valeur retirée"), (-3, "point", "", "-3 points"),
])
def test_counts_agree_in_french(n, singular, plural_form, expected):
    """French keeps 0 and 1 singular; no « (s) »."""
    assert count_text(n, singular, plural_form) == expected
    assert plural(n, singular, plural_form) == expected.split(" ", 1)[1]
