"""``python -m qep_core survey FILE``: read a survey export and print each question counted;
with ``--import``, store it for a préfecture through the same service as the Enquêtes page, acting
as ``--as LOGIN`` or the local administrator.

Registered by :mod:`qep_core.cli` (``add_parser``); exit codes as the rest of the CLI: 0 success,
1 file refused (nothing written), 2 usage error, 3 refused to the acting account.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

from qep_core import services
from qep_core.cli.common import actor_from_args
from qep_core.db import analyze, get_engine, session_scope
from qep_core.importing import ImportRejected
from qep_core.prefectures import resolve_prefecture
from qep_core.surveys.channels import SURVEY_CHANNELS, channel_label, parse_channel
from qep_core.surveys.reading import read_survey
from qep_core.surveys.report import to_json, to_table
from qep_core.surveys.results import table_results

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


class SurveyUsageError(ValueError):
    pass


def parse_day(text: str) -> dt.date:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise SurveyUsageError(f"date non reconnue : « {text} » (ex. 2023-05-06 ou 06/05/2023)")


def parse_day_range(text: str) -> tuple[dt.date, dt.date]:
    """``2023-05-06..2023-08-17`` (or with French dates) → first and last day."""
    parts = re.split(r"\.\.|\s+au\s+", text.strip())
    if len(parts) != 2:
        raise SurveyUsageError(f"période non reconnue : « {text} » (ex. 2023-05-06..2023-08-17)")
    start, end = parse_day(parts[0]), parse_day(parts[1])
    if end < start:
        raise SurveyUsageError(f"période impossible : {end:%d/%m/%Y} est avant {start:%d/%m/%Y}")
    return start, end


def _overall_arg(text: str | None) -> int | str | None:
    if text is None or text == "auto":
        return "auto"
    if text.lower() in ("none", "aucune", "non"):
        return None
    if text.isdigit() and int(text) >= 1:
        return int(text) - 1
    raise SurveyUsageError(f"--overall attend un numéro de question (1, 2…), « auto » ou « none » : « {text} »")


def _indicator_arg(text: str | None) -> str | None:
    if text is None or text == "auto":
        return "auto"
    if text.lower() in ("none", "aucun", "non"):
        return None
    return text


def cmd_survey(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"✗ {args.file} : fichier introuvable", file=sys.stderr)
        return EXIT_REJECTED
    data = path.read_bytes()
    try:
        table = read_survey(path.name, data, args.sheet)
    except ImportRejected as exc:
        print(f"✗ {exc.file_name} : refusé, rien n'a été enregistré", file=sys.stderr)
        for issue in exc.errors:
            print(f"    {issue}", file=sys.stderr)
        return EXIT_REJECTED
    try:
        channel = parse_channel(args.channel) if args.channel else None
        period = parse_day_range(args.period) if args.period else None
        overall = _overall_arg(args.overall)
        indicator = _indicator_arg(args.indicator)
    except (ValueError, SurveyUsageError) as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.do_import:
        questions = table_results(table)
        text = to_json(table, questions) if args.format == "json" else to_table(table, questions)
        _emit(text, args.output)
        for issue in table.warnings:
            print(f"    ! {issue}", file=sys.stderr)
        return EXIT_OK
    if channel is None:
        print("erreur : --channel est obligatoire avec --import (" + ", ".join(SURVEY_CHANNELS) + ")", file=sys.stderr)
        return EXIT_USAGE
    return _import(args, path.name, data, channel, period, overall, indicator)


def _emit(text: str, target: str | None) -> None:
    if target:
        Path(target).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        print(f"écrit : {target}", file=sys.stderr)
    else:
        print(text)


def _import(args: argparse.Namespace, name: str, data: bytes, channel: str, period: tuple[dt.date, dt.date] | None,
            overall: int | str | None, indicator: str | None) -> int:
    """Store the survey as the acting principal (``--as``, or the local administrator under
    ``--user``), through the same service as the Enquêtes page: same checks, same history line."""
    engine = get_engine()
    with session_scope(engine) as session:
        pref = resolve_prefecture(session, args.prefecture)
    try:
        outcome = services.surveys.import_survey(
            actor_from_args(args, engine), pref.id or 0, name, data, channel=channel, year=args.year, period=period,
            overall=overall, indicator=indicator, sheet=args.sheet, dry_run=args.dry_run)  # type: ignore[arg-type]  # overall: a position or "auto" (the caller parses it)
    except ImportRejected as exc:
        print(f"✗ {exc.file_name} : refusé, rien n'a été enregistré", file=sys.stderr)
        for issue in exc.errors:
            print(f"    {issue}", file=sys.stderr)
        return EXIT_REJECTED
    plan = outcome.plan
    mark = "·" if args.dry_run or not outcome.changed else "✓"
    prefix = "[essai, rien n'est enregistré] " if args.dry_run else ""
    print(f"{mark} {prefix}{plan.summary()}")
    if plan.already_imported is None:
        print(f"    canal : {channel_label(plan.channel or '')} · année {plan.year} · {plan.period_text()}")
        if plan.overall_position is not None and plan.overall_stats is not None:
            q = plan.questions[plan.overall_position]
            s = plan.overall_stats
            print(f"    question générale : Q{q.position + 1} « {q.text} » : {s.satisfied} / {s.expressed} "
                  f"({(s.rate_pct or 0):.1f} %)".replace(".", ","))
        else:
            print("    question générale : aucune (--overall N pour en choisir une)")
        print(f"    indicateur alimenté : {plan.indicator_code or 'aucun'}")
        for issue in plan.warnings:
            print(f"    ! {issue}")
        if outcome.changed:
            analyze(engine)
    return EXIT_OK


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("survey", help="analyser (et importer) un export d'enquête de satisfaction")
    p.add_argument("file", metavar="FICHIER", help=f"export de l'outil d'enquête ({services.imports.FORMATS_TEXT})")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--sheet", metavar="FEUILLE", help="feuille à lire (par défaut la première qui contient l'enquête)")
    p.add_argument("-o", "--output", metavar="FICHIER", help="écrire l'analyse dans ce fichier")
    p.add_argument("--import", dest="do_import", action="store_true", help="enregistrer l'enquête dans la base")
    p.add_argument("--channel", metavar="CANAL", help="canal de l'enquête : " + ", ".join(SURVEY_CHANNELS))
    group = p.add_mutually_exclusive_group()
    group.add_argument("--year", type=int, help="année de l'enquête (par défaut : lue dans les dates des réponses)")
    group.add_argument("--period", metavar="DÉBUT..FIN", help="dates de l'enquête, p. ex. 2023-05-06..2023-08-17")
    p.add_argument("--overall", metavar="N", help="numéro de la question de satisfaction générale, « auto » "
                                                   "(par défaut : celle de l'an dernier ou « Globalement… ») ou « none »")
    p.add_argument("--indicator", metavar="CODE", help="indicateur alimenté (PAN_SATISFACTION, ACCUEIL_SATISFACTION, "
                                                        "un indicateur de la préfecture), « auto » ou « none »")
    p.add_argument("--prefecture", metavar="CODE")
    p.add_argument("--user", help="auteur de l'import (par défaut : l'utilisateur du système)")
    p.add_argument("--dry-run", action="store_true", help="avec --import : vérifier sans rien enregistrer")
    p.set_defaults(func=cmd_survey)
