"""A decision of the COPIL's quarterly review joins the action plan, and leaves it with the decision."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine
from sqlmodel import select

from qep_core.db import session_scope
from qep_core.pilotage.models import Action
from qep_core.pilotage.summary import action_plan_summary
from qep_core.review.workflow import add_action, delete_action


def test_a_decision_becomes_a_followed_action_of_the_plan(engine: Engine, prefecture) -> None:
    with session_scope(engine, write=True) as session:
        decided = add_action(session, prefecture.id, 2024, 3, "Renfort du standard le lundi matin",
                             indicator_code="TEL_ABOUTIS", owner="SG", due_date=dt.date(2024, 12, 31))
        decision_id, action_id = decided.id, decided.action_id
    with session_scope(engine) as session:
        planned = session.get(Action, action_id)
        assert planned is not None and planned.source == "copil" and planned.status == "a_faire"
        assert planned.module_code == "M1" and planned.owner == "SG" and planned.due_date == dt.date(2024, 12, 31)
        assert "3e trimestre 2024" in planned.answers and "appels" in planned.answers.lower()
        assert action_plan_summary(session, prefecture.id, dt.date.today()).overall.total == 1
    with session_scope(engine, write=True) as session:
        delete_action(session, prefecture.id, decision_id)
    with session_scope(engine) as session:
        assert session.exec(select(Action)).all() == []
