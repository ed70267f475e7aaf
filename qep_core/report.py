"""Indicator results as records, tables, CSV and JSON (the CLI ``report`` and the exports)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from qep_core.compute import IndicatorResult
from qep_core.frenchforms import count_text, format_number_fr, plural
from qep_core.rules import formatting
from qep_core.rules.formatting import format_change, format_value, round_value
from qep_core.rules.kinds import IndicatorKind
from qep_core.rules.status import ATTEINT, RATED_STATUSES
from qep_core.safe_cells import FORMULA_PREFIXES, neutralise

CSV_INJECTION_PREFIXES = FORMULA_PREFIXES  # kept for callers of the former name
_round = round_value


def format_target(result: IndicatorResult) -> str:
    """The result's target as the rule of :mod:`qep_core.rules.formatting` writes it: ``≥ 90,0 %``."""
    return formatting.format_target(result.target.value, result.target.direction, result.indicator.unit)


def change_text(result: IndicatorResult) -> str:
    """``+2,3 pt`` against the same period a year earlier; ``–`` without both values."""
    return format_change(result.change, result.indicator.unit)


def engagement_label(result: IndicatorResult) -> str:
    key = result.indicator.engagement_key
    if key and key.startswith("E") and key[1:].isdigit():
        return key[1:]
    return key or f"module {result.indicator.module_code.removeprefix('M')}"


def result_record(result: IndicatorResult) -> dict[str, Any]:
    ind = result.indicator
    return {
        "indicator": ind.code,
        "label": ind.label,
        "engagement": engagement_label(result),
        "module": ind.module_code,
        "period": result.period.code,
        "period_label": result.period.label,
        "value": _round(result.value, ind.unit),
        "numerator": result.numerator,
        "denominator": result.denominator,
        "unit": ind.unit,
        "target": result.target.value,
        "direction": result.target.direction,
        "alert_threshold": result.target.alert,
        "status": result.status,
        "previous_value": _round(result.previous_value, ind.unit),
        "change": _round(result.change, ind.unit),
        "frequency": ind.frequency,
    }


def to_json(results: list[IndicatorResult], meta: dict[str, Any] | None = None) -> str:
    payload: dict[str, Any] = {"indicators": [result_record(r) for r in results]}
    if meta:
        payload = {**meta, **payload}
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str)


def to_csv(results: list[IndicatorResult]) -> str:
    records = [result_record(r) for r in results]
    buffer = io.StringIO()
    if not records:
        return ""
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]), delimiter=";")
    writer.writeheader()
    for rec in records:
        writer.writerow({k: neutralise("" if v is None else v) for k, v in rec.items()})
    return buffer.getvalue()


def to_table(results: list[IndicatorResult], title: str = "") -> str:
    """Aligned text for a terminal, in French."""
    header = ["Indicateur", "Valeur", "Cible", "Statut", "N-1", "Évol.", "Num./Dén."]
    rows = []
    for r in results:
        unit = r.indicator.unit
        change = change_text(r)
        counts = "–" if r.numerator is None else (
            format_number_fr(r.numerator, 0) + (f" / {format_number_fr(r.denominator, 0)}" if r.denominator is not None and r.indicator.kind != IndicatorKind.MEAN_DELAY else ""))
        if r.indicator.kind == IndicatorKind.MEAN_DELAY and r.denominator is not None:
            counts = f"{format_number_fr(r.denominator, 0)} rép."
        rows.append([r.indicator.code, format_value(r.value, unit), format_target(r), r.status,
                     format_value(r.previous_value, unit), change, counts])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    lines = [title] if title else []
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))
    met = sum(1 for r in results if r.status == ATTEINT)
    with_target = sum(1 for r in results if r.status in RATED_STATUSES)
    lines.append("")
    lines.append(f"{count_text(met, 'indicateur')} sur {with_target} avec objectif et données "
                 f"{plural(met, 'atteint sa cible', 'atteignent leur cible')}.")
    return "\n".join(lines)
