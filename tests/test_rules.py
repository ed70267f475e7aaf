"""The shared rules, each in its one home (qep_core.rules, qep_core.periods, qep_core.privacy)."""

import datetime as dt
from types import SimpleNamespace

import pytest

from qep_core.periods import Period, month_period, quarter_of, quarter_period, year_period
from qep_core.privacy import mask_personal_data
from qep_core.rules.channels import channel_mapping, indicator_channel
from qep_core.rules.formatting import delta_colour, format_change, format_target, format_value
from qep_core.rules.headings import module_heading, module_number
from qep_core.rules.items import LATE_STATUSES, LOG_KINDS, ItemStatus, LogKind
from qep_core.rules.kinds import Direction, IndicatorKind
from qep_core.rules.status import (
    A_SURVEILLER,
    ATTEINT,
    NON_ATTEINT,
    PAS_DE_DONNEE,
    RATED_STATUSES,
    SANS_OBJECTIF,
    STATUS_TABLE,
    STATUSES,
    chart_legend,
    status_text,
)


def test_status_table_has_one_row_per_status_with_one_symbol_each():
    assert STATUSES == (ATTEINT, A_SURVEILLER, NON_ATTEINT, SANS_OBJECTIF, PAS_DE_DONNEE)
    assert {s: STATUS_TABLE[s].symbol for s in STATUSES} == {
        ATTEINT: "✔", A_SURVEILLER: "▲", NON_ATTEINT: "✖", SANS_OBJECTIF: "–", PAS_DE_DONNEE: "?"}
    assert len({STATUS_TABLE[s].symbol for s in RATED_STATUSES}) == 3
    for style in STATUS_TABLE.values():
        assert len(style.colour) == len(style.fill) == len(style.text_colour) == 6
    assert RATED_STATUSES == (ATTEINT, A_SURVEILLER, NON_ATTEINT)
    assert sorted(STATUSES, key=lambda s: STATUS_TABLE[s].rank)[0] == NON_ATTEINT


def test_a_surveiller_reads_the_same_in_tables_charts_and_tiles():
    row = STATUS_TABLE[A_SURVEILLER]
    assert status_text(A_SURVEILLER) == "▲ à surveiller"
    assert row.marker == "triangle-up" and row.marker_glyph == "▲"
    assert "warning" not in row.icon  # the tile no longer shows ⚠
    assert chart_legend() == "● atteint · ▲ à surveiller · ✖ non atteint"


@pytest.mark.parametrize(("change", "unit", "text"), [
    (2.34, "%", "+2,3 pt"), (-1.25, "%", "-1,2 pt"), (2.0, "%", "+2,0 pt"), (0.0, "%", "stable"), (-0.04, "%", "stable"), (0.3, "", "+0,3"),
    (-0.5, "j", "-0,5 j"), (12.0, "", "+12"), (-3.5, "", "-3,5"), (0.01, "‰", "+0,010 ‰"), (None, "%", "–"),
])
def test_format_change(change, unit, text):
    assert format_change(change, unit) == text


@pytest.mark.parametrize(("change", "unit", "direction", "colour"), [
    (2.0, "%", ">=", "normal"), (-1.0, "j", "<=", "inverse"), (0.0, "%", ">=", "off"), (0.04, "%", "<=", "off"),
    (None, "%", ">=", "off"), (0.001, "‰", ">=", "normal"),
])
def test_delta_colour_is_off_when_stable(change, unit, direction, colour):
    assert delta_colour(change, unit, direction) == colour


@pytest.mark.parametrize(("value", "unit", "text"), [
    (91.54, "%", "91,5 %"), (4.2, "j", "4,2 j"), (0.05, "‰", "0,050 ‰"), (1234, "", "1\u202f234"), (None, "%", "–"),
])
def test_format_value(value, unit, text):
    assert format_value(value, unit) == text


def test_format_target():
    assert format_target(90, ">=", "%") == "≥ 90,0 %"
    assert format_target(5, "<=", "j") == "≤ 5,0 j"
    assert format_target(None, ">=", "%") == "pas d'objectif"


@pytest.mark.parametrize("month", range(1, 13))
def test_quarter_of_every_month(month):
    expected = {1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 2, 7: 3, 8: 3, 9: 3, 10: 4, 11: 4, 12: 4}[month]
    assert quarter_of(month) == expected
    assert month_period(2024, month).quarter == expected
    assert quarter_period(2024, expected).quarter == expected


def test_period_quarter_in_codes_and_labels():
    assert quarter_period(2022, 3).code == "2022-T3"
    assert quarter_period(2022, 1).label == "1er trimestre 2022"
    assert year_period(2022).quarter == 1
    assert Period(dt.date(2022, 10, 1), dt.date(2022, 12, 1), "quarter").quarter == 4
    with pytest.raises(ValueError):
        quarter_of(13)


def test_module_heading():
    assert module_heading("M2", "Délivrance des titres") == "Module 2 — Délivrance des titres"
    assert module_heading("PIL", "Pilotage de la politique qualité") == "Pilotage de la politique qualité"
    assert module_number("M4") == "4" and module_number("LAB") is None


def test_channel_of_an_indicator_has_one_fallback():
    engagements = [SimpleNamespace(key="E10", channel_code="telephone"), SimpleNamespace(key="E99", channel_code=None)]
    tel = SimpleNamespace(code="TEL", engagement_key="E10", module_code="M1")
    fraud = SimpleNamespace(code="FRAUDE", engagement_key=None, module_code="M2")
    own = SimpleNamespace(code="OWN", engagement_key="E99", module_code="M4")
    loose = SimpleNamespace(code="LOOSE", engagement_key=None, module_code="M1")
    assert channel_mapping([tel, fraud, own, loose], engagements) == {
        "TEL": "telephone", "FRAUDE": "titres", "OWN": "general", "LOOSE": "general"}
    assert indicator_channel(fraud, {}) == "titres"


@pytest.mark.parametrize(("raw", "masked"), [
    ("Écrire à jean.dupont@interieur.gouv.fr", "Écrire à [courriel masqué]"),
    ("appeler le 06 12 34 56 78", "appeler le [téléphone masqué]"),
    ("merci à Mme Durand", "merci à Mme [nom masqué]"),
    ("Délai de 5 jours, 2024, 12 345 appels", "Délai de 5 jours, 2024, 12 345 appels"),
])
def test_one_masking_rule(raw, masked):
    assert mask_personal_data(raw) == masked


def test_indicator_kinds_and_directions():
    assert IndicatorKind.RATE == "rate" and IndicatorKind("mean_delay") is IndicatorKind.MEAN_DELAY
    assert (IndicatorKind.RATE.unit, IndicatorKind.RATE.scale) == ("%", 100.0)
    assert (IndicatorKind.PER_MILLE.unit, IndicatorKind.PER_MILLE.scale) == ("‰", 1000.0)
    assert (IndicatorKind.MEAN_DELAY.unit, IndicatorKind.COUNT.unit) == ("j", "")
    assert not IndicatorKind.COUNT.is_ratio and IndicatorKind.SURVEY_RATE.is_percent
    higher, lower = Direction(">="), Direction("<=")
    assert higher is Direction.HIGHER_IS_BETTER and lower is Direction.LOWER_IS_BETTER
    assert higher.improved(2.0) and not higher.improved(-0.1)
    assert lower.improved(-0.5) and not lower.improved(0.5)
    assert higher.worsening(-2.0) == 2.0 and lower.worsening(1.5) == 1.5
    assert (higher.sign, lower.sign) == ("≥", "≤")


def test_log_item_statuses_and_kinds():
    assert [s.value for s in ItemStatus] == ["dans les délais", "hors délai", "en attente", "sans réponse, délai dépassé"]
    assert LATE_STATUSES == ("hors délai", "sans réponse, délai dépassé")
    assert ItemStatus.LATE.answered and not ItemStatus.OVERDUE.answered
    assert LOG_KINDS == ("courriels", "courriers", "reclamations", "site", "rdv_elus", "courriers_elus", "appels")
    assert LogKind("appels").label == "relevé des appels"
