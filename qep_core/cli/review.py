"""``python -m qep_core review show|comment|decide|freeze|reopen``: the quarterly COPIL review from
the command line, through the services the *Revue trimestrielle* page calls, as ``--as LOGIN``.

    review show --year 2024 --quarter 3 [--format table|json]
    review comment --year 2024 --quarter 3 --indicator TEL_ABOUTIS --text "Panne en juillet"
    review comment --year 2024 --quarter 3 --text "Analyse générale du trimestre"   # no --indicator
    review decide --year 2024 --quarter 3 --text "Renfort le lundi" --indicator TEL_ABOUTIS \\
        --owner "Cheffe du standard" --due 2024-12-31
    review freeze --year 2024 --quarter 3 --meeting-date 2024-10-17 --attendee "M. le secrétaire général" ...
    review reopen --year 2024 --quarter 3

The procès-verbal of a frozen review is an export: ``export --kind pv --year 2024 --quarter 3 -o pv.pdf``.
Exit codes as everywhere: 0, 1 (refused: nothing written), 2 (usage), 3 (access denied).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys

from qep_core import services
from qep_core.cli.common import EXIT_OK, EXIT_REJECTED, UsageError, actor_from_args, one_line, write_output
from qep_core.db import get_engine

ACTIONS = ("show", "comment", "decide", "freeze", "reopen")


def _day(text: str | None, option: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{option} : date attendue au format AAAA-MM-JJ (reçu : {text})") from exc


def _date_fr(iso: str | None) -> str:
    return dt.date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else "–"



def show_table(view: services.review.ReviewView) -> str:
    """The review as a terminal reads it: state, figures, signals, analysis, comments, actions."""
    r = view.review
    meeting = dt.date.fromisoformat(r.meeting_date) if r.meeting_date else None
    state = f"figée (COPIL du {meeting:%d/%m/%Y})" if meeting and r.frozen else "en préparation"
    out = [f"{r.prefecture_name} — revue du {r.period.label} — {state}", ""]
    out.append(f"{'Indicateur':<46} {'Trimestre':>10} {'Cible':>14}  {'Statut':<14} {'Cumul':>10}")
    for x in r.lines:
        label = x.label if len(x.label) <= 46 else x.label[:45] + "…"
        out.append(f"{label:<46} {x.text(x.quarter_value):>10} {x.target_text:>14}  {x.quarter_status:<14} "
                   f"{x.text(x.ytd_value):>10}")
    out += ["", f"Signaux : {services.review.signals_summary(r.lines)}"]
    out += [f"  {x.code} : {services.review.signal_text(s, x.unit)}" for x in r.lines for s in x.signals]
    if r.attendees:
        out += ["", "Participants : " + " ; ".join(r.attendees.splitlines())]
    if r.analysis:
        out += ["", "Analyse générale : " + one_line(r.analysis)]
    comments = [x for x in r.lines if x.comment]
    if comments:
        out += ["", "Commentaires :"] + [f"  {x.code} : {one_line(x.comment)}" for x in comments]
    if r.actions:
        out += ["", "Actions décidées :"]
        out += [f"  {one_line(a.text)} — {a.indicator_code or 'toute la démarche'}, pilote : {a.owner or '–'}, "
                f"échéance : {_date_fr(a.due_date)}" for a in r.actions]
    if view.changed_note:
        out += ["", view.changed_note]
    return "\n".join(out)


def cmd_review(args: argparse.Namespace) -> int:
    database = get_engine()
    actor = actor_from_args(args, database)
    pref = services.dashboard.prefecture(actor, args.prefecture)
    pid, year, quarter, review = pref.id or 0, args.year, args.quarter, services.review
    label = f"revue du T{quarter} {year}"
    try:
        if args.action == "show":
            view = review.quarter_review(actor, pid, year, quarter)
            if args.format == "json":
                payload = dataclasses.asdict(view.review) | {"changes": [dataclasses.asdict(c) for c in view.changes]}
                write_output(json.dumps(payload, ensure_ascii=False, indent=2), args.output)
            else:
                write_output(show_table(view), args.output)
        elif args.action == "comment":
            if args.text is None:
                raise UsageError("review comment : --text est obligatoire (un texte vide efface)")
            if args.indicator:
                changed = review.save_comments(actor, pid, year, quarter, {args.indicator.upper(): args.text})
                print(f"✓ {label} : commentaire sur {args.indicator.upper()} "
                      + ("enregistré" if changed else "inchangé"))
            else:
                changed = bool(review.save_analysis(actor, pid, year, quarter, args.text))
                print(f"✓ {label} : analyse générale " + ("enregistrée" if changed else "inchangée"))
        elif args.action == "decide":
            if not args.text:
                raise UsageError("review decide : --text décrit l'action décidée")
            number = review.add_action(actor, pid, year, quarter, args.text,
                                       indicator_code=args.indicator.upper() if args.indicator else None,
                                       owner=args.owner or "", due_date=_day(args.due, "--due"))
            print(f"✓ {label} : action décidée n° {number} (ajoutée au plan d'actions)")
        elif args.action == "freeze":
            meeting = _day(args.meeting_date, "--meeting-date")
            if meeting is None:
                raise UsageError("review freeze : --meeting-date AAAA-MM-JJ (date de la réunion du COPIL)")
            review.freeze(actor, pid, year, quarter, meeting, attendees=args.attendee)
            print(f"✓ {label} figée (COPIL du {meeting:%d/%m/%Y}) : procès-verbal avec "
                  f"« export --kind pv --year {year} --quarter {quarter} -o pv.pdf »")
        else:
            review.reopen(actor, pid, year, quarter)
            print(f"✓ {label} rouverte")
    except review.ReviewError as exc:
        print(f"✗ {str(exc).rstrip('.')} ; rien n'a été enregistré", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="revue trimestrielle du COPIL : show | comment | decide | freeze | reopen")
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--quarter", type=int, required=True, choices=[1, 2, 3, 4])
    p.add_argument("--prefecture", metavar="CODE")
    p.add_argument("--indicator", metavar="CODE", help="comment, decide : l'indicateur (sans : analyse générale, "
                                                       "ou action pour toute la démarche)")
    p.add_argument("--text", help="comment : le commentaire (vide : l'effacer) ; decide : l'action décidée")
    p.add_argument("--owner", help="decide : le pilote de l'action")
    p.add_argument("--due", metavar="AAAA-MM-JJ", help="decide : l'échéance")
    p.add_argument("--meeting-date", metavar="AAAA-MM-JJ", help="freeze : la date de la réunion")
    p.add_argument("--attendee", action="append", metavar="NOM",
                   help="freeze : un participant (à répéter ; sans : ceux déjà enregistrés)")
    p.add_argument("--format", choices=["table", "json"], default="table", help="show : table ou json")
    p.add_argument("-o", "--output", metavar="FICHIER", help="show : écrire dans ce fichier")
    p.set_defaults(func=cmd_review)
