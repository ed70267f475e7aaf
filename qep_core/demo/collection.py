"""The demo préfecture's declarations of who supplies what (:mod:`qep_core.collection`).

Every demo périmètre that sends figures is declared with what it sends and fictitious
``@demo.gouv.fr`` addresses (functional mailboxes and teams, no person). With the demo files, the
collection board of 2024 shows one late service (the Commissions médicales mailbox: nothing for
August and September) and one partial (the sous-préfecture's September export lacks a code):
see :data:`qep_core.demo.indicators.LATE_BOX` and ``PARTIAL_MISSING``.
"""

from __future__ import annotations

from sqlmodel import Session, select

from qep_core.collection.sources import Contact, set_source, source_of
from qep_core.demo.indicators import DEMO_USER, MAILBOXES, SOUS_PREFECTURE
from qep_core.models import Perimetre
from qep_core.prefectures import WHOLE_PREFECTURE

MAIL_CODES = ("COURRIEL_5J", "COURRIEL_DELAI_MOYEN")
WHOLE_CODES = ("TEL_ABOUTIS", "RECLA_DELAI", "RECLA_DELAI_MOYEN", "PAN_USAGERS", "PAN_SATISFACTION", "COURRIER_10J",
               "COURRIER_DELAI_MOYEN", "SITE_MAJ_3J", "COLL_COURRIER_LEGALITE_15J", "COLL_COURRIER_BUDGET_15J",
               "COLL_COURRIEL_LEGALITE_5J", "COLL_COURRIEL_BUDGET_5J", "COLL_RDV_PROPOSITION_4J", "COLL_RDV_10J",
               "SITE_CONNEXION", "RS_ENGAGEMENT", "FRAUDE_PC", "ACCUEIL_SATISFACTION")

#: périmètre → (indicators, contacts, due day)
DECLARATIONS: dict[str, tuple[tuple[str, ...], tuple[Contact, ...], int]] = {
    WHOLE_PREFECTURE: (WHOLE_CODES, (Contact("mission-qualite@demo.gouv.fr", "Mission qualité"),
                                     Contact("standard@demo.gouv.fr", "Standard téléphonique")), 10),
    **{box.perimetre: (MAIL_CODES, (Contact(box.address),), 10) for box in MAILBOXES},
    SOUS_PREFECTURE: (("COURRIER_10J", "COURRIER_DELAI_MOYEN", *MAIL_CODES),
                      (Contact("sp-saint-nazaire@demo.gouv.fr", "Secrétariat général de la sous-préfecture"),), 15),
}


def declare_demo_sources(session: Session, prefecture_id: int) -> int:
    """Declare each demo périmètre not declared yet (loading twice, or after an edit, changes nothing)."""
    declared = 0
    for row in session.exec(select(Perimetre).where(Perimetre.prefecture_id == prefecture_id)):
        wanted = DECLARATIONS.get(row.name)
        if wanted is None or source_of(session, prefecture_id, row.id or 0) is not None:
            continue
        codes, contacts, due_day = wanted
        set_source(session, prefecture_id, row.id or 0, codes, contacts, due_day, author=DEMO_USER)
        declared += 1
    return declared
