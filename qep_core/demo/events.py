"""The demo préfecture's dated events, so that its charts show what the feature is for.

The interactive voice server of October 2022 is a *process change*: the demo's switchboard answers
45 % of its calls before it and climbs from its month on (:func:`qep_core.demo.indicators.generate`),
so the control chart of TEL_ABOUTIS restarts its limits there. The departure of two agents in
April 2024 is an event only: it explains a month, it does not change how the service works.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from qep_core.demo.indicators import DEMO_USER
from qep_core.signals.models import Event

#: (day, label, indicator code or None for every indicator, process change)
DEMO_EVENTS: tuple[tuple[dt.date, str, str | None, bool], ...] = (
    (dt.date(2022, 10, 3), "Mise en service du serveur vocal interactif", "TEL_ABOUTIS", True),
    (dt.date(2024, 4, 15), "Départ de deux agents d'accueil", None, False),
)


def seed_demo_events(session: Session, prefecture_id: int) -> int:
    """Add the demo's events that are not there yet (loading the demo twice changes nothing)."""
    added = 0
    for day, label, code, change in DEMO_EVENTS:
        found = session.exec(select(Event).where(Event.prefecture_id == prefecture_id, Event.day == day,
                                                 Event.label == label)).first()
        if found is None:
            session.add(Event(prefecture_id=prefecture_id, day=day, label=label, indicator_code=code,
                              process_change=change, created_by=DEMO_USER))
            added += 1
    return added
