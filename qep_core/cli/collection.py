"""``python -m qep_core source set|list|remove`` (who supplies what) and ``python -m qep_core
collecte`` (the board of one month), through the services the Paramètres and Collecte pages call,
as ``--as LOGIN``.

    source set --perimetre PC --indicators COURRIEL_5J,COURRIEL_DELAI_MOYEN \\
        --contact "Nadia Martin <pref-pc@demo.gouv.fr>" [--contact …] [--due-day 10]
    source list [--format json]
    source remove --perimetre PC
    collecte --month 2024-09 [--as-of 2024-10-15] [--format json]
    collecte --month 2024-09 [--as-of 2024-10-15] --remind [--send]

``--remind`` prints the reminders due (late or partial services: to whom, the subject, what is
missing, the attached sheet) without sending anything; ``--send`` sends them, never twice the same
day to the same service, and says per service « envoyé », « déjà relancé aujourd'hui » or
« échec : … » (exit 1 when one failed).

``collecte --format json`` prints one record per declared périmètre: ``perimetre``, ``contacts``,
``expected``, ``received``, ``missing``, ``status`` (reçu | partiel | en retard | attendu),
``due_date``, and for what came ``received_at``, ``received_by``, ``batch_ids``.
Exit codes as everywhere: 0, 1 (refused: nothing written), 2 (usage), 3 (access denied).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from qep_core import services
from qep_core.cli.common import EXIT_OK, EXIT_REJECTED, UsageError, actor_from_args, one_line, write_output
from qep_core.db import get_engine
from qep_core.frenchforms import count_text
from qep_core.prefectures import perimetre_key
from qep_core.rules.bounds import check_month

collection = services.collection
reminders = services.reminders


def _perimetre_id(actor: services.Actor, pref_id: int, wanted: str | None) -> int:
    """The périmètre named *wanted* (as imports match names: case, accents and dots aside) or numbered so."""
    if not wanted:
        raise UsageError("indiquez le périmètre : --perimetre NOM")
    perimetres = collection.options(actor, pref_id).perimetres
    for pid, name in perimetres.items():
        if str(pid) == wanted.strip() or perimetre_key(name) == perimetre_key(wanted):
            return pid
    raise UsageError(f"périmètre inconnu : « {wanted} » ; périmètres : {', '.join(perimetres.values())}")


def _contacts(source: collection.Source) -> list[dict[str, str]]:
    return [{"email": c.email, "name": c.name} for c in source.contacts]


def cmd_source(args: argparse.Namespace) -> int:
    database = get_engine()
    actor = actor_from_args(args, database)
    pref_id = services.settings.prefecture_by_code(actor, args.prefecture)[0]
    try:
        if args.action == "list":
            rows = collection.list_sources(actor, pref_id)
            if args.format == "json":
                print(json.dumps([{"perimetre": s.perimetre, "indicators": list(s.indicators), "contacts": _contacts(s),
                                   "due_day": s.due_day} for s in rows], ensure_ascii=False, indent=2))
            else:
                for s in rows:
                    print(f"{one_line(s.perimetre):<34} le {s.due_day:>2}  {', '.join(s.indicators)}  → "
                          f"{one_line(', '.join(c.label for c in s.contacts))}")
                if not rows:
                    print("aucun périmètre déclaré")
            return EXIT_OK
        perimetre_id = _perimetre_id(actor, pref_id, args.perimetre)
        if args.action == "remove":
            source = collection.remove_source(actor, pref_id, perimetre_id)
            print(f"✓ collecte retirée : {one_line(source.perimetre)} (ses chiffres restent)")
            return EXIT_OK
        if not args.indicators or not args.contact:
            raise UsageError("source set --perimetre NOM --indicators CODE[,CODE…] --contact COURRIEL [--due-day N]")
        source = collection.set_source(actor, pref_id, perimetre_id, args.indicators.split(","),
                                       collection.parse_contacts(args.contact),
                                       args.due_day or collection.DEFAULT_DUE_DAY)
        print(f"✓ {one_line(source.perimetre)} : {', '.join(source.indicators)}, attendus le {source.due_day} du mois "
              f"suivant, contacts : {one_line(', '.join(c.label for c in source.contacts))}")
    except collection.CollectionError as exc:
        print(f"✗ {exc} Rien n'a été enregistré.", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_OK


def record_payload(record: collection.SupplyRecord) -> dict[str, Any]:
    """One périmètre's month as JSON reads it: dates in ISO form, times in Paris time."""
    received_at = record.received_at
    return {
        "perimetre": record.perimetre,
        "contacts": [{"email": c.email, "name": c.name} for c in record.contacts],
        "expected": list(record.expected), "received": list(record.received), "missing": list(record.missing),
        "status": record.status, "due_date": record.due_date.isoformat(),
        "received_at": received_at.isoformat(timespec="seconds") if received_at else None,
        "received_by": list(record.received_by), "batch_ids": list(record.batch_ids),
    }


def _date(text: str, option: str, form: str, shown: str) -> dt.date:
    try:
        return dt.datetime.strptime(text.strip(), form).date()
    except ValueError as exc:
        raise UsageError(f"{option} : date attendue au format {shown} (reçu : {text})") from exc


def cmd_collecte(args: argparse.Namespace) -> int:
    database = get_engine()
    actor = actor_from_args(args, database)
    pref_id = services.settings.prefecture_by_code(actor, args.prefecture)[0]
    month = check_month(_date(args.collect_month, "--month", "%Y-%m", "AAAA-MM"), "--month")
    as_of = _date(args.as_of, "--as-of", "%Y-%m-%d", "AAAA-MM-JJ") if args.as_of else dt.date.today()
    if args.remind or args.send:
        return _remind(actor, pref_id, month, as_of, args)
    records = collection.board(actor, pref_id, month, month, as_of)
    if args.format == "json":
        write_output(json.dumps([record_payload(r) for r in records], ensure_ascii=False, indent=2), args.output)
        return EXIT_OK
    lines = [f"Collecte de {month:%m/%Y} au {as_of:%d/%m/%Y} — {collection.summary(records)}", ""]
    for r in records:
        lines.append(f"{r.look.label:<12} {one_line(r.perimetre):<34} {one_line(r.detail())}")
    write_output("\n".join(lines), args.output)
    return EXIT_OK


def _remind(actor: services.Actor, pref_id: int, month: dt.date, as_of: dt.date, args: argparse.Namespace) -> int:
    """The reminders due, previewed (``--remind``) or sent (``--send``)."""
    previews = reminders.reminders(actor, pref_id, month, as_of)
    if not args.send:
        if args.format == "json":
            write_output(json.dumps([{
                "perimetre": p.reminder.perimetre, "status": p.reminder.status, "to": list(p.reminder.to),
                "subject": p.reminder.subject, "missing": list(p.reminder.missing),
                "attachment": p.reminder.attachment.filename, "body": p.reminder.body,
                "sent_today_at": p.sent_at.isoformat(timespec="seconds") if p.sent_at else None}
                for p in previews], ensure_ascii=False, indent=2), args.output)
            return EXIT_OK
        lines = [f"Relances de {month:%m/%Y} au {as_of:%d/%m/%Y} — "
                 + (count_text(len(previews), "service à relancer", "services à relancer") if previews
                    else "aucun service à relancer") + (" (rien n'est envoyé sans --send)" if previews else "")]
        for p in previews:
            r = p.reminder
            already = f" — déjà relancé aujourd'hui à {p.sent_at:%H:%M}" if p.sent_at else ""
            lines += ["", f"{one_line(r.perimetre)} ({r.status}){already}", f"  à : {', '.join(r.to)}",
                      f"  objet : {one_line(r.subject)}", f"  manque : {', '.join(r.missing)}",
                      f"  pièce jointe : {r.attachment.filename}"]
        write_output("\n".join(lines), args.output)
        return EXIT_OK
    try:
        outcomes = reminders.send_reminders(actor, pref_id, month, as_of)
    except reminders.MailError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return EXIT_REJECTED
    if not outcomes:
        print(f"Relances de {month:%m/%Y} au {as_of:%d/%m/%Y} : aucun service à relancer.")
    for o in outcomes:
        mark = {reminders.SENT: "✓", reminders.ALREADY: "="}.get(o.state, "✗")
        print(f"{mark} {one_line(o.perimetre)} ({', '.join(o.to)}) : {one_line(o.text)}")
    return EXIT_REJECTED if any(o.state == reminders.FAILED for o in outcomes) else EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("source", help="qui fournit quoi (collecte mensuelle) : set | list | remove")
    p.add_argument("action", choices=["set", "list", "remove"])
    p.add_argument("--perimetre", metavar="NOM", help="le périmètre (nom ou numéro)")
    p.add_argument("--indicators", metavar="CODE[,CODE…]", help="set : les indicateurs qu'il fournit")
    p.add_argument("--contact", action="append", metavar="COURRIEL",
                   help="set : un contact, « Nom <adresse> » ou l'adresse seule (répétable)")
    p.add_argument("--due-day", type=int, metavar="N",
                   help=f"set : jour du mois suivant où ses chiffres sont attendus (1–28, défaut "
                        f"{collection.DEFAULT_DUE_DAY})")
    p.add_argument("--prefecture", metavar="CODE")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_source)

    p = sub.add_parser("collecte", help="tableau de collecte d'un mois : qui a envoyé quoi, qui est en retard")
    p.add_argument("--month", dest="collect_month", required=True, metavar="AAAA-MM")
    p.add_argument("--as-of", metavar="AAAA-MM-JJ", help="à la date du (défaut : aujourd'hui)")
    p.add_argument("--prefecture", metavar="CODE")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("-o", "--output", metavar="FICHIER")
    p.add_argument("--remind", action="store_true",
                   help="les relances dues (services en retard ou partiels) : destinataires, objet, manquants")
    p.add_argument("--send", action="store_true",
                   help="avec --remind : les envoyer (jamais deux fois le même jour au même service)")
    p.set_defaults(func=cmd_collecte)
