"""The table of local labels (see :mod:`qep_core.mappings.labels` for what they mean and who reads
them). Kept apart from the rules so that registering the schema (:mod:`qep_core.tables`) imports
nothing but the models."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from qep_core.models import utcnow

ROW_LABEL, COLUMN, THEME, ROLE, PERIMETRE = "row_label", "column", "theme", "role", "perimetre"
#: The kinds of label, as the pages and the history name them.
KINDS: dict[str, str] = {
    ROW_LABEL: "libellé de ligne",
    COLUMN: "en-tête de colonne",
    THEME: "thème de formation",
    ROLE: "rôle d'un agent",
    PERIMETRE: "autre nom d'un périmètre",
}
#: What a row may be besides a count: the sheet's own rate, checked against the counts, never stored.
RATE = "rate"
#: Column targets that are not indicators.
TOTAL_COLUMN, IGNORED_COLUMN = "total", "ignore"
COLUMN_SPECIALS = {TOTAL_COLUMN: "colonne de total (vérifiée, non enregistrée)",
                   IGNORED_COLUMN: "colonne à ignorer (sans avertissement)"}
MAX_LABEL = 200


class LabelMapping(SQLModel, table=True):
    """One local label of one préfecture and what it means (see the module's table)."""

    __tablename__ = "label_mapping"
    __table_args__ = (UniqueConstraint("prefecture_id", "kind", "key", name="uq_label_mapping"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    kind: str = Field(max_length=20)
    key: str = Field(max_length=MAX_LABEL)  # normalize(label): what a file's label is compared on
    label: str = Field(max_length=MAX_LABEL)  # as the user first wrote it
    target: str = Field(max_length=100)
    created_by: str = Field(default="", max_length=120)
    created_at: dt.datetime = Field(default_factory=utcnow)
