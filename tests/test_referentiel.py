from __future__ import annotations

import json

import pytest
from sqlmodel import select

from qep_core.db import session_scope
from qep_core.models import Engagement, Indicator
from qep_core.referentiel import (
    REFERENTIEL_PATH,
    ReferentielError,
    add_engagement,
    add_indicator,
    engagements_for,
    indicators_for,
    rename_engagement,
    seed_referentiel,
)

CATALOGUE = [
    "TEL_ABOUTIS", "RECLA_DELAI", "RECLA_DELAI_MOYEN", "PAN_USAGERS", "PAN_SATISFACTION", "COURRIER_10J",
    "COURRIER_DELAI_MOYEN", "COURRIEL_5J", "COURRIEL_DELAI_MOYEN", "SITE_MAJ_3J", "SITE_CONNEXION", "RS_ENGAGEMENT",
    "ACCUEIL_SATISFACTION", "FRAUDE_PC", "COLL_COURRIER_LEGALITE_15J", "COLL_COURRIER_BUDGET_15J",
    "COLL_COURRIEL_LEGALITE_5J", "COLL_COURRIEL_BUDGET_5J", "COLL_RDV_PROPOSITION_4J", "COLL_RDV_10J",
]


def test_catalogue_has_exactly_the_domain_codes(engine, prefecture):
    with session_scope(engine) as session:
        codes = [d.code for d in indicators_for(session, prefecture.id)]
    assert codes == CATALOGUE


def test_indicator_attributes(engine, prefecture):
    with session_scope(engine) as session:
        by_code = {d.code: d for d in indicators_for(session, prefecture.id)}
    tel = by_code["TEL_ABOUTIS"]
    assert (tel.kind, tel.unit, tel.direction, tel.default_target, tel.frequency) == ("rate", "%", ">=", 90, "monthly")
    assert tel.engagement_key == "E10" and tel.module_code == "M1"
    assert set(tel.counts) == {"numerator", "denominator", "complement"}
    delay = by_code["COURRIEL_DELAI_MOYEN"]
    assert (delay.kind, delay.unit, delay.direction, delay.default_target) == ("mean_delay", "j", "<=", 5)
    assert by_code["FRAUDE_PC"].unit == "‰" and by_code["FRAUDE_PC"].module_code == "M2"
    assert by_code["SITE_CONNEXION"].frequency == "quarterly"
    assert by_code["PAN_USAGERS"].default_target is None
    assert by_code["COLL_RDV_10J"].engagement_key == "E37" and by_code["COLL_RDV_10J"].module_code == "M4"


def test_engagements_and_modules(engine, prefecture):
    with session_scope(engine) as session:
        engs = {e.key: e for e in engagements_for(session, prefecture.id)}
    assert [engs[f"E{n}"].number for n in range(1, 21)] == list(range(1, 21))
    assert {engs[k].module_code for k in ("E34", "E35", "E36", "E37")} == {"M4"}
    assert {engs[f"E{n}"].module_code for n in range(41, 47)} == {"M6"}
    assert engs["PIL5"].title == "Comité des usagers" and engs["LAB1"].title == "Bilans annuels"
    raw = json.loads(REFERENTIEL_PATH.read_text(encoding="utf-8"))
    assert [m["number"] for m in raw["modules"] if m["kind"] == "module"] == list(range(1, 9))


def test_seeding_twice_adds_nothing(engine):
    with session_scope(engine, write=True) as session:
        assert seed_referentiel(session) == 0


def test_prefecture_changes_never_edit_defaults(engine, prefecture):
    with session_scope(engine, write=True) as session:
        rename_engagement(session, prefecture, "E17", "Nous répondons vite")
        add_engagement(session, prefecture, key="E21", number=21, module_code="M2", title="Titres sécurisés")
        own = add_indicator(session, prefecture, {
            "code": "cni_delai", "label": "Délai de délivrance des CNI", "kind": "mean_delay", "engagement": "E21",
            "direction": "<=", "target": 15, "value": {"label": "Délai moyen", "aliases": ["delai moyen"]},
            "count": {"label": "Titres délivrés", "aliases": ["titres delivres"]}})
    with session_scope(engine) as session:
        engs = {e.key: e for e in engagements_for(session, prefecture.id)}
        default = session.exec(select(Engagement).where(Engagement.key == "E17", Engagement.prefecture_id.is_(None))).one()
        codes = [d.code for d in indicators_for(session, prefecture.id)]
        defaults = session.exec(select(Indicator).where(Indicator.prefecture_id.is_(None))).all()
    assert engs["E17"].title == "Nous répondons vite"
    assert default.title == "Nous vous répondons dans un délai annoncé et maîtrisé"
    assert engs["E21"].module_code == "M2"
    assert own.code == "CNI_DELAI" and codes[-1] == "CNI_DELAI" and len(defaults) == 20
    with session_scope(engine, write=True) as session, pytest.raises(ReferentielError):
        add_indicator(session, prefecture, {"code": "TEL_ABOUTIS", "label": "x", "kind": "rate", "module": "M1"})
