"""Where each value label of a line chart goes, so that no line runs through it.

Why: a label above every point (Plotly's ``top center``) was crossed by its own line wherever the
line climbed through the point, and by the target line wherever the value sat just under the
target. Plotly does not move labels out of the way, so the place is chosen here, before drawing:
each label tries the places around its marker and takes the one that crosses the fewest lines
(its own line and the target weigh most, other lines less) and no label placed before it. The
geometry is estimated in pixels from the plot's expected size; the browser test measures the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels, y downwards

CHAR_W, TEXT_H = 7.6, 17.0  # a 13 px label: width of a character (digits, comma, space, %), line height
MARKER_R, PAD = 6.0, 3.0
POSITIONS = ("top center", "bottom center", "top right", "bottom right", "top left", "bottom left",
             "middle right", "middle left")
HEAVY, LIGHT, OUTSIDE = 10.0, 1.0, 3.0  # weights: own line / target, other lines, a label out of the plot


@dataclass(frozen=True)
class PlotFrame:
    """The plot area as expected on screen: *categories* evenly spaced along *width* pixels,
    *y_range* along *height* pixels."""

    width: float
    height: float
    categories: int
    y_range: tuple[float, float]

    def xy(self, i: float, value: float) -> Point:
        low, high = self.y_range
        x = (i + 0.5) * self.width / max(self.categories, 1)
        return x, self.height * (1 - (value - low) / ((high - low) or 1))


def _box(position: str, cx: float, cy: float, width: float) -> Box:
    vertical, horizontal = position.split()
    if horizontal == "center":
        x0 = cx - width / 2
    elif horizontal == "right":
        x0 = cx + (MARKER_R + PAD if vertical == "middle" else MARKER_R / 2)
    else:
        x0 = cx - width - (MARKER_R + PAD if vertical == "middle" else MARKER_R / 2)
    if vertical == "top":
        y0 = cy - MARKER_R - PAD - TEXT_H
    elif vertical == "bottom":
        y0 = cy + MARKER_R + PAD
    else:
        y0 = cy - TEXT_H / 2
    return x0, y0, x0 + width, y0 + TEXT_H


def _crosses(box: Box, a: Point, b: Point) -> bool:
    """Does the segment a-b pass through *box* (sampled every pixel)?"""
    steps = int(max(abs(b[0] - a[0]), abs(b[1] - a[1]))) + 1
    for k in range(steps + 1):
        x = a[0] + (b[0] - a[0]) * k / steps
        y = a[1] + (b[1] - a[1]) * k / steps
        if box[0] < x < box[2] and box[1] < y < box[3]:
            return True
    return False


def _overlap(a: Box, b: Box) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def polyline(frame: PlotFrame, values: Sequence[float | None], steps: bool = False) -> list[tuple[Point, Point]]:
    """The segments Plotly draws for *values* (gaps break the line; *steps*: the ``hv`` shape)."""
    out = []
    for i in range(len(values) - 1):
        v, w = values[i], values[i + 1]
        if v is None or w is None:
            continue
        a, b = frame.xy(i, v), frame.xy(i + 1, w)
        if steps:
            corner = (b[0], a[1])
            out += [(a, corner), (corner, b)]
        else:
            out.append((a, b))
    return out


def place_labels(frame: PlotFrame, values: Sequence[float | None], texts: Sequence[str],
                 heavy_lines: Sequence[tuple[Point, Point]], light_lines: Sequence[tuple[Point, Point]] = ()
                 ) -> list[str]:
    """A Plotly ``textposition`` per point: the first of :data:`POSITIONS` with the lowest cost."""
    placed: list[Box] = []
    out = []
    for i, (value, text) in enumerate(zip(values, texts, strict=True)):
        if value is None or not text:
            out.append("top center")
            continue
        cx, cy = frame.xy(i, value)
        width = CHAR_W * len(text)
        best, best_cost, best_box = POSITIONS[0], float("inf"), None
        for position in POSITIONS:
            box = _box(position, cx, cy, width)
            cost = sum(HEAVY for a, b in heavy_lines if _crosses(box, a, b))
            cost += sum(LIGHT for a, b in light_lines if _crosses(box, a, b))
            cost += sum(HEAVY for other in placed if _overlap(box, other))
            if box[1] < 0 or box[3] > frame.height or box[0] < 0 or box[2] > frame.width:
                cost += OUTSIDE
            if cost < best_cost:
                best, best_cost, best_box = position, cost, box
        out.append(best)
        if best_box is not None:
            placed.append(best_box)
    return out
