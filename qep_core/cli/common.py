"""What every command shares: exit codes, usage errors, where output goes."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL
from qep_core.config import auth_mode, setting
from qep_core.rules.items import LOG_KINDS as LOG_KIND_NAMES

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_DENIED = 0, 1, 2, 3
LOG_KINDS = list(LOG_KIND_NAMES)


class UsageError(Exception):
    pass


def one_line(text: object) -> str:
    """A text from a file or a form on one line whatever it holds (a newline would forge a second
    line of the report)."""
    return " ".join(str(text).split())


def write_output(text: str, target: str | None) -> None:
    if target:
        Path(target).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        print(f"écrit : {target}", file=sys.stderr)
    else:
        print(text)


def system_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "ligne de commande"


def actor_from_args(args: argparse.Namespace, database: services.Database) -> services.Actor:
    """Who the command acts as: ``--as LOGIN`` (or ``QEP_AS``), an active account whose role and
    périmètres apply exactly as in the app; without it, on a single-user install (``QEP_AUTH``
    local) or while the database has no account yet (the installer creating the first one), the
    local administrator under ``--user`` or the system user's name. An instance with accounts
    refuses to act for nobody."""
    login = getattr(args, "as_login", None) or setting("QEP_AS")
    if login:
        return services.Actor(services.accounts.acting_as(database, login), database)
    if auth_mode() == "local" or services.accounts.first_install(database):  # no account yet: the installer
        name = getattr(args, "user", None) or system_user()
        return services.Actor(LOCAL_PRINCIPAL.named(name), database)
    raise UsageError("cette instance a des comptes (QEP_AUTH=accounts) : indiquez le compte au nom duquel agir "
                     "avec --as IDENTIFIANT (ou QEP_AS)")
