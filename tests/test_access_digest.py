"""Permission matrix of the monthly digest (see tests/access_world.py).

The digest is a COPIL document of the whole préfecture (``export_internal``): the référent(e)
qualité, the COPIL and the single-user laptop build and send it for their préfecture; the users'
committee (public views only), a contributor (its own périmètres only) and another préfecture's
administrator are refused, and nothing is sent for them.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from qep_core import services
from qep_core.access import AccessDenied
from tests.access_world import World
from tests.smtp import Mailbox
from tests.test_digest import JUNE, seed_month

COVERED = {"digest.build_digest", "digest.send_digest"}

ALLOWED = {"admin": True, "copil": True, "contributeur": False, "lecture-clu": False, "admin-38": False,
           "local": True}
ADDRESS = "copil@loire-atlantique.gouv.fr"


@pytest.mark.parametrize("role", list(ALLOWED))
def test_only_who_may_export_internal_documents_builds_and_sends_the_digest(world: World, role: str,
                                                                            smtp_server: Mailbox) -> None:
    seed_month(world.database, world.pref)
    actor = world.actor(role)
    if ALLOWED[role]:
        built = services.digest.build_digest(actor, world.pref, JUNE)
        assert built.pdf.startswith(b"%PDF") and "juin 2024" in built.summary
        [delivery] = services.digest.send_digest(actor, world.pref, JUNE, [ADDRESS])
        assert delivery.state == services.digest.SENT and len(smtp_server.to(ADDRESS)) == 1
        history = services.history.change_history(world.actor("admin"), world.pref)
        assert f"envoyée à {ADDRESS}" in set(history.loc[history["Quoi"] == "Synthèse mensuelle", "Résumé"])
    else:
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.digest.build_digest(actor, world.pref, JUNE)
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.digest.send_digest(actor, world.pref, JUNE, [ADDRESS])
        assert smtp_server.messages == []


def test_an_administrator_sends_the_digest_of_its_own_prefecture_only(world: World, smtp_server: Mailbox) -> None:
    """38's administrator on 38 (no data: a French refusal, not a leak of 44's figures)."""
    seed_month(world.database, world.pref)
    with pytest.raises(services.digest.DigestError, match="aucune valeur pour juin 2024"):
        services.digest.build_digest(world.actor("admin-38"), world.other_pref, JUNE)
    assert smtp_server.messages == []


def test_a_copil_member_limited_to_perimetres_is_refused(world: World) -> None:
    """An account cut to some périmètres would get the whole préfecture's figures: refused."""
    seed_month(world.database, world.pref)
    copil = world.actor("copil")
    cut = services.Actor(replace(copil.principal, perimetre_ids=frozenset({world.own})), world.database)
    with pytest.raises(AccessDenied, match="couvre toute la préfecture"):
        services.digest.build_digest(cut, world.pref, JUNE)
