"""Recognising what a sheet is about: which indicators, which counts, which columns.

Services label their rows in their own words ("Nombre de réponses en direct à l'utilisateur").
Each indicator of the référentiel lists the words its counts go by; a sheet's title or name
tells which group of indicators ("family") it tracks, and each row is matched to a count by a
fixed order of rules, most specific first (a published rate, a mean delay, the late items, the
items in time, the totals). The template's rows carry the indicator code and the count's name,
so they match exactly. Before any of these rules, the préfecture's own labels
(:mod:`qep_core.mappings`, said once by the user) are looked up: a whole label, exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qep_core.frenchforms import contains_phrase, normalize
from qep_core.mappings.labels import Mappings
from qep_core.referentiel import FamilyDef, IndicatorDef

ROLE_WORDS = {
    "numerateur": "numerator",
    "denominateur": "denominator",
    "complement": "complement",
    "effectif": "count",
    "valeur": "value",
}
RATE_CHECK = "rate"  # a row that carries the sheet's own percentage: checked, never stored


@dataclass(frozen=True)
class Assignment:
    """Row → (indicator, role)."""

    code: str
    role: str


def codes_in(text: str, indicators: dict[str, IndicatorDef]) -> list[str]:
    """Indicator codes written in a text (``COURRIEL_5J``), as whole tokens."""
    found = []
    upper = str(text).upper()
    for token in re.findall(r"[A-Z0-9_]{3,}", upper):
        if token in indicators and token not in found:
            found.append(token)
    return found


def score_families(text_norm: str, families: dict[str, FamilyDef],
                   indicators: dict[str, IndicatorDef]) -> list[tuple[float, int, str]]:
    """(score, -position of first keyword, family) for every family the text speaks of."""
    scored = []
    for fam in families.values():
        hits = [kw for kw in fam.keywords if contains_phrase(text_norm, kw)]
        quals = [q for q in fam.qualifiers if contains_phrase(text_norm, q)]
        if fam.qualifiers and not quals:
            continue
        score = len(hits) + 2 * len(quals)
        score += 10 * sum(
            1 for ind in indicators.values()
            if ind.family == fam.code and contains_phrase(text_norm, normalize(ind.label))
        )
        if score <= 0:
            continue
        positions = [f" {text_norm} ".find(f" {kw} ") for kw in hits + quals]
        first = min((p for p in positions if p >= 0), default=10_000)
        scored.append((float(score), -first, fam.code))
    scored.sort(reverse=True)
    return scored


def sheet_scope(context: str, families: dict[str, FamilyDef], indicators: dict[str, IndicatorDef],
                fallback_text: str = "") -> tuple[list[str], str]:
    """The indicators a sheet tracks, from its name and title rows; and how it was decided."""
    codes = codes_in(context, indicators)
    if codes:
        fams = {indicators[c].family for c in codes if indicators[c].family}
        scope = [c for c, ind in indicators.items() if c in codes or (ind.family and ind.family in fams)]
        return scope, "code " + ", ".join(codes)
    for text in (context, f"{context} {fallback_text}"):
        ranked = score_families(normalize(text), families, indicators)
        if ranked:
            best = ranked[0][2]
            return [c for c, ind in indicators.items() if ind.family == best], families[best].title
    return [], ""


def _any_alias(label_norm: str, aliases: tuple[str, ...]) -> bool:
    return any(contains_phrase(label_norm, normalize(a)) for a in aliases)


def discriminated(label_norm: str, candidates: list[IndicatorDef]) -> list[IndicatorDef]:
    """Keep the candidates a label singles out (``légalité`` vs ``budgétaire``), if any."""
    picked = [ind for ind in candidates if ind.discriminators and _any_alias(label_norm, ind.discriminators)]
    return picked or candidates


def assign_row(label: str, candidates: list[IndicatorDef], mappings: Mappings | None = None) -> list[Assignment]:
    """Which count(s) of which indicator(s) a row label designates; [] when none.

    A label the préfecture mapped means what it said, whatever the sheet's scope (the mapping
    names the indicator); otherwise the rules below apply to the sheet's *candidates*.
    """
    if mappings and (mapped := mappings.row(label)) is not None:
        return [Assignment(*mapped)]
    norm = normalize(label)
    if not norm or not candidates:
        return []
    candidates = discriminated(norm, candidates)
    # 1. the template's explicit role word ("COURRIEL_5J · numérateur · ...")
    for word, role in ROLE_WORDS.items():
        if contains_phrase(norm, word):
            hits = [Assignment(i.code, role) for i in candidates if role in i.counts]
            if hits:
                return hits
    # 2. the sheet's own rate: checked against the counts, never stored
    if contains_phrase(norm, "taux") or norm.startswith("%") or contains_phrase(norm, "pourcentage"):
        hits = [Assignment(i.code, RATE_CHECK) for i in candidates if i.is_ratio and i.kind != "mean_delay"]
        if hits:
            return hits
    # 3. a mean delay
    if contains_phrase(norm, "moyen") or contains_phrase(norm, "moyenne"):
        hits = [Assignment(i.code, "value") for i in candidates if i.kind == "mean_delay"]
        if hits:
            return hits
    # 4-6. the counts, most specific first
    for roles in (("complement",), ("numerator",), ("denominator", "count"), ("value",)):
        hits = [
            Assignment(i.code, role)
            for i in candidates
            for role in roles
            if role in i.counts and _any_alias(norm, (i.counts[role].label, *i.counts[role].aliases))
        ]
        if hits:
            return hits
    return []


def column_indicator(header: str, candidates: list[IndicatorDef], mappings: Mappings | None = None
                     ) -> IndicatorDef | None:
    """A column that splits the sheet by indicator (e.g. "Contrôle de légalité"), or that the
    préfecture mapped to one of the sheet's indicators."""
    if mappings and (code := mappings.column(header)) is not None:
        return next((i for i in candidates if i.code == code), None)
    norm = normalize(header)
    codes = [c for c in codes_in(header, {i.code: i for i in candidates})]
    if len(codes) == 1:
        return next(i for i in candidates if i.code == codes[0])
    picked = [i for i in candidates if i.discriminators and _any_alias(norm, i.discriminators)]
    return picked[0] if len(picked) == 1 else None


def column_mapping(header: object, mappings: Mappings | None) -> str | None:
    """What the préfecture said a column is: ``total``, ``ignore`` or an indicator code; None if
    it said nothing (the built-in rules then decide)."""
    if not mappings or not isinstance(header, str):
        return None
    return mappings.column(header)


def match_header_fields(cells: list[object], variants_by_field: dict[str, tuple[str, ...]],
                        exact_only: frozenset[str] = frozenset(), text_only: bool = False) -> dict[str, int]:
    """Column index of each field a header row names, by the most specific variant a cell matches.

    "Nombre de réponses" is the count of a mean delay, not a value because it starts with
    "nombre": an exact match beats a prefix, a longer variant beats a shorter one. Variants in
    *exact_only* ("date", "type"…) are too broad to match as a prefix. The first column wins for
    a repeated field; with *text_only*, a date or number in the row means it is data, not a header.
    """
    found: dict[str, int] = {}
    for idx, cell in enumerate(cells):
        if text_only and not isinstance(cell, str):
            continue
        text = normalize(cell)
        if not text:
            continue
        best: tuple[int, str] | None = None
        for field, variants in variants_by_field.items():
            if field in found:
                continue
            for v in variants:
                if text == v or (v not in exact_only and text.startswith(v + " ")):
                    score = len(v) + (1000 if text == v else 0)
                    if best is None or score > best[0]:
                        best = (score, field)
        if best is not None:
            found[best[1]] = idx
    return found
