"""``python -m qep_core mapping list|add|remove|choices``: a préfecture's own labels (see
:mod:`qep_core.mappings`), through the services the Paramètres page calls, as ``--as LOGIN``.

    mapping list [--format json]
    mapping add theme "CERT 38 (fraude)" fraude
    mapping add row_label "Nb de mails traités" COURRIEL_5J:denominator
    mapping add perimetre "Coord." Coordination
    mapping remove 12
    mapping choices row_label          # what a label of that kind may mean here

Exit codes as everywhere: 0, 1 (mapping refused: nothing written), 2 (usage), 3 (access denied).
"""

from __future__ import annotations

import argparse
import json
import sys

from qep_core import services
from qep_core.cli.common import EXIT_OK, EXIT_REJECTED, UsageError, actor_from_args, one_line
from qep_core.db import get_engine
from qep_core.mappings.models import KINDS


def cmd_mapping(args: argparse.Namespace) -> int:
    database = get_engine()
    actor = actor_from_args(args, database)
    pref_id = services.settings.prefecture_by_code(actor, args.prefecture)[0]
    mappings = services.mappings
    try:
        if args.action == "list":
            rows = mappings.list_mappings(actor, pref_id)
            if args.format == "json":
                print(json.dumps([{"id": r.id, "kind": r.kind, "label": r.label, "target": r.target,
                                   "meaning": r.meaning, "by": r.created_by, "at": r.created_at.isoformat()}
                                  for r in rows], ensure_ascii=False, indent=2))
            else:
                for r in rows:
                    print(f"{r.id:>4}  {r.kind:<10} « {one_line(r.label)} » → {one_line(r.meaning)}")
                if not rows:
                    print("aucune correspondance")
        elif args.action == "choices":
            kind = _kind(args.values, 1)
            for target, meaning in mappings.choices(actor, pref_id, kind).items():
                print(f"{target:<34} {one_line(meaning)}")
        elif args.action == "add":
            if len(args.values) != 3:
                raise UsageError("mapping add NATURE LIBELLÉ SENS (p. ex. mapping add theme \"CERT 38\" fraude)")
            row = mappings.add(actor, pref_id, _kind(args.values, 3), args.values[1], args.values[2])
            print(f"✓ correspondance n° {row.id} : {row.kind_label} « {one_line(row.label)} » → {one_line(row.meaning)}")
        else:
            if len(args.values) != 1 or not args.values[0].isdigit():
                raise UsageError("mapping remove NUMÉRO (le numéro que donne mapping list)")
            row = mappings.remove(actor, pref_id, int(args.values[0]))
            print(f"✓ correspondance retirée : {row.kind_label} « {one_line(row.label)} »")
    except mappings.MappingError as exc:
        print(f"✗ {exc} ; rien n'a été enregistré", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_OK


def _kind(values: list[str], expected: int) -> str:
    if len(values) != expected or values[0] not in KINDS:
        raise UsageError(f"nature attendue en premier : {', '.join(KINDS)}")
    return values[0]



def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mapping", help="libellés propres à la préfecture : list | add | remove | choices")
    p.add_argument("action", choices=["list", "add", "remove", "choices"])
    p.add_argument("values", nargs="*", metavar="ARG",
                   help="add : NATURE LIBELLÉ SENS ; remove : NUMÉRO ; choices : NATURE "
                        f"(natures : {', '.join(KINDS)})")
    p.add_argument("--prefecture", metavar="CODE")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_mapping)
