"""The name in French of each form an imported file can take (a batch's ``kind``), and of a batch's state.

Why one home: the codes (``long``, ``wide``, ``enquete``, ``journal:courriels``…) are stored with
each import batch and in the change history; the import summary, the Import page and the
Historique page each used to spell them their own way, and the history showed the bare code
(« enquete »). They all read :func:`format_label` now.
"""

from __future__ import annotations

FORMAT_LABELS: dict[str, str] = {
    "long": "format long",
    "wide": "tableau de suivi (mois en colonnes)",
    "long/wide": "format long et tableau de suivi",
    "saisie": "saisie dans l'application",
    "enquete": "enquête de satisfaction",
    "mystere": "contrôles mystères",
    "inconnu": "forme non reconnue",
}
JOURNAL_PREFIX = "journal:"
#: The state of an import batch (``ImportBatch.status``).
BATCH_STATUS_LABELS: dict[str, str] = {"imported": "importé", "undone": "annulé"}


def format_label(kind: str) -> str:
    """``enquete`` → « enquête de satisfaction », ``journal:courriels`` → « journal « courriels » »;
    an unknown code is shown as it is rather than hidden."""
    if kind.startswith(JOURNAL_PREFIX):
        return f"journal « {kind.removeprefix(JOURNAL_PREFIX)} »"
    return FORMAT_LABELS.get(kind, kind)
