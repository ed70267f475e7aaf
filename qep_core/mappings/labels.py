"""Local labels, learned once: what a préfecture's own words mean.

Services label rows, columns, training themes, roles and périmètres in their own words
(« Nb de mails traités », « CERT 38 (fraude) », « Coord. »). When the built-in vocabulary does
not know such a word, the file used to be refused or the row left out, month after month. A
**mapping** says once, for one préfecture, what a label means; every later file of that
préfecture, whatever its kind, is read with it:

* ``row_label``: a row of a tracking sheet → an indicator's count (``COURRIEL_5J:denominator``)
  or the sheet's own rate (``COURRIEL_5J:rate``, checked, never stored); tracking sheets;
* ``column``: a column header → an indicator column (``COURRIEL_5J``), a ``total`` column, or a
  column to ``ignore`` without a warning; tracking sheets;
* ``theme``: a training theme → a training role (``fraude``); training registers;
* ``role``: an agent's role or function → a training role (``rq``); training registers;
* ``perimetre``: another name of a périmètre → that périmètre (stored by id, so a renamed
  périmètre keeps its aliases); tracking sheets and item logs.

Labels are matched on their normalised form (:func:`qep_core.frenchforms.normalize`: case,
accents and punctuation do not matter), one meaning per label and kind. A mapping is consulted
**before** the built-in rules: it is what the préfecture itself said, and it is exact (a whole
label, never a word inside one). A mapping only ever applies to its own préfecture.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from qep_core.frenchforms import normalize
from qep_core.mappings.models import (
    COLUMN,
    COLUMN_SPECIALS,
    IGNORED_COLUMN,
    KINDS,
    MAX_LABEL,
    PERIMETRE,
    RATE,
    ROLE,
    ROW_LABEL,
    THEME,
    TOTAL_COLUMN,
    LabelMapping,
)
from qep_core.models import Perimetre
from qep_core.pilotage.vocabulary import ROLES as TRAINING_ROLES
from qep_core.pilotage.vocabulary import lookup
from qep_core.referentiel import ROLE_LABELS, IndicatorDef, indicators_for


class MappingError(ValueError):
    """A mapping refused, with the French sentence to show."""


@dataclass(frozen=True)
class Mappings:
    """A préfecture's mappings as a reader uses them: kind → normalised label → target.

    Built once per file by :func:`load_mappings`, which keeps only targets that still exist (an
    indicator of the préfecture, a count it has, a training role, a périmètre), so a reader can
    use a hit without checking it again. Périmètre targets are the périmètre's current name.
    """

    by_kind: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def get(self, kind: str, label: object) -> str | None:
        key = normalize(label)
        return self.by_kind.get(kind, {}).get(key) if key else None

    def row(self, label: object) -> tuple[str, str] | None:
        """(indicator code, count role) of a row label, or None."""
        target = self.get(ROW_LABEL, label)
        if target is None:
            return None
        code, _, role = target.partition(":")
        return code, role

    def column(self, header: object) -> str | None:
        """An indicator code, ``total`` or ``ignore`` for a column header, or None."""
        return self.get(COLUMN, header)

    def training_role(self, label: object, header: object = "") -> str | None:
        """The training role a theme or role label means; a « Thème » column prefers themes."""
        kinds = (THEME, ROLE) if normalize(header).startswith("theme") else (ROLE, THEME)
        return next((hit for kind in kinds if (hit := self.get(kind, label)) is not None), None)

    def perimetre(self, name: object) -> str | None:
        """The périmètre's name when *name* is another name of it."""
        return self.get(PERIMETRE, name)

    def perimetre_renames(self, names: Iterable[object]) -> dict[str, str]:
        """``{"Coord.": "Coordination"}`` for the names (each distinct one looked up once) that are
        another name of a périmètre."""
        if not self.by_kind.get(PERIMETRE):
            return {}
        return {n: hit for n in set(names) if isinstance(n, str) and (hit := self.perimetre(n)) is not None}

    def __bool__(self) -> bool:
        return any(self.by_kind.values())


NO_MAPPINGS = Mappings()


def _row_roles(ind: IndicatorDef) -> list[str]:
    """The counts a row may carry for an indicator (and its rate, checked only)."""
    return [*ind.counts, *([RATE] if ind.is_ratio and ind.kind != "mean_delay" else [])]


def row_targets(indicators: Iterable[IndicatorDef]) -> dict[str, str]:
    """``{"COURRIEL_5J:denominator": "COURRIEL_5J — Courriels traités (dénominateur)"}``."""
    out: dict[str, str] = {}
    for ind in indicators:
        for role in _row_roles(ind):
            what = "taux de la feuille (vérifié)" if role == RATE else ROLE_LABELS.get(role, role)
            spec = ind.counts.get(role)
            out[f"{ind.code}:{role}"] = f"{ind.code} — {spec.label if spec else ind.label} ({what})"
    return out


def target_choices(session: Session, prefecture_id: int, kind: str) -> dict[str, str]:
    """What a label of *kind* may mean in this préfecture: target → French description."""
    if kind == ROW_LABEL:
        return row_targets(indicators_for(session, prefecture_id))
    if kind == COLUMN:
        return {**COLUMN_SPECIALS, **{d.code: f"{d.code} — {d.label}" for d in indicators_for(session, prefecture_id)}}
    if kind in (THEME, ROLE):
        return dict(TRAINING_ROLES)
    if kind == PERIMETRE:
        return {str(p.id): p.name for p in session.exec(
            select(Perimetre).where(Perimetre.prefecture_id == prefecture_id).order_by(col(Perimetre.name)))}
    raise MappingError(f"nature inconnue « {kind} » (attendu : {', '.join(KINDS)})")


def resolve_target(session: Session, prefecture_id: int, kind: str, target: str) -> str:
    """The stored form of what the user wrote: a choice's key, or its description, or (for a
    training role or a périmètre) its name; :class:`MappingError` when it means nothing here."""
    choices = target_choices(session, prefecture_id, kind)
    text = " ".join(str(target or "").split())
    if not text:
        raise MappingError("indiquez ce que le libellé veut dire")
    if kind == ROW_LABEL:
        text = text.replace(" ", "")
        code, _, role = text.partition(":")
        text = f"{code.upper()}:{role.lower()}"
    elif kind == COLUMN and text.lower() not in COLUMN_SPECIALS:
        text = text.upper()
    elif kind == COLUMN:
        text = text.lower()
    if text in choices:
        return text
    wanted = normalize(target)
    named = [key for key, label in choices.items() if normalize(label) == wanted]
    if kind in (THEME, ROLE) and not named and (found := lookup("role", target)) is not None:
        named = [found]
    if len(named) == 1:
        return named[0]
    shown = ", ".join(list(choices)[:12]) + ("…" if len(choices) > 12 else "")
    raise MappingError(f"« {text} » ne correspond à rien pour un {KINDS[kind]} (attendu par exemple : {shown})")


def list_mappings(session: Session, prefecture_id: int) -> list[LabelMapping]:
    return list(session.exec(select(LabelMapping).where(LabelMapping.prefecture_id == prefecture_id)
                             .order_by(col(LabelMapping.kind), col(LabelMapping.key))))


def describe(session: Session, prefecture_id: int, rows: Iterable[LabelMapping]) -> dict[int, str]:
    """The French description of each mapping's target (a target that no longer exists says so)."""
    cache: dict[str, dict[str, str]] = {}
    out = {}
    for row in rows:
        choices = cache.setdefault(row.kind, target_choices(session, prefecture_id, row.kind))
        out[row.id or 0] = choices.get(row.target, f"{row.target} (n'existe plus : sans effet)")
    return out


def add_mapping(session: Session, prefecture_id: int, kind: str, label: str, target: str,
                user: str = "") -> LabelMapping:
    """Record what *label* means; a label has one meaning per kind (remove the old one to change it)."""
    if kind not in KINDS:
        raise MappingError(f"nature inconnue « {kind} » (attendu : {', '.join(KINDS)})")
    shown = " ".join(str(label or "").split())
    key = normalize(shown)
    if not key:
        raise MappingError("le libellé est vide (ou n'a ni lettre ni chiffre)")
    if len(shown) > MAX_LABEL:
        raise MappingError(f"libellé trop long ({len(shown)} caractères, {MAX_LABEL} au plus)")
    stored = resolve_target(session, prefecture_id, kind, target)
    if kind == PERIMETRE:
        own = session.get(Perimetre, int(stored))
        if own is not None and normalize(own.name) == key:
            raise MappingError(f"« {shown} » est déjà le nom de ce périmètre")
    existing = session.exec(select(LabelMapping).where(LabelMapping.prefecture_id == prefecture_id,
                                                       LabelMapping.kind == kind, LabelMapping.key == key)).first()
    if existing is not None:
        meaning = describe(session, prefecture_id, [existing])[existing.id or 0]
        raise MappingError(f"« {existing.label} » a déjà un sens ({meaning}) : retirez cette correspondance "
                           "avant d'en donner une autre")
    row = LabelMapping(prefecture_id=prefecture_id, kind=kind, key=key, label=shown, target=stored,
                       created_by=user[:120])
    session.add(row)
    session.flush()
    return row


def remove_mapping(session: Session, prefecture_id: int, mapping_id: int) -> LabelMapping:
    """Forget a mapping (the undo of an addition); the next files are read without it."""
    row = session.get(LabelMapping, mapping_id)
    if row is None or row.prefecture_id != prefecture_id:
        raise MappingError(f"correspondance n° {mapping_id} introuvable")
    session.delete(row)
    session.flush()
    return row


def load_mappings(session: Session, prefecture_id: int, indicators: Iterable[IndicatorDef] | None = None
                  ) -> Mappings:
    """The préfecture's mappings whose targets still exist, ready for the readers."""
    rows = list_mappings(session, prefecture_id)
    if not rows:
        return NO_MAPPINGS
    defs = {d.code: d for d in (indicators if indicators is not None else indicators_for(session, prefecture_id))}
    perimetres = {str(p.id): p.name for p in session.exec(select(Perimetre).where(Perimetre.prefecture_id == prefecture_id))}
    by_kind: dict[str, dict[str, str]] = {}
    for row in rows:
        target: str | None = row.target
        if row.kind == ROW_LABEL:
            code, _, role = row.target.partition(":")
            target = row.target if code in defs and role in _row_roles(defs[code]) else None
        elif row.kind == COLUMN:
            target = row.target if row.target in defs or row.target in COLUMN_SPECIALS else None
        elif row.kind in (THEME, ROLE):
            target = row.target if row.target in TRAINING_ROLES else None
        elif row.kind == PERIMETRE:
            target = perimetres.get(row.target)
        if target is not None:
            by_kind.setdefault(row.kind, {})[row.key] = target
    return Mappings(by_kind)


__all__ = ["COLUMN", "COLUMN_SPECIALS", "IGNORED_COLUMN", "KINDS", "NO_MAPPINGS", "PERIMETRE", "RATE", "ROLE",
           "ROW_LABEL", "THEME", "TOTAL_COLUMN", "LabelMapping", "MappingError", "Mappings", "add_mapping",
           "describe", "list_mappings", "load_mappings", "remove_mapping", "resolve_target", "row_targets",
           "target_choices"]
