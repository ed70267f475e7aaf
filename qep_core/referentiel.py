"""The Qual-e-Pref référentiel as data, and a préfecture's view of it.

Defaults come from ``data/referentiel.json`` and are stored once with ``prefecture_id`` NULL.
A préfecture changes things by adding its own rows (an indicator of its own, an engagement
renamed under the same key, a target for a year), so the defaults stay intact and can be
compared with what the préfecture made of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, or_, select

from qep_core.db import DATA_DIR
from qep_core.models import Channel, Engagement, Indicator, Module, Prefecture, Target
from qep_core.rules.kinds import IndicatorKind

REFERENTIEL_PATH = DATA_DIR / "referentiel.json"

# What each kind implies lives in qep_core.rules.kinds; these lookups are read from it.
_KIND_ORDER = (IndicatorKind.RATE, IndicatorKind.MEAN_DELAY, IndicatorKind.COUNT, IndicatorKind.PER_MILLE,
               IndicatorKind.SURVEY_RATE)
KINDS = tuple(k.value for k in _KIND_ORDER)
UNIT_OF_KIND = {k.value: k.unit for k in IndicatorKind}
SCALE_OF_KIND = {k.value: k.scale for k in IndicatorKind}
ROLES_OF_KIND = {k.value: k.roles for k in IndicatorKind}
KIND_LABELS = {k.value: k.label for k in IndicatorKind}
FREQUENCY_LABELS = {"monthly": "mensuel", "quarterly": "trimestriel", "yearly": "annuel"}
ROLE_LABELS = {
    "numerator": "numérateur", "denominator": "dénominateur", "complement": "complément",
    "value": "valeur", "count": "effectif",
}


class ReferentielError(ValueError):
    pass


@dataclass(frozen=True)
class CountSpec:
    """One count a sheet may carry for an indicator, with the row labels it goes by."""

    role: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndicatorDef:
    """An indicator as a préfecture sees it (default or its own)."""

    id: int
    code: str
    label: str
    engagement_key: str | None
    module_code: str
    family: str | None
    kind: str
    unit: str
    direction: str
    default_target: float | None
    alert_threshold: float | None
    frequency: str
    counts: dict[str, CountSpec]
    discriminators: tuple[str, ...] = ()
    template_roles: tuple[str, ...] = ()
    position: int = 0
    own: bool = False  # True for an indicator the préfecture added itself

    @property
    def scale(self) -> float:
        return IndicatorKind(self.kind).scale

    @property
    def is_ratio(self) -> bool:
        """Computed from a numerator and a denominator (a rate, a per mille, a mean)."""
        return IndicatorKind(self.kind).is_ratio

    @property
    def roles_for_template(self) -> tuple[str, ...]:
        if self.template_roles:
            return self.template_roles
        return {"mean_delay": ("value", "count"), "count": ("value",)}.get(self.kind, ("numerator", "denominator"))


@dataclass(frozen=True)
class FamilyDef:
    code: str
    title: str
    keywords: tuple[str, ...]
    qualifiers: tuple[str, ...] = ()


@dataclass
class Referentiel:
    """The whole default référentiel as loaded from JSON (used to seed and to match sheets)."""

    raw: dict[str, Any]
    families: dict[str, FamilyDef] = field(default_factory=dict)

    @classmethod
    @lru_cache(maxsize=4)
    def load(cls, path: Path = REFERENTIEL_PATH) -> Referentiel:
        """Read and check the JSON once per process: every import and seeding asks for it."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        validate_raw(raw)
        families = {
            f["code"]: FamilyDef(f["code"], f["title"], tuple(f.get("keywords", ())), tuple(f.get("qualifiers", ())))
            for f in raw.get("families", [])
        }
        return cls(raw, families)


def validate_raw(raw: dict[str, Any]) -> None:
    """Catch a broken référentiel file at start-up rather than half-way through an import."""
    modules = {m["code"] for m in raw["modules"]}
    engagements = {e["key"] for e in raw["engagements"]}
    seen: set[str] = set()
    for spec in raw["indicators"]:
        code = spec["code"]
        if code in seen:
            raise ReferentielError(f"indicateur en double dans le référentiel : {code}")
        seen.add(code)
        if spec["kind"] not in KINDS:
            raise ReferentielError(f"{code} : nature inconnue « {spec['kind']} »")
        if spec.get("engagement") and spec["engagement"] not in engagements:
            raise ReferentielError(f"{code} : engagement inconnu {spec['engagement']}")
        if spec.get("module") and spec["module"] not in modules:
            raise ReferentielError(f"{code} : module inconnu {spec['module']}")
        if spec["direction"] not in (">=", "<="):
            raise ReferentielError(f"{code} : sens « {spec['direction']} » (attendu >= ou <=)")
        for role in ROLES_OF_KIND[spec["kind"]]:
            if role != "complement" and role not in spec:
                raise ReferentielError(f"{code} : le compte « {role} » n'est pas décrit")


def _counts_payload(spec: dict[str, Any]) -> str:
    counts = {
        role: {"label": spec[role]["label"], "aliases": spec[role].get("aliases", [])}
        for role in ROLES_OF_KIND[spec["kind"]]
        if role in spec
    }
    return json.dumps(
        {
            "counts": counts,
            "discriminators": spec.get("discriminators", []),
            "template": spec.get("template", []),
        },
        ensure_ascii=False,
    )


def seed_referentiel(session: Session, ref: Referentiel | None = None) -> int:
    """Insert the default référentiel rows that are missing; returns how many were added.

    Running it again adds nothing, and never overwrites a row: defaults are data, and a
    newer référentiel file only brings what is new.
    """
    ref = ref or Referentiel.load()
    added = 0
    existing_modules = {m.code for m in session.exec(select(Module))}
    for m in ref.raw["modules"]:
        if m["code"] not in existing_modules:
            session.add(Module(code=m["code"], number=m["number"], kind=m["kind"], title=m["title"],
                               mandatory=m.get("mandatory", False)))
            added += 1
    existing_channels = {c.code for c in session.exec(select(Channel))}
    for pos, c in enumerate(ref.raw["channels"]):
        if c["code"] not in existing_channels:
            session.add(Channel(code=c["code"], title=c["title"], position=pos))
            added += 1
    session.flush()
    existing_eng = {e.key for e in session.exec(select(Engagement).where(col(Engagement.prefecture_id).is_(None)))}
    for e in ref.raw["engagements"]:
        if e["key"] not in existing_eng:
            session.add(Engagement(key=e["key"], number=e["number"], module_code=e["module"],
                                   channel_code=e.get("channel"), title=e["title"]))
            added += 1
    engagement_module = {e["key"]: e["module"] for e in ref.raw["engagements"]}
    existing_ind = {i.code for i in session.exec(select(Indicator).where(col(Indicator.prefecture_id).is_(None)))}
    for pos, spec in enumerate(ref.raw["indicators"]):
        if spec["code"] in existing_ind:
            continue
        session.add(
            Indicator(
                code=spec["code"], label=spec["label"], engagement_key=spec.get("engagement"),
                module_code=spec.get("module") or engagement_module[spec["engagement"]],
                family=spec.get("family"), kind=spec["kind"], unit=UNIT_OF_KIND[spec["kind"]],
                direction=spec["direction"], default_target=spec.get("target"),
                alert_threshold=spec.get("alert"), frequency=spec["frequency"],
                counts_json=_counts_payload(spec), position=pos,
            )
        )
        added += 1
    session.flush()
    return added


def _to_def(row: Indicator) -> IndicatorDef:
    payload = json.loads(row.counts_json)
    counts = {
        role: CountSpec(role, c["label"], tuple(c.get("aliases", ())))
        for role, c in payload.get("counts", {}).items()
    }
    return IndicatorDef(
        id=row.id or 0, code=row.code, label=row.label, engagement_key=row.engagement_key,
        module_code=row.module_code, family=row.family, kind=row.kind, unit=row.unit,
        direction=row.direction, default_target=row.default_target,
        alert_threshold=row.alert_threshold, frequency=row.frequency, counts=counts,
        discriminators=tuple(payload.get("discriminators", ())),
        template_roles=tuple(payload.get("template", ())), position=row.position,
        own=row.prefecture_id is not None,
    )


def indicators_for(session: Session, prefecture_id: int) -> list[IndicatorDef]:
    """Default indicators plus the préfecture's own, in catalogue order."""
    rows = session.exec(
        select(Indicator)
        .where(or_(col(Indicator.prefecture_id).is_(None), col(Indicator.prefecture_id) == prefecture_id))
        .where(Indicator.active)
        .order_by(col(Indicator.position), col(Indicator.id))
    ).all()
    by_code: dict[str, Indicator] = {}
    for row in rows:
        if row.code not in by_code or row.prefecture_id is not None:
            by_code[row.code] = row
    return sorted((_to_def(r) for r in by_code.values()), key=lambda d: (d.position, d.id))


def engagements_for(session: Session, prefecture_id: int) -> list[Engagement]:
    """Engagements with the préfecture's renamings and additions applied."""
    rows = session.exec(
        select(Engagement).where(
            or_(col(Engagement.prefecture_id).is_(None), col(Engagement.prefecture_id) == prefecture_id)
        )
    ).all()
    by_key: dict[str, Engagement] = {}
    for row in rows:
        if row.key not in by_key or row.prefecture_id is not None:
            by_key[row.key] = row
    return sorted(by_key.values(), key=lambda e: (e.number if e.number is not None else 10_000, e.key))


def rename_engagement(session: Session, prefecture: Prefecture, key: str, title: str) -> Engagement:
    """Give an engagement the préfecture's own wording (the default stays as it was)."""
    current = {e.key: e for e in engagements_for(session, prefecture.id or 0)}
    if key not in current:
        raise ReferentielError(f"engagement inconnu : {key}")
    base = current[key]
    if base.prefecture_id == prefecture.id:
        base.title = title
        session.add(base)
        return base
    own = Engagement(prefecture_id=prefecture.id, key=key, number=base.number, module_code=base.module_code,
                     channel_code=base.channel_code, title=title)
    session.add(own)
    session.flush()
    return own


def add_engagement(session: Session, prefecture: Prefecture, *, key: str, number: int | None,
                   module_code: str, title: str, channel_code: str | None = None) -> Engagement:
    if any(e.key == key for e in engagements_for(session, prefecture.id or 0)):
        raise ReferentielError(f"l'engagement {key} existe déjà")
    eng = Engagement(prefecture_id=prefecture.id, key=key, number=number, module_code=module_code,
                     channel_code=channel_code, title=title)
    session.add(eng)
    session.flush()
    return eng


def add_indicator(session: Session, prefecture: Prefecture, spec: dict[str, Any]) -> IndicatorDef:
    """Add an indicator of the préfecture's own (same JSON shape as the référentiel file)."""
    if spec.get("kind") not in KINDS:
        raise ReferentielError(f"nature d'indicateur inconnue : {spec.get('kind')}")
    code = str(spec["code"]).strip().upper()
    if any(d.code == code for d in indicators_for(session, prefecture.id or 0)):
        raise ReferentielError(f"l'indicateur {code} existe déjà")
    engagement = spec.get("engagement")
    module_code = spec.get("module")
    if engagement:
        engs = {e.key: e for e in engagements_for(session, prefecture.id or 0)}
        if engagement not in engs:
            raise ReferentielError(f"engagement inconnu : {engagement}")
        module_code = module_code or engs[engagement].module_code
    if not module_code:
        raise ReferentielError("un indicateur se rattache à un engagement ou à un module")
    spec = {**spec, "code": code}
    for role in ROLES_OF_KIND[spec["kind"]]:
        if role != "complement" and role not in spec:
            spec[role] = {"label": ROLE_LABELS[role].capitalize(), "aliases": []}
    row = Indicator(
        prefecture_id=prefecture.id, code=code, label=spec["label"], engagement_key=engagement,
        module_code=module_code, family=spec.get("family"), kind=spec["kind"],
        unit=UNIT_OF_KIND[spec["kind"]], direction=spec.get("direction", ">="),
        default_target=spec.get("target"), alert_threshold=spec.get("alert"),
        frequency=spec.get("frequency", "monthly"), counts_json=_counts_payload(spec), position=1000,
    )
    session.add(row)
    session.flush()
    return _to_def(row)


@dataclass(frozen=True)
class TargetRule:
    """The target in force for one indicator and one year, in the unit users read."""

    value: float | None
    direction: str
    alert: float | None
    source: str  # "référentiel" or the year the préfecture set it

    @property
    def exists(self) -> bool:
        return self.value is not None


def set_target(session: Session, prefecture_id: int, indicator_code: str, year: int,
               target: float | None, alert: float | None = None) -> Target:
    """Set the target from *year* on; ``target=None`` means "Pas d'objectif"."""
    row = session.exec(
        select(Target).where(Target.prefecture_id == prefecture_id, Target.indicator_code == indicator_code,
                             Target.year == year)
    ).first() or Target(prefecture_id=prefecture_id, indicator_code=indicator_code, year=year)
    row.target = target
    row.has_target = target is not None
    row.alert_threshold = alert
    session.add(row)
    session.flush()
    return row


class TargetBook:
    """All the targets of a préfecture, resolved per indicator and year without more queries."""

    def __init__(self, session: Session, prefecture_id: int, indicators: list[IndicatorDef]):
        self._defaults = {d.code: d for d in indicators}
        self._rows: dict[str, list[Target]] = {}
        for row in session.exec(select(Target).where(col(Target.prefecture_id) == prefecture_id).order_by(col(Target.year))):
            self._rows.setdefault(row.indicator_code, []).append(row)

    def rule(self, code: str, year: int) -> TargetRule:
        """The préfecture's latest setting at or before *year*, else the référentiel default."""
        ind = self._defaults[code]
        chosen: Target | None = None
        for row in self._rows.get(code, []):
            if row.year <= year:
                chosen = row
        if chosen is None:
            return TargetRule(ind.default_target, ind.direction, ind.alert_threshold, "référentiel")
        return TargetRule(chosen.target if chosen.has_target else None, ind.direction,
                          chosen.alert_threshold, str(chosen.year))
