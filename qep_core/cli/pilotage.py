"""Command line of the pilotage: ``actions``, ``audit`` and ``training`` (see :mod:`qep_core.cli`).

Same conventions as the other commands: French messages, ``--prefecture CODE`` when the database
holds several préfectures, exit code 0 on success, 1 when a file is refused (nothing written),
2 on a usage error, 3 when the account (``--as``) may not do it. The commands call the services
the pages call (:mod:`qep_core.services.action_plan`, ``audits``, ``trainings``), as the principal
of ``--as`` (or the local administrator of a single-user install): their writes appear in the
change history exactly like the page's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from qep_core import services
from qep_core.cli.common import EXIT_OK, EXIT_REJECTED, UsageError, actor_from_args, write_output
from qep_core.db import get_engine, session_scope
from qep_core.frenchforms import count_text
from qep_core.importing import ImportRejected
from qep_core.models import Prefecture
from qep_core.pilotage.tables import DateFormatError, parse_date
from qep_core.pilotage.vocabulary import lookup
from qep_core.prefectures import resolve_prefecture


def date_argument(text: str) -> dt.date:
    """``2024-12-31`` or ``31/12/2024``."""
    try:
        day = parse_date(text)
    except DateFormatError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    if day is None:
        raise argparse.ArgumentTypeError("date vide")
    return day


def _prefecture(args: argparse.Namespace) -> tuple[Prefecture, services.Actor]:
    """The préfecture of ``--prefecture`` and who acts (``--as``)."""
    database = get_engine()
    with session_scope(database) as session:
        pref = resolve_prefecture(session, args.prefecture)
    return pref, actor_from_args(args, database)


def _read(name: str) -> bytes:
    path = Path(name)
    if not path.is_file():
        raise UsageError(f"fichier introuvable : {name}")
    return path.read_bytes()


def _rejected(exc: ImportRejected) -> int:
    print(f"✗ {exc.file_name} : refusé, rien n'a été enregistré", file=sys.stderr)
    for issue in exc.errors:
        print(f"    {issue}", file=sys.stderr)
    return EXIT_REJECTED


def _report(summary: str, warnings: Sequence[object], dry_run: bool, changed: bool) -> None:
    mark = "·" if dry_run or not changed else "✓"
    prefix = "[essai, rien n'est enregistré] " if dry_run else ""
    print(f"{mark} {prefix}{summary}")
    for issue in warnings:
        print(f"    ! {issue}")


def _json(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str)


# ------------------------------------------------------------------ actions


def cmd_actions_import(args: argparse.Namespace) -> int:
    pref, actor = _prefecture(args)
    data = _read(args.file)
    try:
        plan = services.action_plan.import_plan_file(actor, pref.id or 0, Path(args.file).name, data,
                                                     dry_run=args.dry_run, as_of=args.as_of)
    except ImportRejected as exc:
        return _rejected(exc)
    _report(plan.summary(), plan.warnings if plan.already_imported is None else [], args.dry_run,
            plan.already_imported is None)
    return EXIT_OK


def cmd_actions_export(args: argparse.Namespace) -> int:
    pref, actor = _prefecture(args)
    data = services.action_plan.export_plan_xlsx(actor, pref.id or 0, args.as_of or dt.date.today())
    Path(args.output).write_bytes(data)
    print(f"plan d'actions écrit : {args.output}")
    return EXIT_OK


def cmd_actions_summary(args: argparse.Namespace) -> int:
    format_rate = services.action_plan.format_rate
    pref, actor = _prefecture(args)
    as_of = args.as_of or dt.date.today()
    summary = services.action_plan.plan_summary(actor, pref.id or 0, as_of)
    if args.format == "json":
        def row(c: services.action_plan.Completion) -> dict[str, object]:
            return {"key": c.key, "label": c.label, "fait": c.fait, "en_cours": c.en_cours, "a_faire": c.a_faire,
                    "abandonne": c.abandonne, "total": c.total, "rate": None if c.rate is None else round(c.rate, 1)}
        write_output(_json({"prefecture": pref.name, "code": pref.code, "as_of": as_of.isoformat(), "basis": summary.basis,
                    "by_module": [row(c) for c in summary.by_module], "by_source": [row(c) for c in summary.by_source],
                    "overall": row(summary.overall), "late": [asdict(a) for a in summary.late]}), args.output)
        return EXIT_OK
    lines = [f"{pref.name} — plan d'actions au {as_of:%d/%m/%Y} ({summary.basis})", ""]
    header = f"{'':<28}{'Fait':>6}{'En cours':>10}{'À faire':>9}{'Abandonné':>11}{'Taux':>8}"
    for title, rows in (("Par module", summary.by_module), ("Par source", summary.by_source)):
        if not rows:
            continue
        lines += [title, header]
        lines += [f"{c.label[:27]:<28}{c.fait:>6}{c.en_cours:>10}{c.a_faire:>9}{c.abandonne:>11}{format_rate(c.rate):>8}"
                  for c in rows]
        lines.append("")
    c = summary.overall
    lines.append(f"{'Ensemble':<28}{c.fait:>6}{c.en_cours:>10}{c.a_faire:>9}{c.abandonne:>11}{format_rate(c.rate):>8}")
    lines.append(f"Actions en retard : {summary.late_count}")
    lines += [f"  {a.ref:<8} échéance {a.due_date:%d/%m/%Y}  {a.title[:80]}" for a in summary.late]
    write_output("\n".join(lines), args.output)
    return EXIT_OK


# ------------------------------------------------------------------ audits


def cmd_audit_import(args: argparse.Namespace) -> int:
    pref, actor = _prefecture(args)
    data = _read(args.file)
    meta: dict[str, Any] = {}
    if args.type:
        kind = lookup("audit_kind", args.type)
        if kind is None:
            raise UsageError(f"type d'audit inconnu : {args.type} (initial, suivi, renouvellement, interne, externe)")
        meta["kind"] = kind
    if args.date:
        meta["audit_date"] = args.date
    if args.auditor is not None:
        meta["auditor"] = args.auditor
    if args.organisation is not None:
        meta["organisation"] = args.organisation
    if args.modules:
        meta["modules"] = [m if not m.isdigit() else f"M{m}" for m in (x.strip().upper() for x in args.modules.split(","))
                           if m]
    try:
        plan, audit = services.audits.import_audit_file(actor, pref.id or 0, Path(args.file).name, data,
                                                        dry_run=args.dry_run, **meta)
    except ImportRejected as exc:
        return _rejected(exc)
    _report(plan.summary(), plan.warnings if plan.already_imported is None else [], args.dry_run, audit is not None)
    return EXIT_OK


def cmd_audit_list(args: argparse.Namespace) -> int:
    pref, actor = _prefecture(args)
    records: list[dict[str, Any]] = []
    for audit in services.audits.list_audits(actor, pref.id or 0):
        conf, remarks = audit.conformity, audit.remarks
        records.append({"id": audit.id, "title": audit.title, "kind": audit.kind,
                        "date": audit.audit_date.isoformat(), "auditor": audit.auditor, "modules": ",".join(audit.modules),
                        "findings": audit.findings, "C": conf["C"], "NA": conf["NA"], "NC_majeure": conf["NC_MAJ"],
                        "NC_mineure": conf["NC_MIN"], "PF": remarks["PF"], "PS": remarks["PS"], "PP": remarks["PP"],
                        "actions": audit.actions})
    if args.format == "json":
        write_output(_json({"prefecture": pref.name, "code": pref.code, "audits": records}), args.output)
        return EXIT_OK
    if not records:
        write_output(f"{pref.name} : aucun audit enregistré", args.output)
        return EXIT_OK
    lines = [f"{pref.name} — audits", ""]
    for r in records:
        lines.append(f"n° {r['id']:<3} {r['title']:<36} {r['auditor'][:24]:<25} constats {r['findings']:>3} : "
                     f"C {r['C']}, NA {r['NA']}, NC maj. {r['NC_majeure']}, NC min. {r['NC_mineure']} ; "
                     f"PF {r['PF']}, PS {r['PS']}, PP {r['PP']} ; {count_text(r['actions'], 'action')}")
    write_output("\n".join(lines), args.output)
    return EXIT_OK


# ------------------------------------------------------------------ trainings


def cmd_training_import(args: argparse.Namespace) -> int:
    pref, actor = _prefecture(args)
    data = _read(args.file)
    try:
        plan = services.trainings.import_trainings_file(actor, pref.id or 0, Path(args.file).name, data,
                                                        dry_run=args.dry_run)
    except ImportRejected as exc:
        return _rejected(exc)
    _report(plan.summary(), plan.warnings if plan.already_imported is None else [], args.dry_run,
            plan.already_imported is None)
    return EXIT_OK


def cmd_training_export(args: argparse.Namespace) -> int:
    pref, actor = _prefecture(args)
    data = services.trainings.export_xlsx(actor, pref.id or 0, args.as_of or dt.date.today())
    Path(args.output).write_bytes(data)
    print(f"formations écrites : {args.output}")
    return EXIT_OK


def cmd_training_compliance(args: argparse.Namespace) -> int:
    roles = services.trainings.ROLES
    pref, actor = _prefecture(args)
    as_of = args.as_of or dt.date.today()
    situation = services.trainings.compliance(actor, pref.id or 0, as_of, due_only=args.due)
    rows, total = situation.by_role, situation.total
    agents: list[dict[str, Any]] = []
    for r in situation.records:
        c = r.compliance(as_of)
        agents.append({"name": r.agent.name, "service": r.agent.service, "role": r.agent.role,
                       "role_label": roles.get(r.agent.role, r.agent.role), "post_start": r.agent.post_start.isoformat(),
                       "status": c.status, "status_label": c.label,
                       "deadline": c.deadline.isoformat() if c.deadline else None,
                       "last_training": c.last_training.isoformat() if c.last_training else None,
                       "tutored": c.tutored, "due_this_year": c.due_this_year})
    if args.format == "json":
        write_output(_json({"prefecture": pref.name, "code": pref.code, "as_of": as_of.isoformat(),
                    "by_role": [asdict(r) for r in rows], "total": asdict(total), "agents": agents}), args.output)
        return EXIT_OK
    lines = [f"{pref.name} — formations au {as_of:%d/%m/%Y} (formation dans l'année de la prise de poste, puis au "
             "moins tous les 4 ans)", "",
             f"{'Rôle':<34}{'Concernés':>10}{f'À former en {as_of.year}':>18}{'À jour':>8}{'À former':>10}"
             f"{'En retard':>11}{'Tutorat':>9}"]
    lines += [f"{r.label[:33]:<34}{r.concerned:>10}{r.due_this_year:>18}{r.a_jour:>8}{r.a_former:>10}{r.en_retard:>11}"
              f"{r.tutored:>9}" for r in [*rows, total]]
    lines += ["", "Agents à former cette année" if args.due else "Agents"]
    lines += [f"  {a['name'][:28]:<29}{a['role_label'][:30]:<31}{a['status_label']:<11} formation due le "
              f"{dt.date.fromisoformat(a['deadline']):%d/%m/%Y}" + ("  (tutorat)" if a["tutored"] else "")
              for a in agents if a["deadline"]]
    write_output("\n".join(lines), args.output)
    return EXIT_OK


# ------------------------------------------------------------------ parser


def add_pilotage_commands(sub: argparse._SubParsersAction) -> None:
    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--prefecture", metavar="CODE")

    actions = sub.add_parser("actions", help="plan d'actions : import, export, avancement")
    asub = actions.add_subparsers(dest="action_command", required=True)
    p = asub.add_parser("import", help=f"importer un plan d'actions ou un tableau de réalisation par module ({services.imports.FORMATS_TEXT})")
    p.add_argument("file", metavar="FICHIER")
    p.add_argument("--as-of", type=date_argument, metavar="DATE",
                   help="date d'un tableau de réalisation par module (sinon le 31/12 de l'année de son titre)")
    p.add_argument("--dry-run", action="store_true", help="vérifier sans rien enregistrer")
    p.add_argument("--user", help="auteur de l'import sur un poste local (par défaut : l'utilisateur du système ; "
                               "avec des comptes : --as IDENTIFIANT)")
    common(p)
    p.set_defaults(func=cmd_actions_import)
    p = asub.add_parser("export", help="écrire le plan d'actions (avec l'historique des statuts) en .xlsx")
    p.add_argument("-o", "--output", required=True, metavar="FICHIER.xlsx")
    p.add_argument("--as-of", type=date_argument, metavar="DATE", help="date de l'avancement (par défaut : aujourd'hui)")
    common(p)
    p.set_defaults(func=cmd_actions_export)
    p = asub.add_parser("summary", help="taux de réalisation par module, par source, et actions en retard")
    p.add_argument("--as-of", type=date_argument, metavar="DATE", help="à cette date (par défaut : aujourd'hui)")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("-o", "--output", metavar="FICHIER")
    common(p)
    p.set_defaults(func=cmd_actions_summary)

    audit = sub.add_parser("audit", help="audits : import d'un rapport, liste")
    bsub = audit.add_subparsers(dest="audit_command", required=True)
    p = bsub.add_parser("import", help="importer le tableau d'un rapport d'audit (engagement, commentaires, conformité)")
    p.add_argument("file", metavar="FICHIER")
    p.add_argument("--type", help="initial, suivi, renouvellement, interne ou externe")
    p.add_argument("--date", type=date_argument, metavar="DATE", help="date de l'audit")
    p.add_argument("--auditor", metavar="NOM")
    p.add_argument("--organisation", metavar="NOM", help="organisme certificateur")
    p.add_argument("--modules", help="modules audités, p. ex. 1,4,6,PIL,LAB (sinon ceux des constats)")
    p.add_argument("--dry-run", action="store_true", help="vérifier sans rien enregistrer")
    p.add_argument("--user", help="auteur de l'import sur un poste local (avec des comptes : --as IDENTIFIANT)")
    common(p)
    p.set_defaults(func=cmd_audit_import)
    p = bsub.add_parser("list", help="les audits, avec leurs constats et remarques comptés")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("-o", "--output", metavar="FICHIER")
    common(p)
    p.set_defaults(func=cmd_audit_list)

    training = sub.add_parser("training", help="formations des agents : import, export, conformité")
    tsub = training.add_subparsers(dest="training_command", required=True)
    p = tsub.add_parser("import", help=f"importer agents, formations et tutorats ({services.imports.FORMATS_TEXT})")
    p.add_argument("file", metavar="FICHIER")
    p.add_argument("--dry-run", action="store_true", help="vérifier sans rien enregistrer")
    p.add_argument("--user", help="auteur de l'import sur un poste local (avec des comptes : --as IDENTIFIANT)")
    common(p)
    p.set_defaults(func=cmd_training_import)
    p = tsub.add_parser("export", help="écrire agents, formations et tutorats en .xlsx")
    p.add_argument("-o", "--output", required=True, metavar="FICHIER.xlsx")
    p.add_argument("--as-of", type=date_argument, metavar="DATE", help="date de la situation (par défaut : aujourd'hui)")
    common(p)
    p.set_defaults(func=cmd_training_export)
    p = tsub.add_parser("compliance", help="qui est à jour, à former, en retard, à une date")
    p.add_argument("--as-of", type=date_argument, metavar="DATE", help="à cette date (par défaut : aujourd'hui)")
    p.add_argument("--due", action="store_true", help="seulement les agents à former dans l'année de cette date")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("-o", "--output", metavar="FICHIER")
    common(p)
    p.set_defaults(func=cmd_training_compliance)
