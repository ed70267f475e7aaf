"""What a référent(e) qualité does in a real browser: read the dashboard, import a tracking sheet and
see it on the dashboard and the indicator page, read the engagements, and get a French refusal for
a bad file. Screenshots go to test-artifacts/ (look at them: layout problems don't fail a test).

The tests share one server and one demo database (session fixtures in conftest.py). The import
test adds January-February 2025, which becomes the dashboard's default year: the other tests name
their year in the URL (or check only what holds for any year), so their order doesn't matter.
"""

from __future__ import annotations

import io
import json
import re

import openpyxl
import pytest

from tests.browser.conftest import ARTIFACTS, ROOT, UI_TIMEOUT_MS, new_tab

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests: the playwright package is not installed")
expect = sync_api.expect

CODE = "COURRIEL_5J"
YEAR = 2025  # the demo stops in September 2024: nothing there yet
ANSWERS, IN_TIME = (200, 100), (150, 99)
APP = '[data-testid="stApp"]'
MAIN = '[data-testid="stMain"]'
UPLOADER = '[data-testid="stFileUploader"]'


def indicator_label(code: str) -> str:
    referentiel = json.loads((ROOT / "data" / "referentiel.json").read_text(encoding="utf-8"))
    return next(i["label"] for i in referentiel["indicators"] if i["code"] == code)


def french_percent(numerator: float, denominator: float) -> str:
    """As the app writes it: one decimal, decimal comma, space before %."""
    return f"{100 * numerator / denominator:.1f} %".replace(".", ",")


def tracking_sheet(rows: list[list[object]], title: str = f"Courriels {YEAR}") -> bytes:
    """A wide monthly tracking sheet as services keep them: title, month headers, one row per count."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws.append([title])
    ws.append(["", "janvier", "février"])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def wait_for_app(page) -> None:  # type: ignore[no-untyped-def]
    """Connected and no script run going on, fonts (icons included) loaded.

    Streamlit reports "notRunning" before the first run too, and renders some elements (metrics,
    charts) a moment after the run ends: callers first wait for content they expect, then call this.
    """
    page.wait_for_selector(f'{APP}[data-test-connection-state="CONNECTED"]', timeout=UI_TIMEOUT_MS)
    page.wait_for_selector(f'{APP}[data-test-script-state="notRunning"]', timeout=UI_TIMEOUT_MS)
    page.evaluate("document.fonts.ready.then(() => true)")


def open_page(page, path: str, ready: str = "h1") -> None:  # type: ignore[no-untyped-def]
    """Go to *path* and wait until its script run is over (*ready*: an element the page always shows)."""
    page.goto(path)
    expect(page.locator(MAIN).locator(ready).first).to_be_visible()
    wait_for_app(page)


def next_frames(page) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def assert_no_exception(page) -> None:  # type: ignore[no-untyped-def]
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, f"the page shows an exception: {errors.first.inner_text()[:500]}"


def screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """The whole page. Streamlit scrolls inside stMain, so full_page alone would stop at the viewport:
    the viewport is stretched to the content's height for the shot, then put back."""
    wait_for_app(page)
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("() => (document.querySelector('[data-testid=\"stMain\"]') "
                           "|| document.documentElement).scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(size["height"], height), 20_000)})
    next_frames(page)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.set_viewport_size(size)


def tile_value(page, label: str):  # type: ignore[no-untyped-def]
    """The value of the dashboard tile whose label is *label*."""
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label))
    return metric.first.locator('[data-testid="stMetricValue"]')


def upload(page, name: str, content: bytes) -> None:  # type: ignore[no-untyped-def]
    page.locator(f'{MAIN} {UPLOADER} input[type="file"]').first.set_input_files(files=[{
        "name": name, "buffer": content,
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])


def save_button(page):  # type: ignore[no-untyped-def]
    return page.locator(MAIN).get_by_role("button", name=re.compile("Enregistrer"))


def test_dashboard(page) -> None:  # type: ignore[no-untyped-def]
    open_page(page, "/")
    expect(page.get_by_role("heading", name="Tableau de bord Qual-e-Pref")).to_be_visible()
    expect(page.locator(MAIN).get_by_text("atteignent leur cible")).to_be_visible()
    values = page.locator('[data-testid="stMetricValue"]')
    expect(values.nth(9)).to_be_attached()  # ten tiles at least (the demo has twenty indicators)
    texts = values.all_inner_texts()
    assert any(re.fullmatch(r"\d{1,3},\d %", t.strip()) for t in texts), f"no French percentage among {texts}"
    assert not any(re.search(r"\d\.\d", t) for t in texts), f"a decimal point instead of a comma: {texts}"
    assert page.evaluate("document.documentElement.lang") == "fr"  # read aloud with French rules (RGAA 8.3)
    nav = page.locator('[data-testid="stSidebarNav"]')
    expect(nav).to_contain_text("Historique")  # every page listed, the last one included
    assert "View" not in nav.inner_text() and "more" not in nav.inner_text()
    assert_no_exception(page)
    screenshot(page, "dashboard.png")


def test_import_then_dashboard_and_indicator(page) -> None:  # type: ignore[no-untyped-def]
    expected = french_percent(sum(IN_TIME), sum(ANSWERS))  # 249 / 300
    sheet = tracking_sheet([["Nombre de réponses", *ANSWERS], ["Nombre de réponses dans les délais", *IN_TIME]])
    open_page(page, "/import", ready=UPLOADER)
    name = f"courriels-{YEAR}.xlsx"
    upload(page, name, sheet)
    expect(save_button(page)).to_be_enabled()
    preview = page.locator(MAIN).locator('[data-testid="stExpander"]', has_text=name)
    expect(preview.first).to_contain_text(CODE)
    wait_for_app(page)
    assert_no_exception(page)
    save_button(page).click()
    success = page.locator('[data-testid="stAlertContentSuccess"], [data-testid="stToast"]')
    expect(success.first).to_be_visible()
    wait_for_app(page)
    assert_no_exception(page)
    screenshot(page, "import.png")

    open_page(page, f"/?annee={YEAR}")
    expect(page.get_by_role("heading", name="Tableau de bord Qual-e-Pref")).to_be_visible()
    expect(tile_value(page, indicator_label(CODE))).to_have_text(expected)
    assert_no_exception(page)
    screenshot(page, "dashboard-apres-import.png")

    open_page(page, f"/indicateurs?ind={CODE}&annee={YEAR}")
    expect(page.locator(MAIN).get_by_role("heading", name=indicator_label(CODE))).to_be_visible()
    expect(page.locator(MAIN).locator('[data-testid="stMetricValue"]', has_text=expected).first).to_be_visible()
    chart = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot, .js-plotly-plot')
    expect(chart.first).to_be_visible()
    expect(chart.first.locator(".main-svg").first).to_be_attached()
    assert_no_exception(page)
    screenshot(page, "indicateur.png")


def test_indicator_page_with_breakdown(page) -> None:  # type: ignore[no-untyped-def]
    """A demo year with several mailboxes: the months chart and the breakdown by périmètre."""
    open_page(page, f"/indicateurs?ind={CODE}&annee=2022")
    expect(page.locator(MAIN).get_by_role("heading", name=indicator_label(CODE))).to_be_visible()
    charts = page.locator('[data-testid="stPlotlyChart"]')
    expect(charts.nth(1)).to_be_visible()
    for i in range(2):
        expect(charts.nth(i).locator(".main-svg").first).to_be_attached()
    assert_no_exception(page)
    screenshot(page, "indicateur-perimetres.png")


def test_engagements(page) -> None:  # type: ignore[no-untyped-def]
    open_page(page, "/engagements?annee=2024")
    headings = page.locator(MAIN).get_by_role("heading", level=2)
    expect(headings.filter(has_text="Module 1").first).to_be_visible()
    expect(headings.filter(has_text="Module 2").first).to_be_visible()
    expect(page.locator('[data-testid="stExpander"]').first).to_be_visible()
    # a closed engagement runs its sections only once opened (a rerun): they appear then
    panels = page.locator('[data-testid="stExpander"]')
    opened = [panels.nth(i).locator("details").get_attribute("open") for i in range(panels.count())]
    closed = panels.nth(opened.index(None))  # the first closed one, held by its place
    expect(closed.get_by_text("dossier", exact=False)).to_have_count(0)
    closed.locator("summary").click()
    expect(closed.get_by_text("dossier", exact=False).first).to_be_visible(timeout=30_000)
    assert_no_exception(page)
    screenshot(page, "engagements.png")


def test_bad_file_is_refused_in_french(page) -> None:  # type: ignore[no-untyped-def]
    sheet = tracking_sheet([["Nombre de réponses", "beaucoup", 100], ["Nombre de réponses dans les délais", 150, 99]],
                           title="Courriels 2026")
    open_page(page, "/import", ready=UPLOADER)
    upload(page, "courriels-faux.xlsx", sheet)
    error = page.locator('[data-testid="stAlertContentError"]')
    expect(error.first).to_be_visible()
    expect(page.locator(MAIN)).to_contain_text(re.compile(r"n'est pas un nombre|refusé"))
    wait_for_app(page)
    expect(save_button(page)).to_have_count(0)
    assert_no_exception(page)
    screenshot(page, "import-refuse.png")


def test_deep_link_after_restart(browser, fresh_server_url, request) -> None:  # type: ignore[no-untyped-def]
    """A bookmarked link opened first after the app (re)starts shows the page inside app.py's frame.

    With a ``pages/`` folder beside app.py, plain ``streamlit run app.py`` fails this: until some
    session has run ``st.navigation``, Streamlit resolves the URL against pages/ (legacy mode) and
    runs the page file alone: file-name navigation, no sidebar choices, "Aucune préfecture".
    """
    with new_tab(browser, fresh_server_url, request) as page:
        page.goto(f"/indicateurs?ind={CODE}&annee=2024")
        page.locator(f'{MAIN} h1, {MAIN} [data-testid="stAlert"]').first.wait_for()
        wait_for_app(page)
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Tableau de bord" in nav, f"not the app's navigation (app.py did not run): {nav!r}"
        expect(page.locator(MAIN).get_by_role("heading", name=indicator_label(CODE))).to_be_visible()
        expect(page.locator('[role="dialog"]')).to_have_count(0)
