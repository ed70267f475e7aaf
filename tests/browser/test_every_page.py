"""Every page of the app, as a desk screen (1440 px) and a phone (390 px) show it: it runs without
an exception, nothing runs off the side of a phone's screen, and a full-page screenshot of each is
kept in test-artifacts/pages/ to be looked at (layout problems a test cannot judge).
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT, new_tab
from tests.browser.test_journeys import MAIN, assert_no_exception, next_frames, open_page, wait_for_app

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests: the playwright package is not installed")

PAGES = ["", *re.findall(r'url_path="([^"]+)"', (ROOT / "app.py").read_text(encoding="utf-8"))]
WIDTHS = {"bureau": 1440, "mobile": 390}


def _full_shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """The whole page (Streamlit scrolls inside stMain: the viewport is stretched to its height)."""
    folder = ARTIFACTS / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(size["height"], height), 16_000)})
    next_frames(page)
    page.wait_for_timeout(500)  # elements brought into view are painted
    page.screenshot(path=str(folder / name), full_page=True)
    page.set_viewport_size(size)


def test_the_app_has_the_pages_of_its_navigation() -> None:
    assert len(PAGES) == 16 and "revue" in PAGES and "historique" in PAGES and "signaux" in PAGES and "collecte" in PAGES


@pytest.mark.parametrize("device", sorted(WIDTHS))
def test_every_page_at_desk_and_phone_width(browser, app_url, request, device) -> None:  # type: ignore[no-untyped-def]
    width = WIDTHS[device]
    with new_tab(browser, app_url, request) as page:
        page.set_viewport_size({"width": width, "height": 900})
        overflowing = []
        for path in PAGES:
            open_page(page, f"/{path}?annee=2024")
            page.wait_for_timeout(1000)  # the sidebar writes the URL's choices back: a second run may follow
            wait_for_app(page)
            assert_no_exception(page)
            wide = page.evaluate(
                """() => { const main = document.querySelector('[data-testid="stMain"]');
                           return Math.max(main.scrollWidth - main.clientWidth,
                                           document.documentElement.scrollWidth - window.innerWidth); }""")
            if wide > 2:
                overflowing.append(f"/{path} : {wide} px")
            _full_shot(page, f"{path or 'tableau-de-bord'}-{width}.png")
        assert page.locator(MAIN).count() == 1
        assert not overflowing, f"pages wider than a {width} px screen: {overflowing}"
