"""How a value, a change and a target read in French: ``91,5 %``, ``+2,3 pt``, ``≥ 90,0 %``.

Why one home: the change against last year ("+2,3 pt") was built in five places (tiles, tables,
decks, the review, the terminal report) and the value in several more. A rate's change is in
points, not in per cent; a count's change has no unit. The sign is the ASCII hyphen: Streamlit
reads a delta as a fall only when it starts with "-". A change that shows as zero at the display's
decimals reads « stable » (never "+0,0 pt" with a rising arrow), and its delta is not coloured.
"""

from __future__ import annotations

from qep_core.frenchforms import format_number_fr
from qep_core.rules.kinds import Direction, direction_sign

DISPLAY_DECIMALS = {"%": 1, "j": 1, "‰": 3, "": 0}
NO_VALUE = "–"
STABLE = "stable"


def round_value(value: float | None, unit: str) -> float | None:
    """The value as the machine outputs (JSON, CSV) give it: the display's decimals, 2 for a count."""
    if value is None:
        return None
    decimals = DISPLAY_DECIMALS.get(unit, 1)
    return round(value, decimals if unit else 2)


def format_value(value: float | None, unit: str) -> str:
    """French display: ``91,5 %``, ``4,2 j``, ``0,050 ‰``, ``1 234``; ``–`` without data."""
    if value is None:
        return NO_VALUE
    decimals = DISPLAY_DECIMALS.get(unit, 1)
    if not unit and not float(value).is_integer():
        decimals = 1
    text = format_number_fr(value, decimals)
    return f"{text} {unit}".strip()


def change_unit(unit: str) -> str:
    """The unit of a change: points for a rate, the value's own unit otherwise."""
    return "pt" if unit == "%" else unit


def is_stable(change: float | None, unit: str) -> bool:
    """True when *change* shows as zero at the display's decimals (``0,0 pt``, ``-0,04 pt``)."""
    return change is not None and not any(c in "123456789" for c in format_amount(abs(change), unit))


def format_change(change: float | None, unit: str) -> str:
    """``+2,3 pt`` (a rate), ``-0,5 j``, ``+12`` (a count); « stable » when it shows as zero;
    ``–`` without both values."""
    if change is None:
        return NO_VALUE
    if is_stable(change, unit):
        return STABLE
    return ("+" if change >= 0 else "-") + format_amount(abs(change), unit)


def delta_colour(change: float | None, unit: str, direction: str) -> str:
    """How a change is coloured beside its value (Streamlit's ``delta_color``): green when it goes
    the right way (``normal`` for a rate to reach, ``inverse`` for a delay), ``off`` when stable."""
    if change is None or is_stable(change, unit):
        return "off"
    return "normal" if Direction(direction) is Direction.HIGHER_IS_BETTER else "inverse"


def format_amount(amount: float, unit: str) -> str:
    """A change's size without its sign: ``2,3 pt``, ``0,5 j``."""
    if unit == "%":
        return f"{format_number_fr(amount, DISPLAY_DECIMALS['%'])} pt"
    return format_value(amount, unit)


def format_target(value: float | None, direction: str, unit: str) -> str:
    """``≥ 90,0 %``; « pas d'objectif » without a target."""
    if value is None:
        return "pas d'objectif"
    return f"{direction_sign(direction)} {format_value(value, unit)}"
