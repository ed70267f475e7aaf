"""The procès-verbal of a quarterly review, as a PDF (or its HTML).

Why a document of its own: the COPIL's decisions are only worth what their trace is. Once a review
is frozen (:func:`qep_core.review.workflow.freeze_review`), its minutes print the meeting's date
and attendees, the figures exactly as they were presented (later imports never change them), the
general analysis, the quarter's control-chart signals, each indicator's comment, and every action
decided with its owner, due date and where the action plan says it stands on the day the PV is
printed — late ones marked. Laid out by
the bilan's engine and styles (:mod:`qep_core.exports.bilan`), internal by nature.
"""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup

from qep_core.exports.bilan import environment, status_class
from qep_core.exports.pdf import TEMPLATES, html_to_pdf
from qep_core.models import local_time
from qep_core.review.workflow import Minutes, signal_text, signals_summary, ytd_label
from qep_core.rules.status import STATUS_SYMBOL

__all__ = ["render_minutes_html", "render_minutes_pdf"]


def _frozen_on(minutes: Minutes) -> str:
    stamp = minutes.review.frozen_at
    if not stamp:
        return ""
    moment = dt.datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return local_time(moment).strftime("%d/%m/%Y à %H:%M")


def render_minutes_html(minutes: Minutes, printed_on: dt.date | None = None) -> str:
    """The minutes as one self-contained HTML page."""
    review = minutes.review
    return environment().get_template("minutes.html").render(
        m=minutes, r=review, meeting=minutes.meeting, frozen_on=_frozen_on(minutes),
        attendees=[line for line in review.attendees.splitlines() if line.strip()],
        commented=[x for x in review.lines if x.comment], ytd=ytd_label(review.year, review.quarter),
        flagged=[x for x in review.lines if x.signals], signal_text=signal_text,
        signals_summary=signals_summary(review.lines),
        printed_on=printed_on or dt.date.today(), symbol=STATUS_SYMBOL, status_class=status_class,
        base_css=Markup((TEMPLATES / "base.css").read_text(encoding="utf-8")),
    )


def render_minutes_pdf(minutes: Minutes, printed_on: dt.date | None = None) -> bytes:
    return html_to_pdf(render_minutes_html(minutes, printed_on))
