"""Month labels of a line chart go where neither their own line nor the target runs."""

from __future__ import annotations

from qep_core.label_placement import PlotFrame, _box, _crosses, place_labels, polyline

FRAME = PlotFrame(width=820, height=300, categories=6, y_range=(80.0, 100.0))


def _clear(values: list[float | None], target: list[float | None], texts: list[str]) -> list[str]:
    positions = place_labels(FRAME, values, texts, polyline(FRAME, values) + polyline(FRAME, target, steps=True))
    lines = polyline(FRAME, values) + polyline(FRAME, target, steps=True)
    for i, (value, text, position) in enumerate(zip(values, texts, positions, strict=True)):
        if value is None:
            continue
        x, y = FRAME.xy(i, value)
        box = _box(position, x, y, 7.6 * len(text))
        assert not any(_crosses(box, a, b) for a, b in lines), (text, position)
    return positions


def test_peaks_above_troughs_below() -> None:
    positions = _clear([85.0, 95.0, 85.0, 95.0, 85.0, 95.0], [None] * 6, ["85,0 %", "95,0 %"] * 3)
    assert positions[1] == positions[3] == "top center"
    assert positions[2] == positions[4] == "bottom center"


def test_a_point_just_under_the_target_keeps_its_label_off_the_target() -> None:
    values: list[float | None] = [92.0, 89.0, 87.0, 89.0, 93.0, None]
    positions = _clear(values, [90.0] * 6, ["92,0 %", "89,0 %", "87,0 %", "89,0 %", "93,0 %", ""])
    assert positions[1] != "top center"  # the target runs 1 pt (15 px) above the marker: through a label there


def test_a_point_on_a_slope_takes_a_side() -> None:
    positions = _clear([82.0, 90.0, 98.0, None, None, None], [None] * 6, ["82,0 %", "90,0 %", "98,0 %", "", "", ""])
    assert positions[1] in ("top left", "bottom right", "middle left", "middle right")


def test_steps_follow_plotly_hv_shape() -> None:
    (first, second), *_ = polyline(FRAME, [90.0, 95.0], steps=True), None
    assert first[1] == (FRAME.xy(1, 90.0)[0], FRAME.xy(0, 90.0)[1])
    assert second == ((FRAME.xy(1, 90.0)[0], FRAME.xy(0, 90.0)[1]), FRAME.xy(1, 95.0))
