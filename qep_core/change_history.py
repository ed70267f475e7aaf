"""The change history: who changed what, when, and what it was before and after.

The label's evidence must never change silently. Every write that users make — an import, its
undo, a target, a setting, an account, an action of the plan, an audit finding — records one
:class:`ChangeEvent` in the same transaction as the change itself, so the history can never
disagree with the data (a rolled-back import leaves no event either).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Column, Index, Text
from sqlmodel import Field, Session, SQLModel, col, select

from qep_core.access import ROLES
from qep_core.models import local_time, utcnow
from qep_core.rules.file_formats import BATCH_STATUS_LABELS, format_label

ACTION_LABELS: dict[str, str] = {
    "import": "Import", "undo": "Annulation d'import", "target": "Cible", "settings": "Paramètres",
    "perimetre": "Périmètre", "indicator": "Indicateur propre", "engagement": "Engagement",
    "user": "Compte", "action": "Plan d'actions", "audit": "Audit", "training": "Formation",
    "survey": "Enquête", "review": "Revue trimestrielle", "restore": "Restauration",
    "mapping": "Correspondance", "event": "Événement",
    "digest": "Synthèse mensuelle",
    "alerts": "Alertes",
    "collecte": "Collecte",
    "deposit": "Dépôt à valider", "validation": "Validation de dépôt", "return": "Dépôt renvoyé",
    "withdraw": "Dépôt retiré",
}


class ChangeEvent(SQLModel, table=True):
    """One change, with the values before and after as JSON (None for a creation / deletion)."""

    __tablename__ = "change_event"
    __table_args__ = (Index("ix_change_event_pref_at", "prefecture_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow)
    user: str = Field(default="", max_length=120)
    prefecture_id: int | None = Field(default=None, foreign_key="prefecture.id")
    action: str = Field(max_length=30)
    entity: str = Field(default="", max_length=200)  # what was changed, in words: "COURRIEL_5J 2025", "lot n° 12"
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    before_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    after_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


def _dump(value: Mapping[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record_change(session: Session, *, user: str, action: str, entity: str, summary: str = "",
                  prefecture_id: int | None = None, before: Mapping[str, Any] | None = None,
                  after: Mapping[str, Any] | None = None) -> ChangeEvent:
    """Add one event to the caller's transaction (committed or rolled back with the change)."""
    event = ChangeEvent(user=user or "inconnu", prefecture_id=prefecture_id, action=action, entity=entity[:200],
                        summary=summary, before_json=_dump(before), after_json=_dump(after))
    session.add(event)
    return event


#: Keys of the recorded values that hold a code, and how each code reads in French.
_CODED_KEYS = {"format": format_label, "rôle": lambda role: ROLES.get(role, role),
               "statut": lambda status: BATCH_STATUS_LABELS.get(status, status)}


def readable_json(raw: str | None) -> str:
    """The before / after values as the Historique page shows them: codes put into French
    (``"format": "enquete"`` → « enquête de satisfaction », ``"rôle": "copil"`` → « Comité de pilotage… »), for the events already recorded too."""
    if not raw:
        return ""
    values = json.loads(raw)
    if isinstance(values, dict):
        values = {k: _CODED_KEYS[k](v) if k in _CODED_KEYS and isinstance(v, str) else v for k, v in values.items()}
    return json.dumps(values, ensure_ascii=False)


def history(session: Session, prefecture_id: int | None, *, action: str | None = None, user: str | None = None,
            limit: int = 500) -> pd.DataFrame:
    """The latest events of a préfecture (and the instance-wide ones), newest first."""
    stmt = select(ChangeEvent)
    if prefecture_id is not None:
        stmt = stmt.where((col(ChangeEvent.prefecture_id) == prefecture_id) | (col(ChangeEvent.prefecture_id).is_(None)))
    if action:
        stmt = stmt.where(ChangeEvent.action == action)
    if user:
        stmt = stmt.where(ChangeEvent.user == user)
    events = session.exec(stmt.order_by(col(ChangeEvent.at).desc(), col(ChangeEvent.id).desc()).limit(limit)).all()
    return pd.DataFrame([{
        "Quand": local_time(e.at).replace(tzinfo=None), "Qui": e.user, "Quoi": ACTION_LABELS.get(e.action, e.action), "Objet": e.entity,
        "Résumé": e.summary, "Avant": readable_json(e.before_json), "Après": readable_json(e.after_json),
        "action": e.action,
    } for e in events], columns=["Quand", "Qui", "Quoi", "Objet", "Résumé", "Avant", "Après", "action"])
