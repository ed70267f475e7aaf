"""``python -m qep_core event add|list|remove``: a préfecture's dated events (see
:mod:`qep_core.services.events`), through the services the pages call, as ``--as LOGIN``.

    event add --date 2022-10-03 --label "Mise en service du serveur vocal interactif" \\
        --indicator TEL_ABOUTIS --process-change
    event add --date 2024-04-15 --label "Départ de deux agents du standard" [--perimetre NOM]
    event list [--from 2022-01] [--to 2024-12] [--indicator CODE] [--format table|json]
    event remove 12

An event flagged ``--process-change`` (« changement de fonctionnement ») restarts the control
limits of the indicators it applies to (``spc``). Exit codes as everywhere: 0, 1 (event refused:
nothing written), 2 (usage), 3 (access denied).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from qep_core import services
from qep_core.cli.common import EXIT_OK, EXIT_REJECTED, UsageError, actor_from_args, one_line, write_output
from qep_core.cli.spc import month_option
from qep_core.db import get_engine
from qep_core.services.events import PROCESS_CHANGE, EventRow


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UsageError(f"--date : date attendue au format AAAA-MM-JJ (reçu : {text})") from exc


def event_payload(row: EventRow) -> dict[str, object]:
    return {"id": row.id, "date": row.day.isoformat(), "label": row.label, "indicator": row.indicator_code,
            "indicator_label": row.indicator_label or None, "perimetre": row.perimetre_name or None,
            "process_change": row.process_change, "by": row.created_by, "at": row.created_at.isoformat()}


def event_line(row: EventRow) -> str:
    change = f" [{PROCESS_CHANGE}]" if row.process_change else ""
    return f"{row.id:>4}  {row.day:%d/%m/%Y}  « {one_line(row.label)} »  ({one_line(row.scope_text)}){change}"


def _perimetre_id(actor: services.Actor, pid: int, name: str | None) -> int | None:
    if not name:
        return None
    perims = services.dashboard.perimetres(actor, pid)
    found = services.dashboard.perimetre_ids_by_name(perims, [name])
    if not found:
        raise UsageError(f"périmètre inconnu ; périmètres existants : {', '.join(p.name for p in perims)}")
    return found[0]


def cmd_event(args: argparse.Namespace) -> int:
    database = get_engine()
    actor = actor_from_args(args, database)
    pid = services.settings.prefecture_by_code(actor, args.prefecture)[0]
    events = services.events
    try:
        if args.action == "add":
            row = events.add_event(actor, pid, _day(args.date), args.label, indicator_code=args.indicator,
                                   perimetre_id=_perimetre_id(actor, pid, args.perimetre),
                                   process_change=args.process_change)
            print(f"✓ événement n° {row.id} : {event_line(row).strip()}")
        elif args.action == "list":
            first = month_option(args.from_month, "--from") if args.from_month else None
            last = month_option(args.to_month, "--to") if args.to_month else None
            if first and last and last < first:
                raise UsageError("--to précède --from")
            rows = events.list_events(actor, pid, first=first, last=last, indicator_code=args.indicator)
            if args.format == "json":
                write_output(json.dumps([event_payload(r) for r in rows], ensure_ascii=False, indent=2), None)
            else:
                write_output("\n".join(event_line(r) for r in rows) or "aucun événement", None)
        else:
            row = events.remove_event(actor, pid, args.id)
            print(f"✓ événement retiré : {row.day:%d/%m/%Y} « {one_line(row.label)} »")
    except events.EventError as exc:
        print(f"✗ {exc} ; rien n'a été enregistré", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("event", help="événements datés portés sur les courbes : add | list | remove")
    actions = p.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="dater un événement")
    add.add_argument("--date", required=True, metavar="AAAA-MM-JJ")
    add.add_argument("--label", required=True, metavar="TEXTE", help="libellé (une ligne, 200 caractères au plus)")
    add.add_argument("--indicator", metavar="CODE", help="limiter à un indicateur (défaut : tous)")
    add.add_argument("--perimetre", metavar="NOM", help="limiter à un périmètre (défaut : toute la préfecture)")
    add.add_argument("--process-change", action="store_true",
                     help=f"{PROCESS_CHANGE} : les limites des cartes de contrôle repartent de ce mois")
    listing = actions.add_parser("list", help="les événements de la préfecture")
    listing.add_argument("--from", dest="from_month", metavar="AAAA-MM")
    listing.add_argument("--to", dest="to_month", metavar="AAAA-MM")
    listing.add_argument("--indicator", metavar="CODE")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    remove = actions.add_parser("remove", help="retirer un événement (son numéro : event list)")
    remove.add_argument("id", type=int, metavar="NUMÉRO")
    for parser in (add, listing, remove):
        parser.add_argument("--prefecture", metavar="CODE")
    p.set_defaults(func=cmd_event)
