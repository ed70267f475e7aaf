"""Permission matrix of the dashboard, review and export services (see tests/access_world.py),
and the leaks they close: a contributor's sparklines, review and drill-downs sum over its own
périmètres only; the users' committee reads the review without the COPIL's internal minutes;
every review write needs ``comment`` and leaves its history line; exports are refused to a
principal limited to some périmètres, internal documents to who lacks ``export_internal``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from qep_core import services
from qep_core.access import AccessDenied
from qep_core.change_history import ChangeEvent
from qep_core.db import session_scope
from qep_core.models import Indicator, Observation
from qep_core.periods import quarter_period, year_period
from qep_core.sp_plus_models import SpPlusStructure
from tests.access_world import World

COVERED = {
    "dashboard.prefectures", "dashboard.prefecture", "dashboard.data_status", "dashboard.perimetres",
    "dashboard.referentiel", "dashboard.module_titles", "dashboard.channel_titles", "dashboard.indicator_results",
    "dashboard.sparklines", "dashboard.monthly", "dashboard.breakdown", "dashboard.late_items", "dashboard.compare",
    "dashboard.spc", "dashboard.spc_summaries",
    "review.quarter_review", "review.save_comments", "review.save_analysis", "review.add_action", "review.delete_action", "review.freeze",
    "review.reopen", "exports.build",
}
CODE = "COURRIEL_5J"
YEAR = 2024
Q3 = quarter_period(YEAR, 3)
EVERY_ROLE = ("admin", "copil", "contributeur", "lecture-clu", "admin-38", "local")


@pytest.fixture
def figures(world: World) -> World:
    """Each month of 2023-2024: the contributor's service answers 90 of 100 e-mails in time, the
    other service 10 of 100 (whole préfecture: 50 %)."""
    with session_scope(world.database, write=True) as session:
        ind = session.exec(select(Indicator).where(Indicator.code == CODE)).one()
        for year in (YEAR - 1, YEAR):
            for month in range(1, 13):
                day = dt.date(year, month, 1)
                for perimetre, answered in ((world.own, 90), (world.other, 10)):
                    session.add(Observation(prefecture_id=world.pref, indicator_id=ind.id or 0, perimetre_id=perimetre,
                                            period_start=day, period_end=day, numerator=answered, denominator=100))
        # the Services Publics+ file needs the structure's settings (written here without a history line)
        session.add(SpPlusStructure(prefecture_id=world.pref, code="SP-44", typology="Préfecture",
                                    postal_code="44000", city="Nantes"))
    return world


def _result(results: list[Any]) -> Any:
    return next(r for r in results if r.indicator.code == CODE)


# ------------------------------------------------------------------------------------------ matrix

def _calls(w: World) -> dict[str, Callable[[services.Actor], object]]:
    d, r, period = services.dashboard, services.review, year_period(YEAR)
    return {
        "prefecture": lambda a: d.prefecture(a, "44"),
        "data_status": lambda a: d.data_status(a, w.pref),
        "perimetres": lambda a: d.perimetres(a, w.pref),
        "referentiel": lambda a: d.referentiel(a, w.pref),
        "indicator_results": lambda a: d.indicator_results(a, w.pref, period),
        "sparklines": lambda a: d.sparklines(a, w.pref, period),
        "monthly": lambda a: d.monthly(a, w.pref, CODE, period),
        "breakdown": lambda a: d.breakdown(a, w.pref, CODE, period),
        "late_items": lambda a: d.late_items(a, w.pref, CODE, period),
        "compare": lambda a: d.compare(a, w.pref, CODE, period),
        "spc": lambda a: d.spc(a, w.pref, CODE, period),
        "spc_summaries": lambda a: d.spc_summaries(a, w.pref, period),
        "quarter_review": lambda a: r.quarter_review(a, w.pref, YEAR, 3),
        "save_comments": lambda a: r.save_comments(a, w.pref, YEAR, 3, {CODE: f"vu par {a.principal.login}"}),
        "save_analysis": lambda a: r.save_analysis(a, w.pref, YEAR, 3, f"analyse de {a.principal.login}"),
        "add_action": lambda a: r.add_action(a, w.pref, YEAR, 3, "Relancer les services", indicator_code=CODE),
        "freeze": lambda a: r.freeze(a, w.pref, YEAR, 3, dt.date(2024, 10, 15)),
        "reopen": lambda a: r.reopen(a, w.pref, YEAR, 3),
        "export_public": lambda a: services.exports.build(a, w.pref, services.exports.ExportRequest("sp-plus", YEAR)),
        "export_internal": lambda a: services.exports.build(a, w.pref, services.exports.ExportRequest("xlsx", YEAR)),
    }


READERS = {"admin", "copil", "contributeur", "lecture-clu", "local"}
DETAIL = {"admin", "copil", "contributeur", "local"}
COMMENTERS = {"admin", "copil", "local"}
ALLOWED = {
    "prefecture": READERS, "data_status": READERS, "perimetres": READERS, "referentiel": READERS,
    "indicator_results": READERS, "sparklines": READERS, "monthly": READERS, "spc": READERS, "spc_summaries": READERS,
    "quarter_review": READERS,
    "breakdown": DETAIL, "late_items": DETAIL, "compare": {"admin", "copil", "local"},
    "save_comments": COMMENTERS, "save_analysis": COMMENTERS, "add_action": COMMENTERS, "freeze": COMMENTERS, "reopen": COMMENTERS,
    "export_public": {"admin", "copil", "lecture-clu", "local"}, "export_internal": {"admin", "copil", "local"},
}


@pytest.mark.parametrize("role", EVERY_ROLE)
@pytest.mark.parametrize("call", sorted(ALLOWED))
def test_matrix(figures: World, call: str, role: str) -> None:
    act = _calls(figures)[call]
    actor = figures.actor(role)
    if role in ALLOWED[call]:
        act(actor)
    else:
        with pytest.raises(AccessDenied, match=r"^Accès refusé"):
            act(actor)


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_instance_wide_reads(figures: World, role: str) -> None:
    """Lists and titles need only ``read``: each principal gets its own préfectures."""
    actor = figures.actor(role)
    codes = {p.code for p in services.dashboard.prefectures(actor)}
    assert codes == ({"38"} if role == "admin-38" else {"44", "38"} if role == "local" else {"44"})
    assert services.dashboard.module_titles(actor)["M1"]
    assert services.dashboard.channel_titles(actor)


def test_delete_action_needs_comment_and_the_prefecture(figures: World) -> None:
    action_id = services.review.add_action(figures.actor("copil"), figures.pref, YEAR, 3, "Relancer")
    for role in ("contributeur", "lecture-clu", "admin-38"):
        with pytest.raises(AccessDenied, match=r"^Accès refusé"):
            services.review.delete_action(figures.actor(role), figures.pref, action_id)
    with pytest.raises(services.review.ReviewError, match="action inconnue"):  # 38's admin, on its own préfecture
        services.review.delete_action(figures.actor("admin-38"), figures.other_pref, action_id)
    services.review.delete_action(figures.actor("admin"), figures.pref, action_id)
    assert services.review.quarter_review(figures.actor("admin"), figures.pref, YEAR, 3).review.actions == ()


# ------------------------------------------------------------------------------------------ the contributor's scope

def test_a_contributor_sees_its_own_perimetres_only(figures: World) -> None:
    d, period = services.dashboard, year_period(YEAR)
    contributor, admin = figures.actor("contributeur"), figures.actor("admin")
    assert _result(d.indicator_results(admin, figures.pref, period)).value == pytest.approx(50.0)
    mine = _result(d.indicator_results(contributor, figures.pref, period))
    assert (mine.numerator, mine.denominator, mine.value) == (90 * 12, 100 * 12, pytest.approx(90.0))
    assert d.sparklines(admin, figures.pref, period)[CODE] == [pytest.approx(50.0)] * 12
    assert d.sparklines(contributor, figures.pref, period)[CODE] == [pytest.approx(90.0)] * 12
    assert list(d.monthly(contributor, figures.pref, CODE, period)["numerator"]) == [90.0] * 12
    assert list(d.breakdown(admin, figures.pref, CODE, period)["perimetre"]) == ["Étrangers", "Coordination"]
    assert list(d.breakdown(contributor, figures.pref, CODE, period)["perimetre"]) == ["Coordination"]
    assert [p.name for p in d.perimetres(contributor, figures.pref)] == ["Coordination"]
    assert d.late_items(contributor, figures.pref, CODE, period).empty
    assert [p.value for p in d.spc(contributor, figures.pref, CODE, period).points] == [pytest.approx(90.0)] * 12
    assert d.spc(admin, figures.pref, CODE, period).points[0].centre == pytest.approx(50.0)
    assert d.spc_summaries(contributor, figures.pref, period)[CODE].value == pytest.approx(90.0)
    assert d.spc_summaries(admin, figures.pref, period)[CODE].value == pytest.approx(50.0)


@pytest.mark.parametrize("read", ["indicator_results", "monthly", "late_items", "spc"])
def test_asking_for_another_service_is_refused(figures: World, read: str) -> None:
    d, period, other = services.dashboard, year_period(YEAR), (figures.other,)
    call = {"indicator_results": lambda a: d.indicator_results(a, figures.pref, period, other),
            "monthly": lambda a: d.monthly(a, figures.pref, CODE, period, other),
            "late_items": lambda a: d.late_items(a, figures.pref, CODE, period, other),
            "spc": lambda a: d.spc(a, figures.pref, CODE, period, other)}[read]
    with pytest.raises(AccessDenied, match="« Étrangers »"):
        call(figures.actor("contributeur"))
    call(figures.actor("copil"))  # who reads every périmètre may choose one


def test_the_contributors_review_sums_over_its_perimetres_even_when_frozen(figures: World) -> None:
    r = services.review
    copil, contributor = figures.actor("copil"), figures.actor("contributeur")
    r.save_comments(copil, figures.pref, YEAR, 3, {CODE: "À suivre de près"})
    whole = r.quarter_review(copil, figures.pref, YEAR, 3).review.line(CODE)
    mine = r.quarter_review(contributor, figures.pref, YEAR, 3).review.line(CODE)
    assert whole is not None and mine is not None
    assert whole.quarter_value == pytest.approx(50.0) and mine.quarter_value == pytest.approx(90.0)
    assert (mine.quarter_numerator, mine.ytd_numerator) == (270, 810)
    r.freeze(copil, figures.pref, YEAR, 3, dt.date(2024, 10, 15))
    frozen = r.quarter_review(contributor, figures.pref, YEAR, 3)
    line = frozen.review.line(CODE)
    assert frozen.review.frozen and line is not None and line.quarter_value == pytest.approx(90.0)
    assert line.comment == "À suivre de près" and frozen.changes == ()


# ------------------------------------------------------------------------------------------ the users' committee

def test_the_users_committee_reads_the_review_without_the_internal_minutes(figures: World) -> None:
    r = services.review
    copil = figures.actor("copil")
    r.save_comments(copil, figures.pref, YEAR, 3, {CODE: "Note interne : le bureau X traîne"})
    r.save_analysis(copil, figures.pref, YEAR, 3, "Analyse interne : réorganiser l'accueil")
    r.add_action(copil, figures.pref, YEAR, 3, "Renfort au courrier", indicator_code=CODE, owner="Mme Dupont")
    for frozen in (False, True):
        if frozen:
            r.freeze(copil, figures.pref, YEAR, 3, dt.date(2024, 10, 15), attendees=["M. Martin, secrétaire général"])
        seen = r.quarter_review(figures.actor("lecture-clu"), figures.pref, YEAR, 3).review
        assert all(x.comment == "" for x in seen.lines) and seen.actions == () and seen.frozen_by == ""
        assert seen.analysis == "" and seen.attendees == ""
        assert seen.line(CODE).quarter_value == pytest.approx(50.0)  # type: ignore[union-attr]
        for private in ("Dupont", "traîne", "réorganiser", "Martin"):
            assert private not in seen.to_json()
        inside = r.quarter_review(copil, figures.pref, YEAR, 3).review
        assert inside.line(CODE).comment and inside.actions[0].owner == "Mme Dupont"  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------ writes and their history

def test_every_review_write_leaves_its_history_line(figures: World) -> None:
    r, admin = services.review, figures.actor("admin")
    assert r.save_comments(admin, figures.pref, YEAR, 3, {CODE: "Premier avis"}) == 1
    assert r.save_comments(admin, figures.pref, YEAR, 3, {CODE: "Premier avis"}) == 0  # nothing changed, no line
    assert r.save_analysis(admin, figures.pref, YEAR, 3, " Trimestre difficile ") is True
    assert r.save_analysis(admin, figures.pref, YEAR, 3, "Trimestre difficile") is False  # unchanged: no line
    action_id = r.add_action(admin, figures.pref, YEAR, 3, "Relancer", indicator_code=CODE)
    r.delete_action(admin, figures.pref, action_id)
    r.freeze(admin, figures.pref, YEAR, 3, dt.date(2024, 10, 15), attendees=["Mme A ; M. B", "", "Mme C"])
    with pytest.raises(r.ReviewError, match="figée"):
        r.save_comments(admin, figures.pref, YEAR, 3, {CODE: "Trop tard"})
    with pytest.raises(r.ReviewError, match="figée"):
        r.save_analysis(admin, figures.pref, YEAR, 3, "Trop tard")
    assert r.quarter_review(admin, figures.pref, YEAR, 3).review.attendees == "Mme A\nM. B\nMme C"
    r.reopen(admin, figures.pref, YEAR, 3)
    with session_scope(figures.database) as session:
        events = session.exec(select(ChangeEvent).where(ChangeEvent.action == "review").order_by(ChangeEvent.id)).all()
    assert [e.summary for e in events] == ["1 commentaire enregistré.", "Analyse générale enregistrée.",
                                           "Action ajoutée.", "Action retirée.",
                                           "Revue figée : le procès-verbal est enregistré.", "Revue rouverte."]
    assert '"Trimestre difficile"' in (events[1].after_json or "")
    assert "Mme A ; M. B ; Mme C" in (events[4].after_json or "")
    assert {e.user for e in events} == {"rq44"} and {e.prefecture_id for e in events} == {figures.pref}
    assert '"Premier avis"' in (events[0].after_json or "")


def test_a_refused_write_leaves_nothing(figures: World) -> None:
    with pytest.raises(AccessDenied):
        services.review.save_comments(figures.actor("contributeur"), figures.pref, YEAR, 3, {CODE: "Non"})
    with session_scope(figures.database) as session:
        assert session.exec(select(ChangeEvent)).all() == []
    assert services.review.quarter_review(figures.actor("admin"), figures.pref, YEAR, 3).review.line(CODE).comment == ""  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------ exports

def test_exports_follow_the_documents_audience(figures: World) -> None:
    e = services.exports
    assert e.kinds_for(figures.actor("lecture-clu")) == ["clu", "affiche", "sp-plus"]
    assert e.kinds_for(figures.actor("copil")) == list(e.KINDS)
    assert e.kinds_for(figures.actor("contributeur")) == []
    with pytest.raises(AccessDenied, match="documents internes"):
        e.build(figures.actor("lecture-clu"), figures.pref, e.ExportRequest("copil", YEAR))
    made = e.build(figures.actor("lecture-clu"), figures.pref, e.ExportRequest("sp-plus", YEAR))
    assert made.name.endswith(".csv")


def test_an_export_is_refused_to_a_principal_limited_to_some_perimetres(figures: World) -> None:
    """Even with the right to export (a custom role), a document covers the whole préfecture."""
    base = figures.actor("contributeur")
    scoped = services.Actor(base.principal.__class__(
        login="svc", role="contributeur", prefecture_ids=base.principal.prefecture_ids,
        perimetre_ids=base.principal.perimetre_ids, actions=frozenset({"read", "export"})), figures.database)
    with pytest.raises(AccessDenied, match="toute la préfecture"):
        services.exports.build(scoped, figures.pref, services.exports.ExportRequest("sp-plus", YEAR))
