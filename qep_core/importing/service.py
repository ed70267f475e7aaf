"""Import a file: analyse it (nothing written), then save it in one transaction.

* **All or nothing.** Any error rejects the whole file and the database is left as it was.
* **Idempotent.** A file whose SHA-256 was already imported (and not undone) changes nothing.
* **Replacement with history.** A value for a month already loaded replaces the old one; the old
  one goes to ``observation_history`` with the batch that replaced it, so the preview can show it,
  the history can tell it, and undoing the batch restores it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from qep_core.change_history import record_change
from qep_core.compute import value_from_counts
from qep_core.db import session_scope
from qep_core.frenchforms import count_text, format_number_fr, month_label_fr, normalize, plural
from qep_core.importing import itemlogs
from qep_core.importing.bounds import check_drafts
from qep_core.importing.context import Draft, ImportContext
from qep_core.importing.issues import ERROR, ImportRejected, Issue, IssueLog, UnknownLabel
from qep_core.importing.ledger import (
    FILE_KINDS,
    INDICATOR_FILE_KINDS,
    find_imported,
    list_ledger,
    new_batch,
)
from qep_core.importing.log_archive import archive_bounds, pack_items
from qep_core.importing.long_layout import (
    DRAFT_COLUMNS,
    FIELD_VARIANTS,
    find_long_header,
    match_long_header,
    parse_long,
)
from qep_core.importing.protocol import UNDONE_MEANWHILE, settled_summary
from qep_core.importing.safety import package_issues
from qep_core.importing.wide_layout import parse_wide_sheet
from qep_core.importing.workbook import SourceFile, is_reader_failure, open_source
from qep_core.mappings.labels import PERIMETRE, load_mappings
from qep_core.models import (
    ImportBatch,
    Indicator,
    LogItemArchive,
    Observation,
    ObservationHistory,
    Perimetre,
    Prefecture,
    local_time,  # noqa: F401  (the Import page reads it from here)
)
from qep_core.prefectures import guess_perimetre_kind, perimetre_key, whole_prefecture
from qep_core.referentiel import SCALE_OF_KIND, Referentiel, TargetBook, indicators_for
from qep_core.rules.file_formats import format_label
from qep_core.signals.alerts import AlertReport
from qep_core.workdays import working_calendar

CHUNK = 500


@dataclass
class ImportPlan:
    """What a file would change, computed before anything is written."""

    file_name: str
    sha256: str
    layout: str
    drafts: pd.DataFrame
    errors: list[Issue]
    warnings: list[Issue]
    sheets: list[str] = field(default_factory=list)
    already_imported: ImportBatch | None = None
    replacements: pd.DataFrame = field(default_factory=pd.DataFrame)
    unchanged: int = 0
    new_perimetres: list[str] = field(default_factory=list)
    prepared: tuple[pd.DataFrame, pd.DataFrame] | None = field(default=None, repr=False)
    items: pd.DataFrame = field(default_factory=pd.DataFrame)  # item logs: one row per item
    coverage: str = ""  # « 312 valeurs lues ; 2 lignes non reconnues : … » (IssueLog.coverage)
    unknown: list[UnknownLabel] = field(default_factory=list)  # labels nothing recognised: offered for mapping

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows(self) -> int:
        return len(self.drafts)

    @property
    def indicators(self) -> list[str]:
        return sorted(self.drafts["indicator"].unique()) if len(self.drafts) else []

    @property
    def months(self) -> list[dt.date]:
        if not len(self.drafts):
            return []
        return sorted(set(self.drafts["start"]) | set(self.drafts["end"]))

    def period_text(self) -> str:
        months = self.months
        if not months:
            return "aucune période"
        first, last = months[0], months[-1]
        return month_label_fr(first) if first == last else f"{month_label_fr(first)} – {month_label_fr(last)}"

    def summary(self) -> str:
        if (settled := settled_summary(self)) is not None:
            return settled
        parts = [f"{self.file_name} : {format_label(self.layout)}, {count_text(self.rows, 'valeur')}, "
                 f"{count_text(len(self.indicators), 'indicateur')}, {self.period_text()}"]
        if len(self.replacements):
            parts.append(count_text(len(self.replacements), "valeur remplacée", "valeurs remplacées"))
        if self.unchanged:
            parts.append(f"{self.unchanged} déjà à jour")
        if self.new_perimetres:
            parts.append("nouveaux périmètres : " + ", ".join(self.new_perimetres))
        if self.warnings:
            parts.append(count_text(len(self.warnings), "avertissement"))
        return " ; ".join(parts)


@dataclass
class ImportOutcome:
    plan: ImportPlan
    batch: ImportBatch | None
    inserted: int = 0
    replaced: int = 0
    alerts: AlertReport | None = None  # what the save raised (qep_core.signals.alerts), set by the service
    deposit_id: int | None = None  # kept « à valider » instead of saved (qep_core.collection.deposits)

    @property
    def changed(self) -> bool:
        return self.batch is not None


def build_context(session: Session, prefecture_id: int, log_kind: str | None = None,
                  as_of: dt.date | None = None) -> ImportContext:

    indicators = indicators_for(session, prefecture_id)
    ref = Referentiel.load()
    pref = session.get(Prefecture, prefecture_id)
    calendar = working_calendar(pref.code, pref.whit_monday_worked) if pref is not None else None
    return ImportContext({d.code: d for d in indicators}, ref.families, TargetBook(session, prefecture_id, indicators),
                         calendar=calendar, as_of=as_of or dt.date.today(), log_kind=log_kind,
                         mappings=load_mappings(session, prefecture_id, indicators))


def read_drafts(source: SourceFile, ctx: ImportContext, log: IssueLog) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """Every observation the file holds, whatever its layout (sheet by sheet), and the items of
    any item log it contains (one row per e-mail, letter, complaint…)."""

    frames: list[pd.DataFrame] = []
    item_frames: list[pd.DataFrame] = []
    wide: list[Draft] = []
    layouts: set[str] = set()
    for sheet in source.sheet_names:
        head = source.head(sheet)
        item_log = itemlogs.detect_log_kind(sheet, head, ctx.log_kind)
        found = find_long_header(head) if item_log is None else None
        if item_log is not None:
            kind, header_idx, fields = item_log
            cells = source.text_cells(sheet)
            body = cells.iloc[header_idx + 1:].reset_index(drop=True)
            layouts.add(f"journal:{kind}")
            drafts_, items_ = itemlogs.parse_item_log(sheet, kind, head[header_idx], fields, body, header_idx + 2, ctx,
                                                      ctx.calendar, ctx.as_of or dt.date.today(), log)
            frames.append(drafts_)
            item_frames.append(items_)
            log.values_read += len(items_)
        elif ctx.log_kind is not None:
            log.error(f"aucun journal « {ctx.log_kind} » reconnu dans cette feuille : colonnes de dates introuvables",
                      sheet)
        elif found is not None:
            header_idx, fields = found
            layouts.add("long")
            long_drafts = _read_long(source, sheet, header_idx, fields, ctx, log)
            log.values_read += len(long_drafts)
            frames.append(long_drafts)
        elif (partial := _partial_long_header(head)) is not None:
            log.error("format long incomplet : les colonnes « indicateur » et « période » sont là, mais ni "
                      "« numérateur » / « dénominateur » ni « valeur » / « effectif »", sheet, partial + 1)
        else:
            rows = source.rows(sheet)
            drafts = parse_wide_sheet(sheet, rows, ctx, log, file_name=source.name)
            if drafts:
                layouts.add("wide")
            wide.extend(drafts)
    if not wide and not frames and log.results_only:
        log.error("les nombres manquent : " + ", ".join(f"la feuille « {s} »" for s in log.results_only)
                  + " ne donne que des résultats (taux, cibles), pas les nombres dont ils sont calculés (reçus, "
                  "traités dans le délai…). L'application calcule les taux à partir de ces nombres : importez le "
                  "tableau de suivi qui les contient")
    if wide:
        frames.append(pd.DataFrame([d.__dict__ for d in wide], columns=DRAFT_COLUMNS))
    frames = [f for f in frames if len(f)]
    drafts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=DRAFT_COLUMNS)
    item_frames = [f for f in item_frames if len(f)]
    items = pd.concat(item_frames, ignore_index=True) if item_frames else pd.DataFrame(columns=itemlogs.ITEM_COLUMNS)
    layout = "/".join(sorted(layouts)) or "inconnu"
    return layout, drafts, items


def _partial_long_header(head: list[list[object]]) -> int | None:
    """A row naming the indicator and the period columns but no count column."""

    for r, row in enumerate(head):
        texts = {normalize(c) for c in row if str(c).strip()}
        if any(t in FIELD_VARIANTS["indicateur"] for t in texts) and any(t in FIELD_VARIANTS["periode"] for t in texts):
            return r
    return None


def _read_long(source: SourceFile, sheet: str, header_idx: int, fields: dict[str, int], ctx: ImportContext,
               log: IssueLog) -> pd.DataFrame:
    fast = _read_long_excel(source, sheet, header_idx) if source.format != "csv" else None
    offset = 0
    if fast is not None:
        header, body, fields, offset = fast
    else:
        rows = source.rows(sheet)
        header = rows[header_idx]
        body = pd.DataFrame(rows[header_idx + 1:], dtype=object)
    return parse_long(sheet, header, fields, body, header_idx + 2, ctx, log, column_offset=offset)


def _read_long_excel(source: SourceFile, sheet: str, header_idx: int
                     ) -> tuple[list[object], pd.DataFrame, dict[str, int], int] | None:
    """The body of a long sheet through fastexcel (Arrow), typed per column.

    A column of numbers arrives as exact floats; a column mixing numbers and text arrives as text
    and is parsed cell by cell. Types are inferred from every row (``schema_sample_rows=None``) so
    that text far down a column of numbers is reported, never coerced to an empty cell. fastexcel
    trims empty leading columns where calamine keeps them: the fields are matched again on its own
    header and the offset is kept for the column letters; None (use the cell reader) if anything
    disagrees.
    """
    import fastexcel

    try:
        reader = fastexcel.read_excel(source.data)
        loaded = reader.load_sheet(sheet, header_row=header_idx, schema_sample_rows=None)
        names = [c.name for c in loaded.available_columns()]
        body = loaded.to_pandas()
    except BaseException as exc:  # a panic of the reader too (not an Exception): the cell reader decides
        if not is_reader_failure(exc):
            raise
        return None
    header: list[object] = ["" if n.startswith("__UNNAMED__") else n for n in names]
    full_header = source.head(sheet)[header_idx]
    expected = [str(c).strip() for c in full_header if str(c).strip()]
    if [str(c).strip() for c in header if str(c).strip()] != expected or not expected:
        return None
    offset = next(i for i, c in enumerate(full_header) if str(c).strip()) - next(
        i for i, c in enumerate(header) if str(c).strip())

    fields = match_long_header(header)
    if fields is None:
        return None
    body.columns = range(body.shape[1])
    return header, body, fields, offset


def _check_duplicates(drafts: pd.DataFrame, log: IssueLog) -> None:
    """One value per indicator × month × périmètre in a file; spans must not overlap either."""
    if drafts.empty:
        return
    keys = _month_keys(drafts, _perimetre_keys(drafts["perimetre"]))
    # one int64 per (indicator, périmètre, month): duplicated() on it is an order faster than on objects
    packed = np.zeros(len(keys), dtype=np.int64)
    for column in ("indicator", "perim", "month"):
        codes, uniques = pd.factorize(keys[column])
        packed = packed * (len(uniques) + 1) + codes
    dup = pd.Series(packed).duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    for (code, _perim, month), group in keys[dup].groupby(["indicator", "perim", "month"], sort=True):
        idx = group["draft"].tolist()
        places = ", ".join(
            f"feuille « {drafts.at[i, 'sheet']} » ligne {drafts.at[i, 'row']}" for i in idx[:4]
        )
        perim = drafts.at[idx[0], "perimetre"]
        where = f" ({perim})" if isinstance(perim, str) and perim else ""
        log.error(f"{code} : plusieurs valeurs pour {month_label_fr(month)}{where} : {places}",
                  str(drafts.at[idx[0], "sheet"]), int(drafts.at[idx[0], "row"]))
        if len(log.errors) > 50:
            break


def _month_keys(frame: pd.DataFrame, perim: pd.Series) -> pd.DataFrame:
    """One row per month covered by each observation (most cover exactly one)."""
    out = pd.DataFrame({"indicator": frame["indicator"].to_numpy(), "perim": perim.to_numpy(),
                        "month": frame["start"].to_numpy(), "draft": frame.index.to_numpy()})
    multi = frame["start"] != frame["end"]
    if multi.any():
        extra = []
        for i in np.flatnonzero(multi.to_numpy()):
            start, end = frame["start"].iat[i], frame["end"].iat[i]
            month = start
            while month < end:
                month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
                extra.append((out["indicator"].iat[i], out["perim"].iat[i], month, out["draft"].iat[i]))
        out = pd.concat([out, pd.DataFrame(extra, columns=out.columns)], ignore_index=True)
    return out


def analyze_file(session: Session, prefecture: Prefecture, file_name: str, data: bytes,
                 log_kind: str | None = None, as_of: dt.date | None = None,
                 plan_replacements: bool = True) -> ImportPlan:
    """Read and check a file against the préfecture's data. Writes nothing.

    *log_kind* forces the kind of an item log (``courriels``…); *as_of* is the date pending
    items are judged at (today by default). Without *plan_replacements*, the stored values the
    file would replace are left to :func:`settle_plan` (the writer's transaction computes them).
    """
    log = IssueLog()
    try:
        source = open_source(file_name, data)
    except ImportRejected as exc:
        return ImportPlan(exc.file_name, "", "inconnu", pd.DataFrame(columns=DRAFT_COLUMNS), exc.errors, [])
    already = find_imported(session, prefecture.id or 0, source.sha256)
    if already is not None:  # the same bytes again: nothing to read, nothing to change
        return ImportPlan(source.name, source.sha256, already.kind, pd.DataFrame(columns=DRAFT_COLUMNS), [], [],
                          source.sheet_names, already_imported=already)
    ctx = build_context(session, prefecture.id or 0, log_kind, as_of)
    try:
        layout, drafts, items = read_drafts(source, ctx, log)
    except ImportRejected as exc:
        return ImportPlan(source.name, source.sha256, "inconnu", pd.DataFrame(columns=DRAFT_COLUMNS), exc.errors, [])
    check_drafts(drafts, {code: d.kind for code, d in ctx.indicators.items()}, log)
    if log.ok and drafts.empty and not log.results_only:
        log.error("aucune valeur reconnue dans ce fichier : ni tableau de suivi mensuel (mois en colonnes) ni format "
                  "long (colonnes indicateur, période, numérateur…) ; téléchargez le modèle pour voir la forme attendue. "
                  "Pour un journal (une ligne par courriel, courrier, réclamation…), indiquez sa nature "
                  "(« Nature d'un journal » sur la page Import, ou import --kind). Un export d'enquête de satisfaction "
                  "(une ligne par répondant) s'importe depuis la page Enquêtes (ou « survey FICHIER --import »)")
    drafts, items = _rename_perimetres(drafts, items, ctx)
    if log.ok:
        _check_duplicates(drafts, log)
    notes = package_issues(source.package, source.rows, rejected=not log.ok)
    plan = ImportPlan(source.name, source.sha256, layout, drafts,
                      [n for n in notes if n.severity == ERROR] + log.all_errors(),
                      log.warnings + [n for n in notes if n.severity != ERROR], source.sheet_names, items=items,
                      coverage=log.coverage(),
                      unknown=log.unknown_labels())
    if plan.ok and plan_replacements:
        _plan_replacements(session, prefecture, plan)
        plan.unknown += [UnknownLabel(PERIMETRE, name) for name in plan.new_perimetres]  # or another name of one?
    return plan


def _rename_perimetres(drafts: pd.DataFrame, items: pd.DataFrame, ctx: ImportContext
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Périmètres written under another name the préfecture gave (« Coord. » → « Coordination »)
    take their real name before anything is matched, checked or created."""
    names = [*(drafts["perimetre"].unique() if len(drafts) else ()), *(items["perimetre"].unique() if len(items) else ())]
    renames = ctx.mappings.perimetre_renames(names)
    if not renames:
        return drafts, items
    drafts = drafts.assign(perimetre=drafts["perimetre"].replace(renames))
    if len(items):
        items = items.assign(perimetre=items["perimetre"].replace(renames))
    return drafts, items


def settle_plan(session: Session, prefecture: Prefecture, plan: ImportPlan) -> ImportPlan:
    """A plan analysed outside this transaction (in the bounded child of
    :mod:`qep_core.importing.sandbox`), brought up to date with the database as it is now: the same
    file imported meanwhile, the indicators it names still there, the values it would replace and
    the périmètres to create. Only this, never the file's reading, runs in the write transaction."""
    if not plan.sha256:  # refused before its content could be read
        return plan
    already = find_imported(session, prefecture.id or 0, plan.sha256)
    if already is not None:
        return ImportPlan(plan.file_name, plan.sha256, already.kind, pd.DataFrame(columns=DRAFT_COLUMNS), [], [],
                          plan.sheets, already_imported=already)
    if plan.already_imported is not None:  # imported when analysed, undone since: its values were never read
        return ImportPlan(plan.file_name, plan.sha256, "inconnu", pd.DataFrame(columns=DRAFT_COLUMNS),
                          [Issue(ERROR, UNDONE_MEANWHILE)], [])
    if not plan.ok:
        return plan
    known = {d.code for d in indicators_for(session, prefecture.id or 0)}
    gone = [code for code in plan.indicators if code not in known]
    if gone:
        plan.errors.append(Issue(ERROR, f"{plural(len(gone), 'indicateur supprimé', 'indicateurs supprimés')} pendant "
                                        f"l'analyse : {', '.join(gone)} ; "
                                        "déposez le fichier à nouveau"))
        return plan
    _plan_replacements(session, prefecture, plan)
    plan.unknown += [UnknownLabel(PERIMETRE, name) for name in plan.new_perimetres]  # or another name of one?
    return plan


def _perimetre_keys(names: pd.Series) -> pd.Series:
    """Normalized périmètre names ("" for the préfecture as a whole), each distinct name once."""
    codes, uniques = pd.factorize(names, use_na_sentinel=True)
    keys = np.array([perimetre_key(u) if isinstance(u, str) and u.strip() else "" for u in uniques] + [""], dtype=object)
    return pd.Series(keys[codes], index=names.index)  # code -1 (empty cell) takes the last entry, ""


def _perimetre_ids(session: Session, prefecture: Prefecture, names: pd.Series, create: bool) -> tuple[pd.Series, list[str]]:
    """Périmètre id of every draft (matched on normalized names, each distinct name once)."""
    existing = {perimetre_key(p.name): p for p in session.exec(select(Perimetre).where(Perimetre.prefecture_id == prefecture.id))}
    whole = whole_prefecture(session, prefecture.id or 0)
    ids: dict[str, int] = {"": whole.id or 0}
    new: list[str] = []
    keys = _perimetre_keys(names)
    first_name = dict(zip(keys.tolist(), names.tolist(), strict=True))
    for key in dict.fromkeys(keys.tolist()):
        name = first_name[key]
        if key in ids:
            continue
        if key in existing:
            ids[key] = existing[key].id or 0
            continue
        new.append(str(name).strip())
        if create:
            row = Perimetre(prefecture_id=prefecture.id or 0, name=str(name).strip(), kind=guess_perimetre_kind(name))
            session.add(row)
            session.flush()
            existing[key] = row
            ids[key] = row.id or 0
        else:
            ids[key] = -len(new)  # a périmètre still to create has nothing stored to replace
    return keys.map(ids), new


def _existing_overlaps(session: Session, prefecture: Prefecture, frame: pd.DataFrame) -> pd.DataFrame:
    """Stored observations that share a month with the new ones (same indicator × périmètre)."""
    cols = ["id", "indicator_id", "perimetre_id", "period_start", "period_end", "numerator", "denominator", "batch_id"]
    if frame.empty:
        return pd.DataFrame(columns=[*cols, "new_index"])
    stmt = (
        sa_select(*(getattr(Observation, c) for c in cols))
        .where(col(Observation.prefecture_id) == prefecture.id)
        .where(col(Observation.indicator_id).in_(sorted({int(i) for i in frame["indicator_id"]})))
        .where(Observation.period_end >= min(frame["start"]))
        .where(Observation.period_start <= max(frame["end"]))
    )
    existing = pd.DataFrame(session.execute(stmt).all(), columns=cols)
    if existing.empty:
        return existing.assign(new_index=pd.Series(dtype=int))
    new_keys = _month_keys(frame.assign(indicator=frame["indicator_id"]), frame["perimetre_id"])
    old = existing.rename(columns={"period_start": "start", "period_end": "end"})
    old_keys = _month_keys(old.assign(indicator=old["indicator_id"]), old["perimetre_id"])
    hit = old_keys.merge(new_keys, on=["indicator", "perim", "month"], how="inner", suffixes=("_old", "_new"))
    if hit.empty:
        return existing.iloc[0:0].assign(new_index=pd.Series(dtype=int))
    pairs = hit[["draft_old", "draft_new"]].drop_duplicates("draft_old")
    out = existing.loc[pairs["draft_old"].to_numpy()].copy()
    out["new_index"] = pairs["draft_new"].to_numpy()
    return out.reset_index(drop=True)


def _prepare(session: Session, prefecture: Prefecture, plan: ImportPlan, create: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = plan.drafts.copy()
    ids = {d.code: d.id for d in indicators_for(session, prefecture.id or 0)}
    frame["indicator_id"] = frame["indicator"].map(ids)
    frame["perimetre_id"], plan.new_perimetres = _perimetre_ids(session, prefecture, frame["perimetre"], create)
    return frame, _existing_overlaps(session, prefecture, frame)


def _unchanged_mask(frame: pd.DataFrame, overlaps: pd.DataFrame) -> np.ndarray:
    """Stored values that the file brings again, identical (same span, same counts)."""
    if overlaps.empty:
        return np.zeros(0, dtype=bool)
    new = frame.loc[overlaps["new_index"].to_numpy(), ["start", "end", "numerator", "denominator"]].reset_index(drop=True)
    one_to_one = overlaps["new_index"].map(overlaps["new_index"].value_counts()).to_numpy() == 1
    old_den = overlaps["denominator"].astype(float).to_numpy()
    new_den = new["denominator"].astype(float).to_numpy()
    same_den = (np.isnan(old_den) & np.isnan(new_den)) | np.isclose(old_den, new_den, rtol=0, atol=1e-9)
    return (one_to_one
            & (overlaps["period_start"].to_numpy() == new["start"].to_numpy())
            & (overlaps["period_end"].to_numpy() == new["end"].to_numpy())
            & np.isclose(overlaps["numerator"].astype(float).to_numpy(), new["numerator"].astype(float).to_numpy(),
                         rtol=0, atol=1e-9)
            & same_den)


def _plan_replacements(session: Session, prefecture: Prefecture, plan: ImportPlan) -> None:

    frame, overlaps = _prepare(session, prefecture, plan, create=False)
    if not plan.new_perimetres:  # nothing to create: the same frame serves the save in this transaction
        plan.prepared = (frame, overlaps)
    same = _unchanged_mask(frame, overlaps)
    plan.unchanged = int(same.sum())
    changed = overlaps.loc[~same] if len(overlaps) else overlaps
    columns = ["indicator", "perimetre", "period", "old_numerator", "old_denominator", "new_numerator",
               "new_denominator", "old_value", "new_value"]
    if changed.empty:
        plan.replacements = pd.DataFrame(columns=columns)
        return
    by_id = {d.id: d for d in indicators_for(session, prefecture.id or 0)}
    names = {p.id: p.name for p in session.exec(select(Perimetre).where(Perimetre.prefecture_id == prefecture.id))}
    new = frame.loc[changed["new_index"].to_numpy(), ["numerator", "denominator"]].to_numpy()
    records = []
    for (row, (new_num, new_den)) in zip(changed.itertuples(index=False), new, strict=True):
        ind = by_id[int(row.indicator_id)]
        old_den = None if pd.isna(row.denominator) else float(row.denominator)
        new_den = None if pd.isna(new_den) else float(new_den)
        span = (month_label_fr(row.period_start) if row.period_start == row.period_end
                else f"{month_label_fr(row.period_start)} – {month_label_fr(row.period_end)}")
        records.append((ind.code, names.get(int(row.perimetre_id), ""), span, float(row.numerator), old_den,
                        float(new_num), new_den, value_from_counts(ind, float(row.numerator), old_den),
                        value_from_counts(ind, float(new_num), new_den)))
    plan.replacements = pd.DataFrame.from_records(records, columns=columns)


def _insert_rows(conn: Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    """Bulk insert through the driver's executemany: the ORM's per-row work is what dominates a
    100 000-row import otherwise. Dates go in ISO form on SQLite, as SQLAlchemy stores them."""
    if not rows:
        return
    style = conn.dialect.paramstyle
    marks = ", ".join("?" if style == "qmark" else "%s" if style in ("format", "pyformat") else f":{c}" for c in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    if style not in ("qmark", "format", "pyformat"):
        conn.exec_driver_sql(sql, [dict(zip(columns, r, strict=True)) for r in rows])
    else:
        conn.exec_driver_sql(sql, rows)


def _sql_date(conn: Connection, day: dt.date) -> object:
    return day.isoformat() if conn.dialect.name == "sqlite" else day


def _sql_dates(conn: Connection, days: pd.Series) -> list[object]:
    """The column's dates as the driver wants them, converting each distinct month once."""
    if conn.dialect.name != "sqlite":
        return days.tolist()
    cache: dict[dt.date, str] = {}
    return [cache[d] if d in cache else cache.setdefault(d, d.isoformat()) for d in days.tolist()]


def save_plan(session: Session, prefecture: Prefecture, plan: ImportPlan, user: str = "",
              reuse_analysis: bool = False, kind: str | None = None) -> ImportOutcome:
    """Write an accepted plan inside the caller's transaction (see :func:`import_file`).

    Every stored value the file covers moves to the history, the identical ones too: the batch
    then owns all the values of its file, so undoing it (or an older one) stays exact.
    """
    if not plan.ok:
        raise ImportRejected(plan.file_name, plan.errors)
    if plan.already_imported is not None:
        return ImportOutcome(plan, None)
    _check_bounds(session, prefecture, plan)  # the bulk inserts below bypass the flush's check
    if reuse_analysis and plan.prepared is not None:  # analysed in this very transaction: still exact
        frame, overlaps = plan.prepared
    else:
        frame, overlaps = _prepare(session, prefecture, plan, create=True)
    same = _unchanged_mask(frame, overlaps)
    plan.unchanged = int(same.sum())
    batch = new_batch(prefecture.id or 0, plan.file_name, plan.sha256, kind or plan.layout, user, rows=len(frame),
                      replaced=int((~same).sum()), summary=plan.summary(), warnings=plan.warnings)
    session.add(batch)
    session.flush()
    conn = session.connection()
    if not overlaps.empty:
        now = dt.datetime.now(dt.UTC)
        stamp = now.isoformat(sep=" ") if conn.dialect.name == "sqlite" else now
        history = [
            (prefecture.id, int(r.indicator_id), int(r.perimetre_id), _sql_date(conn, r.period_start),
             _sql_date(conn, r.period_end), float(r.numerator), None if pd.isna(r.denominator) else float(r.denominator),
             None if pd.isna(r.batch_id) else int(r.batch_id), batch.id, stamp, not bool(unchanged))
            for r, unchanged in zip(overlaps.itertuples(index=False), same, strict=True)
        ]
        _insert_rows(conn, "observation_history", ["prefecture_id", "indicator_id", "perimetre_id", "period_start",
                                                   "period_end", "numerator", "denominator", "batch_id",
                                                   "replaced_by_batch_id", "replaced_at", "changed"], history)
        old_ids = [int(i) for i in overlaps["id"]]
        for i in range(0, len(old_ids), CHUNK):
            conn.execute(delete(Observation).where(col(Observation.id).in_(old_ids[i:i + CHUNK])))
    if not frame.empty:
        den = frame["denominator"].astype(float).to_numpy()
        starts = _sql_dates(conn, frame["start"])
        ends = _sql_dates(conn, frame["end"])
        rows = list(zip(
            [prefecture.id] * len(frame), frame["indicator_id"].astype(int).tolist(),
            frame["perimetre_id"].astype(int).tolist(), starts, ends, frame["numerator"].astype(float).tolist(),
            [None if np.isnan(d) else float(d) for d in den], [batch.id] * len(frame), strict=True,
        ))
        _insert_rows(conn, "observation", ["prefecture_id", "indicator_id", "perimetre_id", "period_start", "period_end",
                                           "numerator", "denominator", "batch_id"], rows)
    if len(plan.items):
        _save_items(session, prefecture, plan.items, frame, batch.id or 0, whole_prefecture(session, prefecture.id or 0).id or 0)
    _record_import(session, prefecture, plan, batch, user, len(frame))
    return ImportOutcome(plan, batch, inserted=len(frame), replaced=batch.replaced)


def _check_bounds(session: Session, prefecture: Prefecture, plan: ImportPlan) -> None:
    """Refuse a plan whose values are out of bounds, whoever built it (the analysis checks them
    already; a plan made otherwise, or analysed under other settings, is checked again here)."""
    log = IssueLog()
    check_drafts(plan.drafts, {d.code: d.kind for d in indicators_for(session, prefecture.id or 0)}, log)
    if not log.ok:
        raise ImportRejected(plan.file_name, log.all_errors())


def _record_import(session: Session, prefecture: Prefecture, plan: ImportPlan, batch: ImportBatch, user: str,
                   inserted: int) -> None:
    """The history line of an import: the batch after, and the values it replaced before (the
    first 50 of them; all of them stay in the observation history)."""
    replaced = plan.replacements.head(50) if len(plan.replacements) else pd.DataFrame()
    record_change(
        session, user=user, action="import", prefecture_id=prefecture.id, entity=f"lot n° {batch.id} — {plan.file_name}",
        summary=plan.summary(), before={"valeurs remplacées": int(batch.replaced),
                                        "détail": replaced.to_dict("records")} if batch.replaced else None,
        after={"lot": batch.id, "fichier": plan.file_name, "sha256": plan.sha256, "format": batch.kind,
               "valeurs": inserted, "avertissements": len(plan.warnings)})


def _save_items(session: Session, prefecture: Prefecture, items: pd.DataFrame, frame: pd.DataFrame, batch_id: int,
                whole: int) -> None:
    """Archive a log's items with their batch, one Parquet table per log kind (see qep_core.importing.log_archive)."""
    perimetre_of = dict(zip(_perimetre_keys(frame["perimetre"]), frame["perimetre_id"], strict=True))
    perimetres = _perimetre_keys(items["perimetre"]).map(perimetre_of).fillna(whole).astype(int).to_numpy()
    for kind, rows in items.groupby("kind", sort=True).indices.items():
        part = items.iloc[rows]
        first, last = archive_bounds(part)
        session.add(LogItemArchive(prefecture_id=prefecture.id or 0, batch_id=batch_id, kind=str(kind), items=len(part),
                                   first_received=first, last_received=last,
                                   data=pack_items(part, perimetres[rows])))
    session.flush()


def import_file(engine: Engine, prefecture_id: int, file_name: str, data: bytes, user: str = "",
                dry_run: bool = False, kind: str | None = None, log_kind: str | None = None,
                as_of: dt.date | None = None) -> ImportOutcome:
    """Analyse and, unless *dry_run*, save a file in one transaction. Raises ImportRejected.

    *kind* labels the batch (e.g. ``saisie`` for values typed in the app); by default the layout.
    """
    with session_scope(engine, write=not dry_run) as session:
        prefecture = session.get(Prefecture, prefecture_id)
        if prefecture is None:
            raise ValueError(f"préfecture inconnue : {prefecture_id}")
        plan = analyze_file(session, prefecture, file_name, data, log_kind=log_kind, as_of=as_of)
        if not plan.ok:
            raise ImportRejected(plan.file_name, plan.errors)
        if dry_run or plan.already_imported is not None:
            return ImportOutcome(plan, None)
        return save_plan(session, prefecture, plan, user, reuse_analysis=True, kind=kind)


class UndoError(ValueError):
    pass


def undo_batch(session: Session, prefecture_id: int, batch_id: int, user: str = "") -> int:
    """Remove a batch's values and put back the ones it replaced. Returns values restored."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None or batch.prefecture_id != prefecture_id:
        raise UndoError(f"lot d'import n° {batch_id} introuvable")
    if batch.file_kind not in INDICATOR_FILE_KINDS:
        raise UndoError(f"le lot n° {batch_id} ({FILE_KINDS.get(batch.file_kind, batch.file_kind)}) ne s'annule pas "
                        "ici : corrigez ce qu'il a apporté dans sa page")
    if batch.status != "imported":
        raise UndoError(f"le lot n° {batch_id} a déjà été annulé")
    later = session.exec(
        select(ObservationHistory.replaced_by_batch_id).where(ObservationHistory.batch_id == batch_id)
    ).first()
    if later is not None:
        raise UndoError(f"des valeurs de ce lot ont depuis été remplacées par le lot n° {later} : annulez d'abord celui-ci")
    conn = session.connection()
    conn.execute(delete(Observation).where(col(Observation.batch_id) == batch_id))
    conn.execute(delete(LogItemArchive).where(col(LogItemArchive.batch_id) == batch_id))
    restored = session.exec(select(ObservationHistory).where(ObservationHistory.replaced_by_batch_id == batch_id)).all()
    if restored:
        conn.execute(insert(Observation), [
            {"prefecture_id": h.prefecture_id, "indicator_id": h.indicator_id, "perimetre_id": h.perimetre_id,
             "period_start": h.period_start, "period_end": h.period_end, "numerator": h.numerator,
             "denominator": h.denominator, "batch_id": h.batch_id}
            for h in restored
        ])
        conn.execute(delete(ObservationHistory).where(col(ObservationHistory.replaced_by_batch_id) == batch_id))
    batch.status = "undone"
    session.add(batch)
    record_change(session, user=user, action="undo", prefecture_id=prefecture_id,
                  entity=f"lot n° {batch_id} — {batch.file_name}",
                  summary=f"import annulé : {count_text(batch.rows, 'valeur retirée', 'valeurs retirées')}, "
                          f"{count_text(len(restored), 'valeur antérieure rétablie', 'valeurs antérieures rétablies')}",
                  before={"lot": batch_id, "statut": "imported", "valeurs": batch.rows},
                  after={"lot": batch_id, "statut": "undone", "valeurs rétablies": len(restored)})
    session.flush()
    return len(restored)


def batch_warnings(batch: ImportBatch) -> list[Issue]:
    return [Issue(**w) for w in json.loads(batch.warnings_json or "[]")]


def list_batches(session: Session, prefecture_id: int,
                 file_kinds: Collection[str] | None = INDICATOR_FILE_KINDS) -> list[ImportBatch]:
    """The préfecture's batches of indicator values, newest first (the whole ledger with
    ``file_kinds=None``)."""
    return list_ledger(session, prefecture_id, file_kinds)


def replaced_history(session: Session, prefecture_id: int, batch_id: int | None = None) -> pd.DataFrame:
    """Values that later imports replaced, newest first, in the unit users read."""
    stmt = select(ObservationHistory, Indicator, Perimetre).where(
        ObservationHistory.prefecture_id == prefecture_id,
        ObservationHistory.changed,
        ObservationHistory.indicator_id == Indicator.id,
        ObservationHistory.perimetre_id == Perimetre.id,
    )
    if batch_id is not None:
        stmt = stmt.where(ObservationHistory.replaced_by_batch_id == batch_id)

    records = []
    for hist, ind, per in session.exec(stmt.order_by(col(ObservationHistory.replaced_at).desc())):
        scale = SCALE_OF_KIND[ind.kind]
        value = hist.numerator if ind.kind == "count" else (
            hist.numerator / hist.denominator * scale if hist.denominator else None)
        records.append({"indicateur": ind.code, "périmètre": per.name, "mois": month_label_fr(hist.period_start),
                        "numérateur": hist.numerator, "dénominateur": hist.denominator,
                        "valeur": None if value is None else format_number_fr(value, 1),
                        "lot d'origine": hist.batch_id, "remplacé par le lot": hist.replaced_by_batch_id,
                        "le": hist.replaced_at})
    return pd.DataFrame.from_records(records)
