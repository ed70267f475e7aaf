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
from qep_core.cli.common import EXIT_OK, UsageError, actor_from_args, write_output
from qep_core.db import get_engine
from qep_core.periods import range_period
from qep_core.rules.bounds import check_month
from qep_core.rules.formatting import format_value
from qep_core.spc import SpcChart
from qep_core.spc_text import assurance_sentence, variation_sentence


def _month(text: str, option: str) -> dt.date:
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
    first = _month(args.from_month, "--from") if args.from_month else status.first_month
    last = _month(args.to_month, "--to") if args.to_month else status.last_month
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
    changes = [_month(text, "--change") for text in args.change or ()]
    chart = dashboard.spc(actor, pid, code, range_period(first, last), perimetre_ids, changes)
    if args.format == "json":
        write_output(json.dumps(chart_payload(code, chart), ensure_ascii=False, indent=2), args.output)
    else:
        title = f"{pref.name} — {indicator.label} ({code}) — carte de contrôle {chart.method}"
        write_output(chart_table(title, indicator.unit, chart), args.output)
    return EXIT_OK


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
