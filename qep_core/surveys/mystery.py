"""Mystery checks: calls, e-mails or visits made as a user would, scored against a grid.

Each check is scored criterion by criterion: **met**, **not met** or **n.a.** (the criterion did not
apply: no waiting music when the call was answered at once). A criterion's rate is
met / (met + not met); n.a. is counted apart, like « sans avis » in surveys, and every rate carries
its number of checks and its Wilson 95 % interval (a campaign is often 10 to 20 calls).

Checks come from a sheet (one row per check, one column per criterion, a ``Date`` column; the
channel from a ``Canal`` column, the sheet's name or the user) through the same guarded reader
and all-or-nothing rules as every import (one ``ImportBatch`` of kind ``mystere``, idempotent by
SHA-256, undone from the history), or are typed in the app one by one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import delete, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from qep_core.change_history import record_change
from qep_core.db import session_scope
from qep_core.frenchforms import count_text, normalize, plural
from qep_core.importing.issues import ERROR, ImportRejected, Issue, IssueLog, column_letter, rows_phrase
from qep_core.importing.ledger import find_imported, new_batch
from qep_core.importing.protocol import settle_ledger, settled_summary
from qep_core.importing.workbook import HEAD_ROWS, open_source
from qep_core.models import ImportBatch, Prefecture
from qep_core.privacy import mask_personal_data
from qep_core.surveys.channels import MYSTERY_CHANNELS, guess_mystery_channel
from qep_core.surveys.models import MysteryCheck, MysteryCriterion, MysteryScore
from qep_core.surveys.reading import cell_text, find_header, parse_timestamp
from qep_core.surveys.stats import wilson_interval

BATCH_KIND = "mystere"
MET, NOT_MET, NA = "met", "not_met", "na"
RESULT_LABELS = {MET: "respecté", NOT_MET: "non respecté", NA: "sans objet"}
_MET = {"oui", "o", "x", "1", "conforme", "c", "respecte", "respectee", "atteint", "vrai", "ok", "satisfaisant",
        "fait", "yes", "true", "met", "acquis"}
_NOT_MET = {"non", "n", "0", "non conforme", "nc", "non respecte", "non respectee", "non atteint", "faux", "ko",
            "insatisfaisant", "pas fait", "no", "false", "non acquis"}
_NA = {"na", "n a", "sans objet", "so", "s o", "non applicable", "non evalue", "non concerne", "nsp", "ne sait pas",
       "non teste", "pas applicable"}
_SYMBOLS = {"✓": MET, "✔": MET, "☑": MET, "✗": NOT_MET, "✘": NOT_MET, "☒": NOT_MET, "-": NA, "–": NA, "—": NA,
            "/": NA}

DATE_HEADERS = ("date", "date de l appel", "date d appel", "date du test", "date de l envoi", "date d envoi",
                "date du courriel", "date du controle", "date de la visite", "date de visite", "jour", "date de passage")
CHANNEL_HEADERS = frozenset({"canal", "type", "type de controle", "mode", "type d enquete", "type de test"})
TARGET_HEADERS = ("service", "service appele", "service teste", "service contacte", "cible", "numero appele",
                  "boite", "boite fonctionnelle", "adresse testee", "destinataire", "guichet", "site", "lieu",
                  "scenario", "question posee", "objet", "theme", "motif")
NOTES_HEADERS = frozenset({"commentaire", "commentaires", "observations", "observation", "remarques", "remarque",
                           "notes", "note", "appreciation", "verbatim"})
PERSONAL_HEADERS = frozenset({"enqueteur", "enqueteuse", "evaluateur", "evaluatrice", "agent", "nom de l agent",
                              "realise par", "testeur", "testeuse", "nom", "prenom", "interlocuteur",
                              "agent ayant repondu", "nom de l interlocuteur"})
MEASURE_WORDS = ("heure", "duree", "temps", "nombre", "delai", "minutes", "secondes", "sonneries")


class MysteryError(ValueError):
    """A check or criterion that cannot be saved (French message); nothing was written."""


def parse_result(value: object) -> str | None:
    """« met », « not_met » or « na » for what evaluators write (oui / non / sans objet, X, ✓, 1 / 0…);
    None when the cell says something else."""
    text = cell_text(value).strip()
    if not text:
        return NA
    if text in _SYMBOLS:
        return _SYMBOLS[text]
    form = normalize(text)
    if form in _MET:
        return MET
    if form in _NOT_MET:
        return NOT_MET
    if form in _NA:
        return NA
    return None


@dataclass
class CheckDraft:
    channel: str
    checked_on: dt.date
    target: str
    notes: str
    scores: dict[str, str]  # criterion label → met | not_met | na
    sheet: str
    row: int


@dataclass
class MysteryPlan:
    file_name: str
    sha256: str
    checks: list[CheckDraft] = field(default_factory=list)
    criteria: dict[str, list[str]] = field(default_factory=dict)  # channel → labels, in sheet order
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    already_imported: ImportBatch | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def replacements(self) -> list[object]:
        """Checks are added, never replaced."""
        return []

    def summary(self) -> str:
        if (settled := settled_summary(self)) is not None:
            return settled
        per = ", ".join(f"{sum(c.channel == ch for c in self.checks)} {MYSTERY_CHANNELS[ch].lower()}"
                        for ch in MYSTERY_CHANNELS if any(c.channel == ch for c in self.checks))
        return f"{self.file_name} : {count_text(len(self.checks), 'contrôle')} ({per})"


def _column_role(header: str) -> str:
    form = normalize(header)
    if form in PERSONAL_HEADERS:
        return "personal"
    if form in DATE_HEADERS or form.startswith("date"):
        return "date"
    if form in CHANNEL_HEADERS:
        return "channel"
    if form in NOTES_HEADERS:
        return "notes"
    if form in TARGET_HEADERS:
        return "target"
    return "criterion"


def _read_sheet(name: str, rows: list[list[object]], forced: str | None, file_name: str, log: IssueLog
                ) -> tuple[list[CheckDraft], dict[str, list[str]]]:
    header_idx = find_header(rows[:HEAD_ROWS])
    if header_idx is None:
        log.error("en-tête introuvable : une ligne doit nommer les colonnes (Date, critères…)", name)
        return [], {}
    header = [cell_text(c) for c in rows[header_idx]]
    title = " ".join(cell_text(c) for r in rows[:header_idx] for c in r)
    roles = [_column_role(h) if h else "empty" for h in header]
    if "date" not in roles:
        log.error("colonne « Date » introuvable : chaque contrôle doit être daté", name, header_idx + 1)
        return [], {}
    date_col = roles.index("date")
    channel_col = roles.index("channel") if "channel" in roles else None
    target_col = roles.index("target") if "target" in roles else None
    notes_cols = [j for j, r in enumerate(roles) if r == "notes"]
    body = [(header_idx + 2 + i, list(r) + [""] * (len(header) - len(r))) for i, r in enumerate(rows[header_idx + 1:])]
    body = [(n, r) for n, r in body if any(cell_text(c) for c in r[:len(header)])]
    criteria_cols = []
    for j, role in enumerate(roles):
        if role != "criterion":
            continue
        values = [r[j] for _, r in body if cell_text(r[j])]
        parsed = [parse_result(v) for v in values]
        if values and all(p is None for p in parsed) and any(w in normalize(header[j]) for w in MEASURE_WORDS):
            log.warn(f"colonne « {header[j]} » : mesure (heure, durée, nombre…) et non critère ; non importée", name,
                     None, column_letter(j))
            continue
        criteria_cols.append(j)
    personal = [header[j] for j, r in enumerate(roles) if r == "personal"]
    if personal:
        log.warn(plural(len(personal), "colonne nommant des personnes non conservée", "colonnes nommant des personnes non conservées") + " : " + ", ".join(f"« {h} »" for h in personal), name)
    if not criteria_cols:
        log.error("aucun critère : après Date, Canal, Service et Commentaire, aucune colonne à noter (oui / non / "
                  "sans objet)", name, header_idx + 1)
        return [], {}
    sheet_channel = forced or guess_mystery_channel(name, title, file_name)
    checks: list[CheckDraft] = []
    bad_values: dict[int, list[tuple[int, str]]] = {}
    for rownum, row in body:
        try:
            stamp = parse_timestamp(row[date_col])
        except ValueError as exc:
            log.error(f"date illisible : {exc}", name, rownum, f"{column_letter(date_col)} ({header[date_col]})")
            continue
        if stamp is None:
            log.error("date manquante : chaque contrôle doit être daté", name, rownum,
                      f"{column_letter(date_col)} ({header[date_col]})")
            continue
        channel = sheet_channel
        if channel_col is not None and cell_text(row[channel_col]):
            channel = guess_mystery_channel(cell_text(row[channel_col])) or None
            if channel is None:
                log.error(f"canal « {cell_text(row[channel_col])} » non reconnu (attendu : appel, courriel ou visite)",
                          name, rownum, f"{column_letter(channel_col)} ({header[channel_col]})")
                continue
        if channel is None:
            log.error("canal du contrôle inconnu : ajoutez une colonne « Canal » (appel, courriel, visite), nommez la "
                      "feuille « Appels mystères »… ou choisissez le canal à l'import", name, rownum)
            continue
        scores: dict[str, str] = {}
        for j in criteria_cols:
            result = parse_result(row[j])
            if result is None:
                bad_values.setdefault(j, []).append((rownum, cell_text(row[j])))
                continue
            scores[header[j]] = result
        notes = " ".join(cell_text(row[j]) for j in notes_cols if cell_text(row[j]))
        target = cell_text(row[target_col]) if target_col is not None else ""
        checks.append(CheckDraft(channel, stamp.date(), target[:200], notes, scores, name, rownum))
    for j, where in bad_values.items():
        rows_ = [r for r, _ in where]
        log.error(f"critère « {header[j]} » : « {where[0][1]} » n'est pas une note reconnue (oui / non / sans objet, "
                  f"X, 1 / 0, conforme / non conforme) — {rows_phrase(rows_)}", name, rows_[0],
                  f"{column_letter(j)} ({header[j]})")
    if not checks and log.ok:
        log.error("aucun contrôle : la feuille ne contient que l'en-tête", name, header_idx + 1)
    criteria: dict[str, list[str]] = {}
    for check in checks:
        labels = criteria.setdefault(check.channel, [])
        for j in criteria_cols:
            if header[j] not in labels:
                labels.append(header[j])
    return checks, criteria


def analyze_mystery(session: Session, prefecture: Prefecture, file_name: str, data: bytes,
                    channel: str | None = None) -> MysteryPlan:
    """Read and check a mystery-check sheet. Writes nothing."""
    try:
        source = open_source(file_name, data)
    except ImportRejected as exc:
        return MysteryPlan(exc.file_name, "", errors=exc.errors)
    plan = MysteryPlan(source.name, source.sha256)
    if channel is not None and channel not in MYSTERY_CHANNELS:
        plan.errors.append(Issue(ERROR, f"canal inconnu : « {channel} » (attendu : {', '.join(MYSTERY_CHANNELS)})"))
        return plan
    already = find_imported(session, prefecture.id or 0, source.sha256)
    if already is not None:
        plan.already_imported = already
        return plan
    log = IssueLog()
    for name in source.sheet_names:
        rows = source.rows(name)
        if not any(any(cell_text(c) for c in r) for r in rows):
            continue
        checks, criteria = _read_sheet(name, rows, channel, source.name, log)
        plan.checks.extend(checks)
        for ch, labels in criteria.items():
            plan.criteria.setdefault(ch, []).extend(lbl for lbl in labels if lbl not in plan.criteria.get(ch, []))
    plan.errors = log.all_errors()
    plan.warnings = log.warnings
    if plan.ok and not plan.checks:
        plan.errors.append(Issue(ERROR, "aucun contrôle mystère reconnu dans ce fichier"))
    return plan


def settle_mystery(session: Session, prefecture: Prefecture, plan: MysteryPlan) -> MysteryPlan:
    """A plan analysed outside the write transaction, brought up to date in it: only the ledger can
    have changed what it says (checks are added, never matched; criteria are found when saved)."""
    settle_ledger(plan, find_imported(session, prefecture.id or 0, plan.sha256))
    return plan


def _criterion(session: Session, prefecture_id: int, channel: str, label: str,
               cache: dict[tuple[str, str], MysteryCriterion]) -> MysteryCriterion:
    key = (channel, normalize(label))
    if not cache:
        for c in session.exec(select(MysteryCriterion).where(MysteryCriterion.prefecture_id == prefecture_id)):
            cache[(c.channel, normalize(c.label))] = c
    if key not in cache:
        position = 1 + max((c.position for (ch, _), c in cache.items() if ch == channel), default=-1)
        row = MysteryCriterion(prefecture_id=prefecture_id, channel=channel, label=label.strip()[:300],
                               position=position)
        session.add(row)
        session.flush()
        cache[key] = row
    return cache[key]


def save_mystery(session: Session, prefecture: Prefecture, plan: MysteryPlan, user: str = "") -> ImportBatch | None:
    if not plan.ok:
        raise ImportRejected(plan.file_name, plan.errors)
    if plan.already_imported is not None:
        return None
    batch = new_batch(prefecture.id or 0, plan.file_name, plan.sha256, BATCH_KIND, user, rows=len(plan.checks),
                      summary=plan.summary(), warnings=plan.warnings)
    session.add(batch)
    session.flush()
    cache: dict[tuple[str, str], MysteryCriterion] = {}
    for ch, labels in plan.criteria.items():
        for label in labels:
            _criterion(session, prefecture.id or 0, ch, label, cache)
    for draft in plan.checks:
        check = MysteryCheck(prefecture_id=prefecture.id or 0, channel=draft.channel, checked_on=draft.checked_on,
                             target=draft.target, notes=draft.notes, batch_id=batch.id, sheet=draft.sheet[:120],
                             row=draft.row, entered_by=user[:120])
        session.add(check)
        session.flush()
        for label, result in draft.scores.items():
            criterion = _criterion(session, prefecture.id or 0, draft.channel, label, cache)
            session.add(MysteryScore(check_id=check.id or 0, criterion_id=criterion.id or 0, result=result))
    session.flush()

    record_change(session, user=user, action="import", prefecture_id=prefecture.id,
                  entity=f"lot n° {batch.id} — {plan.file_name}", summary=plan.summary(),
                  after={"lot": batch.id, "fichier": plan.file_name, "sha256": plan.sha256, "format": BATCH_KIND,
                         "contrôles": len(plan.checks)})
    return batch


def import_mystery(engine: Engine, prefecture_id: int, file_name: str, data: bytes, channel: str | None = None,
                   user: str = "", dry_run: bool = False) -> tuple[MysteryPlan, ImportBatch | None]:
    """Analyse and, unless *dry_run*, save a mystery-check sheet in one transaction. Raises ImportRejected."""
    with session_scope(engine, write=not dry_run) as session:
        prefecture = session.get(Prefecture, prefecture_id)
        if prefecture is None:
            raise ValueError(f"préfecture inconnue : {prefecture_id}")
        plan = analyze_mystery(session, prefecture, file_name, data, channel)
        if not plan.ok:
            raise ImportRejected(plan.file_name, plan.errors)
        if dry_run or plan.already_imported is not None:
            return plan, None
        return plan, save_mystery(session, prefecture, plan, user)


# --- typed in the app --------------------------------------------------------------------------------

def criteria_of(session: Session, prefecture_id: int, channel: str | None = None) -> list[MysteryCriterion]:
    stmt = select(MysteryCriterion).where(MysteryCriterion.prefecture_id == prefecture_id)
    if channel is not None:
        stmt = stmt.where(MysteryCriterion.channel == channel)
    return list(session.exec(stmt.order_by(col(MysteryCriterion.channel), col(MysteryCriterion.position), col(MysteryCriterion.id))))


def add_criterion(session: Session, prefecture_id: int, channel: str, label: str, user: str = "") -> MysteryCriterion:
    label = " ".join(str(label or "").split())
    if channel not in MYSTERY_CHANNELS:
        raise MysteryError(f"canal inconnu : {channel}")
    if not label:
        raise MysteryError("le libellé du critère est obligatoire")
    if any(normalize(c.label) == normalize(label) for c in criteria_of(session, prefecture_id, channel)):
        raise MysteryError(f"le critère « {label} » existe déjà pour les {MYSTERY_CHANNELS[channel].lower()}")
    return _criterion(session, prefecture_id, channel, label, {})


def add_check(session: Session, prefecture_id: int, channel: str, checked_on: dt.date, target: str,
              scores: Mapping[int, str], notes: str = "", user: str = "") -> MysteryCheck:
    """One check typed in the app: every criterion of the channel scored (met / not met / n.a.)."""
    errors = []
    if channel not in MYSTERY_CHANNELS:
        errors.append(f"canal inconnu : {channel}")
    criteria = {c.id: c for c in criteria_of(session, prefecture_id, channel)}
    if not criteria:
        errors.append("aucun critère pour ce canal : ajoutez d'abord les critères de la grille")
    if checked_on > dt.date.today():
        errors.append(f"date dans le futur : {checked_on:%d/%m/%Y}")
    unknown = [cid for cid in scores if cid not in criteria]
    if unknown:
        errors.append("critère inconnu pour ce canal")
    bad = [cid for cid, r in scores.items() if r not in RESULT_LABELS]
    if bad:
        errors.append("note inconnue (attendu : respecté, non respecté, sans objet)")
    missing = [criteria[cid].label for cid in criteria if cid not in scores]
    if missing and criteria:
        errors.append(plural(len(missing), "critère non noté", "critères non notés") + " : " + ", ".join(f"« {m} »" for m in missing[:5]))
    if errors:
        raise MysteryError("; ".join(errors))
    check = MysteryCheck(prefecture_id=prefecture_id, channel=channel, checked_on=checked_on,
                         target=" ".join(target.split())[:200], notes=notes.strip(), entered_by=user[:120])
    session.add(check)
    session.flush()
    for cid, result in scores.items():
        session.add(MysteryScore(check_id=check.id or 0, criterion_id=cid, result=result))
    session.flush()
    return check


def delete_check(session: Session, prefecture_id: int, check_id: int, user: str = "") -> None:
    """Delete a check typed in the app (an imported one goes with its batch: undo the import)."""
    check = session.get(MysteryCheck, check_id)
    if check is None or check.prefecture_id != prefecture_id:
        raise MysteryError(f"contrôle n° {check_id} introuvable")
    if check.batch_id is not None:
        raise MysteryError(f"ce contrôle vient d'un import (lot n° {check.batch_id}) : annulez le lot depuis la page "
                           "Import pour le retirer")
    session.exec(delete(MysteryScore).where(col(MysteryScore.check_id) == check_id))
    session.delete(check)
    session.flush()


# --- results -----------------------------------------------------------------------------------------

def checks_frame(session: Session, prefecture_id: int, year: int | None = None) -> pd.DataFrame:
    """Every check that counts (typed, or from an imported batch), one row per criterion scored."""
    stmt = (select(MysteryCheck, MysteryScore, MysteryCriterion)
            .join(MysteryScore, col(MysteryScore.check_id) == MysteryCheck.id)
            .join(MysteryCriterion, col(MysteryScore.criterion_id) == MysteryCriterion.id)
            .outerjoin(ImportBatch, col(MysteryCheck.batch_id) == ImportBatch.id)
            .where(MysteryCheck.prefecture_id == prefecture_id,
                   or_(col(MysteryCheck.batch_id).is_(None), col(ImportBatch.status) == "imported")))
    if year is not None:
        stmt = stmt.where(MysteryCheck.checked_on >= dt.date(year, 1, 1), MysteryCheck.checked_on <= dt.date(year, 12, 31))
    records = [(c.id, c.channel, c.checked_on, c.target, c.notes, c.batch_id, k.id, k.label, k.position, s.result)
               for c, s, k in session.exec(stmt)]
    return pd.DataFrame.from_records(records, columns=["check_id", "channel", "date", "target", "notes", "batch_id",
                                                       "criterion_id", "criterion", "position", "result"])


@dataclass(frozen=True)
class CriterionResult:
    channel: str
    criterion: str
    met: int
    not_met: int
    na: int

    @property
    def scored(self) -> int:
        return self.met + self.not_met

    @property
    def rate(self) -> float | None:
        return 100 * self.met / self.scored if self.scored else None

    @property
    def ci(self) -> tuple[float, float] | None:
        ci = wilson_interval(self.met, self.scored)
        return None if ci is None else (100 * ci[0], 100 * ci[1])


def criterion_results(frame: pd.DataFrame) -> list[CriterionResult]:
    """Per channel and criterion (grid order): met, not met, n.a., rate = met / (met + not met)."""
    out: list[CriterionResult] = []
    if frame.empty:
        return out
    for (channel, _pos, label), group in frame.groupby(["channel", "position", "criterion"], sort=True):
        counts = group["result"].value_counts()
        out.append(CriterionResult(str(channel), str(label), int(counts.get(MET, 0)), int(counts.get(NOT_MET, 0)),
                                   int(counts.get(NA, 0))))
    order = list(MYSTERY_CHANNELS)
    return sorted(out, key=lambda r: order.index(r.channel) if r.channel in order else 99)


@dataclass(frozen=True)
class ChannelResult:
    channel: str
    period: str
    checks: int
    met: int
    not_met: int
    na: int
    fully_met: int  # checks with every applicable criterion met

    @property
    def rate(self) -> float | None:
        scored = self.met + self.not_met
        return 100 * self.met / scored if scored else None

    @property
    def ci(self) -> tuple[float, float] | None:
        ci = wilson_interval(self.met, self.met + self.not_met)
        return None if ci is None else (100 * ci[0], 100 * ci[1])


def channel_results(frame: pd.DataFrame, by: str = "year") -> list[ChannelResult]:
    """Per channel and period (``year``, ``quarter`` or ``all``): criteria met over criteria scored, and
    how many checks met every applicable criterion."""
    if frame.empty:
        return []
    data = frame.copy()
    dates = pd.to_datetime(data["date"])
    if by == "year":
        data["period"] = dates.dt.year.astype(str)
    elif by == "quarter":
        data["period"] = dates.dt.year.astype(str) + "-T" + dates.dt.quarter.astype(str)
    else:
        data["period"] = "ensemble"
    out = []
    for (channel, period), group in data.groupby(["channel", "period"], sort=True):
        counts = group["result"].value_counts()
        per_check = group[group["result"] != NA].groupby("check_id")["result"].apply(lambda r: (r == MET).all())
        out.append(ChannelResult(str(channel), str(period), int(group["check_id"].nunique()), int(counts.get(MET, 0)),
                                 int(counts.get(NOT_MET, 0)), int(counts.get(NA, 0)), int(per_check.sum())))
    return out


def checks_table(frame: pd.DataFrame, masked: bool = True) -> pd.DataFrame:
    """One row per check, one column per criterion (✔ / ✖ / –), notes masked unless asked otherwise."""
    if frame.empty:
        return pd.DataFrame(columns=["Date", "Canal", "Service", "Respectés", "Observations"])
    symbols = {MET: "✔", NOT_MET: "✖", NA: "–"}
    rows = []
    for check_id, group in frame.sort_values(["date", "check_id", "position"]).groupby("check_id", sort=False):
        first = group.iloc[0]
        scored = group[group["result"] != NA]
        row = {"n°": int(check_id), "Date": first["date"], "Canal": MYSTERY_CHANNELS.get(first["channel"], first["channel"]),
               "Service": mask_personal_data(first["target"]) if masked else first["target"],
               "Respectés": f"{int((scored['result'] == MET).sum())} / {len(scored)}",
               "Observations": mask_personal_data(first["notes"]) if masked else first["notes"],
               "Origine": "saisie" if pd.isna(first["batch_id"]) else f"lot n° {int(first['batch_id'])}"}
        for _, s in group.iterrows():
            row[s["criterion"]] = symbols[s["result"]]
        rows.append(row)
    return pd.DataFrame(rows).sort_values(["Date", "n°"]).fillna("").reset_index(drop=True)

