"""Every chart of every page reads at a glance: no text over another text, no figure outside the
chart, across a line (target, trace) or over a hatched bar.

The app runs on the demo (conftest.py); each page, each of its tabs and the expanders that hold a
chart are opened in a 1440 px wide window, and the SVG Plotly drew is measured in the browser
(chart_geometry.js): boxes of the texts as displayed, points along the lines. A screenshot of each
page and tab, and of each chart, goes to test-artifacts/charts-*.png: look at them, a test only
measures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, new_tab
from tests.browser.test_journeys import MAIN, assert_no_exception, next_frames, open_page, wait_for_app

pytest.importorskip("playwright.sync_api", reason="browser tests: the playwright package is not installed")

GEOMETRY_JS = (Path(__file__).with_name("chart_geometry.js")).read_text(encoding="utf-8")
TOLERANCE = 1.0  # px: boxes that touch are not overlapping
LABEL_KINDS = ("data", "annotation")
WIDTH, HEIGHT = 1440, 1800  # tall: Streamlit scrolls inside the page, a screenshot shows the viewport

#: (name, path, charts at least): every page that draws a chart, on the demo year, and indicators
#: of each kind (with périmètres, rates, delays); the demo has one préfecture: no comparison chart.
PAGES = [
    ("tableau-de-bord", "/?annee=2024", 0),
    ("indicateur-courriels", "/indicateurs?annee=2024&ind=COURRIEL_5J", 2),
    ("indicateur-appels", "/indicateurs?annee=2024&ind=TEL_ABOUTIS", 1),
    ("indicateur-appels-2022", "/indicateurs?annee=2022&ind=TEL_ABOUTIS", 1),  # the voice server (process change)
    ("indicateur-reclamations", "/indicateurs?annee=2024&ind=RECLA_DELAI", 1),
    ("indicateur-accueil", "/indicateurs?annee=2024&ind=ACCUEIL_SATISFACTION", 1),
    ("engagements", "/engagements?annee=2024&dossier=E3", 1),
    ("enquetes", "/enquetes?annee=2024", 2),
    ("plan-actions", "/plan-actions?annee=2024", 3),
    ("formations", "/formations?annee=2024", 1),
    ("audits", "/audits?annee=2024", 0),
    ("revue", "/revue?annee=2024", 0),
    ("comparaison", "/comparaison?annee=2024", 0),
]


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def of(cls, raw: dict[str, float]) -> Box:
        return cls(raw["x0"], raw["y0"], raw["x1"], raw["y1"])

    def overlaps(self, other: Box) -> bool:
        return (min(self.x1, other.x1) - max(self.x0, other.x0) > TOLERANCE
                and min(self.y1, other.y1) - max(self.y0, other.y0) > TOLERANCE)

    def inside(self, outer: Box) -> bool:
        return (self.x0 >= outer.x0 - TOLERANCE and self.y0 >= outer.y0 - TOLERANCE
                and self.x1 <= outer.x1 + TOLERANCE and self.y1 <= outer.y1 + TOLERANCE)

    def holds(self, x: float, y: float) -> bool:
        return self.x0 + TOLERANCE < x < self.x1 - TOLERANCE and self.y0 + TOLERANCE < y < self.y1 - TOLERANCE


def chart_problems(chart: dict[str, Any]) -> list[str]:
    """What does not read in one chart (as measured by chart_geometry.js), one line each."""
    problems = []
    texts = [(t["kind"], t["text"], Box.of(t["box"])) for t in chart["texts"]]
    viewport = Box.of(chart["viewport"])
    for i, (kind, text, box) in enumerate(texts):
        for other_kind, other, other_box in texts[i + 1:]:
            if box.overlaps(other_box):
                problems.append(f"{kind} « {text} » overlaps {other_kind} « {other} »")
        if not box.inside(viewport):
            problems.append(f"{kind} « {text} » runs out of the chart")
        if kind not in LABEL_KINDS:
            continue
        for line in chart["lines"]:
            if any(box.holds(x, y) for x, y in line["points"]):
                problems.append(f"a {line['kind']} crosses {kind} « {text} »")
                break
        if any(box.overlaps(Box.of(h)) for h in chart["hatched"]):
            problems.append(f"{kind} « {text} » is printed over a hatched bar")
    return problems


def open_expanders_with_charts(page: Any) -> None:
    """Expanders render their content closed: open those that hold a chart."""
    summaries = page.locator(f'{MAIN} details:not([open]):has(.js-plotly-plot) > summary')
    for k in range(summaries.count()):
        summaries.nth(k).click()
    if summaries.count():
        next_frames(page)


CHARTS_DRAWN_JS = """() => {
  const shown = (e) => e.getBoundingClientRect().height > 0;
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].filter(shown);
  const waiting = [...document.querySelectorAll('[data-testid="stSkeleton"]')].filter(shown);
  return waiting.length === 0 && charts.every((c) => c.querySelector('.main-svg .cartesianlayer'));
}"""


def measure(page: Any, where: str) -> tuple[int, list[str]]:
    """The charts on screen and what does not read in them; a screenshot of the page."""
    open_expanders_with_charts(page)
    page.wait_for_function(CHARTS_DRAWN_JS)  # plotly is loaded and draws after the script run
    page.wait_for_timeout(300)
    next_frames(page)
    problems = []
    charts = page.evaluate(GEOMETRY_JS)
    for chart in charts:
        name = chart["title"] or f"graphique n° {chart['index'] + 1}"
        problems += [f"{where} — {name} : {p}" for p in chart_problems(chart)]
    slug = re.sub(r"[^a-z0-9]+", "-", where.lower()).strip("-")
    page.screenshot(path=str(ARTIFACTS / f"charts-{slug}.png"), full_page=True)
    shown = page.locator(f'{MAIN} [data-testid="stPlotlyChart"]:visible')
    for k in range(shown.count()):  # each chart on its own too: the page scrolls inside, out of the shot
        shown.nth(k).screenshot(path=str(ARTIFACTS / f"charts-{slug}-{k + 1}.png"))
    return len(charts), problems


@pytest.mark.parametrize(("name", "path", "least"), PAGES, ids=[n for n, *_ in PAGES])
def test_chart_labels_read(browser: Any, app_url: str, request: pytest.FixtureRequest, name: str, path: str,
                           least: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page: Any
    with new_tab(browser, app_url, request) as page:
        page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
        open_page(page, path)
        assert_no_exception(page)
        count, problems = measure(page, name)
        tabs = page.locator(f'{MAIN} [role="tab"]')
        labels = [tabs.nth(k).inner_text().strip() for k in range(tabs.count())]
        for k, label in enumerate(labels[1:], start=1):
            tabs.nth(k).click()
            wait_for_app(page)
            more, found = measure(page, f"{name} {label}")
            count, problems = count + more, problems + found
    assert count >= least, f"{name}: {count} chart(s) measured, {least} expected at least"
    assert not problems, f"{name}: {count} chart(s), some do not read:\n" + "\n".join(problems)
