"""The world every permission-matrix test acts in: two préfectures, one account per role.

Préfecture 44 has two services, « Coordination » (the contributor's own périmètre) and
« Étrangers » (another service's); préfecture 38 is another préfecture. Each test file of the
matrix (``tests/test_access_*.py``) lists, for each of its service functions, what each actor
may do on its own périmètre, on another service's, and in another préfecture, and declares the
operations it covers in ``COVERED``: ``tests/test_access_matrix.py`` fails when a registered
operation is in none.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL, Principal
from qep_core.db import session_scope
from qep_core.models import Perimetre
from qep_core.prefectures import create_prefecture, whole_prefecture

#: The actors of the matrix, by the name the rows use.
ROLES_UNDER_TEST = ("admin", "copil", "contributeur", "lecture-clu", "admin-38", "local")


@dataclass(frozen=True)
class World:
    database: Engine
    pref: int  # 44
    other_pref: int  # 38
    own: int  # périmètre « Coordination » of 44: the contributor's
    other: int  # périmètre « Étrangers » of 44: another service's
    other_pref_perimetre: int  # a service of 38
    actors: dict[str, services.Actor]

    def actor(self, role: str) -> services.Actor:
        return self.actors[role]


def build_world(engine: Engine) -> World:
    with session_scope(engine, write=True) as session:
        p44 = create_prefecture(session, "44", "Préfecture de test", ("M2", "M4"))
        p38 = create_prefecture(session, "38", "Autre préfecture", ())
        whole_prefecture(session, p44.id or 0)
        whole_prefecture(session, p38.id or 0)
        own = Perimetre(prefecture_id=p44.id or 0, name="Coordination", kind="mailbox")
        other = Perimetre(prefecture_id=p44.id or 0, name="Étrangers", kind="mailbox")
        elsewhere = Perimetre(prefecture_id=p38.id or 0, name="Standard", kind="service")
        session.add_all([own, other, elsewhere])
        session.flush()
        ids = (p44.id or 0, p38.id or 0, own.id or 0, other.id or 0, elsewhere.id or 0)
    pref, other_pref, own_id, other_id, elsewhere_id = ids

    def principal(login: str, role: str, prefecture: int, perimetres: frozenset[int] | None = None) -> Principal:
        return Principal(login=login, role=role, display_name=login, prefecture_ids=frozenset({prefecture}),
                         perimetre_ids=perimetres if role == "contributeur" else None)

    actors = {
        "admin": principal("rq44", "admin", pref),
        "copil": principal("sg44", "copil", pref),
        "contributeur": principal("coordination44", "contributeur", pref, frozenset({own_id})),
        "lecture-clu": principal("clu44", "lecture-clu", pref),
        "admin-38": principal("rq38", "admin", other_pref),
        "local": LOCAL_PRINCIPAL.named("Marie"),
    }
    return World(engine, pref, other_pref, own_id, other_id, elsewhere_id,
                 {k: services.Actor(v, engine) for k, v in actors.items()})
