"""Services Publics+ settings (:mod:`qep_core.sp_plus`): the structure's national fields and the
national code of each indicator — what the Paramètres page's « Services Publics+ » tab and
``python -m qep_core sp-plus`` call. The file itself is an export (:mod:`qep_core.services.exports`).

Reading needs ``read``: these are the very values the public file carries, nothing internal.
Changing them changes what the préfecture publishes, as a setting does: ``edit_settings`` on that
préfecture (the référent(e) qualité), one transaction with its history line; a refused change
(:class:`SpPlusError`, French, every reason at once) writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from qep_core import sp_plus as rules
from qep_core.services._unit import Actor, Unit, operation, unit
from qep_core.sp_plus import TYPOLOGIES, CodeLine, SpPlusError, Structure

__all__ = ["TYPOLOGIES", "CodeLine", "SpPlusError", "Structure", "code_lines", "map_indicator", "save_codes",
           "save_structure", "structure", "unmap_indicator"]

ENTITY = "Services Publics+"


@operation("read", writes=False)
def structure(actor: Actor, prefecture_id: int) -> Structure | None:
    """The structure's settings (None: never given, and the file is refused until they are)."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        return rules.structure_of(work.session, prefecture_id)


@operation("edit_settings", writes=True)
def save_structure(actor: Actor, prefecture_id: int, *, code: str, typology: str, postal_code: str,
                   city: str) -> Structure:
    """Check and store the four settings; returns them as stored (a history line when they changed)."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        checked = rules.check_structure(code, typology, postal_code, city)
        before = rules.save_structure(work.session, prefecture_id, checked, work.principal.author)
        if before is None or before.as_history() != checked.as_history():
            work.record("settings", ENTITY, "structure Services Publics+ enregistrée",
                        before=before.as_history() if before else None, after=checked.as_history())
        stored = rules.structure_of(work.session, prefecture_id)
        assert stored is not None
        return stored


@operation("read", writes=False)
def code_lines(actor: Actor, prefecture_id: int) -> list[CodeLine]:
    """Every indicator of the préfecture with its national code (None: left out of the file)."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        return rules.code_lines(work.session, prefecture_id)


def _apply(work: Unit, prefecture_id: int, wanted: Mapping[str, object]) -> list[str]:
    changes = rules.set_codes(work.session, prefecture_id, wanted, work.principal.author)
    lines = [rules.change_line(*c) for c in changes]
    if lines:
        work.record("settings", f"{ENTITY} : codes des indicateurs", " ; ".join(lines),
                    before={c: b for c, b, _ in changes}, after={c: a for c, _, a in changes})
    return lines


@operation("edit_settings", writes=True)
def save_codes(actor: Actor, prefecture_id: int, wanted: Mapping[str, object]) -> list[str]:
    """The grid of the page: indicator code → national code (empty: none), all or nothing; one
    French line per change (empty: nothing changed)."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        return _apply(work, prefecture_id, wanted)


@operation("edit_settings", writes=True)
def map_indicator(actor: Actor, prefecture_id: int, indicator_code: str, sp_code: str) -> list[str]:
    """Give one indicator its national code (``sp-plus map COURRIEL_5J IND-27``)."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        if rules.normalise_code(sp_code) is None:
            raise SpPlusError("code SP+ manquant (p. ex. IND-27) ; pour retirer un code : sp-plus unmap")
        return _apply(work, prefecture_id, {indicator_code: sp_code})


@operation("edit_settings", writes=True)
def unmap_indicator(actor: Actor, prefecture_id: int, indicator_code: str) -> list[str]:
    """Take an indicator's national code away: it is left out of the file from then on."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        code = rules.clean(indicator_code).upper()
        if code in {line.indicator_code for line in rules.code_lines(work.session, prefecture_id)} and \
                code not in rules.effective_codes(work.session, prefecture_id):
            raise SpPlusError(f"{code} n'a pas de code SP+ : rien à retirer")
        return _apply(work, prefecture_id, {indicator_code: None})
