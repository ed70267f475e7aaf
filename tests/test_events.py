"""Dated events (qep_core.services.events): what an event may say, the control limits restarting
at a process change (a hand-built series and the demo's voice server), the ``event`` command, and
the marks of the monthly chart."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL
from qep_core.charts import PLOT_WIDTH, _event_levels, _event_span, _event_text, monthly_chart
from qep_core.cli.main import main as cli
from qep_core.db import get_engine, session_scope
from qep_core.exports.bilan import render_bilan_html
from qep_core.exports.content import CLU, build_content
from qep_core.importing import import_file
from qep_core.models import Prefecture
from qep_core.periods import range_period, year_period
from qep_core.referentiel import indicators_for
from qep_core.settings import add_perimetre
from qep_core.signals.events import EventMark
from qep_core.signals.models import Event
from qep_core.spc_series import charts_all
from tests.test_compute import long_csv
from tests.test_pages import demo_url  # noqa: F401  (module-scoped demo database)

D = dt.date


def _actor(engine: Engine) -> services.Actor:
    return services.Actor(LOCAL_PRINCIPAL.named("Marie"), engine)


def _count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return len(session.exec(select(Event)).all())


# ------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(("label", "message"), [
    ("", "libellé de l'événement est vide"), ("  \n ", "libellé de l'événement est vide"),
    ("x" * 201, "texte trop long : 201 caractères pour 200 au plus"),
])
def test_a_label_must_say_something_in_one_short_line(engine: Engine, prefecture: Prefecture, label: str,
                                                       message: str) -> None:
    with pytest.raises(services.events.EventError, match=message):
        services.events.add_event(_actor(engine), prefecture.id or 0, D(2024, 3, 1), label)
    assert _count(engine) == 0


def test_a_label_on_several_lines_is_kept_on_one(engine: Engine, prefecture: Prefecture) -> None:
    row = services.events.add_event(_actor(engine), prefecture.id or 0, D(2024, 3, 1), " Grève\n des agents ")
    assert row.label == "Grève des agents" and row.created_by == "Marie" and row.indicator_label == ""


def test_an_unknown_indicator_or_a_day_out_of_the_window_is_refused(engine: Engine, prefecture: Prefecture) -> None:
    actor, pid = _actor(engine), prefecture.id or 0
    with pytest.raises(services.events.EventError, match="indicateur inconnu dans cette préfecture : NOPE"):
        services.events.add_event(actor, pid, D(2024, 3, 1), "Grève", indicator_code="nope")
    with pytest.raises(services.ValueOutOfBounds, match=r"date de l'événement : .*hors des périodes acceptées"):
        services.events.add_event(actor, pid, D(1901, 3, 1), "Grève")
    with pytest.raises(services.events.EventError, match="n° 999 introuvable"):
        services.events.remove_event(actor, pid, 999)
    assert _count(engine) == 0


def test_events_are_listed_by_period_and_indicator(engine: Engine, prefecture: Prefecture) -> None:
    actor, pid = _actor(engine), prefecture.id or 0
    add = services.events.add_event
    everyone = add(actor, pid, D(2024, 1, 31), "Déménagement").id
    phone = add(actor, pid, D(2024, 2, 1), "Serveur vocal", indicator_code="TEL_ABOUTIS", process_change=True).id
    add(actor, pid, D(2024, 4, 1), "Plus tard")
    listed = services.events.list_events(actor, pid, first=D(2024, 1, 1), last=D(2024, 3, 1))
    assert [e.id for e in listed] == [everyone, phone]
    assert listed[1].indicator_label == "Taux d'appels aboutis au standard"
    assert listed[1].scope_text == "TEL_ABOUTIS — toute la préfecture"
    only = services.events.list_events(actor, pid, indicator_code="COURRIEL_5J", last=D(2024, 3, 1))
    assert [e.id for e in only] == [everyone]


# ------------------------------------------------------------------------------------------- control limits


def _steps(engine: Engine, pid: int, perimetre: str = "") -> None:
    """TEL_ABOUTIS at about 50 % through 2023, at about 80 % from January 2024 (of *perimetre*)."""
    rows: list[list[object]] = []
    for k in range(24):
        year, month = 2023 + k // 12, k % 12 + 1
        rate = (500 if year == 2023 else 800) + (k % 3) * 10
        rows.append(["TEL_ABOUTIS", f"{year}-{month:02d}", perimetre, rate, 1000, None, None])
    import_file(engine, pid, "tel.csv", long_csv(rows))


def _centres(engine: Engine, pid: int, **kwargs: object) -> set[float]:
    chart = services.dashboard.spc(_actor(engine), pid, "TEL_ABOUTIS", range_period(D(2023, 1, 1), D(2024, 12, 1)),
                                   **kwargs)  # type: ignore[arg-type]
    return {round(p.centre, 6) for p in chart.points}


def test_a_process_change_restarts_the_control_limits(engine: Engine, prefecture: Prefecture) -> None:
    actor, pid = _actor(engine), prefecture.id or 0
    _steps(engine, pid)
    assert len(_centres(engine, pid)) == 1  # one baseline: 2023's
    services.events.add_event(actor, pid, D(2024, 1, 8), "Recrutement", indicator_code="TEL_ABOUTIS")
    services.events.add_event(actor, pid, D(2024, 1, 8), "Autre indicateur", indicator_code="COURRIEL_5J",
                              process_change=True)
    assert len(_centres(engine, pid)) == 1  # an event only, and another indicator's change: no effect
    assert _centres(engine, pid, process_changes=[D(2024, 1, 1)]) == _centres(engine, pid, process_changes=[
        D(2024, 1, 20)])
    change = services.events.add_event(actor, pid, D(2024, 1, 8), "Serveur vocal", process_change=True)
    centres = _centres(engine, pid)
    assert len(centres) == 2 and max(centres) > 79  # the 2024 limits are 2024's own
    assert centres == _centres(engine, pid, process_changes=[D(2024, 1, 1)])  # the same as --change 2024-01
    services.events.remove_event(actor, pid, change.id)
    assert len(_centres(engine, pid)) == 1


def test_a_service_s_process_change_restarts_its_limits_not_the_whole_prefecture_s(
        engine: Engine, prefecture: Prefecture) -> None:
    """A change of the switchboard alone restarts the switchboard's chart (and the tiles', the
    review's and the decks' summaries read as such), not the chart of the préfecture as a whole."""
    actor, pid = _actor(engine), prefecture.id or 0
    with session_scope(engine, write=True) as session:
        standard = add_perimetre(session, pid, "Standard").id or 0
    _steps(engine, pid, "Standard")
    services.events.add_event(actor, pid, D(2024, 1, 8), "Serveur vocal du standard", perimetre_id=standard,
                              process_change=True)
    assert len(_centres(engine, pid)) == 1
    assert len(_centres(engine, pid, perimetre_ids=[standard])) == 2
    with session_scope(engine) as session:
        ind = [d for d in indicators_for(session, pid) if d.code == "TEL_ABOUTIS"]
        whole = charts_all(session, pid, ind, D(2024, 12, 1))["TEL_ABOUTIS"]
        service = charts_all(session, pid, ind, D(2024, 12, 1), (standard,))["TEL_ABOUTIS"]
    assert len({p.centre for p in whole.points}) == 1 and len({p.centre for p in service.points}) == 2


def test_the_demo_s_voice_server_restarts_the_switchboard_s_limits(demo_url: str) -> None:  # noqa: F811
    engine = get_engine(demo_url)
    actor = _actor(engine)
    pid = services.dashboard.prefecture(actor, None).id or 0
    events = services.events.list_events(actor, pid)
    assert [(e.day.year, e.day.month, e.process_change) for e in events] == [(2022, 10, True), (2024, 4, False)]
    chart = services.dashboard.spc(actor, pid, "TEL_ABOUTIS", range_period(D(2022, 1, 1), D(2023, 6, 1)))
    before = {p.centre for p in chart.points if p.month < D(2022, 10, 1)}
    after = {p.centre for p in chart.points if p.month >= D(2022, 10, 1)}
    assert len(before) == len(after) == 1 and after.pop() > before.pop() + 10


# ------------------------------------------------------------------------------------------- the command


def test_the_command_adds_lists_and_removes_events(engine: Engine, prefecture: Prefecture,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    assert cli(["event", "add", "--date", "2022-10-03", "--label", "Serveur vocal interactif", "--indicator",
                "TEL_ABOUTIS", "--process-change"]) == 0
    assert "✓ événement n° 1 : " in capsys.readouterr().out
    assert cli(["event", "add", "--date", "2024-04-15", "--label", "Départ de deux agents"]) == 0
    capsys.readouterr()
    assert cli(["event", "list", "--from", "2022-01", "--to", "2022-12", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["date"], e["indicator"], e["process_change"]) for e in listed] == [("2022-10-03", "TEL_ABOUTIS", True)]
    assert cli(["event", "list"]) == 0
    out = capsys.readouterr().out
    assert "03/10/2022  « Serveur vocal interactif »  (TEL_ABOUTIS — toute la préfecture) [changement de " \
           "fonctionnement]" in out and "Départ de deux agents" in out
    assert cli(["event", "remove", "1"]) == 0
    assert "événement retiré : 03/10/2022" in capsys.readouterr().out
    assert cli(["event", "remove", "1"]) == 1
    assert "introuvable ; rien n'a été enregistré" in capsys.readouterr().err
    assert cli(["event", "add", "--date", "2024-13-01", "--label", "x"]) == 2
    assert "--date : date attendue au format AAAA-MM-JJ" in capsys.readouterr().err
    assert cli(["event", "add", "--date", "2024-01-01", "--label", "x", "--perimetre", "Nulle part"]) == 2
    assert cli(["event", "add", "--date", "2024-01-01", "--label", " "]) == 1
    assert cli(["event", "list", "--from", "2024-06", "--to", "2024-01"]) == 2


def test_the_spc_command_names_the_process_changes(demo_url: str, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QEP_DATABASE_URL", demo_url)
    assert cli(["spc", "--indicator", "TEL_ABOUTIS", "--from", "2022-01", "--to", "2023-06"]) == 0
    out = capsys.readouterr().out
    assert ("Changement de fonctionnement (10/2022) : « Mise en service du serveur vocal interactif » — limites "
            "recalculées") in out
    assert cli(["spc", "--indicator", "TEL_ABOUTIS", "--from", "2022-01", "--to", "2023-06", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["process_changes"] == [{"month": "2022-10", "label": "Mise en service du serveur vocal interactif"}]


# ------------------------------------------------------------------------------------------- the chart


def _frame(months: list[dt.date]) -> pd.DataFrame:
    return pd.DataFrame({"month": months, "value": [50.0 + i for i in range(len(months))], "target": [60.0] * len(months),
                         "numerator": [50] * len(months), "denominator": [100] * len(months),
                         "status": [""] * len(months)})


def _telephone(engine: Engine, prefecture: Prefecture) -> object:
    indicators = services.dashboard.referentiel(_actor(engine), prefecture.id or 0)[0]
    return next(d for d in indicators if d.code == "TEL_ABOUTIS")


def test_the_monthly_chart_draws_the_events_of_its_months(engine: Engine, prefecture: Prefecture) -> None:
    months = [D(2022, m, 1) for m in range(1, 13)]
    marks = [EventMark(D(2022, 10, 3), "Mise en service du serveur vocal interactif", True),
             EventMark(D(2022, 11, 2), "Départ <b>de</b> deux agents"),
             EventMark(D(2023, 4, 15), "Hors de la période")]
    fig = monthly_chart(_telephone(engine, prefecture), _frame(months), events=marks)  # type: ignore[arg-type]
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [(s.x0, s.line.dash) for s in lines] == [(8.5, "solid"), (9.5, "dot")]  # at the start of their month
    texts = [a.text for a in fig.layout.annotations if a.yref == "paper" and a.xref == "x"]
    assert texts[0] == "Mise en service du serveur vocal… (changement de fonctionnement)"
    assert texts[1] == "Départ &lt;b&gt;de&lt;/b&gt; deux agents"  # a label typed in a form is drawn as text
    assert fig.layout.yaxis.domain[1] < 1  # the labels stand in a band above the data and its labels
    plain = monthly_chart(_telephone(engine, prefecture), _frame(months))  # type: ignore[arg-type]
    assert not plain.layout.shapes and plain.layout.yaxis.domain is None


def test_close_events_are_staggered_never_written_over_each_other() -> None:
    """No label over another, no event's line through a label written under its own row."""
    months = [D(2022, m, 1) for m in range(1, 13)]
    marks = [EventMark(D(2022, m, 1), f"Événement numéro {m} assez long", m % 2 == 0) for m in (3, 4, 5, 9)]
    levels = _event_levels(months, marks)
    assert levels[:3] == [0, 1, 2] and len(set(levels)) == 3
    spans = [(level, *_event_span(m.month.month - 1, 12, _event_text(m))[:2], (m.month.month - 1) * PLOT_WIDTH / 12)
             for m, level in zip(marks, levels, strict=True)]
    assert all(0 <= left and right <= PLOT_WIDTH for _, left, right, _ in spans)
    for k, left, right, _ in spans:
        for k2, left2, right2, x2 in spans:
            if (left, right) != (left2, right2):
                assert not (k == k2 and left < right2 and left2 < right)  # labels of one row apart
                assert not (k2 < k and left <= x2 <= right)  # a line stops at its own row
    far = [EventMark(D(2022, 1, 1), "court"), EventMark(D(2022, 12, 1), "court aussi")]
    assert _event_levels(months, far) == [0, 0]


# ------------------------------------------------------------------------------------------- documents


def test_the_bilan_names_the_year_s_events_under_their_indicators_never_the_public_documents(
        demo_url: str) -> None:  # noqa: F811
    engine = get_engine(demo_url)
    with session_scope(engine) as session:
        copil = build_content(session, 1, year_period(2022))
        public = build_content(session, 1, year_period(2022), CLU)
        later = build_content(session, 1, year_period(2024))
    assert [m.label for m in copil.events_on("TEL_ABOUTIS")] == ["Mise en service du serveur vocal interactif"]
    assert copil.events_on("COURRIEL_5J") == [] and public.events == ()
    assert [m.label for m in later.events_on("COURRIEL_5J")] == ["Départ de deux agents d'accueil"]
    html = render_bilan_html(copil)
    assert html.count("▏ Événement :") == 1
    assert ("Événement : 03/10/2022 — Mise en service du serveur vocal interactif (changement de fonctionnement)"
            in html)
    hostile = replace(copil, events=(("TEL_ABOUTIS", EventMark(D(2022, 5, 1), "<script>x</script>")),))
    assert "&lt;script&gt;x&lt;/script&gt;" in render_bilan_html(hostile)
