"""``python -m qep_core user add|list|disable|enable|passwd``, ``history`` and ``db upgrade|current``:
accounts, the change history and the schema from the command line (the same core calls as the
pages)."""

from __future__ import annotations

import argparse
import getpass
import sys

from qep_core.change_history import history, record_change
from qep_core.config import setting
from qep_core.db import create_schema, get_engine, session_scope
from qep_core.prefectures import resolve_prefecture
from qep_core.users import ROLES, UserError, add_user, list_users, set_active, set_password

EXIT_OK, EXIT_REJECTED = 0, 1


def _operator() -> str:
    """Who runs the command, for the history: the system account."""
    try:
        return f"{getpass.getuser()} (ligne de commande)"
    except OSError:
        return "ligne de commande"


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
    engine = get_engine()
    create_schema(engine)
    try:
        with session_scope(engine, write=args.action != "list") as session:
            if args.action == "list":
                users = list_users(session)
                if not users:
                    print("aucun compte (mode poste local : QEP_AUTH=local)")
                for u in users:
                    scope = "toutes préfectures" if u.prefecture_id is None else f"préfecture n° {u.prefecture_id}"
                    state = "actif" if u.active else "désactivé"
                    print(f"{u.login:<24} {u.role:<13} {state:<10} {scope:<20} {u.display_name}")
                return EXIT_OK
            if args.action == "add":
                pref_id = resolve_prefecture(session, args.prefecture).id if args.prefecture else None
                password = None if args.oidc else _read_password(args)
                perims = [int(p) for p in (args.perimetre or [])]
                account = add_user(session, args.login, args.role, password=password, display_name=args.name or "",
                                   email=args.email, prefecture_id=pref_id, perimetre_ids=perims)
                record_change(session, user=_operator(), action="user", prefecture_id=pref_id, entity=account.login,
                              summary=f"compte créé ({account.role})",
                              after={"login": account.login, "rôle": account.role, "préfecture": pref_id,
                                     "périmètres": perims})
                print(f"compte « {account.login} » créé ({ROLES[account.role]})")
            elif args.action in ("disable", "enable"):
                account = set_active(session, args.login, args.action == "enable")
                record_change(session, user=_operator(), action="user", prefecture_id=account.prefecture_id,
                              entity=account.login, summary="compte " + ("réactivé" if account.active else "désactivé"),
                              before={"actif": not account.active}, after={"actif": account.active})
                print(f"compte « {account.login} » {'réactivé' if account.active else 'désactivé'}")
            elif args.action == "passwd":
                account = set_password(session, args.login, _read_password(args))
                record_change(session, user=_operator(), action="user", prefecture_id=account.prefecture_id,
                              entity=account.login, summary="mot de passe changé")
                print(f"mot de passe de « {account.login} » changé")
    except UserError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    engine = get_engine()
    create_schema(engine)
    with session_scope(engine) as session:
        pref_id = resolve_prefecture(session, args.prefecture).id if args.prefecture else None
        frame = history(session, pref_id, action=args.action, limit=args.limit)
    if frame.empty:
        print("aucune modification enregistrée")
        return EXIT_OK
    for row in frame.itertuples(index=False):
        print(f"{row.Quand:%d/%m/%Y %H:%M}  {row.Qui:<28} {row.Quoi:<22} {row.Objet}  {row.Résumé}")
    return EXIT_OK


def cmd_db(args: argparse.Namespace) -> int:
    from qep_core.migrate import current_revision, head_revision, upgrade

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
