"""The bounds of :mod:`qep_core.rules.bounds` applied to every row the ORM is about to write.

Why at the flush: a value reaches the database from many paths (pages, the command line, the
services, the demo, the importers of surveys, mystery checks, action plans, audits, trainings);
checking each path let one forget. :func:`check_flush` runs before every flush (registered by
:mod:`qep_core.db`) over the new and changed rows, reading the bounds off the schema itself (a
column's length) and off :mod:`~qep_core.rules.bounds` (dates, counts, texts without length), and
refuses the whole transaction with a French :class:`~qep_core.rules.bounds.ValueOutOfBounds`
before SQL is sent: the same refusal on SQLite and PostgreSQL. Bulk inserts that bypass the ORM
(the import of indicator values) check their rows themselves (:mod:`qep_core.importing.bounds`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
from sqlalchemy import Date, DateTime, Float, Integer, String, Table, TypeDecorator
from sqlalchemy.orm import Session

from qep_core.models import Indicator
from qep_core.rules.bounds import (
    COUNT_COLUMNS,
    DATE_RULES,
    FIELD_LABELS,
    MAX_INTEGER,
    MAX_MONTHLY_COUNT,
    TEXT_LIMITS,
    ValueOutOfBounds,
    count_faults,
    date_range,
    shown_number,
    text_fault,
)

Check = Callable[[Any], "str | None"]
TAIL = " ; rien n'a été enregistré"


def text_limit(table: str, column: Any) -> int | None:
    """The most characters a text column takes: its schema length, else :data:`TEXT_LIMITS`."""
    length = getattr(column.type, "length", None)
    return length if isinstance(length, int) else TEXT_LIMITS.get(f"{table}.{column.name}")


def model_text_limit(model: Any, attribute: str) -> int:
    """The most characters of ``model.attribute`` (e.g. ``Perimetre``, ``"name"``): for checks
    that speak before the flush (a settings form, an import), with the flush's very limit."""
    table = model.__table__
    limit = text_limit(table.name, table.c[attribute])
    if limit is None:
        raise KeyError(f"{table.name}.{attribute} has no length")  # a bug: ask only about bounded texts
    return limit


def _text_check(limit: int) -> Check:
    return lambda v: text_fault(v, limit) if isinstance(v, str) else None


def _date_check(rule: str) -> Check:
    def check(value: Any) -> str | None:
        first, last = date_range(rule)
        year = value if isinstance(value, int) else value.year
        if first.year <= year <= last.year and (isinstance(value, int) or first <= value <= last):
            return None
        shown = value if isinstance(value, int) else f"{value:%d/%m/%Y}"
        return f"{shown} est hors des dates acceptées ({first:%d/%m/%Y} au {last:%d/%m/%Y})"
    return check


def _number_check(limit: float) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if not math.isfinite(value):
            return f"nombre {shown_number(value)} refusé"
        if abs(value) > limit:
            return f"nombre invraisemblable : {shown_number(value)} (au plus {shown_number(limit)})"
        return None
    return check


def _column_checks(column: Any, table: str) -> list[Check]:
    key = f"{table}.{column.name}"
    checks: list[Check] = []
    # sqlmodel's str columns are an AutoString decorating a String: the stored type is what counts
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(kind, String) and (limit := text_limit(table, column)) is not None:
        checks.append(_text_check(limit))
    if key in DATE_RULES and isinstance(kind, (Date, Integer)) and not isinstance(kind, DateTime):
        checks.append(_date_check(DATE_RULES[key]))
    if isinstance(kind, Float):
        checks.append(_number_check(math.inf))
    elif isinstance(kind, Integer):
        checks.append(_number_check(MAX_MONTHLY_COUNT if key in COUNT_COLUMNS else MAX_INTEGER))
    return checks


@cache
def _table_checks(table: Table) -> tuple[tuple[str, str, tuple[Check, ...]], ...]:
    """(attribute, French name, checks) for each bounded column of *table*, computed once."""
    out = []
    for column in table.columns:
        checks = _column_checks(column, table.name)
        if checks:
            label = FIELD_LABELS.get(f"{table.name}.{column.name}", f"{table.name}.{column.name}")
            out.append((column.key, label, tuple(checks)))
    return tuple(out)


def row_faults(row: Any, indicator_kind: Callable[[int], str] | None = None) -> list[str]:
    """What is out of bounds in *row* (a mapped object), in French, each naming its column."""
    table = getattr(type(row), "__table__", None)
    if not isinstance(table, Table):
        return []
    faults = []
    for attribute, label, checks in _table_checks(table):
        value = row.__dict__.get(attribute)
        if value is None:
            continue
        for check in checks:
            if (fault := check(value)) is not None:
                faults.append(f"{label} : {fault}")
                break
    if table.name in ("observation", "observation_history") and not faults and indicator_kind is not None:
        faults += _observation_faults(row, indicator_kind(row.indicator_id))
    return faults


def _observation_faults(row: Any, kind: str) -> list[str]:
    start, end = row.period_start, row.period_end
    months = (end.year - start.year) * 12 + end.month - start.month + 1 if isinstance(start, dt.date) else 1
    den = math.nan if row.denominator is None else row.denominator
    found = count_faults([kind], np.array([months]), np.array([row.numerator]), np.array([den]))
    names = {"numerator": FIELD_LABELS["observation.numerator"], "denominator": FIELD_LABELS["observation.denominator"]}
    return [f"{names[which]} : {reason}" for which, reason, _mask in found]


def check_flush(session: Session, _context: object = None, _instances: object = None) -> None:
    """Refuse the flush (and so the transaction) when a new or changed row is out of bounds."""
    rows = [*session.new, *session.dirty]
    if not rows:
        return
    kinds: dict[int, str] = {}

    def kind_of(indicator_id: int) -> str:
        if indicator_id not in kinds:
            with session.no_autoflush:
                found = session.get(Indicator, indicator_id)
            kinds[indicator_id] = found.kind if found is not None else ""
        return kinds[indicator_id]

    for row in rows:
        faults = row_faults(row, kind_of)
        if faults:
            raise ValueOutOfBounds(" ; ".join(faults[:3]) + TAIL)
