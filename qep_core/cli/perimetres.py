"""``python -m qep_core perimetre list|set-public``: a préfecture's périmètres and the names public
documents give them (see :mod:`qep_core.rules.public_names`), through the services the
Paramètres page calls, as ``--as LOGIN``.

    perimetre list [--format json]
    perimetre set-public PC "Permis de conduire"     # by internal name or number
    perimetre set-public 12 ""                        # clear it: the rule decides again

Exit codes as everywhere: 0, 1 (refused: nothing written), 2 (usage), 3 (access denied).
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from qep_core import services
from qep_core.cli.common import EXIT_OK, EXIT_REJECTED, UsageError, actor_from_args
from qep_core.db import get_engine
from qep_core.prefectures import perimetre_key


def cmd_perimetre(args: argparse.Namespace) -> int:
    database = get_engine()
    actor = actor_from_args(args, database)
    pref_id = services.settings.prefecture_by_code(actor, args.prefecture)[0]
    table = services.settings.perimetres_table(actor, pref_id)
    if args.action == "list":
        _print_list(table, args.format)
        return EXIT_OK
    if len(args.values) != 2:
        raise UsageError('perimetre set-public NOM|NUMÉRO "Nom public" ("" pour l\'effacer)')
    try:
        line = services.settings.set_public_name(actor, pref_id, _perimetre_id(table, args.values[0]), args.values[1])
    except services.settings.KNOWN_ERRORS as exc:
        print(f"✗ {exc} ; rien n'a été enregistré", file=sys.stderr)
        return EXIT_REJECTED
    print(f"✓ {line}" if line else "rien n'a changé")
    return EXIT_OK


def _print_list(table: pd.DataFrame, form: str) -> None:
    rows = [{"id": int(r["id"]), "name": r["name"], "public_name": r["public_name"] or None, "shown": r["shown"],
             "kind": r["kind"]} for r in table.to_dict("records")]
    if form == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        print(f"{r['id']:>4}  {r['name']:<34} → {r['shown']}")


def _perimetre_id(table: pd.DataFrame, wanted: str) -> int:
    """The périmètre named *wanted* (as imports match names: case, accents and dots aside) or numbered so."""
    for r in table.to_dict("records"):
        if str(r["id"]) == wanted.strip() or perimetre_key(r["name"]) == perimetre_key(wanted):
            return int(r["id"])
    raise UsageError(f"périmètre inconnu : « {wanted} » (voir perimetre list)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("perimetre", help="périmètres et noms publics : list | set-public")
    p.add_argument("action", choices=["list", "set-public"])
    p.add_argument("values", nargs="*", metavar="ARG", help='set-public : NOM|NUMÉRO "Nom public"')
    p.add_argument("--prefecture", metavar="CODE")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_perimetre)
