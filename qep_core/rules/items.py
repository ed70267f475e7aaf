"""Log items (one e-mail, one letter, one complaint…): their statuses and the kinds of logs.

Why one home: the parser sets an item's status, the drill-down filters the late ones, the import
page counts the pending ones and the complaints summary counts all four; each used to spell the
words itself. :class:`ItemStatus` and :class:`LogKind` are :class:`~enum.StrEnum`, equal to the
words stored in the item archives.
"""

from __future__ import annotations

from enum import StrEnum


class ItemStatus(StrEnum):
    IN_TIME = "dans les délais"
    LATE = "hors délai"  # answered, after the deadline
    PENDING = "en attente"  # unanswered, deadline not yet passed: left out of the rates
    OVERDUE = "sans réponse, délai dépassé"  # unanswered past the deadline: counts as not in time

    @property
    def answered(self) -> bool:
        return self in (ItemStatus.IN_TIME, ItemStatus.LATE)

    @property
    def late(self) -> bool:
        return self in (ItemStatus.LATE, ItemStatus.OVERDUE)


ANSWERED_STATUSES = tuple(s for s in ItemStatus if s.answered)
LATE_STATUSES = tuple(s for s in ItemStatus if s.late)


class LogKind(StrEnum):
    COURRIELS = "courriels"
    COURRIERS = "courriers"
    RECLAMATIONS = "reclamations"
    SITE = "site"
    RDV_ELUS = "rdv_elus"
    COURRIERS_ELUS = "courriers_elus"
    APPELS = "appels"

    @property
    def label(self) -> str:
        """« registre des courriels »…"""
        return _LABELS[self]


_LABELS = {
    LogKind.COURRIELS: "registre des courriels", LogKind.COURRIERS: "registre des courriers",
    LogKind.RECLAMATIONS: "registre des suggestions et réclamations",
    LogKind.SITE: "registre des mises à jour du site", LogKind.RDV_ELUS: "registre des rendez-vous d'élus",
    LogKind.COURRIERS_ELUS: "registre des courriers et courriels d'élus", LogKind.APPELS: "relevé des appels",
}
LOG_KINDS = tuple(k.value for k in LogKind)
LOG_KIND_LABELS = {k.value: k.label for k in LogKind}
