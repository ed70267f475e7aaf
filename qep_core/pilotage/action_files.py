"""Action plans in and out of Excel.

Two shapes of file are recognised by their headers, sheet by sheet:

* **the plan itself**: one row per action (« Action » or « Intitulé », « Module », « Engagement »,
  « Source », « Responsable », « Échéance », « Statut », « Date du statut », « Réf. »…), and
  optionally a sheet « Historique des statuts » (« Réf. », « Statut », « Date »), the way
  :func:`export_actions_xlsx` writes them, so that an exported plan edited in Excel comes back;
* **a completion table per module**, as annual bilans print it (« Fait », « En cours »,
  « Non fait », « Taux de réalisation », one row per module and a « Total » row). It is stored as
  a dated snapshot (:class:`~qep_core.pilotage.models.ActionPlanSnapshot`); its printed totals and
  rates are checked against the sum of the modules, and a disagreement is reported with the
  column's name — the modules win, as for every « Total » the application reads.

Importing is all-or-nothing and idempotent: the same file again changes nothing (SHA-256), and a
plan's rows are matched to existing actions by reference (or, without one, by title and module),
so an edited export updates its actions instead of duplicating them. An import never deletes an
action that the file does not list.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from openpyxl import Workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from qep_core.db import session_scope
from qep_core.frenchforms import ValueFormatError, count_text, find_year, normalize, parse_number, plural
from qep_core.importing.issues import ImportRejected, Issue, IssueLog, column_letter
from qep_core.importing.protocol import settle_ledger, settled_summary
from qep_core.importing.workbook import SourceFile, open_source
from qep_core.models import ImportBatch, Prefecture, utcnow
from qep_core.pilotage.actions import (
    ActionInput,
    Completion,
    display_ref,
    format_rate,
    list_actions,
    plan_on,
    status_history,
    total_of,
)
from qep_core.pilotage.audits import link_actions_to_remarks
from qep_core.pilotage.models import Action, ActionPlanSnapshot, ActionStatusChange
from qep_core.pilotage.refs import ReferentielIndex, referentiel_index
from qep_core.pilotage.tables import (
    DateFormatError,
    Table,
    already_imported,
    cell_text,
    find_table,
    format_date,
    parse_date,
    record_import,
    title_text,
    write_sheet,
)
from qep_core.pilotage.vocabulary import A_FAIRE, SOURCES, STATUSES, choices, lookup
from qep_core.prefectures import PrefectureError

KIND_PLAN, KIND_BILAN = "actions", "bilan"

PLAN_FIELDS = {
    "ref": ("ref", "reference", "n", "no", "numero", "n action", "id", "identifiant"),
    "title": ("action", "actions", "intitule", "intitule de l action", "libelle", "description", "action a mener"),
    "module": ("module",),
    "engagement": ("engagement", "engagements", "engagement de service", "n engagement", "numero d engagement"),
    "source": ("source", "origine", "provenance"),
    "owner": ("responsable", "pilote", "porteur", "referent", "service responsable", "responsables"),
    "due": ("echeance", "date d echeance", "date limite", "delai", "date prevue", "date butoir"),
    "status": ("statut", "etat", "avancement", "etat d avancement"),
    "status_date": ("date du statut", "date de realisation", "date de mise a jour", "realise le",
                    "date de changement de statut", "date statut", "mis a jour le"),
    "created": ("date de creation", "creee le", "cree le", "date d ajout", "date d inscription", "ajoutee le"),
    "answers": ("repond a", "reponse a", "origine detaillee"),
    "comment": ("commentaire", "commentaires", "observations", "observation", "remarques"),
}
HISTORY_FIELDS = {
    "ref": PLAN_FIELDS["ref"],
    "status": PLAN_FIELDS["status"],
    "date": ("date", "date du changement", "date du statut", "le"),
}
BILAN_FIELDS = {
    "fait": ("fait", "faites", "fait s", "realise", "realisees", "actions realisees"),
    "en_cours": ("en cours", "actions en cours"),
    "a_faire": ("non fait", "non faites", "non fait es", "a faire", "non realise", "non realisees", "non commence"),
    "abandonne": ("abandonne", "abandonnees", "abandonne es", "annule", "annulees"),
    "rate": ("taux de realisation", "taux", "%", "taux d avancement"),
    "total": ("total", "nombre d actions", "total actions"),
}
EXACT = frozenset({"n", "no", "id", "le", "date", "taux", "total", "%", "action", "actions", "module", "etat"})
STATUS_COLUMNS = ("fait", "en_cours", "a_faire", "abandonne")
STATUS_OF_COLUMN = {"fait": "fait", "en_cours": "en_cours", "a_faire": "a_faire", "abandonne": "abandonne"}


@dataclass
class PlanRow:
    """One action read from the file, matched (or not) to an existing action."""

    row: int
    entry: ActionInput
    existing: Action | None = None


@dataclass
class HistoryRow:
    row: int
    ref: str
    status: str
    day: dt.date


@dataclass
class BilanTable:
    """A per-module completion table: the modules' counts (the parts) and the date it describes."""

    as_of: dt.date
    modules: list[Completion]
    printed_total: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> Completion:
        return total_of(self.modules)


@dataclass
class ActionsFilePlan:
    """What an action-plan file would change, computed before anything is written."""

    file_name: str
    sha256: str
    layout: str  # "plan" | "bilan" | "inconnu"
    errors: list[Issue]
    warnings: list[Issue]
    rows: list[PlanRow] = field(default_factory=list)
    history: list[HistoryRow] = field(default_factory=list)
    bilan: BilanTable | None = None
    already_imported: ImportBatch | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def replacements(self) -> list[PlanRow]:
        """The actions already known that the file updates."""
        return [r for r in self.rows if r.existing is not None]

    @property
    def kind(self) -> str:
        return KIND_BILAN if self.layout == "bilan" else KIND_PLAN

    @property
    def new_count(self) -> int:
        return sum(r.existing is None for r in self.rows)

    @property
    def matched_count(self) -> int:
        return sum(r.existing is not None for r in self.rows)

    def summary(self) -> str:
        if (settled := settled_summary(self)) is not None:
            return settled
        if self.bilan is not None:
            total = self.bilan.total
            parts = [f"{self.file_name} : tableau de réalisation par module au {self.bilan.as_of:%d/%m/%Y}, "
                     f"{count_text(len(self.bilan.modules), 'module')}, {count_text(total.total, 'action')}, taux de réalisation "
                     f"{format_rate(total.rate)}"]
        else:
            parts = [f"{self.file_name} : plan d'actions, {count_text(len(self.rows), 'action')} dont "
                     f"{count_text(self.new_count, 'nouvelle')} et {self.matched_count} déjà "
                     f"{plural(self.matched_count, 'connue', 'connues')}"]
            if self.history:
                parts.append(count_text(len(self.history), "changement de statut daté", "changements de statut datés"))
        if self.warnings:
            parts.append(count_text(len(self.warnings), 'avertissement'))
        return " ; ".join(parts)


# ------------------------------------------------------------------ reading


def _status(cell: object, log: IssueLog, table: Table, row: int, name: str) -> str | None:
    text = cell_text(cell)
    if not text:
        return None
    code = lookup("status", text)
    if code is None:
        log.error(f"statut inconnu « {text} » (attendu : {choices('status')})", table.sheet, row, table.column(name))
    return code


def _date(cell: object, log: IssueLog, table: Table, row: int, name: str) -> dt.date | None:
    try:
        return parse_date(cell)
    except DateFormatError as exc:
        log.error(str(exc), table.sheet, row, table.column(name))
        return None


def _read_plan(table: Table, refs: ReferentielIndex, today: dt.date, log: IssueLog) -> list[PlanRow]:
    rows: list[PlanRow] = []
    for number, cells in table.body():
        def text(name: str, cells: list[object] = cells) -> str:
            return cell_text(table.get(cells, name))

        title = text("title")
        if not title and not any(text(k) for k in ("ref", "owner", "due", "status")):
            continue
        module = engagement = source = None
        if text("module"):
            module = refs.module_of(text("module"))
            if module is None:
                log.error(f"module inconnu « {text('module')} » (attendu : Module 1 à 8, Pilotage, Labellisation)",
                          table.sheet, number, table.column("module"))
        if text("engagement"):
            engagement = refs.engagement_of(table.get(cells, "engagement"), module)
            if engagement is None:
                log.error(f"engagement inconnu « {text('engagement')} » (attendu : son numéro, p. ex. 17, ou "
                          "« Pilotage 3 »)", table.sheet, number, table.column("engagement"))
        if "source" in table.fields and text("source"):
            source = lookup("source", text("source"))
            if source is None:
                log.error(f"source inconnue « {text('source')} » (attendu : {choices('source')})", table.sheet, number,
                          table.column("source"))
        status = _status(table.get(cells, "status"), log, table, number, "status") if "status" in table.fields else None
        entry = ActionInput(
            title=title, module_code=module, engagement_key=engagement, source=source, owner=text("owner"),
            due_date=_date(table.get(cells, "due"), log, table, number, "due") if "due" in table.fields else None,
            status=status or A_FAIRE,
            status_date=(_date(table.get(cells, "status_date"), log, table, number, "status_date")
                         if "status_date" in table.fields else None),
            comment=text("comment"), ref=text("ref") or None, answers=text("answers"),
            created_on=_date(table.get(cells, "created"), log, table, number, "created") if "created" in table.fields
            else None,
        )
        if (text("module") and module is None) or (text("engagement") and engagement is None) or (
                "source" in table.fields and text("source") and source is None):
            continue  # already reported
        for message in entry.check(refs, today, where=None):
            log.error(message, table.sheet, number)
        if entry.ref and len(entry.ref) > 40:
            log.error(f"référence trop longue ({len(entry.ref)} caractères, 40 au plus)", table.sheet, number,
                      table.column("ref"))
        rows.append(PlanRow(number, entry))
    return rows


def _read_history(table: Table, log: IssueLog) -> list[HistoryRow]:
    out = []
    for number, cells in table.body():
        ref = cell_text(table.get(cells, "ref"))
        status = _status(table.get(cells, "status"), log, table, number, "status")
        day = _date(table.get(cells, "date"), log, table, number, "date")
        if not ref:
            log.error("référence de l'action manquante", table.sheet, number, table.column("ref"))
        elif status is None or day is None:
            if status is None and not cell_text(table.get(cells, "status")):
                log.error("statut manquant", table.sheet, number, table.column("status"))
            if day is None and not cell_text(table.get(cells, "date")):
                log.error("date manquante", table.sheet, number, table.column("date"))
        else:
            out.append(HistoryRow(number, ref, status, day))
    return out


def _count(cell: object, log: IssueLog, table: Table, row: int, name: str) -> int | None:
    try:
        parsed = parse_number(cell)
    except ValueFormatError:
        log.error(f"« {cell_text(cell)} » n'est pas un nombre d'actions", table.sheet, row, table.column(name))
        return None
    if parsed is None:
        return 0
    if parsed.value < 0 or not float(parsed.value).is_integer():
        log.error(f"« {cell_text(cell)} » : un nombre d'actions est un entier positif", table.sheet, row,
                  table.column(name))
        return None
    return int(parsed.value)


def _rate(cell: object) -> tuple[float, float] | None:
    """A printed rate in percent and the tolerance its rounding allows (« 70 % » → 70 ± 0,5)."""
    try:
        parsed = parse_number(cell)
    except ValueFormatError:
        return None
    if parsed is None:
        return None
    value = parsed.value * 100 if parsed.unit is None and parsed.value <= 1 else parsed.value
    text = cell_text(cell)
    decimals = len(text.split(",")[1].rstrip(" %")) if "," in text else 0
    return value, 0.5 * 10 ** -decimals + 1e-9


def _read_bilan(table: Table, refs: ReferentielIndex, as_of: dt.date | None, title: str,
                log: IssueLog) -> BilanTable | None:
    label_col = min(table.fields.values()) - 1
    if label_col < 0:
        log.error("la colonne des modules (à gauche des nombres) manque", table.sheet, table.header_row + 1)
        return None
    modules: list[Completion] = []
    printed_rates: list[tuple[Completion, tuple[float, float], int]] = []
    printed_total: dict[str, int] = {}
    total_row = total_rate = None
    seen: dict[str, int] = {}
    for number, cells in table.body():
        label = cell_text(cells[label_col]) if label_col < len(cells) else ""
        counts = {c: _count(table.get(cells, c), log, table, number, c) for c in STATUS_COLUMNS if c in table.fields}
        if not label and not any(counts.values()):
            continue
        if normalize(label).startswith("total"):
            printed_total = {c: v for c, v in counts.items() if v is not None}
            total_row = number
            if "rate" in table.fields:
                total_rate = _rate(table.get(cells, "rate"))
            continue
        module = refs.module_of(label)
        if module is None:
            log.error(f"« {label} » n'est pas un module (attendu : Module 1 à 8, Pilotage, Labellisation ou Total)",
                      table.sheet, number, column_letter(label_col))
            continue
        if module in seen:
            log.error(f"{refs.module_short(module)} figure deux fois (lignes {seen[module]} et {number})", table.sheet,
                      number)
            continue
        seen[module] = number
        if any(v is None for v in counts.values()):
            continue
        known = {k: v for k, v in counts.items() if v is not None}  # all of them: see just above
        row = Completion(module, refs.module_short(module), known.get("fait", 0), known.get("en_cours", 0),
                         known.get("a_faire", 0), known.get("abandonne", 0))
        modules.append(row)
        if "total" in table.fields:
            printed = _count(table.get(cells, "total"), log, table, number, "total")
            if printed is not None and printed and printed != row.total:
                log.warn(f"{row.label} : le total imprimé ({printed}) diffère de la somme des statuts ({row.total}) ; "
                         "la somme est retenue", table.sheet, number, table.column("total"))
        if "rate" in table.fields and (printed_rate := _rate(table.get(cells, "rate"))) is not None:
            printed_rates.append((row, printed_rate, number))
    if not modules:
        if log.ok:
            log.error("aucune ligne de module sous l'en-tête « Fait / En cours / Non fait »", table.sheet)
        return None
    if as_of is None:
        year = find_year(title)
        if year is None:
            log.error("date du tableau inconnue : précisez-la (l'année dans le titre, p. ex. « Bilan 2022 », ou la "
                      "date « au » du tableau)", table.sheet)
            return None
        as_of = dt.date(year, 12, 31)
    bilan = BilanTable(as_of, modules, printed_total)
    total = bilan.total
    for column, printed in printed_total.items():
        computed = getattr(total, column)
        if printed != computed:
            log.warn(f"colonne « {header_of(column, table)} » : le total imprimé ({printed}) diffère de la somme des "
                     f"modules ({computed}) ; la somme des modules est retenue", table.sheet, total_row,
                     table.column(column))
    for row, (printed_value, tolerance), number in printed_rates:
        if row.rate is not None and abs(printed_value - row.rate) > tolerance:
            log.warn(f"{row.label} : taux de réalisation imprimé {printed_value:g} % ≠ {row.rate:.1f} % calculé "
                     f"({row.fait} faites / {row.counted})".replace(".", ","), table.sheet, number,
                     table.column("rate"))
    if total_rate is not None and total.rate is not None and abs(total_rate[0] - total.rate) > total_rate[1]:
        log.warn(f"Total : taux de réalisation imprimé {total_rate[0]:g} % ≠ {total.rate:.1f} % calculé sur la "
                 f"somme des modules ({total.fait} / {total.counted})".replace(".", ","), table.sheet, total_row,
                 table.column("rate"))
    return bilan


def header_of(name: str, table: Table) -> str:
    return cell_text(table.rows[table.header_row][table.fields[name]])


def analyze_actions_file(session: Session, prefecture_id: int, file_name: str, data: bytes,
                         as_of: dt.date | None = None, today: dt.date | None = None) -> ActionsFilePlan:
    """Read an action-plan file and say what importing it would do (nothing is written).

    *as_of* dates a per-module completion table (else the year of its title gives 31 December);
    *today* bounds the dates of statuses (none may be in the future)."""
    today = today or dt.date.today()
    try:
        source = open_source(file_name, data)
    except ImportRejected as exc:
        return ActionsFilePlan(exc.file_name, "", "inconnu", exc.errors, [])
    log = IssueLog()
    refs = referentiel_index(session, prefecture_id)
    plan = ActionsFilePlan(source.name, source.sha256, "inconnu", [], [])
    try:
        _read_source(source, plan, refs, as_of, today, log)
    except ImportRejected as exc:
        return ActionsFilePlan(exc.file_name, source.sha256, "inconnu", exc.errors, [])
    plan.errors, plan.warnings = log.all_errors(), log.warnings
    if not plan.errors:
        plan.already_imported = already_imported(session, prefecture_id, plan.kind, source.sha256)
        if plan.layout == "plan":
            _match(session, prefecture_id, plan, log)
            plan.errors = log.all_errors()
    return plan


def _read_source(source: SourceFile, plan: ActionsFilePlan, refs: ReferentielIndex, as_of: dt.date | None,
                 today: dt.date, log: IssueLog) -> None:
    """Sort the sheets first: a detailed plan wins, and a completion table beside it (the
    « Avancement » sheet of an export) is derived from it, so it is left aside."""
    plans, histories, bilans = [], [], []
    for sheet in source.sheet_names:
        if (table := find_table(source, sheet, PLAN_FIELDS, ("title", "status"), EXACT)) is not None:
            plans.append(table)
        elif (table := find_table(source, sheet, HISTORY_FIELDS, ("ref", "status", "date"), EXACT)) is not None:
            histories.append(table)
        elif (table := find_table(source, sheet, BILAN_FIELDS, ("fait",), EXACT)) is not None and any(
                c in table.fields for c in ("en_cours", "a_faire")):
            bilans.append(table)
    if plans:
        plan.layout = "plan"
        for table in plans:
            plan.rows.extend(_read_plan(table, refs, today, log))
        for table in histories:
            plan.history.extend(_read_history(table, log))
        if not plan.rows and log.ok:
            log.error("le plan d'actions ne contient aucune action")
        refs_in_file = {r.entry.ref for r in plan.rows if r.entry.ref}
        for h in plan.history:
            if h.ref not in refs_in_file:
                log.error(f"historique : l'action « {h.ref} » n'est pas dans le plan d'actions du fichier", None, h.row)
            elif h.day > today:
                log.error(f"historique : la date {h.day:%d/%m/%Y} est dans le futur", None, h.row)
    elif bilans:
        plan.layout = "bilan"
        if len(bilans) > 1:
            log.error("plusieurs tableaux de réalisation dans le fichier (feuilles "
                      + ", ".join(f"« {t.sheet} »" for t in bilans) + ") : importez-les un par un")
            return
        table = bilans[0]
        plan.bilan = _read_bilan(table, refs, as_of, title_text(source, table.sheet, table), log)
    elif histories:
        log.error("historique des statuts sans plan d'actions : la feuille du plan (colonnes « Action » et "
                  "« Statut ») manque")
    else:
        log.error("aucun plan d'actions reconnu : il faut une ligne d'en-tête avec au moins « Action » (ou "
                  "« Intitulé ») et « Statut », ou un tableau « Fait / En cours / Non fait » par module")


def _match(session: Session, prefecture_id: int, plan: ActionsFilePlan, log: IssueLog) -> None:
    """Pair each row with the action it updates: by reference, else by title and module."""
    actions = list_actions(session, prefecture_id)
    by_ref = {a.ref: a for a in actions if a.ref}
    by_number = {f"A{a.id}": a for a in actions if not a.ref}
    by_title = {(normalize(a.title), a.module_code): a for a in actions}
    refs_seen: dict[str, int] = {}
    titles_seen: dict[tuple[str, str | None], int] = {}
    for row in plan.rows:
        ref = row.entry.ref
        if ref:
            if ref in refs_seen:
                log.error(f"référence « {ref} » en double (lignes {refs_seen[ref]} et {row.row})", None, row.row)
                continue
            refs_seen[ref] = row.row
            row.existing = by_ref.get(ref) or by_number.get(ref.upper())
        else:
            key = (normalize(row.entry.title), row.entry.module_code)
            if key in titles_seen:
                log.error(f"action en double sans référence : « {row.entry.title[:60]} » (lignes {titles_seen[key]} et "
                          f"{row.row}) ; donnez-leur une référence (colonne « Réf. »)", None, row.row)
                continue
            titles_seen[key] = row.row
            row.existing = by_title.get(key)  # type: ignore[arg-type]  # no module: no key of by_title matches, as wanted


def settle_actions_file(session: Session, prefecture_id: int, plan: ActionsFilePlan) -> ActionsFilePlan:
    """A plan analysed outside the write transaction, brought up to date in it: the ledger, and
    each row paired again with the action it updates as the plan stands now (an action added,
    renamed or deleted meanwhile); the file is not read again."""
    if settle_ledger(plan, already_imported(session, prefecture_id, plan.kind, plan.sha256)) and plan.layout == "plan":
        for row in plan.rows:
            row.existing = None
        log = IssueLog()
        _match(session, prefecture_id, plan, log)
        plan.errors = log.all_errors()
    return plan


# ------------------------------------------------------------------ writing


def save_actions_file(session: Session, prefecture_id: int, plan: ActionsFilePlan, user: str = "",
                      today: dt.date | None = None) -> ImportBatch | None:
    """Write an accepted plan in the caller's transaction; None when the file was already imported."""
    if not plan.ok:
        raise ImportRejected(plan.file_name, plan.errors)
    if plan.already_imported is not None:
        return None
    today = today or dt.date.today()
    source_stub = SourceFile(plan.file_name, b"", plan.sha256, "")
    rows = len(plan.bilan.modules) if plan.bilan is not None else len(plan.rows)
    record = record_import(session, prefecture_id, plan.kind, source_stub, user, plan.summary(), plan.warnings,
                           rows=rows)
    if plan.bilan is not None:
        _save_bilan(session, prefecture_id, plan.bilan, record.id or 0)
    else:
        _save_plan_rows(session, prefecture_id, plan, record.id or 0, user, today)
        link_actions_to_remarks(session, prefecture_id)
    return record


def _save_bilan(session: Session, prefecture_id: int, bilan: BilanTable, import_id: int) -> None:
    old = session.exec(select(ActionPlanSnapshot).where(ActionPlanSnapshot.prefecture_id == prefecture_id,
                                                        ActionPlanSnapshot.as_of == bilan.as_of)).all()
    for stale in old:
        session.delete(stale)
    session.flush()
    for row in bilan.modules:
        session.add(ActionPlanSnapshot(prefecture_id=prefecture_id, as_of=bilan.as_of, module_code=row.key,
                                       fait=row.fait, en_cours=row.en_cours, a_faire=row.a_faire,
                                       abandonne=row.abandonne, import_id=import_id))
    session.flush()


def _save_plan_rows(session: Session, prefecture_id: int, plan: ActionsFilePlan, import_id: int, user: str,
                    today: dt.date) -> None:
    """New actions are created with their dated history (the file's « Historique » sheet, or
    « Date de création » then « Date du statut »); known ones are updated, and a status that
    differs from the stored one becomes a new dated change.

    Written in bulk (one flush for the new actions, one for all the changes): a plan of a few
    hundred actions would otherwise spend seconds in per-row queries."""
    history_of: dict[str, list[HistoryRow]] = {}
    for h in plan.history:
        history_of.setdefault(h.ref, []).append(h)
    stored = status_history(session, [r.existing.id or 0 for r in plan.rows if r.existing is not None])
    new_rows = [r for r in plan.rows if r.existing is None]
    created: dict[int, Action] = {}
    for row in new_rows:
        e = row.entry
        dated = history_of.get(e.ref or "", [])
        day = e.created_on or (min(h.day for h in dated) if dated else None) or e.status_date or today
        created[id(row)] = Action(prefecture_id=prefecture_id, ref=e.ref, title=e.title, module_code=e.module_code or "",
                                  engagement_key=e.engagement_key, source=e.source or "", owner=e.owner,
                                  due_date=e.due_date, status=e.status or A_FAIRE, status_date=day, created_on=day,
                                  comment=e.comment, answers=e.answers, import_id=import_id)
    session.add_all(created.values())
    session.flush()
    changes: list[ActionStatusChange] = []
    for row in plan.rows:
        e = row.entry
        status = e.status or A_FAIRE
        dated = sorted(history_of.get(e.ref or "", []), key=lambda h: h.day)
        if row.existing is None:
            action = created[id(row)]
            timeline: list[tuple[str, dt.date]] = []
            if not dated:
                if status != A_FAIRE and e.status_date and action.created_on < e.status_date:
                    dated = [HistoryRow(row.row, "", A_FAIRE, action.created_on),
                             HistoryRow(row.row, "", status, e.status_date)]
                else:
                    dated = [HistoryRow(row.row, "", status, e.status_date or action.created_on)]
        else:
            action = row.existing
            action.title, action.owner, action.due_date, action.comment = e.title, e.owner, e.due_date, e.comment
            action.module_code = e.module_code or action.module_code
            action.engagement_key = e.engagement_key
            action.source = e.source or action.source
            action.answers = e.answers or action.answers
            action.created_on = e.created_on or action.created_on
            timeline = [(c.status, c.changed_on) for c in stored.get(action.id or 0, [])]
        known = set(timeline)
        for h in dated:
            if (h.status, h.day) not in known:
                timeline.append((h.status, h.day))
                known.add((h.status, h.day))
                changes.append(ActionStatusChange(action_id=action.id or 0, status=h.status, changed_on=h.day,
                                                  recorded_by=user))
        timeline.sort(key=lambda change: change[1])  # stable: same day, in the order recorded
        if not timeline or timeline[-1][0] != status:
            day = max(e.status_date or today, timeline[-1][1]) if timeline else (e.status_date or action.created_on)
            timeline.append((status, day))
            changes.append(ActionStatusChange(action_id=action.id or 0, status=status, changed_on=day,
                                              recorded_by=user))
        action.status, action.status_date = timeline[-1]
        action.created_on = min(action.created_on, timeline[0][1])
        action.updated_at = utcnow()
        session.add(action)
    session.add_all(changes)
    session.flush()


def import_actions_file(engine: Engine, prefecture_id: int, file_name: str, data: bytes, user: str = "",
                        dry_run: bool = False, as_of: dt.date | None = None,
                        today: dt.date | None = None) -> ActionsFilePlan:
    """Analyse and, unless *dry_run*, save in one transaction. Raises ImportRejected."""
    with session_scope(engine, write=not dry_run) as session:
        if session.get(Prefecture, prefecture_id) is None:
            raise PrefectureError(f"préfecture inconnue : {prefecture_id}")
        plan = analyze_actions_file(session, prefecture_id, file_name, data, as_of=as_of, today=today)
        if not plan.ok:
            raise ImportRejected(plan.file_name, plan.errors)
        if not dry_run:
            save_actions_file(session, prefecture_id, plan, user, today)
        return plan


# ------------------------------------------------------------------ snapshots


def plan_snapshots(session: Session, prefecture_id: int) -> dict[dt.date, list[ActionPlanSnapshot]]:
    """Imported per-module completion tables, by date."""
    out: dict[dt.date, list[ActionPlanSnapshot]] = {}
    for row in session.exec(select(ActionPlanSnapshot).where(ActionPlanSnapshot.prefecture_id == prefecture_id)
                            .order_by(col(ActionPlanSnapshot.as_of), col(ActionPlanSnapshot.id))):
        out.setdefault(row.as_of, []).append(row)
    return out


def snapshot_completion(rows: list[ActionPlanSnapshot], refs: ReferentielIndex) -> list[Completion]:
    return [Completion(r.module_code, refs.module_short(r.module_code), r.fait, r.en_cours, r.a_faire, r.abandonne)
            for r in rows]


# ------------------------------------------------------------------ export

PLAN_HEADERS = ["Réf.", "Action", "Module", "Engagement", "Source", "Responsable", "Échéance", "Statut",
                "Date du statut", "Date de création", "Répond à", "Commentaire"]
HISTORY_HEADERS = ["Réf.", "Statut", "Date", "Enregistré par"]


def export_actions_xlsx(session: Session, prefecture_id: int, as_of: dt.date) -> bytes:
    """The plan (one row per action), its dated status changes, and completion per module and per
    source as of *as_of*. Re-importing the file changes nothing; an edited copy updates the plan."""
    refs = referentiel_index(session, prefecture_id)
    actions = list_actions(session, prefecture_id)
    history = status_history(session, [a.id or 0 for a in actions])
    wb = Workbook()
    wb.remove(wb.active)
    write_sheet(wb, "Plan d'actions", PLAN_HEADERS, [
        [display_ref(a), a.title, refs.module_short(a.module_code),
         refs.engagement_label(a.engagement_key) if a.engagement_key else "", SOURCES.get(a.source, a.source), a.owner,
         a.due_date, STATUSES.get(a.status, a.status), a.status_date, a.created_on, a.answers, a.comment]
        for a in actions
    ], [8, 60, 14, 40, 22, 22, 12, 11, 14, 14, 40, 40])
    write_sheet(wb, "Historique des statuts", HISTORY_HEADERS, [
        [display_ref(a), STATUSES.get(c.status, c.status), c.changed_on, c.recorded_by]
        for a in actions for c in history[a.id or 0]
    ], [8, 12, 12, 20])
    day = plan_on(session, prefecture_id, as_of)
    rows = [[c.label, c.fait, c.en_cours, c.a_faire, c.abandonne, format_rate(c.rate)]
            for c in [*day.completion_by_module(), day.completion()]]
    rows += [[""] * 6, ["Source", "Fait", "En cours", "À faire", "Abandonné", "Taux de réalisation"]]
    rows += [[c.label, c.fait, c.en_cours, c.a_faire, c.abandonne, format_rate(c.rate)]
             for c in day.completion_by_source()]
    write_sheet(wb, f"Avancement au {format_date(as_of).replace('/', '-')}",
           ["Module", "Fait", "En cours", "À faire", "Abandonné", "Taux de réalisation"], rows, [30, 8, 10, 10, 12, 20])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
