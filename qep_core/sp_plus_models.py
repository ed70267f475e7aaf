"""The tables of the Services Publics+ file: who the préfecture is in the national data set, and
which national indicator each of its indicators is.

Kept apart from the rules (:mod:`qep_core.sp_plus`) so that registering the schema
(:mod:`qep_core.tables`) imports nothing but the models.

:class:`SpPlusStructure` — one row per préfecture: the four fields of the national set the
application cannot know by itself (the structure's SP+ code, its typology, postal code and city;
its title is the préfecture's name). No row: the file is refused, never written with blanks.

:class:`SpPlusIndicator` — one row per indicator the préfecture has given a national code
(``IND-27``). ``sp_code`` None is an explicit « no code » that hides a référentiel default
(:data:`qep_core.sp_plus.DEFAULT_SP_CODES`); an indicator without a code is left out of the file.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from qep_core.models import utcnow


class SpPlusStructure(SQLModel, table=True):
    __tablename__ = "sp_plus_structure"
    prefecture_id: int = Field(foreign_key="prefecture.id", primary_key=True)
    code: str = Field(max_length=40)  # « Code SP+ de la structure »
    typology: str = Field(max_length=80)  # « Intitulé de la typologie »: Préfecture, Sous-préfecture…
    postal_code: str = Field(max_length=5)  # « Code postal de la structure »: five digits, 20xxx in Corsica
    city: str = Field(max_length=120)  # « Ville de la structure »
    updated_by: str = Field(default="", max_length=120)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class SpPlusIndicator(SQLModel, table=True):
    __tablename__ = "sp_plus_indicator"
    __table_args__ = (UniqueConstraint("prefecture_id", "indicator_code", name="uq_sp_plus_indicator"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    indicator_code: str = Field(max_length=60)  # ours: COURRIEL_5J
    sp_code: str | None = Field(default=None, max_length=20)  # the national one: IND-27 (None: explicitly none)
    updated_by: str = Field(default="", max_length=120)
    updated_at: dt.datetime = Field(default_factory=utcnow)
