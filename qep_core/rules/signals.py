"""How a month's variation and an indicator's assurance (:mod:`qep_core.spc`) are shown: one row
each, read by the tiles, the Indicateurs page, the review, the decks, the bilan and the digest.

Why one table, as for the statuses (:mod:`qep_core.rules.status`): the same signal must look the
same on a tile, a chart and a slide, and never by colour alone. The colours are those of the NHS
« Making Data Count » icons that COPIL members may know — blue for an improvement, orange for a
concern, grey for common-cause variation — and the symbols differ from the statuses' (✔ ▲ ✖):
a point can be « non atteint » and an « amélioration » at once.

Assurance symbols read as how often the target is met if nothing changes: ● every month,
◐ some months, ○ no month.
"""

from __future__ import annotations

from dataclasses import dataclass

#: A month's variation (:func:`qep_core.spc.signals_of`) and an indicator's assurance
#: (:func:`qep_core.spc.assurance`): the words, declared here so that every renderer and the
#: control-chart rules share them.
AMELIORATION, PREOCCUPATION, COMMUNE = "amélioration", "préoccupation", "variation commune"
ATTEINTE, MANQUEE, ALEATOIRE = "atteinte", "manquée", "aléatoire"


@dataclass(frozen=True)
class SignalStyle:
    word: str  # as the pages say it, after its heading (« Variation : amélioration »)
    symbol: str  # text symbol: tiles, tables, decks, bilan, digest
    colour: str  # strong colour (hex, no #): chart markers
    text_colour: str  # for text on white (WCAG AA on white)
    icon: str  # Streamlit material icon
    badge: str  # Streamlit badge colour name

    @property
    def text(self) -> str:
        return f"{self.symbol} {self.word}"


VARIATION_STYLES: dict[str, SignalStyle] = {
    AMELIORATION: SignalStyle(AMELIORATION, "⊕", "0063CB", "000091", ":material/add_circle:", "blue"),
    PREOCCUPATION: SignalStyle(PREOCCUPATION, "⊖", "E4794A", "B34000", ":material/do_not_disturb_on:", "orange"),
    COMMUNE: SignalStyle(COMMUNE, "∼", "929292", "3A3A3A", ":material/more_horiz:", "gray"),
}
ASSURANCE_STYLES: dict[str, SignalStyle] = {
    ATTEINTE: SignalStyle("cible atteinte", "●", "0063CB", "000091", ":material/radio_button_checked:", "blue"),
    ALEATOIRE: SignalStyle("cible aléatoire", "◐", "929292", "3A3A3A", ":material/contrast:", "gray"),
    MANQUEE: SignalStyle("cible manquée", "○", "E4794A", "B34000", ":material/radio_button_unchecked:", "orange"),
}


def variation_style(variation: str) -> SignalStyle:
    """The row of *variation*; anything else reads as common-cause variation."""
    return VARIATION_STYLES.get(variation, VARIATION_STYLES[COMMUNE])


def assurance_style(assurance: str | None) -> SignalStyle | None:
    """The row of *assurance*; None without one (no target, too few months)."""
    return ASSURANCE_STYLES.get(assurance) if assurance else None
