"""``python -m qep_core spc``: an indicator's control chart (signals and assurance, see
:mod:`qep_core.spc`) from the command line, through ``services.dashboard.spc``, as ``--as LOGIN``.

    spc --indicator TEL_ABOUTIS [--prefecture 44] [--perimetre NOM] [--from 2023-01] [--to 2024-12] \\
        [--change 2024-03] [--format table|json] [-o FICHIER]

Without ``--from`` / ``--to``: from the first to the latest month with data. Values are in the unit
users read (91.5 for 91,5 %), the limits of a rate in percent too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from qep_core import services
from qep_core.cli.common import EXIT_OK, UsageError, actor_from_args, one_line, write_output
from qep_core.db import get_engine
from qep_core.periods import range_period
from qep_core.rules.bounds import check_month
from qep_core.rules.formatting import format_value
from qep_core.services.events import PROCESS_CHANGE
from qep_core.spc import SpcChart
from qep_core.spc_text import assurance_sentence, variation_sentence


def month_option(text: str, option: str) -> dt.date:
    try:
        return check_month(dt.datetime.strptime(text.strip(), "%Y-%m").date(), option)
    except ValueError as exc:
        if isinstance(exc, services.ValueOutOfBounds):
            raise
        raise UsageError(f"{option} : mois attendu au format AAAA-MM (reçu : {text})") from exc


def chart_payload(code: str, chart: SpcChart) -> dict[str, Any]:
    """The chart as JSON reads it: months as ``YYYY-MM``, signals as a list."""
    return {
        "indicator": code, "method": chart.method, "assurance": chart.assurance,
        "sentences": {"variation": variation_sentence(chart), "assurance": assurance_sentence(chart)},
        "points": [{"month": p.month.strftime("%Y-%m"), "value": p.value, "numerator": p.numerator,
                    "denominator": p.denominator, "centre": p.centre, "lower": p.lower, "upper": p.upper,
                    "signals": list(p.signals), "variation": p.variation} for p in chart.points],
    }


def chart_table(title: str, unit: str, chart: SpcChart) -> str:
    """The chart as a terminal reads it, then its two sentences."""
    out = [title, "", f"{'Mois':<8} {'Valeur':>10} {'Moyenne':>10} {'Basse':>10} {'Haute':>10}  {'Variation':<18} Signaux"]
    for p in chart.points:
        values = (format_value(v, unit) for v in (p.value, p.centre, p.lower, p.upper))
        out.append(f"{p.month:%Y-%m} " + " ".join(f"{v:>10}" for v in values) + f"  {p.variation:<18} "
                   + " ; ".join(p.signals))
    return "\n".join([*out, "", variation_sentence(chart), assurance_sentence(chart)])


def cmd_spc(args: argparse.Namespace) -> int:
    database = get_engine()
    actor = actor_from_args(args, database)
    dashboard = services.dashboard
    pref = dashboard.prefecture(actor, args.prefecture)
    pid, code = pref.id or 0, args.indicator.upper()
    status = dashboard.data_status(actor, pid)
    first = month_option(args.from_month, "--from") if args.from_month else status.first_month
    last = month_option(args.to_month, "--to") if args.to_month else status.last_month
    if first is None or last is None:
        raise UsageError("aucune donnée : précisez --from et --to")
    if last < first:
        raise UsageError("--to précède --from")
    perimetre_ids = None
    if args.perimetre:
        perims = dashboard.perimetres(actor, pid)
        perimetre_ids = dashboard.perimetre_ids_by_name(perims, args.perimetre)
        if perimetre_ids is None:
            raise UsageError(f"périmètre inconnu ; périmètres existants : {', '.join(p.name for p in perims)}")
    indicator = next((d for d in dashboard.referentiel(actor, pid)[0] if d.code == code), None)
    if indicator is None:
        raise UsageError(f"indicateur inconnu : {code}")
    changes = [month_option(text, "--change") for text in args.change or ()]
    chart = dashboard.spc(actor, pid, code, range_period(first, last), perimetre_ids, changes)
    recorded = _recorded_changes(actor, pid, code, first, last, perimetre_ids)
    if args.format == "json":
        payload = chart_payload(code, chart) | {"process_changes": [
            *({"month": d.strftime("%Y-%m"), "label": None} for d in sorted(changes)),
            *({"month": r.day.strftime("%Y-%m"), "label": r.label} for r in recorded)]}
        write_output(json.dumps(payload, ensure_ascii=False, indent=2), args.output)
    else:
        title = f"{pref.name} — {indicator.label} ({code}) — carte de contrôle {chart.method}"
        lines = [f"{PROCESS_CHANGE.capitalize()} ({r.day:%m/%Y}) : « {one_line(r.label)} » — limites recalculées"
                 for r in recorded]
        write_output("\n".join([chart_table(title, indicator.unit, chart), *lines]), args.output)
    return EXIT_OK


def _recorded_changes(actor: services.Actor, pid: int, code: str, first: dt.date, last: dt.date,
                      perimetre_ids: list[int] | None) -> list[services.events.EventRow]:
    """The préfecture's process changes the chart's limits restarted at (``services.dashboard.spc``
    reads them itself), named for who may read the events (not the users' committee: their labels
    are internal notes)."""
    if not actor.principal.can("read_detail"):
        return []
    rows = services.events.list_events(actor, pid, first=first, last=last, indicator_code=code,
                                       perimetre_ids=perimetre_ids)
    return [r for r in rows if r.process_change]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("spc", help="carte de contrôle d'un indicateur : signaux et assurance d'atteindre la cible")
    p.add_argument("--indicator", required=True, metavar="CODE")
    p.add_argument("--prefecture", metavar="CODE")
    p.add_argument("--perimetre", action="append", metavar="NOM", help="limiter à un périmètre (répétable)")
    p.add_argument("--from", dest="from_month", metavar="AAAA-MM", help="premier mois (défaut : le premier avec "
                                                                        "des données)")
    p.add_argument("--to", dest="to_month", metavar="AAAA-MM", help="dernier mois (défaut : le dernier avec des données)")
    p.add_argument("--change", action="append", metavar="AAAA-MM",
                   help="mois d'un changement de fonctionnement : limites recalculées à partir de lui (répétable)")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("-o", "--output", metavar="FICHIER")
    p.set_defaults(func=cmd_spc)
