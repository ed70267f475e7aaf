"""The regional view: one indicator across préfectures, each against its own target, weighted total."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from qep_core.access import Principal
from qep_core.db import session_scope
from qep_core.importing import import_file
from qep_core.periods import year_period
from qep_core.prefectures import create_prefecture
from qep_core.referentiel import indicators_for, set_target
from qep_core.regional import compare_prefectures, group_value
from tests.signed_in import give_accounts

APP = Path(__file__).resolve().parent.parent / "app.py"
HEADER = "indicateur;periode;numerateur;denominateur\n"


@pytest.fixture
def two_prefectures(engine: Engine, prefecture) -> tuple[int, int, int]:
    with session_scope(engine, write=True) as session:
        other = create_prefecture(session, "57", "Préfecture de la Moselle", ("M2",))
        third = create_prefecture(session, "974", "Préfecture de La Réunion", ())
        set_target(session, other.id, "COURRIEL_5J", 2024, 80.0, 70.0)
        ids = (prefecture.id, other.id or 0, third.id or 0)
    # 44: 90/100 + 95/100 = 92.5 % ; 57: 150/200 = 75 % (own target 80 % → à surveiller from 70)
    import_file(engine, ids[0], "44.csv", (HEADER + "COURRIEL_5J;2024-01;90;100\nCOURRIEL_5J;2024-02;95;100\n").encode())
    import_file(engine, ids[1], "57.csv", (HEADER + "COURRIEL_5J;2024-01;150;200\n").encode())
    return ids


def test_each_prefecture_against_its_own_target_and_a_weighted_total(engine: Engine, two_prefectures) -> None:
    p44, p57, _ = two_prefectures
    with session_scope(engine) as session:
        ind = next(d for d in indicators_for(session, p44) if d.code == "COURRIEL_5J")
        frame = compare_prefectures(session, ind, year_period(2024))
    by_code = frame.set_index("code_departement")
    assert by_code.at["44", "value"] == pytest.approx(92.5) and by_code.at["44", "status"] == "atteint"
    assert by_code.at["57", "value"] == pytest.approx(75.0) and by_code.at["57", "target"] == 80.0
    assert by_code.at["57", "status"] == "à surveiller"
    assert by_code.at["974", "status"] == "pas de donnée"
    assert list(frame["code_departement"]) == ["44", "57", "974"]  # best first, no data last
    assert group_value(ind, frame) == pytest.approx(100 * 335 / 400)  # 83.75 %, not (92.5 + 75) / 2
    with session_scope(engine) as session:
        only = compare_prefectures(session, ind, year_period(2024), [p57])
    assert list(only["code_departement"]) == ["57"]  # scoped: another préfecture's figure never leaks


def test_comparison_page_for_a_regional_account(engine: Engine, two_prefectures, monkeypatch) -> None:
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    monkeypatch.setenv("QEP_AUTH", "accounts")
    give_accounts(engine, Principal("region", "copil"), Principal("sg", "copil", prefecture_ids=frozenset({two_prefectures[0]})))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["_principal"] = Principal("region", "copil")  # no préfecture: every one of them
    at.query_params["annee"] = "2024"
    at.run()
    at.switch_page("pages/comparaison.py").run()
    at.selectbox(key="cmp-ind").set_value("COURRIEL_5J").run()
    assert not at.exception
    assert at.title[0].value == "Comparaison des préfectures"
    assert any("83,8 %" in c.value or "83,75" in c.value for c in at.caption), [c.value for c in at.caption]
    table = at.dataframe[0].value
    assert list(table["Département"]) == ["44", "57", "974"]
    # an account of one préfecture sees no comparison
    single = AppTest.from_file(str(APP), default_timeout=60)
    single.session_state["_principal"] = Principal("sg", "copil", prefecture_ids=frozenset({two_prefectures[0]}))
    single.run()
    single.switch_page("pages/comparaison.py").run()
    assert not single.exception and any("Une seule préfecture" in i.value for i in single.info)
