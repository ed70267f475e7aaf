"""``python -m qep_core user add|list|disable|enable|passwd``, ``history`` and ``db upgrade|current``:
accounts, the change history and the schema from the command line: the same service functions as
the pages, acting as ``--as LOGIN`` (or the local administrator of a single-user install, or the
installer while the database has no account yet)."""

from __future__ import annotations

import argparse
import getpass
import sys

from qep_core import services
from qep_core.access import ROLES
from qep_core.cli.common import actor_from_args
from qep_core.config import setting
from qep_core.db import get_engine
from qep_core.migrate import current_revision, head_revision, upgrade
from qep_core.services.accounts import UserError

EXIT_OK, EXIT_REJECTED = 0, 1


def _read_password(args: argparse.Namespace) -> str:
    """From QEP_PASSWORD (scripts, tests) or typed twice at a prompt, never from the command line
    (it would stay in the shell history and in the process list)."""
    from_env = setting("QEP_PASSWORD") or None
    if from_env is not None:
        return from_env
    if not sys.stdin.isatty():
        raise UserError("aucun mot de passe : tapez-le dans un terminal ou passez-le dans la variable QEP_PASSWORD")
    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Mot de passe (à nouveau) : ") != first:
        raise UserError("les deux mots de passe diffèrent")
    return first


def cmd_user(args: argparse.Namespace) -> int:
    database = services.system.open_database()
    actor = actor_from_args(args, database)
    accounts = services.accounts
    try:
        if args.action == "list":
            rows = accounts.list_accounts(actor)
            if not rows:
                print("aucun compte (mode poste local : QEP_AUTH=local)")
            for u in rows:
                scope = "toutes préfectures" if u.prefecture_id is None else f"préfecture n° {u.prefecture_id}"
                state = "actif" if u.active else "désactivé"
                print(f"{u.login:<24} {u.role:<13} {state:<10} {scope:<20} {u.display_name}")
            return EXIT_OK
        if args.action == "add":
            pref_id = services.settings.prefecture_by_code(actor, args.prefecture)[0] if args.prefecture else None
            password = None if args.oidc else _read_password(args)
            row = accounts.add_account(actor, args.login, args.role, password=password, display_name=args.name or "",
                                       email=args.email, prefecture_id=pref_id,
                                       perimetre_ids=[int(p) for p in (args.perimetre or [])])
            print(f"compte « {row.login} » créé ({ROLES[row.role]})")
        elif args.action in ("disable", "enable"):
            row = accounts.set_account_active(actor, args.login, args.action == "enable")
            print(f"compte « {row.login} » {'réactivé' if row.active else 'désactivé'}")
        elif args.action == "passwd":
            row = accounts.set_account_password(actor, args.login, _read_password(args))
            print(f"mot de passe de « {row.login} » changé")
    except UserError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    database = services.system.open_database()
    actor = actor_from_args(args, database)
    pref_id = services.settings.prefecture_by_code(actor, args.prefecture)[0]  # the only one, without --prefecture
    frame = services.history.change_history(actor, pref_id, action=args.action, limit=args.limit)
    if frame.empty:
        print("aucune modification enregistrée")
        return EXIT_OK
    for row in frame.itertuples(index=False):
        print(f"{row.Quand:%d/%m/%Y %H:%M}  {row.Qui:<28} {row.Quoi:<22} {row.Objet}  {row.Résumé}")
    return EXIT_OK


def cmd_db(args: argparse.Namespace) -> int:
    engine = get_engine()
    if args.action == "current":
        print(f"schéma de la base : {current_revision(engine) or 'aucun'} ; dernière migration : {head_revision()}")
        return EXIT_OK
    print(upgrade(engine, args.revision))
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="schéma de la base : upgrade (migrations Alembic) | current")
    p.add_argument("action", choices=["upgrade", "current"])
    p.add_argument("revision", nargs="?", default="head", help="révision visée (par défaut : la dernière)")
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("user", help="comptes : add | list | disable | enable | passwd")
    p.add_argument("action", choices=["add", "list", "disable", "enable", "passwd"])
    p.add_argument("login", nargs="?", help="identifiant (sauf pour list)")
    p.add_argument("--role", choices=list(ROLES), default="lecture-clu")
    p.add_argument("--name", help="nom affiché")
    p.add_argument("--email", help="courriel (connexion par l'identité de l'État, OpenID Connect)")
    p.add_argument("--prefecture", metavar="CODE", help="préfecture du compte (sans : toutes, vue régionale)")
    p.add_argument("--perimetre", action="append", metavar="ID", help="contributeur : identifiant d'un de ses périmètres")
    p.add_argument("--oidc", action="store_true", help="sans mot de passe : connexion par OpenID Connect seulement")
    p.set_defaults(func=_checked_user)

    p = sub.add_parser("history", help="historique des modifications (qui, quand, avant, après)")
    p.add_argument("--prefecture", metavar="CODE")
    p.add_argument("--action", help="import, undo, target, user…")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_history)


def _checked_user(args: argparse.Namespace) -> int:
    if args.action != "list" and not args.login:
        print("erreur : indiquez l'identifiant du compte", file=sys.stderr)
        return 2
    return cmd_user(args)
