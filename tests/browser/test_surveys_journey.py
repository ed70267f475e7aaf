"""A référent(e) qualité on the "Enquêtes" page in a real browser: the demo's 2024 reception survey
against 2023, the comments (the admin view: local mode has every right), the mystery checks, then a phone
survey exported as a French Excel CSV imported from the page. Screenshots in test-artifacts/.

The imported survey is from 2022 and feeds no indicator: the other journeys' figures do not move.
"""

from __future__ import annotations

import re

import pytest

from tests import survey_files as files
from tests.browser.test_journeys import MAIN, assert_no_exception, open_page, screenshot, wait_for_app

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests: the playwright package is not installed")
expect = sync_api.expect


def metric_value(page, label: str):  # type: ignore[no-untyped-def]
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label))
    return metric.first.locator('[data-testid="stMetricValue"]')


def open_tab(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("tab", name=name).click()
    wait_for_app(page)


def test_survey_results_comments_and_import(page) -> None:  # type: ignore[no-untyped-def]
    open_page(page, "/enquetes?annee=2024")
    expect(page.get_by_role("heading", name="Enquêtes de satisfaction et contrôles mystères")).to_be_visible()
    expect(metric_value(page, "Satisfaction générale")).to_have_text("94,1 %")
    expect(metric_value(page, "Année 2023")).to_have_text("93,1 %")
    charts = page.locator(f'{MAIN} [data-testid="stPlotlyChart"]')
    expect(charts.nth(5)).to_be_visible()
    expect(charts.first.locator(".main-svg").first).to_be_attached()
    page.locator(MAIN).get_by_text(re.compile(r"^Questions 9 à")).click()  # the later questions, drawn once opened
    expect(page.locator(MAIN).get_by_text(re.compile("hausse significative")).first).to_be_attached()
    assert_no_exception(page)
    screenshot(page, "enquetes-resultats.png")

    open_tab(page, "Commentaires")  # local mode has every right: the admin view (AppTest covers other roles)
    expect(page.locator(MAIN).get_by_text("Vue administrateur").first).to_be_visible()
    search = page.locator(MAIN).get_by_label("Rechercher")
    search.fill("sièges")
    search.press("Enter")
    expect(page.locator(MAIN).get_by_text(re.compile(r"^[1-9]\d* commentaires? sur \d+"))).to_be_visible()
    search.fill("")
    search.press("Enter")
    wait_for_app(page)
    expect(page.locator(MAIN).get_by_text("toujours masqués").first).to_be_visible()
    screenshot(page, "enquetes-commentaires.png")

    open_tab(page, "Contrôles mystères")
    expect(page.locator(MAIN).get_by_role("heading", name="Appels mystères 2024")).to_be_visible()
    expect(metric_value(page, "Contrôles").first).to_have_text("16")
    screenshot(page, "enquetes-mysteres.png")

    open_tab(page, "Importer une enquête")
    uploader = page.locator(f'{MAIN} [data-testid="stFileUploader"]', has_text="Export d'enquête")
    uploader.locator('input[type="file"]').set_input_files(files=[{
        "name": "enquete-telephone-2022.csv", "buffer": files.phone_csv_cp1252(), "mimeType": "text/csv"}])
    save = page.locator(MAIN).get_by_role("button", name=re.compile("Enregistrer l'enquête"))
    expect(save).to_be_enabled()
    expect(page.locator(MAIN).get_by_text(re.compile("22 répondant"))).to_be_visible()
    wait_for_app(page)
    assert_no_exception(page)
    screenshot(page, "enquetes-import.png")
    save.click()
    expect(page.locator('[data-testid="stAlertContentSuccess"]').first).to_contain_text("Enregistré (lot n°")
    wait_for_app(page)
    open_tab(page, "Résultats")
    expect(metric_value(page, "Satisfaction générale")).to_have_text("66,7 %")  # 12 / 18
    expect(metric_value(page, "Répondants")).to_have_text("22")
    assert_no_exception(page)
