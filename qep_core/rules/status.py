"""The five statuses of an indicator against its target, and how each one is shown.

Why one table: the status used to be drawn with ⚠ on the dashboard tiles, ◆ in the charts and ▲
in the tables and decks, with colours copied into each renderer. Every output now reads its row
here, so a status looks the same on a tile, a chart, a table, a slide, a bilan and a workbook.
Status is never said by colour alone: each row has a word and a symbol.

The chart marker is a Plotly symbol name: Plotly has no check mark, so « atteint » is a circle
in charts (``marker_glyph`` gives the legend its shape) while its text symbol stays ✔.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from qep_core.frenchforms import count_text

ATTEINT = "atteint"
A_SURVEILLER = "à surveiller"
NON_ATTEINT = "non atteint"
SANS_OBJECTIF = "sans objectif"
PAS_DE_DONNEE = "pas de donnée"


@dataclass(frozen=True)
class StatusStyle:
    word: str  # the French word, shown everywhere beside the symbol
    symbol: str  # text symbol: tiles, tables, decks, bilan, poster
    colour: str  # strong colour (hex, no #): chart markers and bars, slide bars
    text_colour: str  # darker colour for text on white (slides, bilan)
    fill: str  # light fill behind the word (workbooks)
    marker: str  # Plotly marker symbol
    marker_glyph: str  # the marker's shape as text, for a chart's legend line
    icon: str  # Streamlit material icon of the tile's badge
    badge: str  # Streamlit badge colour name
    css_class: str  # bilan / poster CSS class suffix
    rank: int  # worst first: non atteint, à surveiller, atteint, then without a verdict

    @property
    def rated(self) -> bool:
        """True for a verdict against a target (atteint, à surveiller, non atteint)."""
        return self.rank < 3

    @property
    def text(self) -> str:
        """``✔ atteint``: the symbol and the word, for tables and exports."""
        return f"{self.symbol} {self.word}"


STATUS_TABLE: dict[str, StatusStyle] = {s.word: s for s in (
    StatusStyle(ATTEINT, "✔", "298641", "18753C", "B8FEC9", "circle", "●", ":material/check_circle:", "green",
                "atteint", 2),
    StatusStyle(A_SURVEILLER, "▲", "EFB900", "8D5300", "FEECC2", "triangle-up", "▲", ":material/change_history:",
                "orange", "a-surveiller", 1),
    StatusStyle(NON_ATTEINT, "✖", "E91719", "CE0500", "FFDDDD", "x", "✖", ":material/cancel:", "red",
                "non-atteint", 0),
    StatusStyle(SANS_OBJECTIF, "–", "B1B1B1", "3A3A3A", "F6F6F6", "circle-open", "○", ":material/remove:", "gray",
                "sans-objectif", 3),
    StatusStyle(PAS_DE_DONNEE, "?", "B1B1B1", "3A3A3A", "F6F6F6", "circle-open", "○", ":material/help:", "gray",
                "pas-de-donnee", 4),
)}
STATUSES = tuple(STATUS_TABLE)
RATED_STATUSES = tuple(s for s, style in STATUS_TABLE.items() if style.rated)
STATUS_RANK = {s: style.rank for s, style in STATUS_TABLE.items()}
STATUS_SYMBOL = {s: style.symbol for s, style in STATUS_TABLE.items()}


def style_of(status: str) -> StatusStyle:
    """The row of *status*; an unknown word is shown as « pas de donnée »."""
    return STATUS_TABLE.get(status, STATUS_TABLE[PAS_DE_DONNEE])


def status_text(status: str) -> str:
    """``✔ atteint`` — the symbol and the word."""
    return style_of(status).text if status in STATUS_TABLE else status


#: The plural of the status words that vary (« 2 atteints »); the others read the same for any count.
_PLURAL_WORDS = {ATTEINT: "atteints", NON_ATTEINT: "non atteints"}


def status_count(status: str, n: int) -> str:
    """``✔ 2 atteints``, ``▲ 1 à surveiller``, ``1 sans objectif``: how many indicators have *status*.

    The word agrees with *n*. Statuses without a verdict go without their symbol: the « – » of
    « sans objectif » beside a count read as a stray dash (« — – 1 sans objectif »).
    """
    text = count_text(n, status, _PLURAL_WORDS.get(status, status))
    return f"{style_of(status).symbol} {text}" if style_of(status).rated else text


def status_counts_text(counts: Mapping[str, int]) -> str:
    """``✖ 1 non atteint · ✔ 2 atteints · 1 sans objectif``: worst first, zero counts left out;
    "" when nothing is counted."""
    shown = sorted((s for s, n in counts.items() if n), key=lambda s: style_of(s).rank)
    return " · ".join(status_count(s, counts[s]) for s in shown)


def chart_legend(statuses: tuple[str, ...] = RATED_STATUSES) -> str:
    """``● atteint · ▲ à surveiller · ✖ non atteint``: the markers of a chart, explained."""
    return " · ".join(f"{STATUS_TABLE[s].marker_glyph} {s}" for s in statuses)
