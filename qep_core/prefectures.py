"""Préfectures and their périmètres (services, mailboxes, sous-préfectures)."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from qep_core.frenchforms import normalize
from qep_core.models import Module, Perimetre, Prefecture, PrefectureModule

WHOLE_PREFECTURE = "Préfecture (ensemble)"
DEPARTEMENT_CODE_RE = re.compile(r"^(0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])$")


class PrefectureError(ValueError):
    pass


def valid_departement_code(code: str) -> str:
    code = code.strip().upper()
    if len(code) == 1 and code.isdigit():
        code = "0" + code
    if not DEPARTEMENT_CODE_RE.match(code) or code == "20":
        raise PrefectureError(f"code de département invalide : « {code} » (ex. 44, 2A, 974)")
    return code


def create_prefecture(session: Session, code: str, name: str | None = None,
                      modules: tuple[str, ...] = ("M1",)) -> Prefecture:
    code = valid_departement_code(code)
    if session.exec(select(Prefecture).where(Prefecture.code == code)).first():
        raise PrefectureError(f"la préfecture {code} existe déjà")
    pref = Prefecture(code=code, name=name or f"Préfecture ({code})")
    session.add(pref)
    session.flush()
    assert pref.id is not None  # the flush gave it one
    known = {m.code for m in session.exec(select(Module))}
    for mod in ("M1", "PIL", "LAB", *modules):
        if mod not in known:
            raise PrefectureError(f"module inconnu : {mod}")
    for mod in dict.fromkeys(("M1", "PIL", "LAB", *modules)):
        session.add(PrefectureModule(prefecture_id=pref.id, module_code=mod))
    session.add(Perimetre(prefecture_id=pref.id, name=WHOLE_PREFECTURE, kind="prefecture"))
    session.flush()
    return pref


def list_prefectures(session: Session) -> list[Prefecture]:
    return list(session.exec(select(Prefecture).order_by(Prefecture.code)))


def resolve_prefecture(session: Session, code: str | None) -> Prefecture:
    """The préfecture named by *code*, or the only one; a clear error otherwise."""
    prefs = list_prefectures(session)
    if code:
        code = code.strip().upper()
        for p in prefs:
            if p.code == code or p.code == code.zfill(2):
                return p
        raise PrefectureError(f"aucune préfecture de code {code} (lancez « python -m qep_core init --prefecture {code} »)")
    if not prefs:
        raise PrefectureError("aucune préfecture : lancez « python -m qep_core init --demo » ou « init --prefecture CODE »")
    if len(prefs) > 1:
        codes = ", ".join(p.code for p in prefs)
        raise PrefectureError(f"plusieurs préfectures ({codes}) : précisez --prefecture CODE")
    return prefs[0]


def labelled_modules(session: Session, prefecture_id: int) -> list[str]:
    rows = session.exec(select(PrefectureModule.module_code).where(PrefectureModule.prefecture_id == prefecture_id))
    return sorted(rows, key=lambda c: (c not in ("PIL", "LAB"), c))


def set_labelled_modules(session: Session, prefecture_id: int, modules: list[str]) -> None:
    for row in session.exec(select(PrefectureModule).where(PrefectureModule.prefecture_id == prefecture_id)):
        session.delete(row)
    session.flush()
    for mod in dict.fromkeys(("M1", "PIL", "LAB", *modules)):
        session.add(PrefectureModule(prefecture_id=prefecture_id, module_code=mod))
    session.flush()


def perimetres_of(session: Session, prefecture_id: int) -> list[Perimetre]:
    return list(session.exec(select(Perimetre).where(Perimetre.prefecture_id == prefecture_id).order_by(Perimetre.name)))


def whole_prefecture(session: Session, prefecture_id: int) -> Perimetre:
    row = session.exec(
        select(Perimetre).where(Perimetre.prefecture_id == prefecture_id, Perimetre.kind == "prefecture")
    ).first()
    if row is None:  # a préfecture created by an older version
        row = Perimetre(prefecture_id=prefecture_id, name=WHOLE_PREFECTURE, kind="prefecture")
        session.add(row)
        session.flush()
    return row


def perimetre_key(name: str) -> str:
    """Names match across sheets whatever the case, accents and dots: ``Élect.`` = ``elect``."""
    return normalize(name)


def guess_perimetre_kind(name: str) -> str:
    key = perimetre_key(name)
    if "@" in name or key.startswith(("boite", "bal ", "pref ")):
        return "mailbox"
    if key.startswith(("sous prefecture", "sp ")):
        return "sous-prefecture"
    return "service"
