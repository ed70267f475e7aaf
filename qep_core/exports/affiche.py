"""The transparency poster ("programme transparence"): one printable page of the quarter's
headline results for the reception hall — response times, calls answered, satisfaction.

Public by nature: it is built from the public-safe model (no périmètre, nothing under the volume
threshold: a tile whose base is too small is left off rather than printed as "non publié"). A
yearly measure (the reception survey) has no quarterly value: the poster then shows the latest
yearly result and says which year it is. The same HTML prints on A4 or A3 (sizes in ``pt`` scaled
by the page, so an A3 poster reads from further away).
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlmodel import Session

from qep_core.exports.bilan import environment
from qep_core.exports.content import PUBLIC, DocumentContent, IndicatorFigure, build_content
from qep_core.exports.pdf import TEMPLATES, html_to_pdf
from qep_core.periods import Period, quarter_period, year_period
from qep_core.rules.formatting import format_value

PAGE_SIZES = {"A4": (1.0, "A4"), "A3": (1.414, "A3")}


@dataclass(frozen=True)
class Headline:
    code: str
    group: str
    sentence: str


#: What the poster shows, in this order, when the préfecture has the figure (Isère posts delays,
#: calls answered and satisfaction each quarter).
AFFICHE_HEADLINES: tuple[Headline, ...] = (
    Headline("COURRIEL_5J", "Délais de réponse", "des courriels ont reçu une réponse en 5 jours ouvrés ou moins"),
    Headline("COURRIEL_DELAI_MOYEN", "Délais de réponse", "de délai moyen de réponse à vos courriels"),
    Headline("COURRIER_10J", "Délais de réponse", "des courriers ont reçu une réponse en 10 jours ouvrés ou moins"),
    Headline("RECLA_DELAI", "Délais de réponse", "des suggestions et réclamations ont reçu une réponse dans les délais"),
    Headline("TEL_ABOUTIS", "Accueil téléphonique", "des appels au standard ont été décrochés"),
    Headline("PAN_SATISFACTION", "Votre satisfaction", "des personnes reçues au point numérique sont satisfaites"),
    Headline("ACCUEIL_SATISFACTION", "Votre satisfaction", "des personnes reçues à l'accueil sont satisfaites"),
)


@dataclass(frozen=True)
class Tile:
    group: str
    value: str
    sentence: str
    target: str
    context: str  # "même trimestre 2023 : 87,5 %" or "enquête 2023"
    code: str


def poster_tiles(quarter: DocumentContent, yearly: dict[str, tuple[IndicatorFigure, int]]) -> list[Tile]:
    """The tiles of the poster, from the quarter's public model; a yearly measure (no quarterly
    value) from *yearly*, the latest year that has it."""
    tiles = []
    year = quarter.period.end.year
    q = quarter.period.quarter
    for h in AFFICHE_HEADLINES:
        fig = quarter.indicator(h.code)
        if fig is None:
            continue
        if fig.value is None and fig.frequency == "yearly" and h.code in yearly:
            fig, survey_year = yearly[h.code]
            context = f"enquête annuelle {survey_year}"
        elif fig.previous_value is not None and not fig.suppressed:
            context = f"même trimestre {year - 1} : {fig.previous_text}"
        else:
            context = f"T{q} {year}"
        if fig.value is None or fig.suppressed:
            continue
        target = f"objectif : {_days(format_value(fig.target, fig.unit))}" if fig.target is not None else ""
        tiles.append(Tile(h.group, _days(fig.value_text), h.sentence, target, _days(context), fig.code))
    return tiles


def _days(text: str) -> str:
    """``3,1 j`` → ``3,1 jours``: the public reads words, not the dashboard's abbreviations."""
    return text.replace(" j", " jours") if text.endswith(" j") else text


def latest_yearly(session: Session, prefecture_id: int, year: int, min_volume: int
                  ) -> dict[str, tuple[IndicatorFigure, int]]:
    """Yearly measures of the poster from *year*, else the year before (public-safe)."""
    wanted = [h.code for h in AFFICHE_HEADLINES]
    out: dict[str, tuple[IndicatorFigure, int]] = {}
    for y in (year, year - 1):
        annual = build_content(session, prefecture_id, year_period(y), PUBLIC, min_volume)
        for code in wanted:
            fig = annual.indicator(code)
            if (code not in out and fig is not None and fig.frequency == "yearly" and fig.value is not None
                    and not fig.suppressed):
                out[code] = (fig, y)
    return out


def affiche_content(session: Session, prefecture_id: int, year: int, quarter: int,
                    min_volume: int) -> tuple[DocumentContent, list[Tile]]:
    """The quarter's public model and the poster's tiles."""
    period: Period = quarter_period(year, quarter)
    content = build_content(session, prefecture_id, period, PUBLIC, min_volume)
    return content, poster_tiles(content, latest_yearly(session, prefecture_id, year, min_volume))


def render_affiche_html(content: DocumentContent, tiles: list[Tile], page: str = "A4") -> str:
    if page not in PAGE_SIZES:
        raise ValueError(f"format inconnu : {page} (A4 ou A3)")
    scale, size = PAGE_SIZES[page]
    groups: dict[str, list[Tile]] = {}
    for t in tiles:
        groups.setdefault(t.group, []).append(t)
    template = environment().get_template("affiche.html")
    return template.render(c=content, groups=groups, scale=scale, size=size, page=page,
                           base_css=Markup((TEMPLATES / "base.css").read_text(encoding="utf-8")))


def render_affiche_pdf(content: DocumentContent, tiles: list[Tile], page: str = "A4") -> bytes:
    return html_to_pdf(render_affiche_html(content, tiles, page))
