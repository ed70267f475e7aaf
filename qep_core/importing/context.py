"""What the importer knows while reading a file: the préfecture's indicators, families, targets and
its own labels (mappings)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from qep_core.frenchforms import normalize
from qep_core.mappings.labels import NO_MAPPINGS, Mappings
from qep_core.referentiel import FamilyDef, IndicatorDef, TargetBook


@dataclass
class ImportContext:
    indicators: dict[str, IndicatorDef]
    families: dict[str, FamilyDef]
    targets: TargetBook | None = None
    label_index: dict[str, str] = field(default_factory=dict)  # normalized label → code
    calendar: Any = None  # WorkingCalendar of the préfecture, for item logs
    as_of: dt.date | None = None  # "today" for pending items (injectable in tests)
    log_kind: str | None = None  # an item-log kind the user named (import --kind)
    mappings: Mappings = NO_MAPPINGS  # the préfecture's own labels (qep_core.mappings), read once per file

    def __post_init__(self) -> None:

        for code, ind in self.indicators.items():
            self.label_index.setdefault(normalize(ind.label), code)
            self.label_index.setdefault(normalize(code), code)


@dataclass
class Draft:
    """One observation read from a file, before it is stored."""

    indicator: str
    perimetre: str | None
    start: dt.date
    end: dt.date
    numerator: float
    denominator: float | None
    sheet: str
    row: int
    column: str
