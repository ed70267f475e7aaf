"""The « Signaux » page (AppTest): the demo's alerts newest first, the filter by kind, the link that
opens the indicator on its month, the subscriptions of the référent(e) qualité, what a contributor
is told; and the Import page saying what a save raised."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL, Principal
from qep_core.db import get_engine
from qep_core.models import Prefecture
from tests.conftest import make_workbook
from tests.signed_in import give_accounts
from tests.test_pages import demo_url  # noqa: F401  (the module's demo database, loaded once)
from tests.test_pilotage_pages import open_page

APP = Path(__file__).resolve().parent.parent / "app.py"
PAGE = "pages/signaux.py"


@pytest.fixture
def demo(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    monkeypatch.setenv("QEP_DATABASE_URL", demo_url)
    monkeypatch.delenv("QEP_SMTP_HOST", raising=False)
    return demo_url


def demo_alerts(url: str) -> list[services.alerts.AlertLine]:
    return services.alerts.list_alerts(services.Actor(LOCAL_PRINCIPAL, get_engine(url)), 1)


def cards(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if " — " in m.value and " · " in m.value]


def test_the_page_lists_the_demo_s_alerts_newest_first_each_linking_to_its_indicator(demo: str) -> None:
    at = open_page(PAGE)
    assert at.title[0].value == "Signaux"
    expected = demo_alerts(demo)
    assert 5 <= len(expected) <= 60  # the demo's last twelve months: a list to read, not hundreds of lines
    shown = cards(at)
    assert len(shown) == len(expected)
    first = expected[0]
    assert first.label in shown[0] and first.kind_label in shown[0]
    assert any(m.value == first.message.replace("(", "\\(").replace(")", "\\)") or first.message[:30] in m.value
               for m in at.markdown)
    links = at.get("page_link")
    assert len(links) >= len(expected)
    assert any("courriel" in c.value for c in at.caption)  # the subscriptions part, for the administrator
    assert any("Courriels désactivés" in w.value for w in at.warning)


def test_the_filter_by_kind(demo: str) -> None:
    at = open_page(PAGE)
    at.get("button_group")[0].set_value(["cible"]).run()
    assert not at.exception, at.exception
    expected = [a for a in demo_alerts(demo) if a.kind == "cible"]
    assert len(cards(at)) == len(expected) > 0
    assert all("cible manquée" in c for c in cards(at))


def test_the_link_opens_the_indicator_on_its_month(demo: str) -> None:
    alert = demo_alerts(demo)[0]
    query = {"pref": "44", "ind": alert.indicator_code, "annee": str(alert.month.year), "vue": "mois",
             "mois": str(alert.month.month)}
    at = open_page("pages/indicateurs.py", **query)
    assert at.selectbox(key="ind").value == alert.indicator_code
    assert at.selectbox(key="mois").value == alert.month.month
    assert at.title[0].value == alert.label


def test_the_referent_adds_and_removes_a_subscription(demo: str) -> None:
    at = open_page(PAGE)
    at.text_input[0].input("suivi@demo.gouv.fr")  # a form: typed and submitted in the same run
    next(b for b in at.button if b.label == "Abonner").click().run()
    assert not at.exception, at.exception
    assert any("suivi@demo.gouv.fr recevra les alertes : tous les indicateurs" in s.value for s in at.success)
    table = next(d.value for d in at.dataframe if "Adresse" in d.value.columns)
    assert list(table["Adresse"]) == ["suivi@demo.gouv.fr"]
    at.text_input[0].input("pas une adresse")
    next(b for b in at.button if b.label == "Abonner").click().run()
    assert any("Adresse de courriel invalide" in e.value for e in at.error)
    next(b for b in at.button if b.label == "Retirer").click().run()
    assert any("Abonnement retiré : suivi@demo.gouv.fr" in s.value for s in at.success)
    assert not [d for d in at.dataframe if "Adresse" in d.value.columns]


def test_a_contributor_is_told_alerts_are_prefecture_wide(demo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QEP_AUTH", "accounts")
    service = Principal("svc44", "contributeur", prefecture_ids=frozenset({1}), perimetre_ids=frozenset({2}))
    give_accounts(get_engine(demo), service)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["_principal"] = service
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert any("préfecture entière" in i.value for i in at.info)
    assert cards(at) == [] and not any(b.label == "Abonner" for b in at.button)


def test_the_import_page_says_what_a_save_raised(engine: Engine, prefecture: Prefecture,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    monkeypatch.delenv("QEP_SMTP_HOST", raising=False)
    data = make_workbook({"Suivi": [["Suivi 2024"], ["indicateur", "période", "périmètre", "numérateur", "dénominateur"],
                                    ["COURRIEL_5J", "2024-05", "", 190, 200], ["COURRIEL_5J", "2024-06", "", 160, 200]]})
    at = open_page("pages/import_fichiers.py")
    at.file_uploader[0].upload("courriels.xlsx", data).run()
    [save] = [b for b in at.button if b.key and b.key.startswith("save-") and b.key != "save-all"]
    save.click().run()
    assert not at.exception, at.exception
    assert any(i.value.startswith("1 alerte : Taux de réponse aux courriels") and "Courriels désactivés" in i.value
               for i in at.info)
    assert any(link.label == "Voir les signaux" for link in at.get("page_link"))
