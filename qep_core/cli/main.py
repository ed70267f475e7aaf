"""Command line: ``python -m qep_core init | import | report | template | target | export | backup | restore |
demo-data | user | history | db | survey | mapping | review | spc | alerts | event | sp-plus`` and the pilotage's ``actions | audit | training``
(:mod:`qep_core.cli.pilotage`).

Exit codes: 0 success, 1 rejected input (a file refused, nothing written), 2 usage error, 3 access
denied (``--as`` an account whose role or périmètres do not allow it).
It calls the very functions the pages call.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from qep_core import services
from qep_core.access import AccessDenied
from qep_core.cli import admin, alerts, deposits, digest, events, mappings, perimetres, pilotage, review, spc, surveys
from qep_core.cli import collection as collection_cli
from qep_core.cli import health as health_cli
from qep_core.cli import sp_plus as sp_plus_cli
from qep_core.cli.common import (
    EXIT_DENIED,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    LOG_KINDS,
    UsageError,
    actor_from_args,
    write_output,
)
from qep_core.db import analyze, create_schema, database_url, get_engine, session_scope
from qep_core.demo import DEMO_DIR, load_demo, write_all_demo_files
from qep_core.frenchforms import count_text, plural
from qep_core.periods import Period, parse_period, quarter_period, year_period
from qep_core.prefectures import PrefectureError, list_prefectures, resolve_prefecture
from qep_core.referentiel import seed_referentiel
from qep_core.rules.bounds import check_month, check_year
from qep_core.rules.formatting import format_value


def cmd_init(args: argparse.Namespace) -> int:
    engine = get_engine()
    create_schema(engine)
    with session_scope(engine, write=True) as session:
        added = seed_referentiel(session)
        if added:
            print(f"référentiel chargé ({added} éléments)")
        existing = [p for p in list_prefectures(session) if args.prefecture and p.code == args.prefecture.upper().zfill(2)]
    if args.prefecture and not existing:
        modules = tuple(f"M{m.strip()}" for m in args.modules.split(",") if m.strip()) if args.modules else ("M1",)
        _, code, name = services.settings.create_prefecture(actor_from_args(args, engine), args.prefecture, args.name,
                                                            modules)
        print(f"préfecture créée : {name} ({code})")
    if args.demo:
        with session_scope(engine) as session:
            has_prefecture = bool(list_prefectures(session))
        if args.if_empty and has_prefecture:
            print("base déjà initialisée : la démonstration n'est pas rechargée")
        else:
            print(load_demo(engine))
    analyze(engine)
    print(f"base prête : {engine.url.render_as_string(hide_password=True)}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Import files as the page does (services.imports): the same checks, the same history line,
    under the ``--as`` account (or, on a single-user install, ``--user``)."""
    engine = get_engine()
    with session_scope(engine) as session:
        pref = resolve_prefecture(session, args.prefecture)
    actor = actor_from_args(args, engine)
    status = EXIT_OK
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"✗ {services.imports.display_name(name)} : fichier introuvable", file=sys.stderr)
            status = max(status, EXIT_REJECTED)
            continue
        try:
            services.imports.check_upload_size(path.name, path.stat().st_size)  # before reading it into memory
            outcome = services.imports.save_upload(actor, pref.id or 0, path.name, path.read_bytes(),
                                                   dry_run=args.dry_run, log_kind=args.kind)
        except services.imports.ImportRejected as exc:
            status = max(status, EXIT_REJECTED)
            print(f"✗ {exc.file_name} : refusé, rien n'a été enregistré", file=sys.stderr)
            for issue in exc.errors:
                print(f"    {issue}", file=sys.stderr)
            continue
        except AccessDenied as exc:  # this file only: the others are imported if they may be
            status = EXIT_DENIED
            print(f"✗ {services.imports.display_name(path.name)} : {exc} Rien n'a été enregistré.", file=sys.stderr)
            continue
        plan = outcome.plan
        if outcome.deposit_id is not None:
            print(f"⏳ {plan.file_name} : déposé, à valider (dépôt n° {outcome.deposit_id}) — rien ne compte tant que le "
                  f"référent qualité ne l'a pas validé ; {plan.summary()}")
            continue
        mark = "·" if args.dry_run or not outcome.changed else "✓"
        prefix = "[essai, rien n'est enregistré] " if args.dry_run else ""
        if args.dry_run and services.deposits.validation(actor, pref.id or 0) and not actor.principal.can("validate_imports"):
            prefix += "[il serait déposé pour validation du référent qualité] "
        print(f"{mark} {prefix}{plan.summary()}")
        if plan.already_imported is None:
            if plan.coverage:
                print(f"    {plan.coverage}")
            if plan.indicators:
                print(f"    indicateurs : {', '.join(plan.indicators)}")
            for issue in plan.warnings:
                print(f"    ! {issue}")
            if outcome.alerts is not None and outcome.alerts.count:
                alerts.print_report(outcome.alerts)
            if len(plan.replacements) and args.dry_run:
                n = len(plan.replacements)
                print(f"    {count_text(n, 'valeur')} {plural(n, 'serait remplacée', 'seraient remplacées')}")
    if not args.dry_run:
        analyze(engine)
    return status


def _period_from_args(args: argparse.Namespace, latest: dt.date | None) -> Period:
    """The period asked for, refused (ValueOutOfBounds, in French) outside the period window."""
    period = _asked_period(args, latest)
    check_month(period.start)
    check_month(period.end)
    return period


def _asked_period(args: argparse.Namespace, latest: dt.date | None) -> Period:
    if args.period:
        return parse_period(args.period)
    if args.month:
        return parse_period(args.month)
    if args.year is None:
        if latest is None:
            raise UsageError("aucune donnée : précisez --year")
        return year_period(latest.year)
    if args.quarter:
        return quarter_period(args.year, args.quarter)
    return year_period(args.year)


def cmd_report(args: argparse.Namespace) -> int:
    """The figures of a period, as the principal may read them (a contributor: its périmètres)."""
    engine = get_engine()
    actor = actor_from_args(args, engine)
    dashboard = services.dashboard
    pref = dashboard.prefecture(actor, args.prefecture)
    try:
        period = _period_from_args(args, dashboard.data_status(actor, pref.id or 0).last_month)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    perimetre_ids = None
    if args.perimetre:
        perims = dashboard.perimetres(actor, pref.id or 0)
        perimetre_ids = dashboard.perimetre_ids_by_name(perims, args.perimetre)
        if perimetre_ids is None:
            raise UsageError(f"périmètre inconnu ; périmètres existants : {', '.join(p.name for p in perims)}")
    results = dashboard.indicator_results(actor, pref.id or 0, period, perimetre_ids)
    if args.indicator:
        results = [r for r in results if r.indicator.code in {c.upper() for c in args.indicator}]
    if args.format == "json":
        meta = {"prefecture": pref.name, "code": pref.code, "period": period.code, "period_label": period.label,
                "perimetres": args.perimetre or []}
        write_output(dashboard.to_json(results, meta), args.output)
    elif args.format == "csv":
        write_output(dashboard.to_csv(results), args.output)
    else:
        title = f"{pref.name} — {period.label}" + (f" — {', '.join(args.perimetre)}" if args.perimetre else "")
        write_output(dashboard.to_table(results, title), args.output)
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    """The template the Import page offers (services.imports.template_workbook)."""
    check_year(args.year, "--year")
    engine = services.system.open_database(database_url())
    with session_scope(engine) as session:
        prefs = list_prefectures(session)
        pref = resolve_prefecture(session, args.prefecture) if (args.prefecture or len(prefs) == 1) else None
    template = services.imports.template_workbook(actor_from_args(args, engine), pref.id if pref else None, args.year)
    Path(args.output).write_bytes(template.data)
    print(f"modèle {args.year} écrit : {args.output} ({template.indicators} indicateurs)")
    return EXIT_OK


def cmd_target(args: argparse.Namespace) -> int:
    """Set (or list) the préfecture's targets; the référentiel defaults are never edited."""
    engine = get_engine()
    actor = actor_from_args(args, engine)
    pref_id = services.settings.prefecture_by_code(actor, args.prefecture)[0]
    check_year(args.year, "--year")
    lines = services.settings.targets_in_force(actor, pref_id, args.year)
    if args.indicator:
        code = args.indicator.upper()
        if code not in {line.code for line in lines}:
            raise UsageError(f"indicateur inconnu : {code}")
        if args.value is None and not args.none:
            raise UsageError("précisez --value V (et --alert A) ou --none pour « pas d'objectif »")
        row = {"code": code, "target": None if args.none else args.value, "alert": None if args.none else args.alert,
               "no_target": args.none}
        try:
            services.settings.save_targets(actor, pref_id, args.year, [row])
        except services.settings.SettingsError as exc:
            print(f"✗ {exc}", file=sys.stderr)
            return EXIT_REJECTED
        lines = services.settings.targets_in_force(actor, pref_id, args.year)
    for line in lines:
        sign = "≥" if line.direction == ">=" else "≤"
        target = "pas d'objectif" if line.value is None else f"{sign} {format_value(line.value, line.unit)}"
        alert = "" if line.alert is None else f" (alerte {format_value(line.alert, line.unit)})"
        print(f"{line.code:<28} {target}{alert}  [{line.source}]")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Slides, bilan, poster, workbook or Services Publics+ file: the same service as the Exports page."""
    engine = get_engine()
    actor = actor_from_args(args, engine)
    exports = services.exports
    pref = services.dashboard.prefecture(actor, args.prefecture)
    out = Path(args.output)
    fmt = args.format
    if fmt is None and args.kind in ("bilan", "pv"):
        fmt = "html" if out.suffix.lower() in (".html", ".htm") else "pdf"
    if fmt is None and args.kind == "sp-plus":
        fmt = "xlsx" if out.suffix.lower() == ".xlsx" else "csv"
    request = exports.ExportRequest(args.kind, args.year, args.quarter, args.min_volume, args.page.upper(), fmt)
    try:
        result = exports.build(actor, pref.id or 0, request,
                               progress=(lambda text: print(f"… {text}", file=sys.stderr)) if args.verbose else None)
    except exports.ExportError as exc:
        raise UsageError(str(exc)) from exc
    out.write_bytes(result.data)
    for note in result.notes:  # what the file leaves out (Services Publics+)
        print(f"! {note}", file=sys.stderr)
    print(f"écrit : {out} ({len(result.data) // 1024 + 1} Ko)")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    """Archive every table (see qep_core.backup): a file any installation can restore."""
    engine = get_engine()
    create_schema(engine)
    summary = services.backups.back_up(actor_from_args(args, engine), Path(args.output))
    print(f"sauvegarde écrite : {args.output} ({summary.describe()})")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    """Load an archive into an empty database (or replace everything with --force), all or nothing."""
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"fichier introuvable : {args.file}")
    engine = get_engine()
    create_schema(engine)
    try:
        summary = services.backups.restore_archive(actor_from_args(args, engine), path, force=args.force)
    except services.backups.BackupError as exc:
        print(f"✗ {path.name} : {exc}", file=sys.stderr)
        return EXIT_REJECTED
    analyze(engine)
    print(f"✓ sauvegarde du {summary.created_at} ({summary.source}) restaurée : {summary.describe()} ; "
          f"base : {engine.url.render_as_string(hide_password=True)}")
    return EXIT_OK


def cmd_demo_data(args: argparse.Namespace) -> int:
    files, surveys = write_all_demo_files(Path(args.output))
    print(f"{len(files)} fichiers de démonstration écrits dans {args.output}")
    print(f"{len(surveys)} fichiers d'enquêtes de démonstration écrits dans {Path(args.output) / 'enquetes'}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qep_core", description="Tableau de bord Qual-e-Pref : ligne de commande")
    parser.add_argument("--as", dest="as_login", metavar="IDENTIFIANT",
                        help="agir au nom de ce compte (droits et périmètres du compte ; défaut : QEP_AS, sinon le "
                             "poste local d'une installation sans comptes)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="créer la base et le référentiel (sans rien écraser)")
    p.add_argument("--demo", action="store_true", help="charger la préfecture de démonstration")
    p.add_argument("--if-empty", action="store_true", help="avec --demo : seulement si la base n'a aucune préfecture")
    p.add_argument("--prefecture", metavar="CODE", help="créer une préfecture (code du département : 44, 2A, 974…)")
    p.add_argument("--name", help="nom de la préfecture créée")
    p.add_argument("--modules", help="modules labellisés en plus du module 1, p. ex. 2,4")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("import", help=f"importer des tableaux de suivi ({services.imports.FORMATS_TEXT})")
    p.add_argument("files", nargs="+", metavar="FICHIER")
    p.add_argument("--prefecture", metavar="CODE")
    p.add_argument("--dry-run", action="store_true", help="vérifier sans rien enregistrer")
    p.add_argument("--user", help="auteur de l'import (par défaut : l'utilisateur du système)")
    p.add_argument("--kind", choices=LOG_KINDS,
                   help="nature du journal quand elle ne se déduit pas des colonnes (une ligne par élément)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("report", help="indicateurs d'une période contre leurs cibles")
    p.add_argument("--year", type=int)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--quarter", type=int, choices=[1, 2, 3, 4])
    group.add_argument("--month", metavar="YYYY-MM")
    group.add_argument("--period", metavar="PÉRIODE", help="2022, 2022-T3, 2022-05 ou 2021-11..2022-10")
    p.add_argument("--prefecture", metavar="CODE")
    p.add_argument("--perimetre", action="append", metavar="NOM", help="limiter à un périmètre (répétable)")
    p.add_argument("--indicator", action="append", metavar="CODE", help="limiter à un indicateur (répétable)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("-o", "--output", metavar="FICHIER")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("template", help="écrire le modèle de tableau de suivi mensuel d'une année")
    p.add_argument("--year", type=int, default=dt.date.today().year)
    p.add_argument("--prefecture", metavar="CODE")
    p.add_argument("-o", "--output", required=True, metavar="FICHIER.xlsx")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("target", help="cibles d'une année (et les modifier à partir de cette année)")
    p.add_argument("--year", type=int, default=dt.date.today().year)
    p.add_argument("--indicator", metavar="CODE")
    p.add_argument("--value", type=float, help="cible dans l'unité lue (90 pour 90 %%, 5 pour 5 jours)")
    p.add_argument("--alert", type=float, help="seuil d'alerte (entre lui et la cible : « à surveiller »)")
    p.add_argument("--none", action="store_true", help="pas d'objectif à partir de cette année")
    p.add_argument("--prefecture", metavar="CODE")
    p.set_defaults(func=cmd_target)

    p = sub.add_parser("export", help="diaporama COPIL ou CLU, bilan annuel, procès-verbal de revue, affiche, classeur "
                                      "Excel, Services Publics+")
    p.add_argument("--kind", required=True, choices=list(services.exports.KINDS))
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--quarter", type=int, choices=[1, 2, 3, 4],
                   help="un trimestre (COPIL, affiche, classeur, Services Publics+ ; obligatoire pour le "
                        "procès-verbal « pv ») ; "
                        "l'affiche prend le dernier trimestre sinon")
    p.add_argument("--prefecture", metavar="CODE")
    p.add_argument("--min-volume", type=int, default=10, metavar="N",
                   help="documents publics : ne rien publier sous N réponses (défaut 10)")
    p.add_argument("--page", default="A4", choices=["A4", "A3", "a4", "a3"], help="affiche : A4 ou A3")
    p.add_argument("--format", choices=["pdf", "html", "csv", "xlsx"],
                   help="bilan, pv : pdf ou html ; sp-plus : csv ou xlsx (sinon d'après l'extension de -o)")
    p.add_argument("-v", "--verbose", action="store_true", help="afficher les étapes")
    p.add_argument("-o", "--output", required=True, metavar="FICHIER")
    p.set_defaults(func=cmd_export)


    p = sub.add_parser("backup", help="sauvegarder toute la base dans une archive portable (.zip)")
    p.add_argument("-o", "--output", required=True, metavar="FICHIER.zip")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restaurer une sauvegarde dans une base vide (tout ou rien)")
    p.add_argument("file", metavar="FICHIER.zip")
    p.add_argument("--force", action="store_true", help="remplacer tout ce que contient la base")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("demo-data", help="régénérer les fichiers de la préfecture de démonstration")
    p.add_argument("-o", "--output", default=str(DEMO_DIR))
    p.set_defaults(func=cmd_demo_data)

    health_cli.register(sub)  # health
    admin.register(sub)  # user, history, db
    pilotage.add_pilotage_commands(sub)  # actions, audit, training
    surveys.add_parser(sub)  # survey
    mappings.register(sub)  # mapping
    perimetres.register(sub)  # perimetre
    review.register(sub)  # review
    spc.register(sub)  # spc
    digest.register(sub)  # digest
    alerts.register(sub)  # alerts
    events.register(sub)  # event
    collection_cli.register(sub)  # source, collecte
    deposits.register(sub)  # deposit
    sp_plus_cli.register(sub)  # sp-plus
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "month", None) and not getattr(args, "period", None):
        args.year = args.year or int(args.month[:4])
    try:
        return int(args.func(args))
    except (UsageError, PrefectureError) as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AccessDenied as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return EXIT_DENIED
    except (services.StorageError, services.ValueOutOfBounds) as exc:  # disk full, value out of bounds…: nothing written
        print(f"✗ {exc}", file=sys.stderr)
        return EXIT_REJECTED
