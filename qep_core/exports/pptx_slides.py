"""Slides (PPTX) for the comité de pilotage and the comité local des usagers.

Charts are native PowerPoint charts (python-pptx chart objects with their data inside the file),
so the quality team can restyle or correct them in PowerPoint like any chart they drew by hand.
Every text is laid out with sizes measured beforehand (:mod:`qep_core.exports.textfit`): a title,
a table cell or a footer never runs out of its box, whatever the viewer does with autofit.

Two decks from the same :class:`~qep_core.exports.content.DocumentContent`:

* **COPIL**: the COPIL's general analysis of the period's reviews, every indicator with its code,
  target, status and last year, one slide per module (continued when long) followed by its
  indicators' latest variation and assurance on their control charts (symbol, word and the
  sentences a COPIL member reads, :mod:`qep_core.spc_text`) and by what the COPIL said of its
  indicators (also in the slides' notes), the per-périmètre detail of the
  indicators that have one, the complaints, the decided actions with their owner, due date and
  progress in the action plan, and the sections of other modules when they have data;
* **CLU**: the public-safe model (:func:`~qep_core.exports.content.public_safe`): plain titles,
  "non publié" under the volume threshold, no small périmètre, survey rates only with their
  sample size, no internal minutes.

Each slide carries the préfecture's name, the period and the slide number in its footer.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_LABEL_POSITION
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from qep_core.exports.content import (
    CLU,
    COPIL,
    DocumentContent,
    IndicatorFigure,
    ModuleSection,
)
from qep_core.exports.pptx_charts import FONT, INK, add_bar_chart, add_target_line, plot_inside
from qep_core.exports.textfit import LINE_SPACING, fit_size, shorten, text_height, text_width
from qep_core.frenchforms import MONTH_NAMES_FR, count_text, month_label_fr, plural
from qep_core.readability import rate_axis_max
from qep_core.rules.formatting import format_value
from qep_core.rules.kinds import Direction, IndicatorKind
from qep_core.rules.signals import ASSURANCE_STYLES, VARIATION_STYLES, assurance_style, variation_style
from qep_core.rules.status import (
    A_SURVEILLER,
    ATTEINT,
    NON_ATTEINT,
    PAS_DE_DONNEE,
    RATED_STATUSES,
    SANS_OBJECTIF,
    STATUS_TABLE,
    STATUSES,
)

SLIDE_W, SLIDE_H = 13.333, 7.5  # inches, 16:9
MARGIN = 0.5
BLUE = RGBColor(0x00, 0x00, 0x91)  # DSFR "bleu France"
GREY_TEXT = RGBColor(0x3A, 0x3A, 0x3A)
LIGHT = RGBColor(0xF6, 0xF6, 0xF6)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
BAR_CURRENT = RGBColor(0x5C, 0x68, 0xE5)
BAR_PREVIOUS = RGBColor(0xB1, 0xB1, 0xB1)
STATUS_RGB = {s: RGBColor.from_string(style.colour) for s, style in STATUS_TABLE.items()}
STATUS_TEXT_RGB = {s: RGBColor.from_string(style.text_colour) for s, style in STATUS_TABLE.items()}
PUBLIC_NO_VERDICT = "–"  # written alone: "? –" would read as a question
PUBLIC_STATUS = {ATTEINT: "oui", A_SURVEILLER: "presque", NON_ATTEINT: "pas encore", SANS_OBJECTIF: PUBLIC_NO_VERDICT,
                 PAS_DE_DONNEE: PUBLIC_NO_VERDICT}
TEXT_PAD = 0.06  # inches of inner margin on every text box and table cell (left/right)
TEXT_PAD_V = 0.04
AUDIENCE_NAMES = {COPIL: "Comité de pilotage", CLU: "Comité local des usagers"}
MAX_ROWS = {COPIL: 7, CLU: 6}

#: Short names for chart axes (the full label is in the table beside the chart).
SHORT_NAMES = {
    "TEL_ABOUTIS": "Appels aboutis", "RECLA_DELAI": "Réclamations à temps", "PAN_SATISFACTION": "Satisfaction PAN",
    "COURRIER_10J": "Courriers en 10 j", "COURRIEL_5J": "Courriels en 5 j", "SITE_MAJ_3J": "Site à jour en 3 j",
    "SITE_CONNEXION": "Connexions au site", "RS_ENGAGEMENT": "Engagement réseaux", "ACCUEIL_SATISFACTION":
    "Satisfaction accueil", "COLL_COURRIER_LEGALITE_15J": "Courriers légalité", "COLL_COURRIER_BUDGET_15J":
    "Courriers budget", "COLL_COURRIEL_LEGALITE_5J": "Courriels légalité", "COLL_COURRIEL_BUDGET_5J":
    "Courriels budget", "COLL_RDV_PROPOSITION_4J": "RDV proposé en 4 j", "COLL_RDV_10J": "RDV tenu en 10 j",
}


def _pt(inches: float) -> float:
    return inches * 72.0


def short_name(fig: IndicatorFigure) -> str:
    name = SHORT_NAMES.get(fig.code) or fig.plain_label
    return name if len(name) <= 24 else name[:23].rstrip() + "…"


# ------------------------------------------------------------------------------------------------
# Text boxes and tables laid out by measure


def add_text(slide, x: float, y: float, w: float, h: float, text: str, *, max_pt: float, min_pt: float,
             bold: bool = False, color: RGBColor = INK, align: PP_ALIGN = PP_ALIGN.LEFT,
             anchor: MSO_ANCHOR = MSO_ANCHOR.TOP, name: str | None = None):
    """A text box whose font size is the largest that fits (text shortened with "…" at *min_pt*)."""
    inner_w, inner_h = _pt(w - 2 * TEXT_PAD), _pt(h - 2 * TEXT_PAD_V)
    size = fit_size(text, inner_w, inner_h, max_pt, min_pt, bold)
    if size is None:
        size = min_pt
        text = shorten(text, inner_w, inner_h, size, bold)
    box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    if name:
        box.name = name
    tf = box.text_frame
    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.margin_left = tf.margin_right = Inches(TEXT_PAD)
    tf.margin_top = tf.margin_bottom = Inches(TEXT_PAD_V)
    tf.vertical_anchor = anchor
    for i, line in enumerate(text.split("\n")):
        para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        para.alignment = align
        para.line_spacing = 1.0
        run = para.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.name = FONT
        run.font.color.rgb = color
    return box


@dataclass(frozen=True)
class Column:
    header: str
    width: float  # inches
    align: PP_ALIGN = PP_ALIGN.LEFT


@dataclass(frozen=True)
class Cell:
    text: str
    color: RGBColor = INK
    bold: bool = False


def _row_height(cells: Sequence[Cell | str], columns: Sequence[Column], size: float, bold: bool = False) -> float:
    """Inches a row needs at *size* (its tallest cell), margins included."""
    tallest = 0.0
    for cell, col in zip(cells, columns, strict=True):
        text = cell.text if isinstance(cell, Cell) else cell
        is_bold = bold or (isinstance(cell, Cell) and cell.bold)
        tallest = max(tallest, text_height(text or " ", _pt(col.width - 2 * TEXT_PAD), size, is_bold))
    return tallest / 72.0 + 2 * TEXT_PAD_V + 0.02


def table_layout(columns: Sequence[Column], rows: Sequence[Sequence[Cell | str]], max_h: float, max_pt: float,
                 min_pt: float) -> tuple[float, list[float]] | None:
    """(font size, row heights) of the largest size at which the table fits in *max_h* inches."""
    size = max_pt
    while size >= min_pt - 1e-9:
        heights = [_row_height([Cell(c.header) for c in columns], columns, size, bold=True)]
        heights += [_row_height(r, columns, size) for r in rows]
        if sum(heights) <= max_h:
            return size, heights
        size -= 1
    return None


def add_table(slide, x: float, y: float, columns: Sequence[Column], rows: Sequence[Sequence[Cell | str]],
              layout: tuple[float, list[float]], name: str = "table"):
    size, heights = layout
    shape = slide.shapes.add_table(len(rows) + 1, len(columns), Inches(x), Inches(y),
                                   Inches(sum(c.width for c in columns)), Inches(sum(heights)))
    shape.name = name
    table = shape.table
    table.first_row = True
    for j, col in enumerate(columns):
        table.columns[j].width = Inches(col.width)
    for i, h in enumerate(heights):
        table.rows[i].height = Emu(int(Inches(h)))
    all_rows: list[Sequence[Cell | str]] = [[Cell(c.header, WHITE, True) for c in columns], *rows]
    for i, row in enumerate(all_rows):
        for j, value in enumerate(row):
            cell_def = value if isinstance(value, Cell) else Cell(value)
            cell = table.cell(i, j)
            cell.margin_left = cell.margin_right = Inches(TEXT_PAD)
            cell.margin_top = cell.margin_bottom = Inches(TEXT_PAD_V)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            cell.fill.solid()
            cell.fill.fore_color.rgb = BLUE if i == 0 else (LIGHT if i % 2 == 0 else WHITE)
            tf = cell.text_frame
            tf.word_wrap = True
            para = tf.paragraphs[0]
            para.alignment = columns[j].align
            para.line_spacing = 1.0
            run = para.add_run()
            run.text = cell_def.text
            run.font.size = Pt(size)
            run.font.name = FONT
            run.font.bold = cell_def.bold or i == 0
            run.font.color.rgb = cell_def.color
    return shape


# ------------------------------------------------------------------------------------------------
# Cells kept on one line, and the number formats of the charts (the charts: pptx_charts)


def one_line_width(texts: Sequence[str], size_pt: float, least: float) -> float:
    """Inches a table column needs to hold each of *texts* on one line at *size_pt* (at least *least*)."""
    return max([least] + [text_width(t, size_pt) / 72 + 2 * TEXT_PAD + 0.02 for t in texts])


def keep_together(text: str) -> str:
    """``≥ 90,0 %`` with no-break spaces: a cell never breaks it over two lines."""
    return text.replace(" ", "\u00a0")


def _number_format(unit: str) -> str:
    return {"%": '0.0" %"', "j": '0.0" j"', "‰": '0.000" ‰"', "": "# ##0"}[unit]


# ------------------------------------------------------------------------------------------------
# Slides


class Deck:
    """A presentation being built; footers and slide numbers are written once all slides exist."""

    def __init__(self, content: DocumentContent):
        self.content = content
        self.prs = Presentation()
        self.prs.slide_width = Inches(SLIDE_W)
        self.prs.slide_height = Inches(SLIDE_H)
        self.blank = self.prs.slide_layouts[6]

    @property
    def audience_name(self) -> str:
        return AUDIENCE_NAMES[self.content.audience]

    def slide(self, title: str, notes: str = ""):
        slide = self.prs.slides.add_slide(self.blank)
        add_text(slide, MARGIN, 0.3, SLIDE_W - 2 * MARGIN, 0.85, title, max_pt=28, min_pt=18, bold=True, color=BLUE,
                 anchor=MSO_ANCHOR.MIDDLE, name="title")
        line = slide.shapes.add_connector(1, Inches(MARGIN), Inches(1.18), Inches(SLIDE_W - MARGIN), Inches(1.18))
        line.line.color.rgb = BLUE
        line.line.width = Pt(1.5)
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
        return slide

    def finish(self) -> bytes:
        total = len(self.prs.slides)
        footer = f"{self.content.footer} · {self.audience_name}"
        for i, slide in enumerate(self.prs.slides, start=1):
            add_text(slide, MARGIN, SLIDE_H - 0.45, SLIDE_W - 2 * MARGIN - 1.2, 0.36, footer, max_pt=12, min_pt=9,
                     color=GREY_TEXT, anchor=MSO_ANCHOR.MIDDLE, name="footer")
            add_text(slide, SLIDE_W - MARGIN - 1.1, SLIDE_H - 0.45, 1.1, 0.36, f"{i} / {total}", max_pt=12, min_pt=9,
                     color=GREY_TEXT, align=PP_ALIGN.RIGHT, anchor=MSO_ANCHOR.MIDDLE, name="page")
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()


CONTENT_TOP = 1.35
CONTENT_BOTTOM = SLIDE_H - 0.6


def title_slide(deck: Deck) -> None:
    c = deck.content
    slide = deck.prs.slides.add_slide(deck.blank)
    band = slide.shapes.add_shape(1, 0, 0, Inches(SLIDE_W), Inches(0.35))
    band.fill.solid()
    band.fill.fore_color.rgb = BLUE
    band.line.fill.background()
    add_text(slide, 1.0, 1.6, SLIDE_W - 2.0, 1.3, "Démarche qualité Qual-e-Pref", max_pt=40, min_pt=24, bold=True,
             color=BLUE, name="title")
    add_text(slide, 1.0, 2.95, SLIDE_W - 2.0, 0.8, deck.audience_name, max_pt=30, min_pt=18, color=INK, name="audience")
    add_text(slide, 1.0, 3.9, SLIDE_W - 2.0, 1.0, f"{c.prefecture_name}\nRésultats — {c.period.label}", max_pt=24,
             min_pt=14, color=GREY_TEXT, name="subtitle")
    until = ""
    if c.data_until is not None and c.data_until < c.period.end:
        until = f" · données disponibles jusqu'à {MONTH_NAMES_FR[c.data_until.month - 1]} {c.data_until.year}"
    add_text(slide, 1.0, 5.3, SLIDE_W - 2.0, 0.5, f"Document établi le {c.generated_on:%d/%m/%Y}{until}", max_pt=14,
             min_pt=10, color=GREY_TEXT, name="date")


def summary_slide(deck: Deck) -> None:
    """Statuses counted (native column chart), best progress and what slipped, sections left out."""
    c = deck.content
    public = c.audience != COPIL
    slide = deck.slide("L'essentiel" if public else "Synthèse des indicateurs",
                       notes="Un indicateur est compté « atteint » quand son résultat de la période tient sa cible.")
    counts = c.status_counts()
    rated = sum(counts[s] for s in RATED_STATUSES)
    reached = counts[ATTEINT]
    headline = (f"{count_text(reached, 'objectif atteint', 'objectifs atteints')} sur {rated}" if public else
                f"{count_text(reached, 'indicateur')} sur {rated} avec objectif et données "
                f"{plural(reached, 'atteint', 'atteignent')} leur cible")
    add_text(slide, MARGIN, CONTENT_TOP, 6.3, 0.9, headline, max_pt=24, min_pt=14, bold=True, color=INK, name="headline")
    order = list(STATUSES)
    names = {s: s for s in STATUSES} | ({PAS_DE_DONNEE: "non publié ou sans donnée"} if public else {})
    add_bar_chart(slide, MARGIN, CONTENT_TOP + 1.0, 6.3, CONTENT_BOTTOM - CONTENT_TOP - 1.1, [names[s] for s in order],
                  [("Nombre d'indicateurs", [counts[s] for s in order], BAR_CURRENT)], number_format="0",
                  point_colors=[STATUS_RGB[s] for s in order], legend=False, name="status_chart")
    figures = [f for f in c.indicators if f.improved is not None and f.change]
    label = (lambda f: f.plain_label) if public else (lambda f: f.label)

    def gain(f: IndicatorFigure) -> float:
        change = f.change or 0.0
        scale = 1.0 if f.unit == "%" else max(abs(f.previous_value or 1.0), 1e-9) / 100.0
        return -Direction(f.direction).worsening(change) / scale

    best = sorted((f for f in figures if f.improved), key=gain, reverse=True)[:3]
    worst = sorted((f for f in figures if not f.improved), key=gain)[:3]
    lines = ["En progrès :" if public else "Plus fortes progressions :"]
    lines += [f"• {label(f)} : {f.value_text} ({f.change_text})" for f in best] or ["• –"]
    lines.append("À améliorer :" if public else "Plus forts reculs :")
    lines += [f"• {label(f)} : {f.value_text} ({f.change_text})" for f in worst] or ["• –"]
    add_text(slide, 7.1, CONTENT_TOP, SLIDE_W - 7.1 - MARGIN, 3.9, "\n".join(lines), max_pt=18, min_pt=11,
             name="highlights")
    notes = [c.notes[k] for k in ("complaints", "surveys", "trainings", "action_plan", "audits") if k in c.notes]
    if c.collection_gaps:  # internal documents only (public_safe empties them)
        notes.insert(0, "Mois incomplets — " + " · ".join(c.collection_gaps))
    if public:
        notes.append(f"Les résultats calculés sur moins de {c.min_volume} réponses ne sont pas publiés.")
    if notes:
        add_text(slide, 7.1, CONTENT_TOP + 4.0, SLIDE_W - 7.1 - MARGIN, CONTENT_BOTTOM - CONTENT_TOP - 4.0,
                 "\n".join(notes), max_pt=14, min_pt=9, color=GREY_TEXT, name="notes")


def _module_rows(figures: Sequence[IndicatorFigure], public: bool) -> list[list[Cell]]:
    rows = []
    for f in figures:
        word = PUBLIC_STATUS[f.status] if public else f.status
        symbol = STATUS_TABLE[f.status].symbol
        status = (Cell("non publié", GREY_TEXT) if f.suppressed else
                  Cell(word if word in (symbol, PUBLIC_NO_VERDICT) else f"{symbol} {word}", STATUS_TEXT_RGB[f.status]))
        if public:
            rows.append([Cell(f.plain_label), Cell(f.value_text, bold=True), Cell(keep_together(f.target_text)), status,
                         Cell(f.previous_text)])
        else:
            rows.append([Cell(f"{f.label} ({f.engagement})"), Cell(f.value_text, bold=True),
                         Cell(keep_together(f.target_text)),
                         status, Cell(f.previous_text), Cell(f.change_text)])
    return rows


TABLE_MAX_PT = 16


def _module_columns(public: bool, width: float, previous_label: str, targets: Sequence[str] = ()) -> list[Column]:
    """The module table's columns; the target's is as wide as its longest text on one line at the
    table's largest size (« ≥ 100,0 % », « pas d'objectif »)."""
    if public:
        fixed = [Column("Résultat", 1.15, PP_ALIGN.RIGHT),
                 Column("Objectif", one_line_width(targets, TABLE_MAX_PT, 1.2), PP_ALIGN.RIGHT),
                 Column("Atteint ?", 1.3), Column(previous_label, 1.0, PP_ALIGN.RIGHT)]
        return [Column("Ce que nous mesurons", width - sum(c.width for c in fixed)), *fixed]
    fixed = [Column("Résultat", 1.0, PP_ALIGN.RIGHT), Column("Cible", one_line_width(targets, TABLE_MAX_PT, 1.05),
                                                              PP_ALIGN.RIGHT),
             Column("Statut", 1.4), Column(previous_label, 0.95, PP_ALIGN.RIGHT), Column("Évol.", 0.9, PP_ALIGN.RIGHT)]
    return [Column("Indicateur (engagement)", width - sum(c.width for c in fixed)), *fixed]


def _chunks(figures: Sequence[IndicatorFigure], size: int) -> list[list[IndicatorFigure]]:
    """At most *size* per slide, spread evenly (13 indicators by 6 → 5, 4, 4; never 6, 6, 1)."""
    if not figures:
        return [[]]
    count = -(-len(figures) // size)
    base, extra = divmod(len(figures), count)
    out, start = [], 0
    for k in range(count):
        end = start + base + (1 if k < extra else 0)
        out.append(list(figures[start:end]))
        start = end
    return out


def module_slides(deck: Deck, section: ModuleSection) -> None:
    """One slide per module (continued when it has more indicators than a slide can hold):
    a table of every indicator and a native chart of its rates against last year."""
    c = deck.content
    public = c.audience != COPIL
    prev_label = _previous_label(c)
    figures = list(section.indicators)
    targets = [keep_together(f.target_text) for f in figures]
    per_slide = MAX_ROWS[COPIL if not public else CLU]
    while True:
        chunks = _chunks(figures, per_slide)
        plans = []
        for chunk in chunks:
            rates = [f for f in chunk if f.is_rate and not f.suppressed and f.value is not None]
            table_w = 8.5 if rates else SLIDE_W - 2 * MARGIN
            columns = _module_columns(public, table_w, prev_label, targets)
            layout = table_layout(columns, _module_rows(chunk, public), CONTENT_BOTTOM - CONTENT_TOP - 0.1,
                                  TABLE_MAX_PT, 11)
            plans.append((chunk, rates, columns, layout))
        if all(p[3] is not None for p in plans) or per_slide == 1:
            break
        per_slide -= 1
    for k, (chunk, rates, columns, layout) in enumerate(plans):
        title = section.heading + (f" (suite {k + 1}/{len(plans)})" if k else "")
        notes = "\n".join(f"{f.plain_label if public else f.label} — calcul : {f.method}."
                          + "".join(f"\n  Analyse du COPIL ({q}) : {text}" for q, text in c.comments_on(f.code))
                          for f in chunk)
        slide = deck.slide(title, notes=notes)
        rows = _module_rows(chunk, public)
        if layout is None:  # a single indicator whose text cannot fit: shortened, never overflowing
            layout = (11, [0.5] * (len(rows) + 1))
        add_table(slide, MARGIN, CONTENT_TOP, columns, rows, layout)
        if rates:
            x = MARGIN + sum(col.width for col in columns) + 0.25
            categories = [short_name(f) for f in rates]
            year, prev = _year_labels(c)
            series = [(prev, [f.previous_value for f in rates], BAR_PREVIOUS),
                      (year, [f.value for f in rates], BAR_CURRENT)]
            top = rate_axis_max(v for _, vals, _ in series for v in vals)
            add_bar_chart(slide, x, CONTENT_TOP, SLIDE_W - MARGIN - x, CONTENT_BOTTOM - CONTENT_TOP - 0.05, categories,
                          series, number_format='0.0" %"', max_value=top, name="rates_chart",
                          inside=XL_LABEL_POSITION.INSIDE_END)


def _year_labels(c: DocumentContent) -> tuple[str, str]:
    p = c.period
    if p.kind == "year":
        return str(p.start.year), str(p.start.year - 1)
    if p.kind == "quarter":
        q = p.quarter
        return f"T{q} {p.start.year}", f"T{q} {p.start.year - 1}"
    return p.label, "un an plus tôt"


def _previous_label(c: DocumentContent) -> str:
    return _year_labels(c)[1]


PERIMETRE_PLOT = (0.34, 0.09, 0.62, 0.82)  # plot area of a per-périmètre chart: left, top, width, height


def perimetre_slides(deck: Deck) -> None:
    """The indicators computed per périmètre (mailboxes, services): one native chart each."""
    c = deck.content
    public = c.audience != COPIL
    for f in c.indicators:
        shown = [p for p in f.perimetres if p.value is not None]
        if len(shown) < 2 or f.suppressed or f.kind == IndicatorKind.COUNT:
            continue
        title = (f"{f.plain_label} — par service" if public else f"{f.label} — par périmètre")
        slide = deck.slide(title, notes=f"Calcul : {f.method}. Volume de chaque périmètre entre parenthèses.")
        categories = [f"{p.name} ({format_value(p.volume, '')})" for p in shown]
        values = [v for v in [p.value for p in shown] + [f.target] if v is not None]
        top = rate_axis_max(values) if f.unit == "%" else (max(values) * 1.1 or 1.0)
        colours = [STATUS_RGB.get(p.status, BAR_CURRENT) if p.status in RATED_STATUSES
                   else BAR_CURRENT for p in shown]
        height = CONTENT_BOTTOM - CONTENT_TOP - 0.05
        frame = add_bar_chart(slide, MARGIN, CONTENT_TOP, 8.6, height, categories,
                              [(_year_labels(c)[0], [p.value for p in shown], BAR_CURRENT)],
                              number_format=_number_format(f.unit), point_colors=colours, max_value=top, legend=False,
                              name="perimetre_chart", inside=XL_LABEL_POSITION.INSIDE_BASE)
        plot_inside(frame.chart, *PERIMETRE_PLOT)
        if f.target is not None:  # the labels stand at the bars' base: the line never crosses one
            add_target_line(slide, frame, *PERIMETRE_PLOT, f.target, top, f"cible {f.target_text}")
        side = [f"Ensemble : {f.value_text}", f"Cible : {f.target_text}", ""]
        worst = shown[0]
        side.append(f"Le plus en retrait : {worst.name} ({format_value(worst.value, f.unit)})")
        if not public:
            late = [p.name for p in shown if p.status == NON_ATTEINT]
            if late:
                side.append(f"Cible non tenue : {', '.join(late)}")
        add_text(slide, 9.4, CONTENT_TOP, SLIDE_W - 9.4 - MARGIN, height, "\n".join(side), max_pt=18, min_pt=11,
                 name="perimetre_notes")


def complaints_slide(deck: Deck) -> None:
    c = deck.content
    public = c.audience != COPIL
    cs = c.complaints
    slide = deck.slide("Vos suggestions et réclamations" if public else "Suggestions et réclamations")
    if cs is None:
        add_text(slide, MARGIN, CONTENT_TOP, SLIDE_W - 2 * MARGIN, 1.0, c.notes.get("complaints", ""), max_pt=20,
                 min_pt=12, color=GREY_TEXT, name="empty")
        return
    rate = format_value(cs.rate_in_time, "%")
    lines = [f"{count_text(cs.received, 'demande reçue', 'demandes reçues')} — {cs.period_label}",
             f"{rate} traitées dans les délais ({cs.in_time} sur {cs.in_time + cs.late})",
             f"Délai moyen de réponse : {format_value(cs.mean_delay, 'j')} ouvrés"]
    if cs.pending:
        lines.append(f"{cs.pending} en attente de réponse, délai en cours")
    lines.append("Délais : 5 jours ouvrés par courriel ou formulaire, 10 par urne ou courrier.")
    if cs.source != "journal":
        lines.append("Répartition par type et par canal : disponible quand un journal des demandes est importé.")
    add_text(slide, MARGIN, CONTENT_TOP, 5.6, CONTENT_BOTTOM - CONTENT_TOP, "\n".join(lines), max_pt=20, min_pt=11,
             name="complaints_text")
    charts = [(title, data) for title, data in (("Par type", cs.by_type), ("Par canal", cs.by_channel)) if data]
    if charts:
        height = (CONTENT_BOTTOM - CONTENT_TOP - 0.1) / len(charts)
        for k, (title, data) in enumerate(charts):
            add_bar_chart(slide, 6.4, CONTENT_TOP + k * (height + 0.1), SLIDE_W - 6.4 - MARGIN, height,
                          [name.capitalize() for name in data], [(title, list(data.values()), BAR_CURRENT)],
                          number_format="0", legend=False, name=f"complaints_chart_{k}")
            chart = slide.shapes[-1].chart
            chart.has_title = True
            chart.chart_title.text_frame.text = title
            chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(14)


def surveys_slide(deck: Deck) -> None:
    c = deck.content
    if not c.surveys:
        return
    slide = deck.slide("Votre satisfaction" if c.audience != COPIL else "Enquêtes de satisfaction")
    columns = [Column("Enquête", 3.6), Column("Période", 2.4), Column("Répondants", 1.5, PP_ALIGN.RIGHT),
               Column("Satisfaits", 1.5, PP_ALIGN.RIGHT), Column("Intervalle (95 %)", 1.9, PP_ALIGN.RIGHT),
               Column("Année précédente", 1.43, PP_ALIGN.RIGHT)]
    rows = []
    for s in c.surveys:
        interval = (f"{format_value(s.ci_low, '%')} – {format_value(s.ci_high, '%')}"
                    if s.ci_low is not None and s.ci_high is not None else "–")
        rate = (format_value(s.satisfaction_rate, "%") if s.satisfaction_rate is not None
                else f"non publié (< {c.min_volume})")
        rows.append([Cell(s.channel), Cell(s.period_label), Cell(f"{s.respondents} ({s.expressed} exprimés)"),
                     Cell(rate, bold=True), Cell(interval), Cell(format_value(s.previous_rate, "%"))])
    layout = table_layout(columns, rows, 3.2, 16, 10) or (10, [0.45] * (len(rows) + 1))
    add_table(slide, MARGIN, CONTENT_TOP, columns, rows, layout, name="surveys_table")
    rated = [s for s in c.surveys if s.satisfaction_rate is not None]
    if rated:
        top = CONTENT_TOP + sum(layout[1]) + 0.2
        if CONTENT_BOTTOM - top > 1.5:
            add_bar_chart(slide, MARGIN, top, SLIDE_W - 2 * MARGIN, CONTENT_BOTTOM - top,
                          [f"{s.channel} (n = {s.expressed})" for s in rated],
                          [("Satisfaits", [s.satisfaction_rate for s in rated], BAR_CURRENT)],
                          number_format='0.0" %"', max_value=rate_axis_max(s.satisfaction_rate for s in rated),
                          legend=False, name="surveys_chart", inside=XL_LABEL_POSITION.INSIDE_END)


def action_plan_slide(deck: Deck) -> None:
    c = deck.content
    plan = c.action_plan
    if plan is None:
        return
    slide = deck.slide("Notre plan d'actions" if c.audience != COPIL else "Plan d'actions : réalisation")
    columns = [Column("Module", 5.0), Column("Fait", 1.3, PP_ALIGN.RIGHT), Column("En cours", 1.3, PP_ALIGN.RIGHT),
               Column("Non fait", 1.3, PP_ALIGN.RIGHT), Column("Réalisation", 1.6, PP_ALIGN.RIGHT)]
    rows = [[Cell(m.module), Cell(str(m.done)), Cell(str(m.in_progress)), Cell(str(m.not_done)),
             Cell(format_value(m.rate, "%"), bold=True)] for m in (*plan.modules, plan.overall)]
    layout = table_layout(columns, rows, 3.6, 16, 10) or (10, [0.4] * (len(rows) + 1))
    add_table(slide, MARGIN, CONTENT_TOP, columns, rows, layout, name="plan_table")
    if plan.examples:
        top = CONTENT_TOP + sum(layout[1]) + 0.2
        add_text(slide, MARGIN, top, SLIDE_W - 2 * MARGIN, CONTENT_BOTTOM - top,
                 "Exemples d'actions réalisées :\n" + "\n".join(f"• {x}" for x in plan.examples[:6]),
                 max_pt=16, min_pt=10, name="plan_examples")


def trainings_slide(deck: Deck) -> None:
    c = deck.content
    if c.trainings is None:
        return
    slide = deck.slide("Formation des agents")
    columns = [Column("Fonction", 4.2), Column("Agents concernés", 1.8, PP_ALIGN.RIGHT),
               Column("À jour", 1.3, PP_ALIGN.RIGHT), Column("À former (1re année)", 1.9, PP_ALIGN.RIGHT),
               Column("En retard", 1.4, PP_ALIGN.RIGHT), Column("Taux à jour", 1.6, PP_ALIGN.RIGHT)]
    rows = [[Cell(x.role), Cell(str(x.agents)), Cell(str(x.up_to_date)), Cell(str(x.to_train)), Cell(str(x.late)),
             Cell(format_value(x.rate, "%"))]
            for x in (*c.trainings.lines, c.trainings.total)]
    layout = table_layout(columns, rows, CONTENT_BOTTOM - CONTENT_TOP, 16, 10) or (10, [0.4] * (len(rows) + 1))
    add_table(slide, MARGIN, CONTENT_TOP, columns, rows, layout, name="trainings_table")


def audits_slide(deck: Deck) -> None:
    c = deck.content
    if c.audits is None or c.audience != COPIL:
        return
    slide = deck.slide("Audits de l'année")
    columns = [Column("Date", 1.4), Column("Audit", 2.6), Column("Par", 2.6), Column("C", 0.8, PP_ALIGN.RIGHT),
               Column("NC maj.", 1.0, PP_ALIGN.RIGHT), Column("NC min.", 1.0, PP_ALIGN.RIGHT),
               Column("PF", 0.8, PP_ALIGN.RIGHT), Column("PS", 0.8, PP_ALIGN.RIGHT), Column("PP", 0.8, PP_ALIGN.RIGHT)]
    rows = [[Cell(f"{a.date:%d/%m/%Y}"), Cell(a.kind), Cell(a.body), Cell(str(a.conform)), Cell(str(a.nc_major)),
             Cell(str(a.nc_minor)), Cell(str(a.strong_points)), Cell(str(a.sensitive_points)),
             Cell(str(a.progress_tracks))] for a in c.audits.audits]
    layout = table_layout(columns, rows, CONTENT_BOTTOM - CONTENT_TOP, 16, 10) or (10, [0.4] * (len(rows) + 1))
    add_table(slide, MARGIN, CONTENT_TOP, columns, rows, layout, name="audits_table")


def paged_table_slides(deck: Deck, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Cell]],
                       notes: Sequence[str], name: str, long_column: int, max_pt: float = 14) -> None:
    """A table over as many slides as it needs ("(suite 2)"), each slide as many whole rows as fit
    at *max_pt* to 10 pt (prose read from the back of the room gets a larger *max_pt*); a row too long for a slide alone has its *long_column* shortened on the slide,
    its full text in the notes (which hold each row's *notes* line)."""
    start = 0
    page = 0
    room = CONTENT_BOTTOM - CONTENT_TOP
    while start < len(rows):
        count = len(rows) - start
        while count > 1 and table_layout(columns, rows[start:start + count], room, max_pt, 10) is None:
            count -= 1
        chunk = list(rows[start:start + count])
        layout = table_layout(columns, chunk, room, max_pt, 10)
        if layout is None:  # one row too long for a slide: shortened, full text in the notes
            cells = list(chunk[0])
            width = _pt(columns[long_column].width - 2 * TEXT_PAD)
            cells[long_column] = Cell(shorten(cells[long_column].text, width, _pt(room) * 0.7, 10))
            chunk = [cells]
            layout = table_layout(columns, chunk, room, 10, 10) or (10, [0.5, room - 0.5])
        page += 1
        slide = deck.slide(title + (f" (suite {page})" if page > 1 else ""), notes="\n".join(notes[start:start + count]))
        add_table(slide, MARGIN, CONTENT_TOP, columns, chunk, layout, name=name)
        start += count


def analysis_slides(deck: Deck) -> None:
    """COPIL only: the COPIL's general analysis of each quarter of the period, in its own words."""
    c = deck.content
    if c.audience != COPIL:
        return
    meetings = [m for m in c.period_meetings if m.analysis]
    if not meetings:
        return
    columns = [Column("Revue", 3.2), Column("Analyse du COPIL", SLIDE_W - 2 * MARGIN - 3.2)]
    rows = [[Cell(m.heading, bold=True), Cell(m.analysis)] for m in meetings]
    paged_table_slides(deck, "Analyse du comité de pilotage", columns, rows,
                       [f"{m.heading} : {m.analysis}" for m in meetings], "analysis_table", long_column=1, max_pt=20)


SIGNALS_MAX_PT = 16
VARIATION_RGB = {v: RGBColor.from_string(style.text_colour) for v, style in VARIATION_STYLES.items()}
ASSURANCE_RGB = {a: RGBColor.from_string(style.text_colour) for a, style in ASSURANCE_STYLES.items()}
GLYPH_ROOM = 0.2  # inches: the symbols come from a fallback font, wider than Liberation Sans measures them


def signal_slides(deck: Deck, section: ModuleSection) -> None:
    """COPIL only: after a module's figures, each monthly indicator's latest variation and its
    assurance on its control chart, as symbol + word (coloured, never by colour alone), with the
    two sentences that say what they mean."""
    c = deck.content
    if c.audience != COPIL:
        return
    charted = [(f, f.spc) for f in section.indicators if f.spc is not None]
    if not charted:
        return
    words_v = [s.text for s in VARIATION_STYLES.values()]
    words_a = [s.text for s in ASSURANCE_STYLES.values()]
    columns = [Column("Indicateur", 3.4),
               Column("Variation", one_line_width(words_v, SIGNALS_MAX_PT, 1.2) + GLYPH_ROOM),
               Column("Assurance", one_line_width(words_a, SIGNALS_MAX_PT, 1.2) + GLYPH_ROOM)]
    columns.append(Column("Ce que cela veut dire", SLIDE_W - 2 * MARGIN - sum(col.width for col in columns)))
    rows: dict[str, list[Cell]] = {}
    notes: dict[str, str] = {}
    for f, spc in charted:
        style = assurance_style(spc.assurance)
        month = month_label_fr(spc.month)
        # the period's dated events that may explain the move (internal notes: this slide is COPIL only)
        events = "".join(f" Événement : {m.text}." for m in c.events_on(f.code))
        rows[f.code] = [Cell(f"{f.label} ({month})", bold=True),
                        Cell(variation_style(spc.variation).text, VARIATION_RGB.get(spc.variation, INK), bold=True),
                        Cell(style.text if style else "–", ASSURANCE_RGB.get(spc.assurance or "", INK),
                             bold=style is not None),
                        Cell(f"{spc.variation_text} {spc.assurance_text}{events}")]
        notes[f.code] = f"{f.label}, {month} : {spc.variation_text} {spc.assurance_text}{events}"
    room = CONTENT_BOTTOM - CONTENT_TOP - 0.1
    per_slide = MAX_ROWS[COPIL]
    while True:  # as many slides as keep every row at 12 pt or more, the rows spread evenly
        chunks = _chunks([f for f, _ in charted], per_slide)
        layouts = [table_layout(columns, [rows[f.code] for f in chunk], room, SIGNALS_MAX_PT, 12) for chunk in chunks]
        if all(layouts) or per_slide == 1:
            break
        per_slide -= 1
    for k, (chunk, layout) in enumerate(zip(chunks, layouts, strict=True)):
        title = f"{section.heading} — variation et assurance" + (f" (suite {k + 1}/{len(chunks)})" if k else "")
        slide = deck.slide(title, notes="\n".join(notes[f.code] for f in chunk))
        cells = [rows[f.code] for f in chunk]
        add_table(slide, MARGIN, CONTENT_TOP, columns, cells,
                  layout or table_layout(columns, cells, room, 12, 9) or (9, [0.5] * (len(cells) + 1)),
                  name="signals_table")


def comment_slides(deck: Deck, section: ModuleSection) -> None:
    """COPIL only: after a module's figures, what the COPIL said of its indicators over the period."""
    c = deck.content
    if c.audience != COPIL:
        return
    comments = [(f, quarter, text) for f in section.indicators for quarter, text in c.comments_on(f.code)]
    if not comments:
        return
    several = len({q for _, q, _ in comments}) > 1
    columns = [Column("Indicateur", 3.6)] + ([Column("Revue", 2.0)] if several else [])
    columns.append(Column("Commentaire du COPIL", SLIDE_W - 2 * MARGIN - sum(col.width for col in columns)))
    rows = [[Cell(f"{f.label} ({f.value_text})", bold=True)] + ([Cell(q)] if several else []) + [Cell(text)]
            for f, q, text in comments]
    paged_table_slides(deck, f"{section.heading} — analyse du COPIL", columns, rows,
                       [f"{f.label} ({q}) : {text}" for f, q, text in comments], "comments_table",
                       long_column=len(columns) - 1, max_pt=20)


def decided_actions_slides(deck: Deck) -> None:
    """COPIL only: the actions decided in the quarterly reviews of the period's year, with their
    owner, due date and where the action plan says they stand today."""
    c = deck.content
    if c.audience != COPIL:
        return
    fixed = [Column("Revue", 1.7), Column("Indicateur", 2.5)]
    tail = [Column("Pilote", 1.9), Column("Échéance", 1.25, PP_ALIGN.RIGHT), Column("Avancement", 1.85)]
    width = SLIDE_W - 2 * MARGIN - sum(col.width for col in fixed + tail)
    columns = [*fixed, Column("Action décidée", width), *tail]
    if not c.decided_actions:
        slide = deck.slide("Actions décidées en COPIL")
        add_text(slide, MARGIN, CONTENT_TOP, SLIDE_W - 2 * MARGIN, 1.0,
                 f"Aucune action décidée n'est enregistrée dans les revues trimestrielles de {c.period.end.year}.",
                 max_pt=20, min_pt=12, color=GREY_TEXT, name="empty")
        return
    rows = [[Cell(a.quarter_label), Cell(a.indicator), Cell(a.text), Cell(a.owner or "–"), Cell(a.due_text),
             Cell(a.state_text, STATUS_TEXT_RGB[NON_ATTEINT] if a.late else INK, bold=a.late)]
            for a in c.decided_actions]
    paged_table_slides(deck, "Actions décidées en COPIL", columns, rows,
                       [f"{a.text} — {a.owner or 'sans pilote'}, échéance {a.due_text} : {a.state_text}"
                        for a in c.decided_actions], "actions_table", long_column=2)


def build_deck(content: DocumentContent) -> bytes:
    """The PPTX bytes of the deck for *content*'s audience (COPIL, or CLU for a public model)."""
    deck = Deck(content)
    title_slide(deck)
    summary_slide(deck)
    analysis_slides(deck)
    for section in content.modules:
        module_slides(deck, section)
        signal_slides(deck, section)
        comment_slides(deck, section)
    perimetre_slides(deck)
    complaints_slide(deck)
    surveys_slide(deck)
    trainings_slide(deck)
    action_plan_slide(deck)
    audits_slide(deck)
    decided_actions_slides(deck)
    return deck.finish()


__all__ = ["LINE_SPACING", "build_deck"]
