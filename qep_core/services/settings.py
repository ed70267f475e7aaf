"""The préfecture's settings: itself, its labelled modules, its périmètres, its yearly targets, its
own indicators and engagements — what the "Paramètres" page and the ``init`` / ``target``
commands change.

The rules (checks, French messages, atomic grids) stay in :mod:`qep_core.settings`; each function
here checks the actor's right (``edit_settings``, or ``edit_targets`` for targets) on the
préfecture, runs in one transaction and writes its history line inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from qep_core import settings as rules
from qep_core.access import AccessDenied
from qep_core.models import Prefecture
from qep_core.prefectures import PrefectureError, labelled_modules, list_prefectures, resolve_prefecture
from qep_core.prefectures import create_prefecture as _create_prefecture
from qep_core.referentiel import (
    FREQUENCY_LABELS,
    KIND_LABELS,
    KINDS,
    ROLES_OF_KIND,
    ReferentielError,
    TargetBook,
    engagements_for,
    indicators_for,
)
from qep_core.rules.bounds import ValueOutOfBounds
from qep_core.services._unit import Actor, Unit, operation, unit
from qep_core.settings import PERIMETRE_KIND_LABELS, SettingsError

__all__ = ["FREQUENCY_LABELS", "KINDS", "KIND_LABELS", "KNOWN_ERRORS", "PERIMETRE_KIND_LABELS", "ROLES_OF_KIND",
           "EngagementRow", "PrefectureError", "ReferentielError", "SettingsError", "TargetLine", "add_engagement",
           "add_indicator", "create_prefecture", "engagements", "labelled", "module_choices",
           "own_indicators_table", "perimetres_table", "prefecture_by_code", "rename_engagement", "save_perimetres",
           "save_prefecture", "save_targets", "set_public_name", "targets_in_force", "targets_table"]

#: What a settings save may refuse with (each carries French sentences for the page).
KNOWN_ERRORS = (SettingsError, PrefectureError, ReferentielError, ValueOutOfBounds)


@dataclass(frozen=True)
class EngagementRow:
    key: str
    number: int | None
    module_code: str
    title: str
    own: bool  # the préfecture's wording (or its own engagement), not the référentiel's


@dataclass(frozen=True)
class TargetLine:
    """A target in force in a year, for the command line's listing."""

    code: str
    unit: str
    direction: str
    value: float | None
    alert: float | None
    source: str


def _prefecture(work: Unit, prefecture_id: int) -> Prefecture:
    pref = work.session.get(Prefecture, prefecture_id)
    if pref is None:
        raise SettingsError(f"préfecture inconnue (n° {prefecture_id})")
    return pref


# ---------------------------------------------------------------- préfecture


@operation("edit_settings", writes=False)
def module_choices(actor: Actor, *, optional_only: bool = True) -> dict[str, str]:
    """``{"M2": "Module 2 — …"}``: the modules a préfecture may be labelled on (or every module)."""
    with unit(actor, "edit_settings") as work:
        return rules.module_titles(work.session, optional_only=optional_only)


@operation("edit_settings", writes=False)
def labelled(actor: Actor, prefecture_id: int) -> list[str]:
    """The modules the préfecture is labelled on (M1, PIL and LAB included)."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id) as work:
        return labelled_modules(work.session, prefecture_id)


@operation("read", writes=False)
def prefecture_by_code(actor: Actor, code: str | None) -> tuple[int, str, str]:
    """(id, code, name) of the préfecture named by *code*, or of the only one the actor sees
    (the command line's ``--prefecture``); :class:`PrefectureError` when none or several."""
    with unit(actor, "read") as work:
        if code:
            pref = resolve_prefecture(work.session, code)
        else:
            mine = [p for p in list_prefectures(work.session) if work.principal.sees_prefecture(p.id or 0)]
            pref = mine[0] if len(mine) == 1 else resolve_prefecture(work.session, None)
        if not work.principal.sees_prefecture(pref.id or 0):
            raise AccessDenied("Accès refusé : cette préfecture n'est pas dans le périmètre de votre compte.")
        return pref.id or 0, pref.code, pref.name


@operation("edit_settings", writes=True)
def save_prefecture(actor: Actor, prefecture_id: int, *, name: str, code: str, whit_monday_worked: bool,
                    modules: Iterable[str]) -> tuple[str, str]:
    """Name, département code, Whit Monday rule and labelled modules; returns the (code, name) saved."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        pref = _prefecture(work, prefecture_id)
        before = {"nom": pref.name, "code": pref.code, "lundi de Pentecôte travaillé": pref.whit_monday_worked,
                  "modules": labelled_modules(work.session, prefecture_id)}
        rules.update_prefecture(work.session, prefecture_id, name, code, whit_monday_worked)
        after = {"nom": pref.name, "code": pref.code, "lundi de Pentecôte travaillé": pref.whit_monday_worked,
                 "modules": rules.update_modules(work.session, prefecture_id, modules)}
        if after != before:
            work.record("settings", f"préfecture {pref.code}", "paramètres de la préfecture", before=before,
                        after=after)
        return pref.code, pref.name


@operation("edit_settings", writes=True)
def create_prefecture(actor: Actor, code: str, name: str | None = None,
                      modules: Iterable[str] = ("M1",)) -> tuple[int, str, str]:
    """A new préfecture with its préfecture-wide périmètre; only an account without a préfecture
    of its own (or the laptop) may create one. Returns (id, code, name)."""
    if actor.principal.prefecture_ids is not None:
        raise AccessDenied("Accès refusé : seul un compte sans préfecture (vue régionale ou nationale) ou le poste "
                           "local peut créer une préfecture.")
    with unit(actor, "edit_settings", write=True) as work:
        pref = _create_prefecture(work.session, code, name, tuple(modules))
        work.record("settings", f"préfecture {pref.code}", "préfecture créée", prefecture_id=pref.id,
                    after={"nom": pref.name, "code": pref.code, "modules": labelled_modules(work.session, pref.id or 0)})
        return pref.id or 0, pref.code, pref.name


# ---------------------------------------------------------------- périmètres


@operation("edit_settings", writes=False)
def perimetres_table(actor: Actor, prefecture_id: int) -> pd.DataFrame:
    """The editable grid of périmètres (see :func:`qep_core.settings.perimetres_table`)."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id) as work:
        return rules.perimetres_table(work.session, prefecture_id)


@operation("edit_settings", writes=True)
def save_perimetres(actor: Actor, prefecture_id: int, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Apply the edited grid whole or not at all; one French line per change (empty: nothing changed)."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        done = rules.save_perimetres(work.session, prefecture_id, rows)
        if done:
            work.record("perimetre", "périmètres", " ; ".join(done))
        return done


@operation("edit_settings", writes=True)
def set_public_name(actor: Actor, prefecture_id: int, perimetre_id: int, public_name: str | None) -> str:
    """Set (or, with an empty *public_name*, clear) the name public documents show for a
    périmètre; returns the French summary line (empty: nothing changed)."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        row = rules.perimetre_of(work.session, prefecture_id, perimetre_id)
        before = row.public_name
        row = rules.set_public_name(work.session, prefecture_id, perimetre_id, public_name)
        if row.public_name == before:
            return ""
        line = rules.public_name_change(row.name, row.public_name)
        work.record("perimetre", row.name, line, before={"nom public": before}, after={"nom public": row.public_name})
        return line


# ---------------------------------------------------------------- targets


@operation("edit_targets", writes=False)
def targets_table(actor: Actor, prefecture_id: int, year: int, *, labelled_only: bool = True) -> pd.DataFrame:
    """The targets in force in *year*, one row per indicator (of the labelled modules, or all)."""
    with unit(actor, "edit_targets", prefecture_id=prefecture_id) as work:
        modules = labelled_modules(work.session, prefecture_id) if labelled_only else None
        return rules.targets_table(work.session, prefecture_id, year, modules)


@operation("edit_targets", writes=True)
def save_targets(actor: Actor, prefecture_id: int, year: int, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Write a target from *year* on for each row that differs from the one in force (one history
    line each, in the same transaction); returns the codes written."""
    with unit(actor, "edit_targets", prefecture_id=prefecture_id, write=True) as work:
        return rules.save_targets(work.session, prefecture_id, year, rows, user=work.principal.author)


@operation("read", writes=False)
def targets_in_force(actor: Actor, prefecture_id: int, year: int) -> list[TargetLine]:
    """Every indicator's target in force in *year* and where it comes from (référentiel or a year)."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        indicators = indicators_for(work.session, prefecture_id)
        book = TargetBook(work.session, prefecture_id, indicators)
        lines = []
        for ind in indicators:
            rule = book.rule(ind.code, year)
            lines.append(TargetLine(ind.code, ind.unit, rule.direction, rule.value, rule.alert, rule.source))
        return lines


# ---------------------------------------------------------------- own indicators and engagements


@operation("edit_settings", writes=False)
def own_indicators_table(actor: Actor, prefecture_id: int) -> pd.DataFrame:
    with unit(actor, "edit_settings", prefecture_id=prefecture_id) as work:
        return rules.own_indicators_table(work.session, prefecture_id)


@operation("edit_settings", writes=False)
def engagements(actor: Actor, prefecture_id: int) -> list[EngagementRow]:
    """The engagements as the préfecture words them."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id) as work:
        return [EngagementRow(e.key, e.number, e.module_code, e.title, e.prefecture_id is not None)
                for e in engagements_for(work.session, prefecture_id)]


@operation("edit_settings", writes=True)
def add_indicator(actor: Actor, prefecture_id: int, *, code: str, label: str, engagement_key: str | None,
                  module_code: str | None, kind: str, direction: str, target: float | None, alert: float | None,
                  frequency: str = "monthly", count_labels: Mapping[str, str] | None = None) -> str:
    """An indicator of the préfecture's own (checked like a target); returns its code."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        ind = rules.add_own_indicator(work.session, _prefecture(work, prefecture_id), code=code, label=label,
                                      engagement_key=engagement_key, module_code=module_code, kind=kind,
                                      direction=direction, target=target, alert=alert, frequency=frequency,
                                      count_labels=count_labels)
        work.record("indicator", ind.code, f"indicateur propre ajouté : {ind.label}",
                    after={"code": ind.code, "libellé": ind.label, "nature": ind.kind, "sens": ind.direction,
                           "cible": target, "alerte": alert})
        return ind.code


@operation("edit_settings", writes=True)
def rename_engagement(actor: Actor, prefecture_id: int, key: str, title: str) -> None:
    """The préfecture's wording for an engagement (the référentiel's stays)."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        pref = _prefecture(work, prefecture_id)
        before = next((e.title for e in engagements_for(work.session, prefecture_id) if e.key == key), None)
        rules.rename_own_engagement(work.session, pref, key, title)
        work.record("engagement", key, "engagement renommé", before={"intitulé": before},
                    after={"intitulé": " ".join(title.split())})


@operation("edit_settings", writes=True)
def add_engagement(actor: Actor, prefecture_id: int, *, key: str, number: int | None, module_code: str,
                   title: str) -> str:
    """An engagement the référentiel lacks; returns its key."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        rules.add_own_engagement(work.session, _prefecture(work, prefecture_id), key=key, number=number,
                                 module_code=module_code, title=title)
        clean = "".join((key or "").split()).upper()
        work.record("engagement", clean, "engagement ajouté",
                    after={"clé": clean, "numéro": number, "module": module_code, "intitulé": " ".join(title.split())})
        return clean
