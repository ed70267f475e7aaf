"""What keeps a chart readable at a glance, shared by the app's figures and the decks.

Why one home: the colour of a count printed on a bar was chosen by hand in each chart (white on
dark, near-black on light), and got it wrong on hatched or mid-tone segments; the rate axes ran
to 110-120 % in one chart and 105 % in another. Both rules are computed here:

* :func:`text_colour_on` picks the text colour of a label inside a bar from the bar's colour by
  the WCAG 2 contrast ratio (4.5:1 for normal text), or says that no colour reaches it (then the
  label goes outside the bar);
* :func:`rate_axis_max` ends a rate axis at 100 %, or just above the data when it exceeds 100 %.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

DARK_TEXT = "#161616"
LIGHT_TEXT = "#FFFFFF"
BLACK_TEXT = "#000000"  # the last resort: black or white always reach 4.58:1 on any fill
WCAG_AA = 4.5  # minimum contrast ratio of normal-size text (WCAG 2.1, 1.4.3)


def rgb(colour: str) -> tuple[int, int, int]:
    """``#5C68E5`` (or ``5C68E5``, ``#fff``) as (92, 104, 229)."""
    hexa = colour.strip().lstrip("#")
    if len(hexa) == 3:
        hexa = "".join(c * 2 for c in hexa)
    if len(hexa) != 6:
        raise ValueError(f"not a hex colour: {colour!r}")
    return int(hexa[0:2], 16), int(hexa[2:4], 16), int(hexa[4:6], 16)


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance, 0 (black) to 1 (white), of a hex colour."""

    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours, 1 to 21 (order does not matter)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour_on(fill: str, candidates: Iterable[str] = (DARK_TEXT, LIGHT_TEXT),
                   minimum: float = WCAG_AA, fallback: str | None = BLACK_TEXT) -> str | None:
    """The candidate text colour with the highest contrast on *fill*; *fallback* (pure black) when
    none reaches *minimum*, if it does; else None (the label then belongs outside the bar)."""
    best = max(candidates, key=lambda c: contrast_ratio(c, fill))
    if contrast_ratio(best, fill) >= minimum:
        return best
    if fallback is not None and contrast_ratio(fallback, fill) >= minimum:
        return fallback
    return None


def rate_axis_max(values: Iterable[float | None], headroom: float = 0.05) -> float:
    """100 for rates up to 100 %; above that, the largest value plus *headroom*, rounded up to 5."""
    top = max((float(v) for v in values if v is not None and not math.isnan(float(v))), default=0.0)
    if top <= 100:
        return 100.0
    return float(math.ceil(top * (1 + headroom) / 5) * 5)
