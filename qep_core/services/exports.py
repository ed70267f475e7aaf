"""Exports: the one entry point of the Exports page and of ``python -m qep_core export``.

Public documents (CLU deck, transparency poster, Services Publics+ file) need ``export``; the
internal ones (COPIL deck, annual bilan with the COPIL's minutes, workbook with the détail par
périmètre) need ``export_internal``. A document covers the whole préfecture, so a principal
limited to some périmètres (a contributor, who has no ``export`` right anyway) is refused rather
than handed figures of other services: cutting a deck to one service would make a different
document, which nobody asked for.
"""

from __future__ import annotations

from collections.abc import Callable

from qep_core.access import AccessDenied, check
from qep_core.exports.content import DEFAULT_MIN_VOLUME
from qep_core.exports.service import (
    KIND_LABELS,
    KINDS,
    SLOW_KINDS,
    ExportError,
    ExportFile,
    ExportRequest,
    build_export,
)
from qep_core.services._unit import Actor, operation

__all__ = ["DEFAULT_MIN_VOLUME", "KINDS", "KIND_LABELS", "PUBLIC_KINDS", "SLOW_KINDS", "ExportError", "ExportFile",
           "ExportRequest", "build", "kinds_for", "required_action"]

#: What the users' committee and the public may be given.
PUBLIC_KINDS = frozenset({"clu", "affiche", "sp-plus"})


def required_action(kind: str) -> str:
    return "export" if kind in PUBLIC_KINDS else "export_internal"


def kinds_for(actor: Actor) -> list[str]:
    """The documents this principal may prepare, in the page's order."""
    return [k for k in KINDS if actor.principal.can(required_action(k))]


@operation("export", writes=False)
def build(actor: Actor, prefecture_id: int, request: ExportRequest,
          progress: Callable[[str], None] | None = None) -> ExportFile:
    """Build one document (module docstring for who may); *progress* receives French step names."""
    check(actor.principal, "export", prefecture_id=prefecture_id)
    check(actor.principal, required_action(request.kind), prefecture_id=prefecture_id)
    if actor.principal.perimetre_ids is not None:
        raise AccessDenied("Accès refusé : les documents exportés couvrent toute la préfecture ; votre compte est "
                           "limité à certains périmètres.")
    return build_export(actor.database, prefecture_id, request, progress=progress)
