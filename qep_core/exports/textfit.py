"""Text measurement for slides: choose a font size at which a text fits its box, before writing it.

PowerPoint's "shrink text on overflow" is only a flag: the file still holds the big size, and
LibreOffice, PowerPoint and viewers each apply it differently (or not at all). So the deck is laid
out with sizes computed here from the real glyph widths of Liberation Sans, which has the metrics
of Arial (the font the slides ask for): what fits here fits on the projector.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

FONT_DIRS = (Path("/usr/share/fonts/truetype/liberation"), Path("/usr/share/fonts/truetype/liberation2"),
             Path("/usr/share/fonts/truetype/dejavu"))
FONT_FILES = {False: ("LiberationSans-Regular.ttf", "DejaVuSans.ttf"), True: ("LiberationSans-Bold.ttf", "DejaVuSans-Bold.ttf")}
BREAKS = re.compile(r"[^\S\u00a0]+")  # where a line may break: any white space but the no-break space
LINE_SPACING = 1.2  # line height as a multiple of the font size (PowerPoint's single spacing)
_MEASURE_PX = 100  # glyph widths read at 100 px, scaled to the size asked
# Renderers place glyphs on their own grid (hinting, kerning, rounding): LibreOffice wraps a line that
# this measure puts 0.3 % under the width. Measuring 4 % wide keeps every line where we expect it.
WIDTH_SAFETY = 1.04


@lru_cache(maxsize=4)
def _font(bold: bool):
    from PIL import ImageFont

    for name in FONT_FILES[bold]:
        for folder in FONT_DIRS:
            path = folder / name
            if path.is_file():
                return ImageFont.truetype(str(path), _MEASURE_PX)
    return None


def text_width(text: str, size_pt: float, bold: bool = False) -> float:
    """Width of *text* in points; without a font file, a generous 0.6 em per character."""
    font = _font(bold)
    if font is None:
        return len(text) * size_pt * (0.62 if bold else 0.58)
    return float(font.getlength(text)) * size_pt / _MEASURE_PX * WIDTH_SAFETY


def wrap(text: str, width_pt: float, size_pt: float, bold: bool = False) -> list[str]:
    """Lines as a word-wrapping text box breaks them (a word longer than the line is cut; a
    no-break space joins, as in PowerPoint)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in BREAKS.split(paragraph.strip()):
            candidate = f"{current} {word}" if current else word
            if text_width(candidate, size_pt, bold) <= width_pt:
                current = candidate
                continue
            if current:
                lines.append(current)
            while text_width(word, size_pt, bold) > width_pt and len(word) > 1:
                cut = len(word)
                while cut > 1 and text_width(word[:cut], size_pt, bold) > width_pt:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
    return lines


def text_height(text: str, width_pt: float, size_pt: float, bold: bool = False) -> float:
    return len(wrap(text, width_pt, size_pt, bold)) * size_pt * LINE_SPACING


def fits(text: str, width_pt: float, height_pt: float, size_pt: float, bold: bool = False) -> bool:
    return text_height(text, width_pt, size_pt, bold) <= height_pt + 0.01


def fit_size(text: str, width_pt: float, height_pt: float, max_pt: float, min_pt: float,
             bold: bool = False, step: float = 1.0) -> float | None:
    """The largest size from *max_pt* down to *min_pt* at which *text* fits; None if none does."""
    size = max_pt
    while size >= min_pt - 1e-9:
        if fits(text, width_pt, height_pt, size, bold):
            return size
        size -= step
    return None


def shorten(text: str, width_pt: float, height_pt: float, size_pt: float, bold: bool = False) -> str:
    """*text* cut at a word with "…" so that it fits at *size_pt* (the last resort, never silent:
    the full text stays in the speaker notes)."""
    if fits(text, width_pt, height_pt, size_pt, bold):
        return text
    words = text.split()
    while len(words) > 1:
        words.pop()
        candidate = " ".join(words) + " …"
        if fits(candidate, width_pt, height_pt, size_pt, bold):
            return candidate
    return words[0][: max(1, int(width_pt / size_pt))] + "…"
