"""The Collecte page of the demo in a real browser, as the board stood on 15 October 2024 (the
demo's date, ``?au=2024-10-15``): one late service (CM) and one partial (the sous-préfecture),
kept as a full-page screenshot in test-artifacts/pages/collecte-2024-10-15-1440.png."""

from __future__ import annotations

import pytest

from tests.browser.conftest import new_tab
from tests.browser.test_every_page import _full_shot
from tests.browser.test_journeys import MAIN, assert_no_exception, open_page, wait_for_app

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests: the playwright package is not installed")


def test_the_demo_board_on_its_date(browser, app_url, request) -> None:  # type: ignore[no-untyped-def]
    with new_tab(browser, app_url, request) as page:
        page.set_viewport_size({"width": 1440, "height": 900})
        open_page(page, "/collecte?annee=2024&au=2024-10-15")
        page.wait_for_timeout(1000)  # the sidebar writes the URL's choices back: a second run may follow
        wait_for_app(page)
        assert_no_exception(page)
        main = page.locator(MAIN)
        sync_api.expect(main.get_by_text("10 périmètres : 8 reçus, 1 partiel, 1 en retard")).to_be_visible()
        sync_api.expect(main.get_by_text("T3 2024 : 1 mois sur 3 reçu pour CM", exact=False)).to_be_visible()
        _full_shot(page, "collecte-2024-10-15-1440.png")
