"""Indicator kinds and directions, with what they imply.

Why an enum with behaviour: the unit, the scale and "is it a ratio" of an indicator follow from
its kind, and "did it improve" follows from its direction. Comparing strings (``kind == "rate"``,
``direction == ">="``) in each renderer let the copies drift; asking the enum does not.
Both are :class:`~enum.StrEnum`, so they equal the words stored in the database and the
référentiel (``IndicatorKind.RATE == "rate"``).
"""

from __future__ import annotations

from enum import StrEnum


class IndicatorKind(StrEnum):
    RATE = "rate"
    SURVEY_RATE = "survey_rate"
    PER_MILLE = "per_mille"
    MEAN_DELAY = "mean_delay"
    COUNT = "count"

    @property
    def unit(self) -> str:
        """``%``, ``‰``, ``j`` (working days) or "" for a count."""
        return _UNITS[self]

    @property
    def scale(self) -> float:
        """Numerator / denominator × scale is the value users read (91,5 for 91,5 %)."""
        return _SCALES[self]

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def roles(self) -> tuple[str, ...]:
        """The counts a sheet may carry for this kind."""
        return _ROLES[self]

    @property
    def is_ratio(self) -> bool:
        """Computed from a numerator and a denominator (a rate, a per mille, a mean delay)."""
        return self is not IndicatorKind.COUNT

    @property
    def is_percent(self) -> bool:
        return self in (IndicatorKind.RATE, IndicatorKind.SURVEY_RATE)


_UNITS = {IndicatorKind.RATE: "%", IndicatorKind.SURVEY_RATE: "%", IndicatorKind.PER_MILLE: "‰",
          IndicatorKind.MEAN_DELAY: "j", IndicatorKind.COUNT: ""}
_SCALES = {IndicatorKind.RATE: 100.0, IndicatorKind.SURVEY_RATE: 100.0, IndicatorKind.PER_MILLE: 1000.0,
           IndicatorKind.MEAN_DELAY: 1.0, IndicatorKind.COUNT: 1.0}
_LABELS = {IndicatorKind.RATE: "taux", IndicatorKind.SURVEY_RATE: "taux de satisfaction",
           IndicatorKind.PER_MILLE: "pour mille", IndicatorKind.MEAN_DELAY: "délai moyen",
           IndicatorKind.COUNT: "nombre"}
_ROLES = {IndicatorKind.RATE: ("numerator", "denominator", "complement"),
          IndicatorKind.SURVEY_RATE: ("numerator", "denominator", "complement"),
          IndicatorKind.PER_MILLE: ("numerator", "denominator"),
          IndicatorKind.MEAN_DELAY: ("value", "count"),
          IndicatorKind.COUNT: ("value",)}


class Direction(StrEnum):
    """Which way is better: ``>=`` (a rate to reach) or ``<=`` (a delay not to exceed)."""

    HIGHER_IS_BETTER = ">="
    LOWER_IS_BETTER = "<="

    @property
    def sign(self) -> str:
        """``≥`` or ``≤``, as targets are written."""
        return "≥" if self is Direction.HIGHER_IS_BETTER else "≤"

    def improved(self, change: float) -> bool:
        """Did a change of *change* go the right way (no change counts as not worse)?"""
        return change >= 0 if self is Direction.HIGHER_IS_BETTER else change <= 0

    def worsening(self, change: float) -> float:
        """How much worse a change of *change* made things (negative when it improved)."""
        return -change if self is Direction.HIGHER_IS_BETTER else change


def kind_of(kind: str) -> IndicatorKind:
    return IndicatorKind(kind)


def direction_of(direction: str) -> Direction:
    return Direction(direction)


def direction_sign(direction: str) -> str:
    """``≥`` for ``>=``, ``≤`` otherwise."""
    return "≥" if direction == Direction.HIGHER_IS_BETTER else "≤"
