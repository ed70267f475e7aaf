"""Text is text: names, labels, remarks, survey headers and comments that come from files or
forms are never read as Markdown or HTML, on any page, for any role that sees them.

The demo préfecture's texts are overwritten with a payload holding every kind of markup
(tests/markup_probe.py); each page is then run headless and every text it renders as Markdown,
and every text of its figures, is probed.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qep_core.access import Principal
from qep_core.db import get_engine
from qep_ui.widgets import plain
from tests.markup_probe import assert_text_only, figure_texts, markdown_texts, opened_views, payload_database
from tests.signed_in import give_accounts

APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.fixture(scope="module")
def payload_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return payload_database(tmp_path_factory.mktemp("plain-text") / "demo.db")


@pytest.fixture
def local(payload_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("QEP_DATABASE_URL", payload_url)
    monkeypatch.delenv("QEP_AUTH", raising=False)
    return payload_url


def open_page(page: str, principal: Principal | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=90)
    if principal is not None:
        at.session_state["_principal"] = principal
    for key, value in {"annee": "2024", **query}.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


# (page, address query); the payload is shown as Markdown text on each but those of NOT_IN_MARKDOWN
PAGES = [
    ("pages/tableau_de_bord.py", {}),
    ("pages/indicateurs.py", {"ind": "COURRIEL_5J"}),
    ("pages/engagements.py", {}),
    ("pages/engagements.py", {"dossier": "E3"}),
    ("pages/enquetes.py", {}),
    ("pages/audits.py", {}),
    ("pages/plan_actions.py", {}),
    ("pages/formations.py", {}),
    ("pages/revue.py", {}),
    ("pages/historique.py", {}),
    ("pages/comparaison.py", {}),
    ("pages/exports.py", {}),
    ("pages/parametres.py", {}),
    ("pages/saisie.py", {}),
    ("pages/import_fichiers.py", {}),
    ("pages/signaux.py", {}),
    ("pages/collecte.py", {}),
]
NOT_IN_MARKDOWN = {"pages/comparaison.py",  # one préfecture only: no comparison (its chart: test_chart_texts)
                   "pages/saisie.py"}  # périmètre names in a select box's options only


@pytest.mark.parametrize(("page", "query"), PAGES, ids=[f"{p.removeprefix('pages/')}{'?' + '&'.join(q) if q else ''}"
                                                        for p, q in PAGES])
def test_every_page_shows_data_as_text(local: str, page: str, query: dict[str, str]) -> None:
    at = open_page(page, **query)
    assert_text_only(at, shown=page not in NOT_IN_MARKDOWN)
    for view in islice(opened_views(at), 1, None):  # what a user opens: every tab, every engagement
        assert_text_only(view, shown=False)
    if page == "pages/indicateurs.py":  # the périmètres' bars, the indicator's label in titles
        assert any("&lt;img" in t for t in figure_texts(at))


def test_plain_escapes_every_marker() -> None:
    assert plain("![x](u) <b> [a](b) $x$ **g** _i_ ~s~ `c` # h | t \\ &lt;") == (
        "\\!\\[x\\](u) \\<b\\> \\[a\\](b) \\$x\\$ \\*\\*g\\*\\* \\_i\\_ \\~s\\~ \\`c\\` \\# h \\| t \\\\ \\&lt;")


def test_the_probe_sees_what_streamlit_renders(local: str) -> None:
    """The probe itself: it reads titles, captions, expander and tab labels, metric labels…"""
    at = open_page("pages/engagements.py")
    kinds = {kind for kind, _, _ in markdown_texts(at)}
    assert {"title", "markdown", "caption"} <= kinds, kinds


@pytest.mark.parametrize("role", ["lecture-clu", "copil", "contributeur"])
@pytest.mark.parametrize(("page", "query"), [("pages/tableau_de_bord.py", {}), ("pages/engagements.py", {"dossier": "E3"}),
                                             ("pages/enquetes.py", {}), ("pages/revue.py", {})])
def test_other_roles_see_data_as_text(payload_url: str, monkeypatch: pytest.MonkeyPatch, role: str, page: str,
                                      query: dict[str, str]) -> None:
    monkeypatch.setenv("QEP_DATABASE_URL", payload_url)
    monkeypatch.setenv("QEP_AUTH", "accounts")
    who = Principal(f"{role}-probe", role, prefecture_ids=frozenset({1}),
                    perimetre_ids=frozenset({2}) if role == "contributeur" else None)
    give_accounts(get_engine(payload_url), who)
    at = open_page(page, who, **query)
    assert_text_only(at)
    for view in islice(opened_views(at), 1, None):
        assert_text_only(view, shown=False)
