"""Deposits waiting for validation: the switch, the list, what one would change, and the
référente's three answers — validate, send back with a comment, or (for its author) withdraw.

The deposit itself is made by the import's own door (:func:`qep_core.services.imports.save_upload`
and the typed entry): when the préfecture asks for validation, a contributor's checked file
becomes a deposit there, so that no way in (page, CLI, entry) skips the validation. A validated
deposit is imported by the same save, in the référente's transaction, under the depositor's name
(the batch says who sent the figures; the history line says who validated them).

A contributor sees its own deposits and those touching its périmètres, with the référente's
comment when one is sent back; only a principal who may ``validate_imports`` sees the others.
"""

from __future__ import annotations

from sqlmodel import Session

from qep_core.access import AccessDenied
from qep_core.collection.deposits import (
    MAX_COMMENT_CHARS,
    MAX_PENDING_DEPOSITS,
    STATUS_LABELS,
    Deposit,
    DepositError,
    DepositView,
    check_pending,
    get_deposit,
    list_deposits,
    mark_validated,
    pending_count,
    send_back,
    validation_on,
    view_of,
    withdraw,
)
from qep_core.importing.service import ImportOutcome, ImportPlan
from qep_core.models import Prefecture
from qep_core.services._unit import Actor, Unit, operation, unit
from qep_core.services.imports import _save, analyse_upload

__all__ = ["MAX_COMMENT_CHARS", "MAX_PENDING_DEPOSITS", "STATUS_LABELS", "DepositError", "DepositView", "deposit_plan", "deposits",
           "pending_deposits", "return_deposit", "set_validation", "validate_deposit", "validation",
           "withdraw_deposit"]


@operation("import", writes=False)
def validation(actor: Actor, prefecture_id: int) -> bool:
    """Whether the préfecture keeps its services' files « à valider » until the référente validates them."""
    with unit(actor, "import", prefecture_id=prefecture_id) as work:
        return validation_on(work.session, prefecture_id)


@operation("edit_settings", writes=True)
def set_validation(actor: Actor, prefecture_id: int, on: bool) -> bool:
    """Turn the validation of deposits on or off; deposits already waiting keep waiting (turning it
    off does not import them behind the référente's back)."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        prefecture = work.session.get(Prefecture, prefecture_id)
        if prefecture is None:
            raise DepositError(f"préfecture inconnue : {prefecture_id}")
        if prefecture.deposits_need_validation == on:
            return on
        prefecture.deposits_need_validation = on
        work.session.add(prefecture)
        work.record("settings", "validation des dépôts",
                    "les fichiers des services attendent la validation du référent qualité" if on
                    else "les fichiers des services sont enregistrés dès leur import",
                    before={"validation": not on}, after={"validation": on})
        return on


@operation("import", writes=False)
def deposits(actor: Actor, prefecture_id: int, *, pending_only: bool = False) -> list[DepositView]:
    """The deposits the principal may read, waiting ones first then the latest decided: every one
    for the référente, its own only for a contributor (another service's deposit, its comment and
    its périmètres are not its business)."""
    with unit(actor, "import", prefecture_id=prefecture_id) as work:
        mine = None if work.principal.can("validate_imports") else work.principal.author
        return list_deposits(work.session, prefecture_id, depositor=mine, pending_only=pending_only)


@operation("validate_imports", writes=False)
def pending_deposits(actor: Actor, prefecture_id: int) -> int:
    """How many deposits wait for the référente (the badge of the Import and Collecte pages)."""
    with unit(actor, "validate_imports", prefecture_id=prefecture_id) as work:
        return pending_count(work.session, prefecture_id)


def _waiting(session: Session, prefecture_id: int, deposit_id: int) -> Deposit:
    deposit = get_deposit(session, prefecture_id, deposit_id)
    check_pending(deposit)
    return deposit


@operation("validate_imports", writes=False)
def deposit_plan(actor: Actor, prefecture_id: int, deposit_id: int) -> ImportPlan:
    """What validating the deposit would change now (its values and the stored ones they would
    replace), read as an import's analysis is, as of the day it was deposited; nothing written."""
    with unit(actor, "validate_imports", prefecture_id=prefecture_id) as work:
        deposit = _waiting(work.session, prefecture_id, deposit_id)
        name, content, log_kind, as_of = deposit.file_name, bytes(deposit.content), deposit.log_kind, deposit.as_of
    plan: ImportPlan = analyse_upload(actor, prefecture_id, name, content, log_kind=log_kind, as_of=as_of)
    return plan


@operation("validate_imports", writes=True)
def validate_deposit(actor: Actor, prefecture_id: int, deposit_id: int) -> ImportOutcome:
    """Import the deposit now, whole, and mark it validated in the same transaction. It is read as
    of the day it was deposited (an item log's pending items stay what the service saw), kept of
    its kind (a typed entry stays « saisie »), the batch under « <depositor>, validé par
    <référente> ». Raises :class:`ImportRejected` (the file no longer passes, e.g. a périmètre since
    removed: nothing written, the deposit still waits, it may be sent back) or
    :class:`DepositError` (decided meanwhile, in another session: nothing written)."""
    with unit(actor, "validate_imports", prefecture_id=prefecture_id) as work:
        deposit = _waiting(work.session, prefecture_id, deposit_id)
        name, content, log_kind, author = deposit.file_name, bytes(deposit.content), deposit.log_kind, deposit.deposited_by
        kind, as_of = deposit.kind, deposit.as_of
        batch_author = f"{author}, validé par {work.principal.author}"[:120]

    def mark(work: Unit, outcome: ImportOutcome) -> None:
        waiting = _waiting(work.session, prefecture_id, deposit_id)  # not decided meanwhile by another session
        batch_id = outcome.batch.id if outcome.batch is not None else None
        mark_validated(waiting, work.principal.author, batch_id)
        work.session.add(waiting)
        work.record("validation", name, f"dépôt n° {deposit_id} de {author} validé"
                    + (f" : lot n° {batch_id}" if batch_id is not None else " : ses valeurs étaient déjà enregistrées"))

    outcome = _save(actor, "validate_imports", prefecture_id, name, content, log_kind=log_kind, kind=kind, as_of=as_of,
                    author=batch_author, then=mark)
    if outcome.batch is None:  # the same file was imported meanwhile: nothing to import, the deposit is settled
        with unit(actor, "validate_imports", prefecture_id=prefecture_id, write=True) as work:
            mark(work, outcome)
    return outcome


@operation("validate_imports", writes=True)
def return_deposit(actor: Actor, prefecture_id: int, deposit_id: int, comment: str) -> DepositView:
    """Send the deposit back to its service with a comment it reads on its Import page; nothing of
    it was ever counted."""
    with unit(actor, "validate_imports", prefecture_id=prefecture_id, write=True) as work:
        deposit = get_deposit(work.session, prefecture_id, deposit_id)
        send_back(deposit, work.principal.author, comment)
        work.session.add(deposit)
        work.record("return", deposit.file_name, f"dépôt n° {deposit_id} de {deposit.deposited_by} renvoyé : "
                    f"{deposit.comment}")
        return view_of(work.session, deposit)


@operation("import", writes=True)
def withdraw_deposit(actor: Actor, prefecture_id: int, deposit_id: int) -> DepositView:
    """Its author (or the référente) takes back a deposit still waiting, e.g. to send a corrected file."""
    with unit(actor, "import", prefecture_id=prefecture_id, write=True) as work:
        deposit = get_deposit(work.session, prefecture_id, deposit_id)
        principal = work.principal
        if not principal.can("validate_imports") and deposit.deposited_by != principal.author:
            raise AccessDenied("Accès refusé : seul le service qui a déposé ce fichier (ou le référent qualité) peut "
                               "le retirer.")
        withdraw(deposit, principal.author)
        work.session.add(deposit)
        work.record("withdraw", deposit.file_name, f"dépôt n° {deposit_id} retiré")
        return view_of(work.session, deposit)
