"""``python -m qep_core deposit list|validate|return|withdraw|validation``: the services' files
waiting for the référente's validation (see :mod:`qep_core.services.deposits`), through the
services the Import page calls, as ``--as LOGIN``.

    deposit validation on|off|show       the préfecture's switch (edit_settings)
    deposit list [--pending] [--format table|json]
    deposit validate 12                   import it now, under its depositor's name
    deposit return 12 --comment "…"       back to the service, with why
    deposit withdraw 12                   its author takes it back

A contributor's ``import`` becomes a deposit by itself when validation is on. Exit codes as
everywhere: 0, 1 (refused: nothing written), 2 (usage), 3 (access denied).
"""

from __future__ import annotations

import argparse
import json
import sys

from qep_core import services
from qep_core.cli.common import EXIT_OK, EXIT_REJECTED, actor_from_args, one_line, write_output
from qep_core.db import get_engine
from qep_core.models import local_time
from qep_core.services.deposits import DepositView


def deposit_payload(d: DepositView) -> dict[str, object]:
    return {"id": d.id, "file": d.file_name, "status": d.status_label, "by": d.deposited_by,
            "at": d.deposited_at.isoformat(), "perimetres": list(d.perimetres),
            "months": [m.strftime("%Y-%m") for m in d.months], "rows": d.rows, "summary": d.summary,
            "reviewed_by": d.reviewed_by or None, "reviewed_at": d.reviewed_at.isoformat() if d.reviewed_at else None,
            "comment": d.comment or None, "batch": d.batch_id}


def deposit_line(d: DepositView) -> str:
    head = (f"{d.id:>4}  {local_time(d.deposited_at):%d/%m/%Y %H:%M}  {d.status_label:<9}  {one_line(d.file_name)}  "
            f"par {one_line(d.deposited_by)}  ({one_line(', '.join(d.perimetres) or '—')})")
    tail = f"\n      {one_line(d.summary)}" if d.summary else ""
    if d.comment:
        tail += f"\n      renvoyé par {one_line(d.reviewed_by)} : « {one_line(d.comment)} »"
    return head + tail


def cmd_deposit(args: argparse.Namespace) -> int:
    database = get_engine()
    actor = actor_from_args(args, database)
    pid = services.settings.prefecture_by_code(actor, args.prefecture)[0]
    deposits = services.deposits
    try:
        if args.action == "validation":
            on = deposits.validation(actor, pid) if args.state == "show" else (
                deposits.set_validation(actor, pid, args.state == "on"))
            print("validation des dépôts : " + ("activée — les fichiers des services attendent la validation du "
                                               "référent qualité" if on else "désactivée — les fichiers des services "
                                               "sont enregistrés dès leur import"))
        elif args.action == "list":
            rows = deposits.deposits(actor, pid, pending_only=args.pending)
            if args.format == "json":
                write_output(json.dumps([deposit_payload(d) for d in rows], ensure_ascii=False, indent=2), None)
            else:
                write_output("\n".join(deposit_line(d) for d in rows) or "aucun dépôt", None)
        elif args.action == "validate":
            outcome = deposits.validate_deposit(actor, pid, args.id)
            batch = f"lot n° {outcome.batch.id}" if outcome.batch is not None else "déjà enregistré"
            print(f"✓ dépôt n° {args.id} validé ({batch}) — {outcome.plan.summary()}")
        elif args.action == "return":
            row = deposits.return_deposit(actor, pid, args.id, args.comment)
            print(f"✓ dépôt n° {row.id} renvoyé à {row.deposited_by} : « {one_line(row.comment)} »")
        else:
            row = deposits.withdraw_deposit(actor, pid, args.id)
            print(f"✓ dépôt n° {row.id} retiré ({one_line(row.file_name)})")
    except services.imports.ImportRejected as exc:
        print(f"✗ {exc.file_name} : refusé, rien n'a été enregistré (le dépôt attend toujours)", file=sys.stderr)
        for issue in exc.errors:
            print(f"    {issue}", file=sys.stderr)
        return EXIT_REJECTED
    except deposits.DepositError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("deposit", help="dépôts des services à valider : list | validate | return | withdraw | "
                                       "validation")
    actions = p.add_subparsers(dest="action", required=True)
    switch = actions.add_parser("validation", help="la validation des dépôts des services : on | off | show")
    switch.add_argument("state", choices=["on", "off", "show"])
    listing = actions.add_parser("list", help="les dépôts (les vôtres pour un service)")
    listing.add_argument("--pending", action="store_true", help="seulement ceux qui attendent la validation")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    validate = actions.add_parser("validate", help="valider un dépôt : ses valeurs sont enregistrées")
    back = actions.add_parser("return", help="renvoyer un dépôt au service, avec un commentaire")
    back.add_argument("--comment", required=True, metavar="TEXTE", help="pourquoi (le service le lit)")
    withdraw = actions.add_parser("withdraw", help="retirer un dépôt qui attend encore")
    for parser in (validate, back, withdraw):
        parser.add_argument("id", type=int, metavar="NUMÉRO")
    for parser in (switch, listing, validate, back, withdraw):
        parser.add_argument("--prefecture", metavar="CODE")
    p.set_defaults(func=cmd_deposit)
