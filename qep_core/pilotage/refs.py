"""Naming modules and engagements the way spreadsheets and audit reports do.

A report writes « Module 1 17. Nous vous répondons… », a plan writes « 17 », « E17 »,
« Pilotage 3 » or « Module 4 (relation avec les collectivités) »; all are resolved against the
préfecture's référentiel (its renamed and added engagements included) to the stable keys
(``M4``, ``E17``, ``PIL3``) the rest of the application uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from qep_core.frenchforms import normalize
from qep_core.models import Engagement, Module
from qep_core.prefectures import labelled_modules
from qep_core.referentiel import engagements_for
from qep_core.rules.headings import module_heading

SIDE_MODULES = {"PIL": ("pilotage",), "LAB": ("labellisation", "demarche de labellisation")}


@dataclass
class ReferentielIndex:
    """The préfecture's modules and engagements, indexed for the readers of files and grids."""

    modules: dict[str, Module]
    engagements: dict[str, Engagement]
    labelled: list[str]
    _by_number: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, eng in self.engagements.items():
            if eng.number is not None and eng.module_code.startswith("M"):
                self._by_number.setdefault(eng.number, key)

    def module_title(self, code: str) -> str:
        module = self.modules.get(code)
        if module is None:
            return code
        return module_heading(code, module.title)

    def module_short(self, code: str) -> str:
        """« Module 1 », « Pilotage », « Labellisation »: the words of the bilans' tables."""
        if code.startswith("M") and code[1:].isdigit():
            return f"Module {code[1:]}"
        return {"PIL": "Pilotage", "LAB": "Labellisation"}.get(code, code)

    def module_of(self, text: object) -> str | None:
        """``Module 1 (relation générale…)``, ``module 4``, ``M2``, ``2``, ``Pilotage`` → a module code."""
        raw = str(text or "").strip()
        if raw.upper() in self.modules:
            return raw.upper()
        norm = normalize(raw)
        if not norm:
            return None
        if m := re.match(r"^(?:module|mod|m)\s*(?:n\s*)?(\d)\b", norm) or re.fullmatch(r"(\d)", norm):
            code = f"M{m.group(1)}"
            return code if code in self.modules else None
        for code, words in SIDE_MODULES.items():
            if any(norm == w or norm.startswith(w + " ") for w in words) and code in self.modules:
                return code
        for code, module in self.modules.items():
            if normalize(module.title) == norm:
                return code
        return None

    def engagement_of(self, text: object, module: str | None = None) -> str | None:
        """``17``, ``E17``, ``Engagement 17``, ``Module 1 17. Nous…``, ``PIL3``, ``Pilotage 3``,
        or ``3. Formation du personnel`` under a pilotage heading (*module* ``PIL``) → a key."""
        raw = str(text or "").strip()
        if not raw:
            return None
        if raw.upper() in self.engagements:
            return raw.upper()
        norm = normalize(raw)
        if isinstance(text, float) and text.is_integer():
            norm = str(int(text))
        if m := re.match(r"^(?:module|mod)\s*(?:n\s*)?(\d)\s+(.*)$", norm):
            module, norm = f"M{m.group(1)}", m.group(2)
        for code, words in SIDE_MODULES.items():
            for w in words:
                if norm.startswith(w + " ") and re.match(r"^\d", norm[len(w) + 1:]):
                    module, norm = code, norm[len(w) + 1:]
        if m := re.match(r"^(?:engagement\s+|eng\s+|e\s*|n\s+)?(\d{1,3})(?:\s|$)", norm):
            number = int(m.group(1))
            if module in SIDE_MODULES:
                key = f"{module}{number}"
                return key if key in self.engagements else None
            return self._by_number.get(number)
        for key, eng in self.engagements.items():
            if normalize(eng.title) == norm and (module is None or eng.module_code == module):
                return key
        return None

    def engagement_label(self, key: str | None) -> str:
        """``17. Nous vous répondons…``; ``Pilotage 3. Formation du personnel``."""
        if not key:
            return ""
        eng = self.engagements.get(key)
        if eng is None:
            return key
        return f"{engagement_number(eng)}. {eng.title}"

    def engagements_of_module(self, module: str) -> list[Engagement]:
        return [e for e in self.engagements.values() if e.module_code == module]


def engagement_number(eng: Engagement) -> str:
    """« 17 » for a module's engagement, « Pilotage 3 » / « Labellisation 1 » beside the modules."""
    if eng.number is not None:
        return str(eng.number)
    prefix = {"PIL": "Pilotage", "LAB": "Labellisation"}.get(eng.module_code, eng.module_code)
    return f"{prefix} {eng.key.removeprefix(eng.module_code)}"


def referentiel_index(session: Session, prefecture_id: int) -> ReferentielIndex:
    modules = {m.code: m for m in session.exec(select(Module).order_by(col(Module.number)))}
    engagements = {e.key: e for e in engagements_for(session, prefecture_id)}
    return ReferentielIndex(modules, engagements, labelled_modules(session, prefecture_id))
