"""The tables of signals: events on the curves, alert subscriptions, alerts raised, e-mails sent.

Kept apart from the rules (like :mod:`qep_core.mappings.models`) so that registering the schema
(:mod:`qep_core.tables`) imports nothing but the models.

* :class:`Event` — « octobre 2022 : serveur vocal interactif »: a dated fact of one préfecture,
  tied or not to one indicator and one périmètre; a *process change* restarts the control limits
  (:mod:`qep_core.spc`) from its month.
* :class:`AlertSubscription` — an address told of the alerts of one indicator, one module, or all
  (``""`` for « all », never NULL: SQL would then let the same subscription in twice).
* :class:`Alert` — one crossing, once: ``key`` says what crossed (indicator, line, month), and the
  unique constraint is what makes a second import of the same figures raise nothing new.
* :class:`SentMail` — one e-mail sent, once: ``key`` names what it carried (an alert, a month's
  digest to an address, a day's reminder to a service); the unique constraint is the
  « never sent twice » of every sender (:func:`qep_core.mail.send_once`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qep_core.models import utcnow

MAX_EVENT_LABEL = 200
MAX_EMAIL = 254  # RFC 5321's longest path


class Event(SQLModel, table=True):
    __tablename__ = "event"
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    day: dt.date
    label: str = Field(max_length=MAX_EVENT_LABEL)
    indicator_code: str | None = Field(default=None, max_length=60)  # None: every indicator
    perimetre_id: int | None = Field(default=None, foreign_key="perimetre.id")  # None: the whole préfecture
    process_change: bool = False
    created_by: str = Field(default="", max_length=120)
    created_at: dt.datetime = Field(default_factory=utcnow)


class AlertSubscription(SQLModel, table=True):
    __tablename__ = "alert_subscription"
    __table_args__ = (UniqueConstraint("prefecture_id", "email", "indicator_code", "module_code",
                                       name="uq_alert_subscription"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    email: str = Field(max_length=MAX_EMAIL)
    indicator_code: str = Field(default="", max_length=60)  # "": not limited to one indicator
    module_code: str = Field(default="", max_length=8)  # "": not limited to one module
    created_by: str = Field(default="", max_length=120)
    created_at: dt.datetime = Field(default_factory=utcnow)


class Alert(SQLModel, table=True):
    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("prefecture_id", "key", name="uq_alert_key"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    key: str = Field(max_length=200)  # what crossed, e.g. "seuil:TEL_TAUX:2024-06"
    indicator_code: str = Field(max_length=60)
    perimetre_id: int | None = Field(default=None, foreign_key="perimetre.id")  # None: the whole préfecture
    month: dt.date  # first day of the month the figure crossed in
    kind: str = Field(max_length=20)  # seuil | cible | spc
    message: str = Field(sa_column=Column(Text, nullable=False))  # the French sentence shown and sent
    batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    created_at: dt.datetime = Field(default_factory=utcnow)


class SentMail(SQLModel, table=True):
    __tablename__ = "sent_mail"
    __table_args__ = (UniqueConstraint("prefecture_id", "kind", "key", name="uq_sent_mail"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    kind: str = Field(max_length=20)  # alerte | digest | relance
    key: str = Field(max_length=300)
    recipients: str = Field(sa_column=Column(Text, nullable=False))  # comma-separated addresses
    subject: str = Field(max_length=300)
    attachments: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # file names
    sent_by: str = Field(default="", max_length=120)
    sent_at: dt.datetime = Field(default_factory=utcnow)
