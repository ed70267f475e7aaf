"""``python -m qep_core sp-plus show|set|map|unmap``: the Services Publics+ settings (see
:mod:`qep_core.services.sp_plus`), through the services the Paramètres page calls, as ``--as LOGIN``.

    sp-plus show [--format table|json]
    sp-plus set --code SP-44-PREF --typologie Préfecture --code-postal 44000 --ville Nantes
    sp-plus set --ville "Nantes Cedex 1"      # the other settings stay
    sp-plus map COURRIEL_5J IND-27
    sp-plus unmap COURRIEL_5J

The file itself: ``python -m qep_core export --kind sp-plus --year 2024 -o sp.csv``. Exit codes as
everywhere: 0, 1 (refused: nothing written), 2 (usage), 3 (access denied).
"""

from __future__ import annotations

import argparse
import json
import sys

from qep_core import services
from qep_core.cli.common import EXIT_OK, EXIT_REJECTED, actor_from_args, one_line, write_output
from qep_core.db import get_engine


def _show(actor: services.Actor, pid: int, fmt: str) -> None:
    sp = services.sp_plus
    structure = sp.structure(actor, pid)
    lines = sp.code_lines(actor, pid)
    if fmt == "json":
        payload = {"structure": None if structure is None else {
            "code": structure.code, "typologie": structure.typology, "code_postal": structure.postal_code,
            "ville": structure.city},
            "indicateurs": [{"code": x.indicator_code, "code_sp": x.sp_code, "origine": x.source or None}
                            for x in lines]}
        write_output(json.dumps(payload, ensure_ascii=False, indent=2), None)
        return
    if structure is None:
        out = ["structure : non renseignée (sp-plus set --code … --typologie … --code-postal … --ville …)"]
    else:
        out = [f"structure : {one_line(structure.code)} — {one_line(structure.typology)} — "
               f"{structure.postal_code} {one_line(structure.city)}"]
    out += [f"{x.indicator_code:<28} {x.sp_code or '—':<10} {x.source}" for x in lines]
    write_output("\n".join(out), None)


def cmd_sp_plus(args: argparse.Namespace) -> int:
    database = get_engine()
    actor = actor_from_args(args, database)
    pid = services.settings.prefecture_by_code(actor, args.prefecture)[0]
    sp = services.sp_plus
    try:
        if args.action == "show":
            _show(actor, pid, args.format)
        elif args.action == "set":
            current = sp.structure(actor, pid)
            given = {"code": args.code, "typology": args.typologie, "postal_code": args.code_postal, "city": args.ville}
            values = {k: v if v is not None else (getattr(current, k) if current else "") for k, v in given.items()}
            saved = sp.save_structure(actor, pid, **values)
            print(f"✓ structure Services Publics+ : {one_line(saved.code)} — {one_line(saved.typology)} — "
                  f"{saved.postal_code} {one_line(saved.city)}")
        elif args.action == "map":
            lines = sp.map_indicator(actor, pid, args.indicator, args.sp_code)
            print(f"✓ {lines[0]}" if lines else "· rien à changer : ce code est déjà celui de l'indicateur")
        else:
            lines = sp.unmap_indicator(actor, pid, args.indicator)
            print(f"✓ {lines[0]} : l'indicateur ne figure plus dans le fichier Services Publics+")
    except sp.SpPlusError as exc:
        for reason in exc.errors:
            print(f"✗ {reason}", file=sys.stderr)
        print("rien n'a été enregistré", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sp-plus", help="Services Publics+ : structure (code SP+, typologie, code postal, ville) et "
                                      "codes nationaux des indicateurs : show | set | map | unmap")
    actions = p.add_subparsers(dest="action", required=True)
    show = actions.add_parser("show", help="la structure et le code SP+ de chaque indicateur")
    show.add_argument("--format", choices=["table", "json"], default="table")
    put = actions.add_parser("set", help="code SP+, typologie, code postal et ville de la structure "
                                         "(une option absente garde la valeur enregistrée)")
    put.add_argument("--code", metavar="CODE", help="code SP+ de la structure")
    put.add_argument("--typologie", metavar="TEXTE", help="« Préfecture », « Sous-préfecture »…")
    put.add_argument("--code-postal", metavar="NNNNN", help="cinq chiffres (20xxx en Corse)")
    put.add_argument("--ville", metavar="TEXTE")
    mapping = actions.add_parser("map", help="donner à un indicateur son code national (p. ex. IND-27)")
    mapping.add_argument("indicator", metavar="CODE", help="notre code (COURRIEL_5J)")
    mapping.add_argument("sp_code", metavar="IND-nn", help="le code SP+ de l'indicateur")
    unmapping = actions.add_parser("unmap", help="retirer le code national d'un indicateur (il sort du fichier)")
    unmapping.add_argument("indicator", metavar="CODE")
    for parser in (show, put, mapping, unmapping):
        parser.add_argument("--prefecture", metavar="CODE")
    p.set_defaults(func=cmd_sp_plus)
