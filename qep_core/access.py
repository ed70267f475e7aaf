"""Who acts and what they may do: roles, their permissions, and the one check every operation makes.

Four roles, as a préfecture runs the label:

* ``admin`` — the référent(e) qualité: everything, on the préfectures of the account (or all of
  them for an account without one);
* ``copil`` — a member of the steering committee: reads everything of its préfecture, item logs
  and périmètre detail included, and comments the quarterly review;
* ``contributeur`` — a service: imports and reads the data of its own périmètres;
* ``lecture-clu`` — the users' committee: public-safe views only (no périmètre below the size
  threshold, no free text, no item logs, no internal comments, audit remarks or owners' names).

:func:`check` is the one place where a permission and a scope (préfecture, périmètres) are
decided; every service function calls it before touching the database, whoever calls the
service (a page, the CLI, a test). A hidden button is not a permission.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from qep_core.config import auth_mode
from qep_core.frenchforms import plural

__all__ = ["ACTION_LABELS", "LOCAL_PRINCIPAL", "PERMISSIONS", "ROLES", "AccessDenied", "Principal", "auth_mode",
           "check", "check_perimetres"]

LOCAL_NAME = "Poste local"
DEFAULT_AUTHOR = "référent qualité"

ROLES: dict[str, str] = {
    "admin": "Référent(e) qualité (administration)",
    "copil": "Comité de pilotage (lecture, commentaires)",
    "contributeur": "Service contributeur (imports sur ses périmètres)",
    "lecture-clu": "Comité local des usagers (vues publiques)",
}

#: What each role may do. Actions are named for what the user does, not for a page.
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"read", "read_detail", "read_items", "read_personal", "import", "enter", "comment",
                        "edit_targets", "edit_settings", "edit_pilotage", "export", "export_internal",
                        "manage_users", "history", "compare", "validate_imports"}),
    "copil": frozenset({"read", "read_detail", "read_items", "comment", "export", "export_internal", "history",
                        "compare"}),
    "contributeur": frozenset({"read", "read_detail", "read_items", "import", "enter"}),
    "lecture-clu": frozenset({"read", "export"}),
}
ACTION_LABELS: dict[str, str] = {
    "read": "consulter les indicateurs", "read_detail": "voir le détail par périmètre",
    "read_items": "ouvrir les tableaux de suivi élément par élément",
    "read_personal": "voir les données personnelles (expéditeurs, commentaires non masqués)",
    "import": "importer des fichiers", "enter": "saisir des valeurs", "comment": "commenter la revue trimestrielle",
    "edit_targets": "modifier les cibles", "edit_settings": "modifier les paramètres",
    "edit_pilotage": "modifier le plan d'actions, les audits et les formations", "export": "exporter",
    "export_internal": "exporter les documents internes (COPIL, détail)", "manage_users": "gérer les comptes",
    "history": "consulter l'historique des modifications", "compare": "comparer les préfectures",
    "validate_imports": "valider les dépôts des services",
}


class AccessDenied(PermissionError):
    """A refused operation, with the French sentence to show (the page, the CLI and tests alike)."""


def outside_perimetres(shown: list[str], why: str) -> AccessDenied:
    """The refusal of périmètres the account does not cover, *shown* already quoted, the article
    and noun agreeing with how many (one sentence for the import, the entry and the dashboard)."""
    return AccessDenied(f"Accès refusé : votre compte ne couvre pas {plural(len(shown), 'le périmètre', 'les périmètres')} "
                        f"{', '.join(shown)} ; {why}")


#: Why a contributor is refused a périmètre that is not theirs when writing.
WRITE_OWN_ONLY = "seuls vos périmètres peuvent être importés, saisis ou annulés."


@dataclass(frozen=True)
class Principal:
    """Who is asking: enough to answer every permission question without the database."""

    login: str
    role: str
    display_name: str = ""
    prefecture_ids: frozenset[int] | None = None  # None: every préfecture
    perimetre_ids: frozenset[int] | None = None  # None: every périmètre (all roles but contributeur)
    local: bool = False  # the embedded single-user mode of a laptop: no sign-in
    actions: frozenset[str] = field(default_factory=frozenset)

    def can(self, action: str) -> bool:
        return action in (self.actions or PERMISSIONS.get(self.role, frozenset()))

    def sees_prefecture(self, prefecture_id: int) -> bool:
        return self.prefecture_ids is None or prefecture_id in self.prefecture_ids

    def sees_perimetre(self, perimetre_id: int) -> bool:
        return self.perimetre_ids is None or perimetre_id in self.perimetre_ids

    @property
    def public_only(self) -> bool:
        """Public-safe views only: aggregates, no small périmètres, no free text, no item logs."""
        return not self.can("read_detail")

    @property
    def author(self) -> str:
        """The name the change history records: the account's login, or on a single-user laptop
        the name typed once (``named``), else "référent qualité"."""
        if not self.local:
            return self.login
        return self.display_name if self.display_name != LOCAL_NAME else DEFAULT_AUTHOR

    def named(self, name: str) -> Principal:
        """The laptop's principal under the name its user typed (local mode only)."""
        if not self.local:
            return self
        return replace(self, display_name=name.strip() or LOCAL_NAME)

    @property
    def label(self) -> str:
        return f"{self.display_name or self.login} — {ROLES.get(self.role, self.role)}"


LOCAL_PRINCIPAL = Principal(login="poste-local", role="admin", display_name=LOCAL_NAME, local=True)


def check(principal: Principal, action: str, *, prefecture_id: int | None = None,
          perimetre_ids: Iterable[int] = ()) -> None:
    """Refuse (:class:`AccessDenied`) unless *principal* may do *action* on that préfecture and
    on every one of those périmètres."""
    if not principal.can(action):
        raise AccessDenied(f"Accès refusé : votre rôle ({ROLES.get(principal.role, principal.role)}) ne permet pas "
                           f"de {ACTION_LABELS.get(action, action)}.")
    if prefecture_id is not None and not principal.sees_prefecture(prefecture_id):
        raise AccessDenied("Accès refusé : cette préfecture n'est pas dans le périmètre de votre compte.")
    check_perimetres(principal, perimetre_ids)


def check_perimetres(principal: Principal, perimetre_ids: Iterable[int], names: dict[int, str] | None = None) -> None:
    """Refuse unless every périmètre is one of the principal's (contributors are limited to theirs)."""
    if principal.perimetre_ids is None:
        return
    outside = sorted({p for p in perimetre_ids if p not in principal.perimetre_ids})
    if outside:
        raise outside_perimetres([f"« {names[p]} »" if names and p in names else f"n° {p}" for p in outside],
                                 WRITE_OWN_ONLY)
