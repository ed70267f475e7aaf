"""Deposits: a service's file that waits for the référente's validation.

When a préfecture turns validation on (``Prefecture.deposits_need_validation``), a file or a typed
entry saved by a principal who may not validate (a contributor) is checked whole exactly as an
import is — refused whole with its French messages, refused outside its périmètres — and then kept
here, bytes and all, instead of being written as observations. It counts nowhere: no figure,
alert, export or board reads this table as data. The référente then either validates it (the
file is imported at that moment, in her transaction, under the depositor's name, and the
deposit points at the batch) or sends it back with a comment the contributor reads; the
contributor may withdraw a deposit still waiting. Every step is a change-history line written
by the service that does it (:mod:`qep_core.services.deposits`, :mod:`qep_core.services.imports`).

Only a waiting deposit keeps its bytes: once decided, the file is either in the batch (as
values) or back with its author, and the table stays small. At most
:data:`MAX_PENDING_DEPOSITS` wait per préfecture, so a runaway script cannot fill the disk.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

from qep_core.collection.models import Deposit
from qep_core.frenchforms import count_text
from qep_core.models import ImportBatch, Perimetre, Prefecture, utcnow
from qep_core.periods import add_months, month_start

STATUS_LABELS = {"pending": "à valider", "validated": "validé", "returned": "renvoyé", "withdrawn": "retiré"}
MAX_PENDING_DEPOSITS = 60  # waiting in a préfecture
MAX_PENDING_PER_DEPOSITOR = 20  # waiting from one account: one service cannot take every place
MAX_PENDING_MB = 250  # bytes waiting in a préfecture, all files together
MAX_COMMENT_CHARS = 2000
DECIDED_SHOWN = 100  # decided deposits listed after the waiting ones (all of which are listed)


class DepositError(ValueError):
    """A deposit that cannot take this step (already decided, unknown, a comment missing); French."""


@dataclass(frozen=True)
class DepositView:
    """One deposit as pages, the CLI and the board show it."""

    id: int
    file_name: str
    status: str
    deposited_by: str
    deposited_at: dt.datetime
    perimetres: tuple[str, ...]
    perimetre_ids: tuple[int, ...]
    months: tuple[dt.date, ...]
    rows: int
    summary: str
    reviewed_by: str = ""
    reviewed_at: dt.datetime | None = None
    comment: str = ""
    batch_id: int | None = None
    cells: tuple[tuple[int, dt.date], ...] = ()  # (périmètre id, month) its values cover
    batch_undone: bool = False  # validated, then its batch undone by the référente

    @property
    def status_label(self) -> str:
        label = STATUS_LABELS.get(self.status, self.status)
        return f"{label} (lot annulé depuis)" if self.batch_undone else label

    @property
    def pending(self) -> bool:
        return self.status == "pending"


def validation_on(session: Session, prefecture_id: int) -> bool:
    prefecture = session.get(Prefecture, prefecture_id)
    return bool(prefecture is not None and prefecture.deposits_need_validation)


def covered_months(spans: Iterable[tuple[dt.date, dt.date]]) -> list[dt.date]:
    """Every month the spans (first month, last month) cover, sorted: a quarter's value is in
    each of its three months."""
    months: set[dt.date] = set()
    for start, end in spans:
        month, last = month_start(start), month_start(end)
        while month <= last and len(months) < 1200:  # a span is at most a year; never loop on nonsense
            months.add(month)
            month = add_months(month, 1)
    return sorted(months)


def deposit_cells(rows: Iterable[tuple[int, dt.date, dt.date]]) -> list[tuple[int, dt.date]]:
    """(périmètre id, month) pairs of values spanning (périmètre id, first month, last month)."""
    return sorted({(perimetre, month) for perimetre, start, end in set(rows)
                   for month in covered_months([(start, end)])})


def _month(text: str) -> dt.date:
    return dt.date(int(text[:4]), int(text[5:7]), 1)


def new_deposit(session: Session, prefecture_id: int, *, file_name: str, sha256: str, content: bytes,
                log_kind: str | None, kind: str | None, as_of: dt.date, author: str,
                cells: Sequence[tuple[int, dt.date]], rows: int, summary: str) -> Deposit:
    """The deposit of a file already checked whole, added to the caller's transaction. Refused
    when the same file already waits, or when too many deposits (or bytes) wait, in the préfecture
    or from this account."""
    waiting = session.exec(select(Deposit.sha256, Deposit.deposited_by, func.length(Deposit.content))
                           .where(Deposit.prefecture_id == prefecture_id, Deposit.status == "pending")).all()
    if sha256 in {sha for sha, _, _ in waiting}:
        raise DepositError(f"{file_name} attend déjà la validation du référent qualité : inutile de le déposer à "
                           "nouveau.")
    mine = sum(by == author for _, by, _ in waiting)
    if len(waiting) >= MAX_PENDING_DEPOSITS or mine >= MAX_PENDING_PER_DEPOSITOR:
        n = mine if mine >= MAX_PENDING_PER_DEPOSITOR else len(waiting)
        whose = " de votre compte" if mine >= MAX_PENDING_PER_DEPOSITOR else ""
        raise DepositError(f"{count_text(n, 'dépôt' + whose + ' attend', 'dépôts' + whose + ' attendent')} déjà la "
                           "validation du référent qualité : réessayez quand ils auront été validés ou renvoyés.")
    if sum(int(size or 0) for _, _, size in waiting) + len(content) > MAX_PENDING_MB * 1024 * 1024:
        raise DepositError(f"les dépôts qui attendent la validation dépassent ensemble {MAX_PENDING_MB} Mo : "
                           "réessayez quand ils auront été validés ou renvoyés.")
    pairs = sorted(set(cells))
    deposit = Deposit(prefecture_id=prefecture_id, file_name=file_name, sha256=sha256, content=content,
                      log_kind=log_kind, kind=kind, as_of=as_of, deposited_by=author, rows=rows, summary=summary,
                      perimetres_json=json.dumps(sorted({p for p, _ in pairs if p > 0})),
                      months_json=json.dumps(sorted({m.strftime("%Y-%m") for _, m in pairs})),
                      cells_json=json.dumps([[p, m.strftime("%Y-%m")] for p, m in pairs if p > 0]))
    session.add(deposit)
    session.flush()
    return deposit


def get_deposit(session: Session, prefecture_id: int, deposit_id: int) -> Deposit:
    deposit = session.get(Deposit, deposit_id)
    if deposit is None or deposit.prefecture_id != prefecture_id:
        raise DepositError(f"dépôt n° {deposit_id} introuvable")
    return deposit


def check_pending(deposit: Deposit) -> None:
    """Refuse a step on a deposit already decided (validated, sent back, withdrawn)."""
    if deposit.status != "pending":
        raise DepositError(f"le dépôt n° {deposit.id} ({deposit.file_name}) est déjà "
                           f"{STATUS_LABELS.get(deposit.status, deposit.status)} : rien n'a été changé.")


def _decide(deposit: Deposit, status: str, by: str, comment: str = "", batch_id: int | None = None) -> None:
    deposit.status = status
    deposit.reviewed_by = by
    deposit.reviewed_at = utcnow()
    deposit.comment = comment
    deposit.batch_id = batch_id
    deposit.content = b""  # decided: the values are in the batch, or the file is back with its author


def mark_validated(deposit: Deposit, by: str, batch_id: int | None) -> None:
    check_pending(deposit)
    _decide(deposit, "validated", by, batch_id=batch_id)


def send_back(deposit: Deposit, by: str, comment: str) -> None:
    """Back to its author with why: the comment is required, it is what the contributor reads."""
    check_pending(deposit)
    text = (comment or "").strip()
    if not text:
        raise DepositError("Dites au service pourquoi son fichier lui est renvoyé : le commentaire est obligatoire.")
    if len(text) > MAX_COMMENT_CHARS:
        raise DepositError(f"Le commentaire dépasse {MAX_COMMENT_CHARS} caractères : raccourcissez-le.")
    _decide(deposit, "returned", by, comment=text)


def withdraw(deposit: Deposit, by: str) -> None:
    check_pending(deposit)
    _decide(deposit, "withdrawn", by)


def deposit_ids(deposit: Deposit) -> tuple[int, ...]:
    return tuple(int(p) for p in json.loads(deposit.perimetres_json or "[]"))


def list_deposits(session: Session, prefecture_id: int, *, depositor: str | None = None,
                  pending_only: bool = False) -> list[DepositView]:
    """The préfecture's deposits (*depositor*'s only when given): every waiting one, then the
    :data:`DECIDED_SHOWN` latest decided ones; never their bytes (the column is not loaded)."""
    query = select(Deposit).options(defer(Deposit.content)).where(Deposit.prefecture_id == prefecture_id)  # type: ignore[arg-type]
    if depositor is not None:
        query = query.where(Deposit.deposited_by == depositor)
    newest = (col(Deposit.deposited_at).desc(), col(Deposit.id).desc())
    rows = list(session.exec(query.where(Deposit.status == "pending").order_by(*newest)))
    if not pending_only:
        rows += session.exec(query.where(Deposit.status != "pending").order_by(*newest).limit(DECIDED_SHOWN))
    return _views(session, prefecture_id, rows)


def pending_count(session: Session, prefecture_id: int) -> int:
    return int(session.exec(select(func.count()).select_from(Deposit).where(
        Deposit.prefecture_id == prefecture_id, Deposit.status == "pending")).one())


def view_of(session: Session, deposit: Deposit) -> DepositView:
    return _views(session, deposit.prefecture_id, [deposit])[0]


def _views(session: Session, prefecture_id: int, deposits: Sequence[Deposit]) -> list[DepositView]:
    names = {p.id: p.name for p in session.exec(select(Perimetre).where(Perimetre.prefecture_id == prefecture_id))}
    batches = [d.batch_id for d in deposits if d.batch_id is not None]
    undone = set(session.exec(select(ImportBatch.id).where(col(ImportBatch.id).in_(batches),
                                                           ImportBatch.status == "undone"))) if batches else set()
    out = []
    for d in deposits:
        ids = deposit_ids(d)
        out.append(DepositView(d.id or 0, d.file_name, d.status, d.deposited_by, d.deposited_at,
                               tuple(names.get(i, f"n° {i}") for i in ids), ids,
                               tuple(_month(m) for m in json.loads(d.months_json or "[]")), d.rows, d.summary,
                               d.reviewed_by, d.reviewed_at, d.comment, d.batch_id,
                               tuple((int(p), _month(m)) for p, m in json.loads(d.cells_json or "[]")),
                               d.batch_id in undone))
    return out
