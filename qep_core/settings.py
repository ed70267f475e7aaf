"""What the "Paramètres" page changes: the préfecture itself, its périmètres, its yearly targets,
its own indicators and engagements.

Every function checks everything first and raises :class:`SettingsError` with French messages
(one per problem, so the user can fix them all at once) before touching the database: a batch
from an editable grid is written whole or not at all, and the caller's transaction (a
``session_scope(write=True)``) makes the rest atomic. No Streamlit here: the CLI and the tests
use the same rules as the page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from qep_core.change_history import record_change
from qep_core.frenchforms import count_text, plural
from qep_core.models import Module, Observation, ObservationHistory, Perimetre, Prefecture
from qep_core.prefectures import (
    PrefectureError,
    labelled_modules,
    perimetre_key,
    set_labelled_modules,
    valid_departement_code,
)
from qep_core.referentiel import (
    FREQUENCY_LABELS,
    KIND_LABELS,
    KINDS,
    ROLE_LABELS,
    ROLES_OF_KIND,
    UNIT_OF_KIND,
    IndicatorDef,
    ReferentielError,
    TargetBook,
    add_engagement,
    add_indicator,
    engagements_for,
    indicators_for,
    rename_engagement,
    set_target,
)
from qep_core.rules.bounds import MAX_TARGET, ValueOutOfBounds, check_year, shown_number
from qep_core.rules.headings import module_heading
from qep_core.rules.public_names import MISSING_PUBLIC_NAME, clean_public_name, public_name, public_name_problem
from qep_core.rules.row_bounds import model_text_limit

# Kinds a user may give a périmètre; "prefecture" is the préfecture-wide row every préfecture
# has exactly one of (figures not broken down by service), created with the préfecture.
PERIMETRE_KINDS = {"service": "service", "mailbox": "boîte fonctionnelle", "sous-prefecture": "sous-préfecture"}
WHOLE_KIND = "prefecture"
PERIMETRE_KIND_LABELS = {WHOLE_KIND: "préfecture (ensemble)", **PERIMETRE_KINDS}
OPTIONAL_MODULES = ("M2", "M3", "M4", "M5", "M6", "M7", "M8")  # M1, PIL and LAB are always labelled
DIRECTION_SIGNS = {">=": "≥", "<=": "≤"}
INDICATOR_CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,59}$")
ENGAGEMENT_KEY_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,19}$")
_EPS = 1e-9


class SettingsError(ValueError):
    """One or more reasons, in French, why nothing was written."""

    def __init__(self, errors: str | Sequence[str]):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__(" ; ".join(self.errors))


def _clean_number(value: object) -> float | None:
    """Grid cells come back as None, NaN, numpy numbers or text: one float or None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).replace(",", ".").replace("\u202f", "").replace(" ", "")
                       if isinstance(value, str) else value)  # type: ignore[arg-type]  # not a str: a number (int, float or numpy) from the grid
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"« {value} » n'est pas un nombre") from exc
    if math.isinf(number):
        raise SettingsError(f"« {value} » n'est pas un nombre fini")
    return None if math.isnan(number) else number


def _clean_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return " ".join(str(value).split())


def _fmt(value: float) -> str:
    """French decimal comma in messages: 0,05 rather than 0.05."""
    return f"{value:g}".replace(".", ",")


# ---------------------------------------------------------------- préfecture


def update_prefecture(session: Session, prefecture_id: int, name: str, code: str,
                      whit_monday_worked: bool) -> Prefecture:
    """Rename the préfecture, correct its département code, set the Whit Monday rule.

    The code is what links and the CLI use (``?pref=44``), so it stays a valid and unique
    département code.
    """
    pref = session.get(Prefecture, prefecture_id)
    if pref is None:
        raise SettingsError(f"préfecture inconnue (n° {prefecture_id})")
    errors: list[str] = []
    name = _clean_text(name)
    if not name:
        errors.append("le nom de la préfecture est obligatoire")
    try:
        code = valid_departement_code(code or "")
    except PrefectureError as exc:
        errors.append(str(exc))
    else:
        other = session.exec(select(Prefecture).where(Prefecture.code == code, Prefecture.id != prefecture_id)).first()
        if other is not None:
            errors.append(f"le code {code} est déjà celui de « {other.name} »")
    if errors:
        raise SettingsError(errors)
    pref.name = name
    pref.code = code
    pref.whit_monday_worked = bool(whit_monday_worked)
    session.add(pref)
    session.flush()
    return pref


def module_titles(session: Session, optional_only: bool = True) -> dict[str, str]:
    """``{"M2": "Module 2 — Délivrance des titres (hors étrangers)", ...}``: the optional modules
    (those a préfecture chooses to be labelled on), or every module with ``optional_only=False``."""
    stmt = select(Module).order_by(col(Module.number))
    if optional_only:
        stmt = stmt.where(col(Module.code).in_(OPTIONAL_MODULES))
    return {m.code: module_heading(m.code, m.title) for m in session.exec(stmt)}


def update_modules(session: Session, prefecture_id: int, modules: Iterable[str]) -> list[str]:
    """Set the modules the préfecture is labelled on (M1, PIL and LAB are always kept).

    Figures of a module dropped here are kept: the dashboard only stops showing them.
    """
    wanted = list(dict.fromkeys(modules))
    known = module_titles(session)
    unknown = [m for m in wanted if m not in known and m not in ("M1", "PIL", "LAB")]
    if unknown:
        raise SettingsError([f"module inconnu : {m}" for m in unknown])
    set_labelled_modules(session, prefecture_id, [m for m in wanted if m in known])
    return labelled_modules(session, prefecture_id)


# ---------------------------------------------------------------- périmètres


def _values_held(n: int) -> str:
    """Why a périmètre holding values cannot be deleted (the one sentence for both deletions)."""
    return (f"{count_text(n, 'valeur')} {plural(n, 'y est enregistrée', 'y sont enregistrées')} "
            "(renommez-le plutôt, ou annulez d'abord les imports concernés)")


def _rows_per_perimetre(session: Session, prefecture_id: int,
                        table: type[Observation] | type[ObservationHistory] = Observation) -> dict[int, int]:
    """How many stored values (or, with ObservationHistory, replaced values) each périmètre holds."""
    rows = session.exec(
        select(table.perimetre_id, func.count())
        .where(table.prefecture_id == prefecture_id)
        .group_by(col(table.perimetre_id))
    ).all()
    return {int(pid): int(n) for pid, n in rows}


PERIMETRE_COLUMNS = ["id", "name", "public_name", "shown", "kind", "address", "values", "delete"]


def shown_publicly(row: Perimetre) -> str:
    """What public documents call the périmètre, or the flag saying its public name is missing."""
    return public_name(row.name, row.public_name) or f"⚠ {MISSING_PUBLIC_NAME}"


def perimetres_table(session: Session, prefecture_id: int) -> pd.DataFrame:
    """One row per périmètre: id, name, public name (as typed), what public documents show, kind,
    address, number of stored values, delete (False).

    The préfecture-wide row comes first: it is the one every sheet without a service falls into.
    """
    counts = _rows_per_perimetre(session, prefecture_id)
    rows = session.exec(select(Perimetre).where(Perimetre.prefecture_id == prefecture_id)).all()
    rows = sorted(rows, key=lambda p: (p.kind != WHOLE_KIND, perimetre_key(p.name)))
    frame = pd.DataFrame(
        [{"id": p.id, "name": p.name, "public_name": p.public_name or "", "shown": shown_publicly(p), "kind": p.kind,
          "address": p.address or "", "values": counts.get(p.id or 0, 0), "delete": False} for p in rows],
        columns=PERIMETRE_COLUMNS,
    )
    return frame.astype({"id": "Int64", "values": "int64", "delete": "bool"})


def _check_name(session: Session, prefecture_id: int, name: str, own_id: int | None) -> str:
    name = _clean_text(name)
    if not name:
        raise SettingsError("le nom du périmètre est obligatoire")
    if len(name) > (limit := model_text_limit(Perimetre, "name")):
        raise SettingsError(f"« {name[:40]}… » : {limit} caractères au plus")
    key = perimetre_key(name)
    for other in session.exec(select(Perimetre).where(Perimetre.prefecture_id == prefecture_id)):
        if other.id != own_id and perimetre_key(other.name) == key:
            raise SettingsError(f"un périmètre s'appelle déjà « {other.name} »")
    return name


def _check_kind(kind: str) -> str:
    if kind == WHOLE_KIND:
        raise SettingsError("la nature « préfecture (ensemble) » est réservée au périmètre de toute la préfecture")
    if kind not in PERIMETRE_KINDS:
        raise SettingsError(f"nature de périmètre inconnue : « {kind} »")
    return kind


def perimetre_of(session: Session, prefecture_id: int, perimetre_id: int) -> Perimetre:
    """The préfecture's périmètre n° *perimetre_id* (:class:`SettingsError` for another one's)."""
    row = session.get(Perimetre, perimetre_id)
    if row is None or row.prefecture_id != prefecture_id:
        raise SettingsError(f"périmètre inconnu (n° {perimetre_id})")
    return row


def add_perimetre(session: Session, prefecture_id: int, name: str, kind: str = "service",
                  address: str | None = None) -> Perimetre:
    """A new service, mailbox or sous-préfecture (imports then match its name)."""
    name = _check_name(session, prefecture_id, name, None)
    row = Perimetre(prefecture_id=prefecture_id, name=name, kind=_check_kind(kind),
                    address=_clean_text(address) or None)
    session.add(row)
    session.flush()
    return row


def rename_perimetre(session: Session, prefecture_id: int, perimetre_id: int, name: str) -> Perimetre:
    """Rename a périmètre; its stored values follow (they point to its id, not its name)."""
    row = perimetre_of(session, prefecture_id, perimetre_id)
    name = _check_name(session, prefecture_id, name, perimetre_id)
    if row.kind == WHOLE_KIND and name != row.name:
        raise SettingsError(f"« {row.name} » ne peut pas être renommé")
    row.name = name
    session.add(row)
    session.flush()
    return row


def set_perimetre_kind(session: Session, prefecture_id: int, perimetre_id: int, kind: str) -> Perimetre:
    row = perimetre_of(session, prefecture_id, perimetre_id)
    if row.kind == WHOLE_KIND:
        if kind == WHOLE_KIND:
            return row
        raise SettingsError(f"la nature de « {row.name} » ne peut pas changer")
    row.kind = _check_kind(kind)
    session.add(row)
    session.flush()
    return row


def set_perimetre_address(session: Session, prefecture_id: int, perimetre_id: int, address: str | None) -> Perimetre:
    row = perimetre_of(session, prefecture_id, perimetre_id)
    row.address = _clean_text(address) or None
    session.add(row)
    session.flush()
    return row


def _check_public_name(text: object) -> str | None:
    cleaned = clean_public_name(text)
    problem = public_name_problem(cleaned)
    if problem:
        raise SettingsError(problem)
    return cleaned


def set_public_name(session: Session, prefecture_id: int, perimetre_id: int, text: str | None) -> Perimetre:
    """The name public documents show for the périmètre; an empty *text* clears it (the rule of
    :mod:`qep_core.rules.public_names` then decides)."""
    row = perimetre_of(session, prefecture_id, perimetre_id)
    row.public_name = _check_public_name(text)
    session.add(row)
    session.flush()
    return row


def public_name_change(name: str, public: str | None) -> str:
    """The French summary line of a public name set or cleared."""
    return f"« {name} » : nom public « {public} »" if public else f"« {name} » : nom public effacé"


def delete_perimetre(session: Session, prefecture_id: int, perimetre_id: int) -> None:
    """Delete a périmètre that holds nothing: values (and replaced values kept for undo) would
    otherwise lose the service they were reported for."""
    row = perimetre_of(session, prefecture_id, perimetre_id)
    if row.kind == WHOLE_KIND:
        raise SettingsError(f"« {row.name} » ne peut pas être supprimé")
    values = _rows_per_perimetre(session, prefecture_id).get(perimetre_id, 0)
    if values:
        raise SettingsError(f"« {row.name} » ne peut pas être supprimé : {_values_held(values)}")
    if _rows_per_perimetre(session, prefecture_id, ObservationHistory).get(perimetre_id, 0):
        raise SettingsError(f"« {row.name} » ne peut pas être supprimé : l'historique des imports y fait référence")
    try:
        with session.begin_nested():
            session.delete(row)
            session.flush()
    except IntegrityError as exc:  # a table added later that points to it
        raise SettingsError(f"« {row.name} » ne peut pas être supprimé : il est encore utilisé") from exc


def save_perimetres(session: Session, prefecture_id: int, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Apply the edited grid: renamings, kinds, addresses, new rows (no id) and deletions.

    Everything is checked against the final state first (so two names may be swapped, and a
    name freed by a deletion may be reused); on any error nothing is written. Returns a French
    summary line per change.
    """
    current = {p.id: p for p in session.exec(select(Perimetre).where(Perimetre.prefecture_id == prefecture_id))}
    counts = _rows_per_perimetre(session, prefecture_id)
    history = _rows_per_perimetre(session, prefecture_id, ObservationHistory)
    errors: list[str] = []
    updates: list[tuple[Perimetre, str, str, str | None]] = []
    additions: list[tuple[str, str, str | None, str | None]] = []
    publics: list[tuple[Perimetre, str | None]] = []
    deletions: list[Perimetre] = []
    for line, raw in enumerate(rows, start=1):
        name = _clean_text(raw.get("name"))
        kind = _clean_text(raw.get("kind")) or "service"
        address = _clean_text(raw.get("address")) or None
        delete = bool(raw.get("delete")) and not pd.isna(raw.get("delete"))
        public = clean_public_name(raw.get("public_name"))
        if problem := public_name_problem(public):
            errors.append(problem)
        pid = raw.get("id")
        pid = None if pid is None or pd.isna(pid) else int(pid)
        if pid is None:
            if not name and not address:
                continue  # an empty row left by the grid
            if delete:
                continue
            label = name or f"ligne {line}"
            if not name:
                errors.append(f"{label} : le nom du nouveau périmètre est obligatoire")
            elif kind == WHOLE_KIND:
                errors.append(f"« {label} » : la nature « préfecture (ensemble) » est réservée au périmètre de "
                              "toute la préfecture")
            elif kind not in PERIMETRE_KINDS:
                errors.append(f"« {label} » : nature inconnue « {kind} »")
            additions.append((name, kind, address, public))
            continue
        row = current.get(pid)
        if row is None:
            errors.append(f"ligne {line} : périmètre inconnu (n° {pid})")
            continue
        if delete:
            if row.kind == WHOLE_KIND:
                errors.append(f"« {row.name} » ne peut pas être supprimé")
            elif counts.get(pid, 0):
                errors.append(f"« {row.name} » ne peut pas être supprimé : {_values_held(counts[pid])}")
            elif history.get(pid, 0):
                errors.append(f"« {row.name} » ne peut pas être supprimé : l'historique des imports y fait référence")
            else:
                deletions.append(row)
            continue
        if row.kind == WHOLE_KIND:
            if name != row.name:
                errors.append(f"« {row.name} » ne peut pas être renommé")
            if kind != WHOLE_KIND:
                errors.append(f"la nature de « {row.name} » ne peut pas changer")
        else:
            if not name:
                errors.append(f"« {row.name} » : le nom ne peut pas être vide")
            if kind == WHOLE_KIND:
                errors.append(f"« {row.name} » : la nature « préfecture (ensemble) » est réservée au périmètre de "
                              "toute la préfecture")
            elif kind not in PERIMETRE_KINDS:
                errors.append(f"« {row.name} » : nature inconnue « {kind} »")
        if len(name) > 200:
            errors.append(f"« {name[:40]}… » : 200 caractères au plus")
        if (name, kind, address) != (row.name, row.kind, row.address):
            updates.append((row, name, kind, address))
        if "public_name" in raw and public != row.public_name:  # a caller without the column changes nothing
            publics.append((row, public))
    deleted_ids = {r.id for r in deletions}
    new_names = {row.id: name for row, name, _, _ in updates}
    final_names = [new_names.get(pid, row.name) for pid, row in current.items() if pid not in deleted_ids]
    final_names += [name for name, _, _, _ in additions]
    by_key: dict[str, list[str]] = {}
    for name in final_names:
        if name:
            by_key.setdefault(perimetre_key(name), []).append(name)
    for names in by_key.values():
        if len(names) > 1:
            errors.append("noms en double (majuscules et accents ne comptent pas) : "
                          + ", ".join(f"« {n} »" for n in names))
    if errors:
        raise SettingsError(errors)
    done: list[str] = []
    for row in deletions:
        done.append(f"« {row.name} » supprimé")
        session.delete(row)
    try:
        session.flush()
    except IntegrityError as exc:  # a table added later that points to one of them
        listed = ", ".join(f"« {row.name} »" for row in deletions)
        raise SettingsError(f"{listed} : suppression impossible, le périmètre est encore utilisé") from exc
    old_names = {row.id: row.name for row, *_ in updates}
    for row, name, _, _ in updates:  # free the names first: a swap must not hit the unique constraint
        if name != row.name:
            row.name = f"\x01{row.id}"  # no user types this; not NUL, which PostgreSQL text refuses
            session.add(row)
    session.flush()
    others = 0
    for row, name, kind, address in updates:
        old = old_names[row.id]
        if name != old:
            done.append(f"« {old} » renommé en « {name} »")
        elif (kind, address) != (row.kind, row.address):
            others += 1
        row.name, row.kind, row.address = name, kind, address
        session.add(row)
    for row, public in publics:
        row.public_name = public
        session.add(row)
        done.append(public_name_change(row.name, public))
    for name, kind, address, public in additions:
        session.add(Perimetre(prefecture_id=prefecture_id, name=name, kind=kind, address=address, public_name=public))
        done.append(f"« {name} » ajouté ({PERIMETRE_KINDS[kind]})" + (f", nom public « {public} »" if public else ""))
    session.flush()
    if others:
        done.append(f"{count_text(others, 'périmètre modifié', 'périmètres modifiés')} (nature ou adresse)")
    return done


# ---------------------------------------------------------------- targets


TARGET_COLUMNS = ["code", "label", "module", "unit", "direction", "target", "alert", "no_target", "source"]


def check_target(unit: str, direction: str, target: float | None, alert: float | None) -> list[str]:
    """Why a target and its alert threshold cannot be used, in French (empty when they can).

    The alert threshold sits on the near side of the target, where a result is "à surveiller"
    before it is "non atteint": below a ≥ target, above a ≤ target.
    """
    errors: list[str] = []
    for what, value in (("la cible", target), ("le seuil d'alerte", alert)):
        if value is None:
            continue
        if value > MAX_TARGET:
            errors.append(f"{what} est invraisemblable ({shown_number(value)})")
        elif value < 0:
            errors.append(f"{what} ne peut pas être négati{'ve' if what == 'la cible' else 'f'} ({_fmt(value)})")
        elif unit == "%" and value > 100:
            errors.append(f"{what} est un taux : entre 0 et 100 % ({_fmt(value)} saisi)")
    if target is not None and alert is not None:
        if direction == ">=" and not alert < target - _EPS:
            errors.append(f"pour un indicateur « ≥ », le seuil d'alerte ({_fmt(alert)}) doit être inférieur "
                          f"à la cible ({_fmt(target)})")
        if direction == "<=" and not alert > target + _EPS:
            errors.append(f"pour un indicateur « ≤ », le seuil d'alerte ({_fmt(alert)}) doit être supérieur "
                          f"à la cible ({_fmt(target)})")
    return errors


def _source_label(source: str) -> str:
    return source if source == "référentiel" else f"fixée pour {source}"


def targets_table(session: Session, prefecture_id: int, year: int,
                  modules: Iterable[str] | None = None) -> pd.DataFrame:
    """The targets in force in *year*, one row per indicator, in the unit users read (90 for 90 %).

    ``modules`` restricts the rows to those modules (the page shows the labelled ones).
    """
    indicators = indicators_for(session, prefecture_id)
    if modules is not None:
        wanted = set(modules)
        indicators = [d for d in indicators if d.module_code in wanted]
    book = TargetBook(session, prefecture_id, indicators)
    rows = []
    for ind in indicators:
        rule = book.rule(ind.code, year)
        rows.append({
            "code": ind.code, "label": ind.label, "module": ind.module_code, "unit": ind.unit or "nombre",
            "direction": DIRECTION_SIGNS.get(ind.direction, ind.direction),
            "target": rule.value, "alert": rule.alert if rule.value is not None else None,
            "no_target": rule.value is None, "source": _source_label(rule.source),
        })
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    return frame.astype({"target": "float64", "alert": "float64", "no_target": "bool"})


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= _EPS


def save_targets(session: Session, prefecture_id: int, year: int, rows: Iterable[Mapping[str, Any]],
                 user: str = "") -> list[str]:
    """Write a target for *year* for each row that differs from what is in force that year.

    A row is ``{"code", "target", "alert", "no_target"}`` (other keys ignored). A target set for
    *year* applies from that year on until a later one; the référentiel defaults are never
    touched. Every row is checked first; on any error nothing is written. Returns the codes
    written.
    """
    try:
        check_year(int(year), "année invalide")
    except ValueOutOfBounds as exc:
        raise SettingsError(str(exc)) from exc
    indicators = {d.code: d for d in indicators_for(session, prefecture_id)}
    book = TargetBook(session, prefecture_id, list(indicators.values()))
    errors: list[str] = []
    writes: list[tuple[str, float | None, float | None]] = []
    for raw in rows:
        code = _clean_text(raw.get("code"))
        ind = indicators.get(code)
        if ind is None:
            errors.append(f"{code or '(sans code)'} : indicateur inconnu")
            continue
        try:
            target = _clean_number(raw.get("target"))
            alert = _clean_number(raw.get("alert"))
        except SettingsError as exc:
            errors.append(f"{code} : {exc}")
            continue
        flag = raw.get("no_target")
        no_target = bool(flag) and not pd.isna(flag)
        rule = book.rule(code, year)
        if no_target:
            if target is not None and rule.value is None:
                errors.append(f"{code} : une cible est saisie mais « pas d'objectif » est coché — décochez la case "
                              "pour fixer la cible")
                continue
            target, alert = None, None
        elif target is None:
            errors.append(f"{code} : saisissez une cible ou cochez « pas d'objectif »")
            continue
        problems = check_target(ind.unit, ind.direction, target, alert)
        if problems:
            errors.extend(f"{code} : {p}" for p in problems)
            continue
        in_force_alert = rule.alert if rule.value is not None else None
        if _same(target, rule.value) and _same(alert, in_force_alert):
            continue
        writes.append((code, target, alert))
    if errors:
        raise SettingsError(errors)
    for code, target, alert in writes:
        rule = book.rule(code, year)
        set_target(session, prefecture_id, code, int(year), target, alert)
        record_change(session, user=user, action="target", prefecture_id=prefecture_id, entity=f"{code} {year}",
                      summary=f"cible de {code} à partir de {year}",
                      before={"cible": rule.value, "alerte": rule.alert if rule.value is not None else None},
                      after={"cible": target, "alerte": alert})
    return [code for code, _, _ in writes]


# ---------------------------------------------------------------- own indicators and engagements


def own_indicators_table(session: Session, prefecture_id: int) -> pd.DataFrame:
    """The indicators the préfecture added itself, described in French."""
    rows = []
    for ind in indicators_for(session, prefecture_id):
        if not ind.own:
            continue
        rows.append({
            "code": ind.code, "label": ind.label, "engagement": ind.engagement_key or "", "module": ind.module_code,
            "kind": KIND_LABELS.get(ind.kind, ind.kind), "direction": DIRECTION_SIGNS.get(ind.direction, ""),
            "target": ind.default_target, "alert": ind.alert_threshold,
            "frequency": FREQUENCY_LABELS.get(ind.frequency, ind.frequency),
            "counts": " ; ".join(f"{ROLE_LABELS.get(role, role)} : {spec.label}" for role, spec in ind.counts.items()),
        })
    columns = ["code", "label", "engagement", "module", "kind", "direction", "target", "alert", "frequency", "counts"]
    return pd.DataFrame(rows, columns=columns)


def add_own_indicator(session: Session, prefecture: Prefecture, *, code: str, label: str,
                      engagement_key: str | None, module_code: str | None, kind: str, direction: str,
                      target: float | None, alert: float | None, frequency: str = "monthly",
                      count_labels: Mapping[str, str] | None = None) -> IndicatorDef:
    """Add an indicator of the préfecture's own, checked like a target, then stored by
    :func:`qep_core.referentiel.add_indicator` (the référentiel defaults stay untouched).

    ``count_labels`` names the counts a sheet carries for it (``{"numerator": "Courriels traités
    en 5 jours", ...}``): imports recognise its rows by those labels.
    """
    errors: list[str] = []
    code = _clean_text(code).upper().replace(" ", "_")
    label = _clean_text(label)
    if not code:
        errors.append("le code est obligatoire (ex. ACCUEIL_ATTENTE_20MIN)")
    elif not INDICATOR_CODE_RE.match(code):
        errors.append("le code commence par une lettre et ne contient que des lettres sans accent, des chiffres et "
                      "« _ » (ex. ACCUEIL_ATTENTE_20MIN)")
    if not label:
        errors.append("le libellé est obligatoire")
    if kind not in KINDS:
        errors.append(f"nature inconnue : {kind}")
    if direction not in DIRECTION_SIGNS:
        errors.append(f"sens inconnu : {direction} (attendu ≥ ou ≤)")
    if frequency not in FREQUENCY_LABELS:
        errors.append(f"fréquence inconnue : {frequency}")
    engagement_key = _clean_text(engagement_key) or None
    module_code = _clean_text(module_code) or None
    if engagement_key is None and module_code is None:
        errors.append("choisissez l'engagement ou le module auquel l'indicateur se rattache")
    if module_code is not None and session.get(Module, module_code) is None:
        errors.append(f"module inconnu : {module_code}")
    if alert is not None and target is None:
        errors.append("un seuil d'alerte suppose une cible")
    if kind in KINDS and direction in DIRECTION_SIGNS:
        errors.extend(check_target(UNIT_OF_KIND[kind], direction, target, alert))
    spec: dict[str, Any] = {"code": code, "label": label, "kind": kind, "direction": direction, "target": target,
                            "alert": alert, "frequency": frequency}
    if engagement_key:
        spec["engagement"] = engagement_key
    if module_code:
        spec["module"] = module_code
    for role in ROLES_OF_KIND.get(kind, ()):
        text = _clean_text((count_labels or {}).get(role))
        if text:
            spec[role] = {"label": text, "aliases": []}
    if errors:
        raise SettingsError(errors)
    try:
        return add_indicator(session, prefecture, spec)
    except ReferentielError as exc:
        raise SettingsError(str(exc)) from exc


def rename_own_engagement(session: Session, prefecture: Prefecture, key: str, title: str) -> None:
    """The préfecture's wording for an engagement; the référentiel's stays as it was."""
    title = _clean_text(title)
    if not title:
        raise SettingsError("l'intitulé de l'engagement est obligatoire")
    try:
        rename_engagement(session, prefecture, key, title)
    except ReferentielError as exc:
        raise SettingsError(str(exc)) from exc


def add_own_engagement(session: Session, prefecture: Prefecture, *, key: str, number: int | None,
                       module_code: str, title: str) -> None:
    """An engagement the seeds do not describe (e.g. modules 7 and 8), so indicators can hang on it."""
    errors: list[str] = []
    key = _clean_text(key).upper().replace(" ", "")
    title = _clean_text(title)
    if not ENGAGEMENT_KEY_RE.match(key):
        errors.append("la clé de l'engagement ne contient que des lettres sans accent, des chiffres, « - » et « _ » "
                      "(ex. E47)")
    if number is not None and number <= 0:
        errors.append("le numéro d'engagement est un entier positif")
    if session.get(Module, module_code or "") is None:
        errors.append(f"module inconnu : {module_code}")
    if not title:
        errors.append("l'intitulé de l'engagement est obligatoire")
    if number is not None and any(e.number == number for e in engagements_for(session, prefecture.id or 0)):
        errors.append(f"le numéro {number} est déjà celui d'un autre engagement")
    if errors:
        raise SettingsError(errors)
    try:
        add_engagement(session, prefecture, key=key, number=number, module_code=module_code, title=title)
    except ReferentielError as exc:
        raise SettingsError(str(exc)) from exc
