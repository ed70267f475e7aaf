"""The annual bilan: an HTML document and the PDF made from it.

Its chapters follow the bilans of the Loire-Atlantique (2022) and of the Isère (2022): the
indicators against their targets and the year before (a summary table, then a page per module with
each figure, its counts and its method of computation), the suggestions and complaints (counts by
type and channel from the item log), the satisfaction surveys, the training of the agents, the
action plan's completion and the audits — the last four when the application holds them, a short
note otherwise — then the COPIL's quarterly reviews and the rules of computation.

HTML first: the quality team can open it in a browser, copy it into their own word processor, or
publish it; the PDF is the same HTML laid out by WeasyPrint (a maintained HTML/CSS-to-PDF engine
that needs no browser, only Pango, already a Debian package here). Charts are inline SVG, so the
HTML is one self-contained file and the PDF keeps them as vectors.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape

from qep_core.exports.content import OPTIONAL_PROVIDERS, DocumentContent, IndicatorFigure, SpcSummary
from qep_core.exports.pdf import TEMPLATES, html_to_pdf
from qep_core.frenchforms import MONTH_NAMES_FR, format_number_fr, month_label_fr
from qep_core.readability import rate_axis_max
from qep_core.rules.formatting import format_value
from qep_core.rules.kinds import IndicatorKind
from qep_core.rules.signals import assurance_style, variation_style
from qep_core.rules.status import RATED_STATUSES, STATUS_SYMBOL, style_of

BLUE, GREY, INK = "#5C68E5", "#B1B1B1", "#161616"


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)


def status_class(status: str) -> str:
    return style_of(status).css_class


def counts_text(f: IndicatorFigure) -> str:
    """``719 réponses dans les délais / 786 réponses`` — the counts a figure is made of."""
    if f.kind == IndicatorKind.MEAN_DELAY:
        return f"{format_number_fr(f.denominator, 0)} réponses"
    return f"{format_number_fr(f.numerator, 0)} / {format_number_fr(f.denominator, 0)}"


def share(part: int, whole: int) -> str:
    return "–" if not whole else format_value(part / whole * 100, "%")


def svg_bars(f: IndicatorFigure, this_year: str, last_year: str) -> Markup:
    """Two bars (last year grey, this year blue) and the target as a dashed line, values written
    beside the bars (a chart that needs no colour to be read)."""
    if f.suppressed or f.kind == IndicatorKind.COUNT or (f.value is None and f.previous_value is None):
        return Markup("")
    values = [v for v in (f.value, f.previous_value, f.target) if v is not None]
    top = rate_axis_max(values) if f.unit == "%" else (max(values) * 1.15 if values else 1.0)
    width, label_w, bar_h, gap = 430, 60, 16, 6
    scale = (width - label_w - 75) / (top or 1)  # values are written in the right margin
    rows = [(last_year, f.previous_value, GREY), (this_year, f.value, BLUE)]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{2 * (bar_h + gap) + 14}" '
             f'role="img" aria-label="{escape(f.label)} : {format_value(f.value, f.unit)} en {this_year}, '
             f'{format_value(f.previous_value, f.unit)} en {last_year}">']
    for i, (label, value, colour) in enumerate(rows):
        y = i * (bar_h + gap)
        parts.append(f'<text x="0" y="{y + bar_h - 4}" font-size="10" fill="{INK}">{label}</text>')
        if value is not None:
            w = max(1.0, value * scale)
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>')
            parts.append(f'<text x="{width - 2}" y="{y + bar_h - 4}" font-size="10" fill="{INK}" '
                         f'text-anchor="end">{format_value(value, f.unit)}</text>')
        else:
            parts.append(f'<text x="{label_w}" y="{y + bar_h - 4}" font-size="10" fill="{INK}">pas de donnée</text>')
    if f.target is not None:
        x = label_w + f.target * scale
        bottom = 2 * (bar_h + gap)
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{bottom}" stroke="{INK}" stroke-width="1.5" '
                     f'stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 11}" font-size="9" fill="{INK}" text-anchor="middle">'
                     f'cible {format_value(f.target, f.unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def spc_line(spc: SpcSummary) -> str:
    """« décembre 2024 : ⊕ amélioration · ● cible atteinte » — symbol and word, never colour alone."""
    style = assurance_style(spc.assurance)
    return (f"{month_label_fr(spc.month)} : {variation_style(spc.variation).text}"
            + (f" · {style.text}" if style else ""))


def event_lines(content: DocumentContent, f: IndicatorFigure) -> list[str]:
    """The year's dated events under an indicator's bars (« 03/10/2022 — Mise en service du serveur
    vocal interactif (changement de fonctionnement) »): what explains a move of the figure. Plain
    text: the template escapes it."""
    return [m.text for m in content.events_on(f.code)]


def render_bilan_html(content: DocumentContent) -> str:
    """The bilan as one self-contained HTML page (styles and charts inline)."""
    year = content.period.end.year
    counts = content.status_counts()
    rated = sum(counts[s] for s in RATED_STATUSES)
    modules = [m.code.removeprefix("M") for m in content.modules]
    until = ""
    if content.data_until is not None and content.data_until < content.period.end:
        until = f"{MONTH_NAMES_FR[content.data_until.month - 1]} {content.data_until.year}"
    previous = content.previous_period.label if content.previous_period else str(year - 1)
    template = environment().get_template("bilan.html")
    return template.render(
        c=content, year=year, counts=counts, rated=rated, until=until, previous_label=previous,
        indicator_count=len(content.indicators),
        modules_label=("modules " if len(modules) > 1 else "module ") + ", ".join(modules),
        improved=sum(1 for f in content.indicators if f.improved), optional=OPTIONAL_PROVIDERS,
        base_css=Markup((TEMPLATES / "base.css").read_text(encoding="utf-8")), symbol=STATUS_SYMBOL,
        status_class=status_class, counts_text=counts_text, share=share, fmt=format_value,
        bars=lambda f: svg_bars(f, str(year), str(year - 1)), spc_line=spc_line,
        events=lambda f: event_lines(content, f),
    )


def render_bilan_pdf(content: DocumentContent) -> bytes:
    return html_to_pdf(render_bilan_html(content))
