"""The contrast helper against ratios computed by hand from the WCAG 2 formula, and the rate axis rule."""

from __future__ import annotations

import pytest

from qep_core.readability import (
    DARK_TEXT,
    LIGHT_TEXT,
    contrast_ratio,
    rate_axis_max,
    relative_luminance,
    text_colour_on,
)


@pytest.mark.parametrize(("colour", "luminance"), [
    ("#FFFFFF", 1.0), ("#000000", 0.0), ("fff", 1.0),
    # 0x91 = 145: ((145/255 + 0.055) / 1.055) ** 2.4 = 0.2832, times the blue weight 0.0722
    ("#000091", 0.02045),
    # 0x5C, 0x68, 0xE5 -> 0.1070, 0.1384, 0.7834 linear: 0.0227 + 0.0990 + 0.0566
    ("#5C68E5", 0.1783),
])
def test_relative_luminance(colour: str, luminance: float) -> None:
    assert relative_luminance(colour) == pytest.approx(luminance, abs=5e-4)


@pytest.mark.parametrize(("a", "b", "ratio"), [
    ("#FFFFFF", "#000000", 21.0),
    ("#FFFFFF", "#000091", 1.05 / 0.07045),  # 14.9:1 (bleu France)
    ("#FFFFFF", "#5C68E5", 1.05 / 0.2283),  # 4.6:1: white is (just) enough on the chart blue
    ("#161616", "#5C68E5", 0.2283 / 0.0580),  # 3.9:1: near-black is not (0x16 -> 0.0080 linear)
    ("#FFFFFF", "#CECECE", 1.05 / 0.6672),  # 1.57:1: white on light grey is unreadable
])
def test_contrast_ratio(a: str, b: str, ratio: float) -> None:
    assert contrast_ratio(a, b) == pytest.approx(ratio, rel=0.01)
    assert contrast_ratio(b, a) == pytest.approx(ratio, rel=0.01)


@pytest.mark.parametrize(("fill", "text"), [
    ("#000091", LIGHT_TEXT), ("#29598F", LIGHT_TEXT), ("#E91719", LIGHT_TEXT), ("#298641", LIGHT_TEXT),
    ("#82B5F2", DARK_TEXT), ("#CECECE", DARK_TEXT), ("#EFB900", DARK_TEXT), ("#FFFFFF", DARK_TEXT),
])
def test_text_colour_on_reaches_aa(fill: str, text: str) -> None:
    assert text_colour_on(fill) == text
    assert contrast_ratio(text, fill) >= 4.5


def test_text_colour_on_falls_back_to_black_then_says_none() -> None:
    # mid grey: white 4.48:1, the house ink #161616 4.04:1, pure black 4.69:1
    assert contrast_ratio(LIGHT_TEXT, "#777777") < 4.5 and contrast_ratio(DARK_TEXT, "#777777") < 4.5
    assert text_colour_on("#777777") == "#000000"
    assert text_colour_on("#777777", fallback=None) is None
    assert text_colour_on("#5C68E5", minimum=7.0) is None


@pytest.mark.parametrize(("values", "top"), [
    ([12.0, 99.9], 100.0), ([], 100.0), ([None, 50.0], 100.0), ([100.0], 100.0),
    ([104.0], 110.0), ([118.2, 3.0], 125.0), ([float("nan"), 20.0], 100.0),
])
def test_rate_axis_max(values: list[float | None], top: float) -> None:
    assert rate_axis_max(values) == top
