"""The pilotage in a real browser: the action plan's progress, an audit remark turned into an
action in one click, the training situation, and an engagement's dossier printed to PDF (the
print style must leave out the sidebar and the buttons and let the content run over several
sheets). Screenshots and the PDF go to test-artifacts/ (look at them)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journeys import MAIN, assert_no_exception, open_page, screenshot, wait_for_app

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests: the playwright package is not installed")
expect = sync_api.expect


def metric(page, label: str):  # type: ignore[no-untyped-def]
    box = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label))
    return box.first.locator('[data-testid="stMetricValue"]')


def test_action_plan_progress(page) -> None:  # type: ignore[no-untyped-def]
    open_page(page, "/plan-actions?annee=2024")
    expect(page.get_by_role("heading", name="Plan d'actions")).to_be_visible()
    expect(metric(page, "Taux de réalisation")).to_have_text(re.compile(r"^\d{1,3} %$"))
    expect(metric(page, "Actions")).to_have_text("45")  # the plan file and the COPIL decisions of the demo
    charts = page.locator('[data-testid="stPlotlyChart"]')
    expect(charts.nth(2)).to_be_visible()
    for i in range(3):
        expect(charts.nth(i).locator(".main-svg").first).to_be_attached()
    assert_no_exception(page)
    screenshot(page, "plan-actions.png")
    page.get_by_role("tab", name="Actions").click()
    expect(page.locator(MAIN).get_by_role("button", name="Enregistrer le plan d'actions")).to_be_visible()
    expect(page.locator(MAIN).locator('[data-testid="stDataFrame"]').filter(visible=True).first).to_be_visible()
    wait_for_app(page)
    assert_no_exception(page)
    screenshot(page, "plan-actions-grille.png")


def test_audit_remark_becomes_an_action_in_one_click(page) -> None:  # type: ignore[no-untyped-def]
    open_page(page, "/audits")
    expect(page.get_by_role("heading", name="Audits")).to_be_visible()
    answered = metric(page, "PS, PP et NC avec action")
    expect(answered).to_have_text(re.compile(r"^\d+ / \d+$"))
    before = int(answered.inner_text().split("/")[0])
    screenshot(page, "audits.png")
    page.locator(MAIN).get_by_role("button", name="Créer l'action").first.click()
    expect(page.locator('[data-testid="stAlertContentSuccess"]').first).to_contain_text("ajoutée au plan d'actions")
    wait_for_app(page)
    expect(answered).to_have_text(re.compile(rf"^{before + 1} / \d+$"))
    assert_no_exception(page)


def test_training_situation(page) -> None:  # type: ignore[no-untyped-def]
    open_page(page, "/formations?annee=2024")
    expect(page.get_by_role("heading", name="Formations")).to_be_visible()
    expect(metric(page, "Agents concernés")).to_have_text("25")
    expect(page.locator('[data-testid="stPlotlyChart"]').first.locator(".main-svg").first).to_be_attached()
    expect(page.locator(MAIN).get_by_role("heading", name="À former en 2024")).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "formations.png")


def test_engagement_dossier_prints_cleanly(page) -> None:  # type: ignore[no-untyped-def]
    open_page(page, "/engagements?annee=2024&dossier=E3")
    expect(page.get_by_role("heading", name="Dossier de l'engagement 3")).to_be_visible()
    expect(page.locator(MAIN).get_by_text("Dernier audit : Audit de suivi du 12/03/2024")).to_be_visible()
    expect(page.locator('[data-testid="stPlotlyChart"]').first.locator(".main-svg").first).to_be_attached()
    wait_for_app(page)
    assert_no_exception(page)
    screenshot(page, "dossier-engagement.png")
    page.emulate_media(media="print")
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    buttons = page.locator(f"{MAIN} button:visible")
    assert buttons.count() == 0, "buttons are printed"
    expect(page.locator(MAIN).get_by_text("Revoir le questionnaire de l'enquête de satisfaction").first).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = page.pdf(format="A4", print_background=True, path=str(ARTIFACTS / "dossier-engagement.pdf"))
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pdf.startswith(b"%PDF") and 2 <= pages <= 6, f"{pages} page(s)"  # the whole dossier, not one cut sheet
    page.screenshot(path=str(ARTIFACTS / "dossier-engagement-impression.png"), full_page=True)
