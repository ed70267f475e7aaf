"""Counts read as French sentences (issue 14, « French throughout »): the dashboard headline and
the engagements' status counts agree with their numbers, leave zeros out and show no stray dash; a
change that rounds to zero reads « stable », grey and without an arrow."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from qep_core.rules import A_SURVEILLER, ATTEINT, NON_ATTEINT, PAS_DE_DONNEE, SANS_OBJECTIF, STABLE, status_counts_text
from qep_ui.widgets import change_text, delta_style, summary_line


def results(*statuses: str) -> Any:
    return [SimpleNamespace(status=s) for s in statuses]


@pytest.mark.parametrize(("statuses", "expected"), [
    ((ATTEINT, ATTEINT, NON_ATTEINT, SANS_OBJECTIF),
     "**2 indicateurs sur 3** atteignent leur cible · 1 non atteint · 1 sans objectif ou sans donnée"),
    ((ATTEINT, A_SURVEILLER, NON_ATTEINT, NON_ATTEINT),
     "**1 indicateur sur 4** atteint sa cible · 1 à surveiller · 2 non atteints"),
    ((NON_ATTEINT,), "**0 indicateur sur 1** atteint sa cible · 1 non atteint"),
    ((SANS_OBJECTIF, PAS_DE_DONNEE),
     "**Aucun indicateur** n'a à la fois un objectif et des données · 2 sans objectif ou sans donnée"),
])
def test_dashboard_headline(statuses: tuple[str, ...], expected: str) -> None:
    assert summary_line(results(*statuses)) == expected


@pytest.mark.parametrize(("counts", "expected"), [
    ({SANS_OBJECTIF: 1}, "1 sans objectif"),  # was « — – 1 sans objectif » after the engagement's title
    ({ATTEINT: 2, NON_ATTEINT: 1, SANS_OBJECTIF: 0}, "✖ 1 non atteint · ✔ 2 atteints"),
    ({ATTEINT: 1, A_SURVEILLER: 3, PAS_DE_DONNEE: 2}, "▲ 3 à surveiller · ✔ 1 atteint · 2 pas de donnée"),
    ({NON_ATTEINT: 2}, "✖ 2 non atteints"), ({}, ""),
])
def test_engagement_status_counts(counts: dict[str, int], expected: str) -> None:
    assert status_counts_text(counts) == expected


def result(change: float | None, unit: str = "%", direction: str = ">=") -> Any:
    return SimpleNamespace(change=change, indicator=SimpleNamespace(unit=unit, direction=direction))


def test_a_change_that_rounds_to_zero_is_stable() -> None:
    assert change_text(result(0.0)) == STABLE == change_text(result(0.04)) == change_text(result(-0.01, "j"))
    assert change_text(result(2.3)) == "+2,3 pt" and change_text(result(None)) is None
    assert delta_style(result(0.04)) == {"delta_color": "off", "delta_arrow": "off"}
    assert delta_style(result(2.3)) == {"delta_color": "normal", "delta_arrow": "auto"}
    assert delta_style(result(-1.0, "j", "<=")) == {"delta_color": "inverse", "delta_arrow": "auto"}
