"""``python -m qep_core alerts``: the alerts imports raised and who is told of them (see
:mod:`qep_core.signals.alerts`), through the services the Signaux page calls, as ``--as LOGIN``.

    alerts subscribe --email qualite@x.gouv.fr [--indicator CODE | --module M2]
    alerts unsubscribe --email qualite@x.gouv.fr [--indicator CODE | --module M2]
    alerts subscriptions [--format json]
    alerts list [--since 2024-06-01] [--kind seuil] [--format json]
    alerts send [--days 31]      # the alert e-mails that did not leave (server down), once

Exit codes as everywhere: 0, 1 (refused or e-mails not sent: nothing noted as sent), 2 (usage),
3 (access denied).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from qep_core import services
from qep_core.cli.common import EXIT_OK, EXIT_REJECTED, UsageError, actor_from_args, one_line
from qep_core.db import get_engine
from qep_core.frenchforms import count_text


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UsageError(f"--since : date attendue au format AAAA-MM-JJ (reçu : {text})") from exc


def _list(actor: services.Actor, pid: int, args: argparse.Namespace) -> int:
    since = _day(args.since) if args.since else None
    rows = services.alerts.list_alerts(actor, pid, since, args.kind)
    if args.format == "json":
        print(json.dumps([{"indicator": r.indicator_code, "label": r.label, "month": r.month.strftime("%Y-%m"),
                           "kind": r.kind, "message": r.message, "created_at": r.created_at.isoformat()}
                          for r in rows], ensure_ascii=False, indent=2))
        return EXIT_OK
    for r in rows:
        print(f"{r.created_at:%d/%m/%Y %H:%M}  {r.month:%Y-%m}  {r.kind:<6} {one_line(r.message)}")
    if not rows:
        print("aucune alerte")
    return EXIT_OK


def _subscriptions(actor: services.Actor, pid: int, args: argparse.Namespace) -> int:
    rows = services.alerts.subscriptions(actor, pid)
    if args.format == "json":
        print(json.dumps([{"email": r.email, "indicator": r.indicator_code, "module": r.module_code,
                           "scope": r.scope, "by": r.created_by, "at": r.created_at.isoformat()} for r in rows],
                         ensure_ascii=False, indent=2))
        return EXIT_OK
    for r in rows:
        print(f"{r.email:<40} {r.scope}")
    if not rows:
        print("aucun abonnement")
    return EXIT_OK


def print_report(report: services.alerts.AlertReport) -> None:
    """What an import raised, under its line in ``import``: the alerts, then the e-mails."""
    print(f"    {count_text(report.count, 'alerte')} :")
    for line in report.alerts:
        print(f"    ⚠ {one_line(line.message)}")
    print(f"    {report.mail.text()}")


def cmd_alerts(args: argparse.Namespace) -> int:
    database = get_engine()
    actor = actor_from_args(args, database)
    pid = services.settings.prefecture_by_code(actor, args.prefecture)[0]
    alerts = services.alerts
    if args.action == "list":
        return _list(actor, pid, args)
    if args.action == "subscriptions":
        return _subscriptions(actor, pid, args)
    if args.action == "send":
        report = alerts.send_pending(actor, pid, args.days)
        print(("✗ " if report.unsent else "✓ ") + report.text(), file=sys.stderr if report.unsent else sys.stdout)
        return EXIT_REJECTED if report.unsent else EXIT_OK
    if not args.email:
        raise UsageError(f"alerts {args.action} --email ADRESSE [--indicator CODE | --module CODE]")
    change = alerts.subscribe if args.action == "subscribe" else alerts.unsubscribe
    try:
        row = change(actor, pid, args.email, args.indicator, args.module)
    except alerts.AlertError as exc:
        print(f"✗ {exc} Rien n'a été enregistré.", file=sys.stderr)
        return EXIT_REJECTED
    done = f"{row.email} est abonnée aux alertes : {row.scope}" if args.action == "subscribe" else \
        f"abonnement retiré : {row.email} ({row.scope})"
    print(f"✓ {done}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("alerts", help="alertes des imports : list | subscriptions | subscribe | unsubscribe | send")
    p.add_argument("action", choices=["list", "subscriptions", "subscribe", "unsubscribe", "send"])
    p.add_argument("--prefecture", metavar="CODE")
    p.add_argument("--email", metavar="ADRESSE", help="subscribe / unsubscribe : l'adresse prévenue")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--indicator", metavar="CODE", help="seulement les alertes de cet indicateur")
    which.add_argument("--module", metavar="CODE", help="seulement les alertes de ce module (M1, M2…)")
    p.add_argument("--since", metavar="AAAA-MM-JJ", help="list : les alertes levées depuis ce jour")
    p.add_argument("--kind", action="append", choices=list(services.alerts.KIND_LABELS),
                   help="list : seulement cette sorte d'alerte (répétable)")
    p.add_argument("--days", type=int, default=31, help="send : les alertes des N derniers jours (31 par défaut)")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_alerts)
