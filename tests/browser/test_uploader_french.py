"""Streamlit's file uploader speaks French (issue 14, « French throughout »).

Its frontend writes « Upload », « 50MB per file • XLSX, … » and the chosen file's size in English;
qep_ui/theme.py hides those words and draws French ones with CSS. What a user sees is therefore the
text of the nodes drawn at a non-zero size plus the CSS ``content`` of ``::before`` / ``::after``:
``inner_text`` alone would still hold the hidden English and miss the French.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.test_journeys import MAIN, UPLOADER, assert_no_exception, open_page, screenshot, wait_for_app

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests: the playwright package is not installed")
expect = sync_api.expect

#: The text drawn on screen inside an element: visible text nodes (font size above 0) and the
#: generated content of pseudo-elements, in document order.
VISIBLE_TEXT_JS = """
(root) => {
  const parts = [];
  const generated = (el, which) => {
    const content = getComputedStyle(el, which).content;
    return content && content !== "none" && content !== "normal" ? content.replace(/^"|"$/g, "") : "";
  };
  const walk = (el) => {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") return;
    const before = generated(el, "::before");
    if (before) parts.push(before);
    for (const node of el.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        if (parseFloat(style.fontSize) > 0 && node.textContent.trim()) parts.push(node.textContent.trim());
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        walk(node);
      }
    }
    const after = generated(el, "::after");
    if (after) parts.push(after);
  };
  walk(root);
  return parts.join(" | ");
}
"""
#: Whole words only: « Limite » holds « Limit », and the icon's name « upload » is drawn as an icon.
ENGLISH = re.compile(r"\b(Drag and drop|Browse files|Upload|Limit|MB|KB|per file|\d+(\.\d+)?K?B)\b")


def shown(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator(f"{MAIN} {UPLOADER}").first.evaluate(VISIBLE_TEXT_JS)


def test_uploader_reads_in_french(page) -> None:  # type: ignore[no-untyped-def]
    open_page(page, "/import", ready=UPLOADER)
    text = shown(page)
    assert not ENGLISH.search(text), text
    for french in ("Parcourir", "Glissez-déposez vos fichiers ici",
                   "Limite : 50 Mo par fichier · .xlsx, .xlsm, .xls, .ods, .csv"):
        assert french in text, text
    screenshot(page, "import-televersement-fr.png")

    zone = f'{MAIN} [data-testid="stFileUploaderDropzone"]'
    dragged = page.evaluate_handle("() => { const d = new DataTransfer(); "
                                   "d.items.add(new File(['x'], 'suivi.csv', {type: 'text/csv'})); return d; }")
    page.dispatch_event(zone, "dragenter", {"dataTransfer": dragged})
    expect(page.locator(zone).get_by_text("Drag and drop files here")).to_be_attached()  # Streamlit's overlay is up
    text = shown(page)
    assert "Déposez les fichiers ici" in text and not ENGLISH.search(text), text
    page.dispatch_event(zone, "dragleave", {"dataTransfer": dragged})

    page.locator(f"{MAIN} {UPLOADER} input[type=\"file\"]").first.set_input_files(files=[{
        "name": "suivi.csv", "buffer": b"code;mois;valeur\n", "mimeType": "text/csv"}])
    expect(page.locator(f"{MAIN} [data-testid=\"stFileChipName\"]").first).to_have_text("suivi.csv")
    wait_for_app(page)
    assert_no_exception(page)
    text = shown(page)
    assert "suivi.csv" in text and not ENGLISH.search(text), text  # the size, « 17.0B », is hidden
    screenshot(page, "import-televersement-fichier-fr.png")
