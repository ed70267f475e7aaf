"""The control charts' signals where the COPIL reads them: the quarterly review page, the
dashboard's tiles and the COPIL deck — symbol and word together (never colour alone), and the
sentences of qep_core.spc_text."""

from __future__ import annotations

import pytest

from qep_core.db import get_engine, session_scope
from qep_core.review.workflow import compute_review
from qep_core.rules.signals import ASSURANCE_STYLES, VARIATION_STYLES
from tests.test_pages import app, demo_url  # noqa: F401  (module-scoped demo database)

SYMBOLS = {s.symbol for s in (*VARIATION_STYLES.values(), *ASSURANCE_STYLES.values())}


@pytest.fixture
def demo(demo_url, monkeypatch):  # type: ignore[no-untyped-def]  # noqa: F811
    monkeypatch.setenv("QEP_DATABASE_URL", demo_url)
    return demo_url


def _review_page(quarter: int):  # type: ignore[no-untyped-def]
    at = app().run()
    at.switch_page("pages/revue.py").run()
    at.selectbox(key="revue_trim").set_value(quarter).run()
    assert not at.exception
    return at


def test_the_review_page_shows_the_signals(demo):
    with session_scope(get_engine(demo)) as session:
        review = compute_review(session, 1, 2024, 3)
    flagged = [x for x in review.lines if x.signals]
    assert flagged, "the demo's third quarter of 2024 has special-cause months"
    at = _review_page(3)
    metric = next(m for m in at.metric if m.label == "Signaux")
    assert metric.value == str(sum(len(x.signals) for x in review.lines))
    assert "Mois en rupture" not in [m.label for m in at.metric]
    assert "Signaux" in [s.value for s in at.subheader]
    text = "\n".join(m.value for m in at.markdown)
    assert "Ce trimestre :" in text and " mois en " in text
    first = flagged[0]
    assert first.signals[0].variation in text and VARIATION_STYLES[first.signals[0].variation].symbol in text
    # the quarter's table: variation and assurance as symbol + word
    table = at.table[0].value
    assert list(table.columns)[-2:] == ["Variation", "Assurance"]
    words = {f"{s.symbol} {s.word}" for s in (*VARIATION_STYLES.values(), *ASSURANCE_STYLES.values())}
    assert set(table["Variation"]) - {"–"} <= words and set(table["Variation"]) & words
    # each indicator's sentences
    sentences = "\n".join(str(v) for t in at.table for v in t.value.to_numpy().ravel())
    assert first.variation_text in sentences and first.assurance_text in sentences


def test_a_frozen_review_renders(demo):
    """The demo's second quarter of 2024 is frozen (with the signals, as of now)."""
    at = _review_page(2)
    assert any("Revue figée" in s.value for s in at.success)
    assert "Signaux" in [m.label for m in at.metric]


def test_a_review_frozen_before_the_control_charts_renders(demo):
    """An old snapshot (« breaks », no variation nor assurance) still opens: its break is shown
    as the signal the COPIL saw, and the page says why no variation is shown."""
    from sqlmodel import select

    from qep_core.review.models import QuarterReview
    from tests.test_exports_review import old_snapshot

    engine = get_engine(demo)
    with session_scope(engine, write=True) as session:
        row = session.exec(select(QuarterReview).where(QuarterReview.year == 2024, QuarterReview.quarter == 2)).one()
        kept = row.snapshot_json
        row.snapshot_json = old_snapshot(kept or "", {"TEL_ABOUTIS": [
            {"month": "2024-05-01", "value": 70.0, "median": 85.0, "score": -4.2}]})
        session.add(row)
    try:
        at = _review_page(2)
        assert any("Revue figée" in s.value for s in at.success)
        assert next(m for m in at.metric if m.label == "Signaux").value == "1"
        text = "\n".join(m.value for m in at.markdown)
        assert "mai 2024 : 70,0 % — ⊖ préoccupation (rupture avec la tendance" in text
        assert any("Revue figée avant les cartes de contrôle" in c.value for c in at.caption)
        assert set(at.table[0].value["Variation"]) == {"–"}
    finally:
        with session_scope(engine, write=True) as session:
            row = session.exec(select(QuarterReview).where(QuarterReview.year == 2024,
                                                           QuarterReview.quarter == 2)).one()
            row.snapshot_json = kept
            session.add(row)


def test_each_tile_shows_the_latest_variation_and_the_assurance(demo):
    from qep_core import services
    from qep_core.access import LOCAL_PRINCIPAL
    from qep_core.periods import year_period

    summaries = services.dashboard.spc_summaries(services.Actor(LOCAL_PRINCIPAL, get_engine(demo)), 1,
                                                 year_period(2024))
    at = app().run()
    assert not at.exception
    captions = [c for c in at.caption if c.value.split(" ")[0] in SYMBOLS]
    assert len(captions) == len(summaries) > 10  # one per monthly indicator with data, on its tile
    some = next(iter(summaries.values()))
    expected = f"{VARIATION_STYLES[some.variation].symbol} {VARIATION_STYLES[some.variation].word}"
    assert any(c.value.startswith(expected) for c in captions)
    helps = "\n".join(c.proto.help for c in captions)
    assert some.variation_text in helps and "Carte de contrôle, dernier mois (" in helps
    assert len(at.metric) == 20  # the tiles' metrics are unchanged


def test_the_copil_deck_shows_symbol_word_and_sentence(demo):
    """After each module's slide, its indicators' variation and assurance: symbol + word and the
    sentences; the users' committee's deck has none of it."""
    from tests.test_review_documents import _build, _deck_text

    with session_scope(get_engine(demo)) as session:
        review = compute_review(session, 1, 2024, 3)
    shown, notes = _deck_text(_build(demo, "copil", 2024, 3))
    assert "variation et assurance" in shown
    charted = [x for x in review.lines if x.variation is not None]
    for x in charted:  # the deck of a quarter reads the same window as its review
        assert f"{VARIATION_STYLES[x.variation].symbol} {VARIATION_STYLES[x.variation].word}" in shown  # type: ignore[index]
        assert x.variation_text in shown and x.assurance_text in shown
        assert x.variation_text in notes
    assert any(f"{s.symbol} {s.word}" in shown for s in ASSURANCE_STYLES.values())
    public, _ = _deck_text(_build(demo, "clu", 2024, 3))
    assert "variation et assurance" not in public and not any(s.word in public for s in VARIATION_STYLES.values())


def test_the_copil_deck_names_the_events_beside_the_signals(demo):
    """The quarter's dated events sit beside the indicator's variation, on the slide and in its
    notes; the users' committee's deck names none (internal notes)."""
    from tests.test_review_documents import _build, _deck_text

    shown, notes = _deck_text(_build(demo, "copil", 2022, 4))
    event = "Événement : 03/10/2022 — Mise en service du serveur vocal interactif (changement de fonctionnement)."
    assert event in shown and event in notes
    assert shown.count("Événement :") == 1  # only the telephone's row: the event is tied to it
    public, public_notes = _deck_text(_build(demo, "clu", 2022, 4))
    assert "serveur vocal" not in public + public_notes


def test_the_bilan_says_each_indicators_assurance(demo):
    from markupsafe import escape

    from qep_core.exports.bilan import render_bilan_html
    from qep_core.exports.content import build_content
    from qep_core.periods import year_period

    with session_scope(get_engine(demo)) as session:
        content = build_content(session, 1, year_period(2024))
    html = render_bilan_html(content)
    charted = [f for f in content.indicators if f.spc is not None]
    assert len(charted) > 10
    assert html.count("Carte de contrôle, dernier mois (") == len(charted)
    for f in charted:
        assert f.spc is not None and str(escape(f"{f.spc.variation_text} {f.spc.assurance_text}")) in html
        style = ASSURANCE_STYLES.get(f.spc.assurance or "")
        assert style is None or f"{style.symbol} {style.word}" in html


def test_the_minutes_list_the_quarters_signals(demo):
    """The demo's frozen second quarter of 2024: its PV lists the signals as frozen."""
    from markupsafe import escape

    from qep_core.exports.review_minutes import render_minutes_html
    from qep_core.review.workflow import minutes_of, signal_text, signals_summary

    with session_scope(get_engine(demo)) as session:
        minutes = minutes_of(session, 1, 2024, 2)
    html = render_minutes_html(minutes)
    assert "Signaux du trimestre" in html and str(escape(signals_summary(minutes.review.lines))) in html
    for x in minutes.review.lines:
        for s in x.signals:
            assert str(escape(signal_text(s, x.unit))) in html


def test_the_command_line_shows_the_signals(demo, capsys):
    import json

    from qep_core.cli.main import main as cli

    with session_scope(get_engine(demo)) as session:
        review = compute_review(session, 1, 2024, 3)
    first = next(x for x in review.lines if x.signals)
    assert cli(["review", "show", "--year", "2024", "--quarter", "3"]) == 0
    table = capsys.readouterr().out
    assert "Signaux : ⊖ " in table and " mois en préoccupation" in table
    assert f"  {first.code} : " in table
    assert cli(["review", "show", "--year", "2024", "--quarter", "3", "--format", "json"]) == 0
    line = next(x for x in json.loads(capsys.readouterr().out)["lines"] if x["code"] == first.code)
    assert line["variation"] == first.variation and line["assurance"] == first.assurance
    assert [s["month"] for s in line["signals"]] == [s.month for s in first.signals]
    assert line["variation_text"] == first.variation_text


GAPS = "T3 2024 : 1 mois sur 3 reçu pour CM ; 2 mois sur 3 reçus pour Sous-préfecture de Saint-Nazaire"


def test_figures_on_incomplete_months_say_so_on_the_review_the_deck_and_the_bilan(demo):
    """The demo's CM sent nothing for August and September 2024 and the sous-préfecture's September
    lacks a code: the third quarter's review, COPIL deck and bilan say so; public documents do not
    (the lines name services)."""
    from qep_core.exports.bilan import render_bilan_html
    from qep_core.exports.content import build_content
    from qep_core.periods import year_period
    from tests.test_review_documents import _build, _deck_text
    at = _review_page(3)
    assert any(GAPS in c.value for c in at.caption)
    shown, _ = _deck_text(_build(demo, "copil", 2024, 3))
    assert f"Mois incomplets — {GAPS}" in shown
    public, _ = _deck_text(_build(demo, "clu", 2024, 3))
    assert "Mois incomplets" not in public and "CM" not in public
    with session_scope(get_engine(demo)) as session:
        year = build_content(session, 1, year_period(2024))
    assert GAPS in year.collection_gaps
    assert f"Chiffres calculés sur des mois incomplets : {GAPS}" in render_bilan_html(year)
