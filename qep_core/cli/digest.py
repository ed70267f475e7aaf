"""``python -m qep_core digest``: the month's dashboard as a PDF with its French summary
(:mod:`qep_core.exports.digest`), written to a file or e-mailed once to each recipient, through
``services.digest`` as ``--as LOGIN``.

    digest --month 2024-06|previous [--to ADRESSE…] [--send] [-o FICHIER.pdf] [--prefecture 44]

Without ``--send``: writes the PDF (``-o``, or its own name in the current folder), prints the
summary and who would receive it. With ``--send``: e-mails it and says, per recipient, « envoyé »
or « déjà envoyé le … » (a second run sends nothing twice). ``--month previous`` is the month
before today's: what the monthly timer runs (``deploy/systemd/qep-digest.timer``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qep_core import services
from qep_core.cli.common import EXIT_OK, EXIT_REJECTED, UsageError, actor_from_args
from qep_core.db import get_engine


def _write(built: services.digest.DigestFile, output: str | None) -> Path:
    path = Path(output or built.file_name)
    path.write_bytes(built.pdf)
    return path


def cmd_digest(args: argparse.Namespace) -> int:
    digest = services.digest
    try:
        month = digest.parse_digest_month(args.digest_month)
        recipients = digest.parse_addresses(args.to) if args.to else ()
    except (digest.DigestError, digest.MailError) as exc:
        raise UsageError(str(exc)) from exc
    if args.send and not recipients:
        raise UsageError("--send : indiquez les destinataires avec --to ADRESSE")
    database = get_engine()
    actor = actor_from_args(args, database)
    pid = services.dashboard.prefecture(actor, args.prefecture).id or 0
    try:
        if not args.send:
            built = digest.build_digest(actor, pid, month)
            print(built.summary)
            print(f"PDF écrit : {_write(built, args.output)} ({len(built.pdf) // 1024 + 1} Ko)")
            if recipients:
                print(f"Avec --send, envoi à : {', '.join(recipients)}")
            return EXIT_OK
        if args.output:
            print(f"PDF écrit : {_write(digest.build_digest(actor, pid, month), args.output)}")
        deliveries = digest.send_digest(actor, pid, month, recipients)
    except digest.DigestError as exc:
        raise UsageError(str(exc)) from exc
    except digest.MailError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return EXIT_REJECTED
    for d in deliveries:
        mark = "✓" if d.state in (digest.SENT, digest.ALREADY) else "✗"
        print(f"{mark} {d.address} : {d.text}")
    return EXIT_REJECTED if any(d.state in (digest.FAILED, digest.NOT_TRIED) for d in deliveries) else EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("digest", help="synthèse mensuelle : le tableau de bord du mois en PDF et son résumé, par "
                                      "courriel")
    p.add_argument("--month", dest="digest_month", required=True, metavar="AAAA-MM",
                   help="le mois (AAAA-MM), ou « previous » : le mois précédent (pour une minuterie mensuelle)")
    p.add_argument("--to", nargs="+", action="extend", metavar="ADRESSE",
                   help="destinataires (plusieurs, ou séparés par des virgules)")
    p.add_argument("--send", action="store_true", help="envoyer (sinon : écrire le PDF et afficher le résumé)")
    p.add_argument("--prefecture", metavar="CODE")
    p.add_argument("-o", "--output", metavar="FICHIER.pdf", help="où écrire le PDF (défaut : son nom, ici)")
    p.set_defaults(func=cmd_digest)
