"""``python -m qep_core health``: is the database answering, with the schema this code expects —
and, with ``--app URL`` (repeatable), is each app process up (Streamlit's own ``/_stcore/health``).

    health [--app http://127.0.0.1:8501 …] [--format json|table]

Exit code 0 when everything answers, 1 otherwise: what a monitoring probe or a systemd
``ExecStartPost`` check needs. It acts as nobody and reads no data (one ``SELECT 1`` and the schema
revision), so it needs no account. Streamlit serves no route of ours: a process's own health is
``/_stcore/health`` (``ok`` once its runtime is ready), which says nothing of the database; this
command is the database's half, and both together are what ``deploy/`` documents.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.error
import urllib.request
from typing import Any

from qep_core import services
from qep_core.cli.common import EXIT_OK, EXIT_REJECTED, write_output

APP_SECONDS = 5.0


def app_health(url: str) -> dict[str, Any]:
    """One app process: its ``/_stcore/health`` answer within :data:`APP_SECONDS`."""
    probe = url.rstrip("/") + "/_stcore/health"
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(probe, timeout=APP_SECONDS) as response:
            body = response.read(64).decode("utf-8", "replace").strip()
            ok, problem = response.status == 200 and body == "ok", "" if body == "ok" else f"réponse « {body} »"
    except (urllib.error.URLError, OSError) as exc:
        ok, problem = False, f"le processus ne répond pas : {getattr(exc, 'reason', exc)}"
    return {"url": url, "ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1), "problem": problem}


def cmd_health(args: argparse.Namespace) -> int:
    database = services.system.health()
    apps = [app_health(url) for url in args.app or ()]
    ok = database.ok and all(app["ok"] for app in apps)
    if args.format == "json":
        write_output(json.dumps({"ok": ok, "database": database.payload(), "apps": apps}, ensure_ascii=False), None)
    else:
        lines = [f"{'✓' if database.ok else '✗'} base {database.database} : "
                 + (f"schéma {database.schema}, {database.ms} ms" if database.ok else database.problem)]
        lines += [f"{'✓' if app['ok'] else '✗'} application {app['url']} : "
                  + (f"{app['ms']} ms" if app["ok"] else app["problem"]) for app in apps]
        write_output("\n".join(lines), None)
    return EXIT_OK if ok else EXIT_REJECTED


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("health", help="état de santé : la base répond-elle (et les processus de l'application) ; "
                                      "code de sortie 0 ou 1")
    p.add_argument("--app", action="append", metavar="URL",
                   help="un processus de l'application à interroger (http://127.0.0.1:8501 ; répétable)")
    p.add_argument("--format", choices=["table", "json"], default="json")
    p.set_defaults(func=cmd_health)
