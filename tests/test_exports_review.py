"""The quarterly review: hand-computed figures, what the rest of the year must do, breaks, freezing."""

from __future__ import annotations

import datetime as dt

import pytest

from qep_core.db import session_scope
from qep_core.importing import import_file
from qep_core.referentiel import indicators_for
from qep_core.review.workflow import (
    A_ATTEINDRE,
    ACQUIS,
    ANNEE_CLOSE,
    HORS_ATTEINTE,
    ReviewError,
    add_action,
    compute_review,
    decided_actions_of_year,
    delete_action,
    freeze_review,
    month_breaks,
    open_review,
    reopen_review,
    requirement,
    save_comment,
)
from tests.test_compute import long_csv


def _ind(engine, prefecture, code):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return next(d for d in indicators_for(session, prefecture.id) if d.code == code)


# --- what the remaining months must achieve ----------------------------------------------------------------------


def test_requirement_for_a_rate(engine, prefecture):
    rate = _ind(engine, prefecture, "COURRIEL_5J")
    # 700 in time out of 800 so far; 400 expected in the remaining months; target 90 %:
    # x = (0.9 × 1200 − 700) / 400 = 0.95
    req = requirement(rate, 90.0, 700, 800, 3, 400)
    assert req.state == A_ATTEINDRE
    assert req.required_value == pytest.approx(95.0)
    assert req.remaining_volume == 400 and "mêmes mois l'an dernier" in req.basis
    assert "95,0 %" in req.text
    assert requirement(rate, 50.0, 800, 800, 3, 400).state == ACQUIS  # already over 50 % of 1 200
    out = requirement(rate, 90.0, 600, 800, 3, 100)  # (810 − 600) / 100 = 210 %
    assert out.state == HORS_ATTEINTE and out.required_value == pytest.approx(210.0)
    assert "hors d'atteinte" in out.text
    # without last year's volumes: the year's own pace, 800 over 9 months → 266.7 over 3
    pace = requirement(rate, 90.0, 700, 800, 3, None)
    assert pace.remaining_volume == pytest.approx(800 / 9 * 3) and "rythme" in pace.basis
    assert pace.required_value == pytest.approx((0.9 * (800 + 800 / 3) - 700) / (800 / 3) * 100)
    assert requirement(rate, 90.0, 700, 800, 0, 400).state == ANNEE_CLOSE
    assert requirement(rate, None, 700, 800, 3, 400) is None


def test_requirement_for_a_mean_delay_and_none_for_counts(engine, prefecture):
    delay = _ind(engine, prefecture, "COURRIEL_DELAI_MOYEN")
    # 3 000 days over 500 answers (6 days), 250 answers to come, target ≤ 5: (5 × 750 − 3 000) / 250 = 3 days
    req = requirement(delay, 5.0, 3000, 500, 3, 250)
    assert req.state == A_ATTEINDRE and req.required_value == pytest.approx(3.0)
    assert "au plus 3,0 j" in req.text
    assert requirement(delay, 5.0, 4000, 500, 3, 100).state == HORS_ATTEINTE  # (3 000 − 4 000) / 100 < 0
    assert requirement(_ind(engine, prefecture, "PAN_USAGERS"), 30.0, 300, None, 3, None) is None


def test_what_the_rest_of_the_year_needs_reads_with_its_sign(engine, prefecture):
    """The review's « Il faut » column: the bound and the months, never a bare number."""
    from dataclasses import replace

    from qep_core.review.workflow import ReviewLine

    def line(code: str, direction: str, req: object) -> ReviewLine:
        ind = _ind(engine, prefecture, code)
        return ReviewLine(code, ind.label, ind.module_code, ind.unit, ind.kind, direction, "monthly", 90.0, None,
                          None, None, None, "", None, "", None, None, None, "", False, "", req)  # type: ignore[arg-type]

    rate = line("COURRIEL_5J", ">=", requirement(_ind(engine, prefecture, "COURRIEL_5J"), 90.0, 700, 800, 3, 400))
    assert rate.need_text == "au moins 95,0 % sur les 3 mois restants"
    delay = line("COURRIEL_DELAI_MOYEN", "<=",
                 requirement(_ind(engine, prefecture, "COURRIEL_DELAI_MOYEN"), 5.0, 3000, 500, 1, 250))
    assert delay.need_text == "au plus 3,0 j sur le mois restant"  # (5 × 750 − 3 000) / 250 = 3 days
    assert replace(rate, requirement=requirement(_ind(engine, prefecture, "COURRIEL_5J"), 50.0, 800, 800, 3, 400)
                   ).need_text == "–"  # acquired: nothing to hold


# --- breaks from the trend --------------------------------------------------------------------------------------


def _months(n: int) -> list[dt.date]:
    return [dt.date(2023 + (k // 12), k % 12 + 1, 1) for k in range(n)]


def test_month_breaks_robust_rule():
    months = _months(15)
    noisy = [92.0, 95.0, 93.0, 96.0, 94.0, 95.0, 93.0, 97.0, 94.0, 95.0, 96.0, 94.0]
    values: list[float | None] = [*noisy, 70.0, 93.0, 77.0]
    found = month_breaks("%", months, values, months[12:])
    # January: median of the 12 months before 94.5, MAD 1.0 → spread 1.4826 → z = (70 − 94.5) / 1.4826 = −16.5
    # February (93): its window holds January's 70, median 94.5, MAD 1.0 → z = −1.0, no break
    # March (77): median 94, MAD 1.0 → z = −11.5
    assert [b.month for b in found] == ["2024-01-01", "2024-03-01"]
    assert found[0].median == pytest.approx(94.5) and found[0].score == pytest.approx((70 - 94.5) / 1.4826, abs=0.01)
    assert found[1].median == pytest.approx(94.0) and found[0].direction == "baisse"
    # a delay: the spread is at least 5 % of the median (a 4-day median moving to 4.6 days is no break)
    days: list[float | None] = [4.0] * 12 + [4.6, 9.0, None]
    assert [b.month for b in month_breaks("j", months, days, months[12:])] == ["2024-02-01"]
    # a flat history (MAD = 0) flags no half-point wobble, but a real jump
    flat: list[float | None] = [100.0] * 12 + [99.5, 80.0, None]
    assert [b.month for b in month_breaks("%", months, flat, months[12:])] == ["2024-02-01"]
    # fewer than 6 months of history: no judgement
    short: list[float | None] = [None] * 7 + [95.0] * 5 + [50.0, None, None]
    assert month_breaks("%", months, short, months[12:]) == ()


# --- the review on imported data ---------------------------------------------------------------------------------

ROWS_2023 = [["TEL_ABOUTIS", f"2023-{m:02d}", "", 800, 1000, None, None] for m in range(1, 13)]
ROWS_2024 = [["TEL_ABOUTIS", f"2024-{m:02d}", "", n, 1000, None, None]
             for m, n in zip(range(1, 10), [850, 860, 870, 880, 890, 900, 600, 910, 920], strict=True)]


@pytest.fixture
def reviewed(engine, prefecture):
    import_file(engine, prefecture.id, "tel.csv", long_csv(ROWS_2023 + ROWS_2024))
    return prefecture


def test_review_figures_are_hand_computed(engine, reviewed):
    with session_scope(engine) as session:
        review = compute_review(session, reviewed.id, 2024, 3)
    line = review.line("TEL_ABOUTIS")
    assert line is not None
    assert line.quarter_value == pytest.approx((600 + 910 + 920) / 3000 * 100)  # 81.0 %
    assert line.previous_value == pytest.approx(80.0)
    assert line.ytd_value == pytest.approx((850 + 860 + 870 + 880 + 890 + 900 + 600 + 910 + 920) / 9000 * 100)
    # remaining months: Oct–Dec 2023 had 3 000 calls; (0.9 × 12 000 − 7 680) / 3 000 = 104 % → out of reach
    assert line.requirement is not None and line.requirement.state == HORS_ATTEINTE
    assert line.requirement.required_value == pytest.approx((0.9 * 12000 - 7680) / 3000 * 100)
    assert [b.month for b in line.breaks] == ["2024-07-01"]  # July's 60 % against a median of 80 %
    assert not line.slipped  # 81 % against 80 % a year earlier, both "non atteint"
    # every catalogue indicator is listed, the ones that slipped first
    assert len(review.lines) == 20


def test_slipped_indicators_come_first(engine, reviewed):
    rows = [["COURRIEL_5J", f"2023-{m:02d}", "", 95, 100, None, None] for m in (7, 8, 9)]
    rows += [["COURRIEL_5J", f"2024-{m:02d}", "", 75, 100, None, None] for m in (7, 8, 9)]
    import_file(engine, reviewed.id, "courriels.csv", long_csv(rows))
    with session_scope(engine) as session:
        review = compute_review(session, reviewed.id, 2024, 3)
    first = review.lines[0]
    assert first.code == "COURRIEL_5J" and first.slipped
    assert "« atteint »" in first.slip_reason and "« non atteint »" in first.slip_reason


def test_comments_actions_and_the_frozen_minutes(engine, reviewed):
    pid = reviewed.id
    with session_scope(engine, write=True) as session:
        save_comment(session, pid, 2024, 3, "TEL_ABOUTIS", "Juillet : panne de l'autocommutateur.", "rq")
        add_action(session, pid, 2024, 3, "Contrat de maintenance à revoir", indicator_code="TEL_ABOUTIS",
                            owner="SGCD", due_date=dt.date(2024, 12, 1))
        extra = add_action(session, pid, 2024, 3, "Action saisie par erreur")
    with session_scope(engine, write=True) as session:
        delete_action(session, pid, extra.id or 0)
    with session_scope(engine, write=True) as session:
        frozen = freeze_review(session, pid, 2024, 3, dt.date(2024, 10, 17), "rq")
    assert frozen.frozen and frozen.line("TEL_ABOUTIS").comment.startswith("Juillet")  # type: ignore[union-attr]
    assert [a.text for a in frozen.actions] == ["Contrat de maintenance à revoir"]
    before = frozen.line("TEL_ABOUTIS").quarter_value  # type: ignore[union-attr]

    # a corrected file for July arrives after the meeting
    import_file(engine, pid, "tel-correctif.csv", long_csv([["TEL_ABOUTIS", "2024-07", "", 880, 1000, None, None]]))
    with session_scope(engine) as session:
        view = open_review(session, pid, 2024, 3)
        live = compute_review(session, pid, 2024, 3)
    assert view.review.frozen
    assert view.review.line("TEL_ABOUTIS").quarter_value == pytest.approx(before)  # type: ignore[union-attr]
    assert live.line("TEL_ABOUTIS").quarter_value == pytest.approx((880 + 910 + 920) / 30)  # type: ignore[union-attr]
    assert [c.code for c in view.changes] == ["TEL_ABOUTIS"]
    assert view.changes[0].frozen_text == "81,0 %" and view.changes[0].live_text == "90,3 %"
    assert "Les chiffres ont changé depuis" in (view.changed_note or "")
    assert view.review.line("TEL_ABOUTIS").comment == "Juillet : panne de l'autocommutateur."  # type: ignore[union-attr]

    # frozen means frozen: no edit until reopened
    with pytest.raises(ReviewError, match="figée"), session_scope(engine, write=True) as session:
        save_comment(session, pid, 2024, 3, "TEL_ABOUTIS", "autre chose")
    with pytest.raises(ReviewError, match="figée"), session_scope(engine, write=True) as session:
        add_action(session, pid, 2024, 3, "encore une")
    with session_scope(engine) as session:
        meetings, decided = decided_actions_of_year(session, pid, 2024)
    assert meetings[0].frozen and meetings[0].meeting_date == dt.date(2024, 10, 17)
    assert [(a.quarter_label, a.text) for a in decided] == [("3e trimestre 2024", "Contrat de maintenance à revoir")]
    with session_scope(engine, write=True) as session:
        reopen_review(session, pid, 2024, 3)
    with session_scope(engine) as session:
        reopened = open_review(session, pid, 2024, 3)
    assert not reopened.review.frozen and reopened.changes == ()
    assert reopened.review.line("TEL_ABOUTIS").quarter_value == pytest.approx(90.333, abs=0.001)  # type: ignore[union-attr]


def test_bad_input_is_refused_in_french(engine, reviewed):
    with pytest.raises(ReviewError, match="indicateur inconnu"), session_scope(engine, write=True) as session:
        save_comment(session, reviewed.id, 2024, 3, "NOPE", "x")
    with pytest.raises(ReviewError, match="Décrivez"), session_scope(engine, write=True) as session:
        add_action(session, reviewed.id, 2024, 3, "   ")
