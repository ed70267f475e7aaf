"""Public names of périmètres: the rule, public documents that show only them, and the ways to set one
(service with its history line, Paramètres grid, command line)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from pptx import Presentation
from sqlalchemy.engine import Engine
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL
from qep_core.cli.main import main
from qep_core.db import create_schema, get_engine, session_scope
from qep_core.demo import load_demo
from qep_core.demo.indicators import PUBLIC_NAMES
from qep_core.exports.content import CLU, OTHER_PERIMETRES, all_text, build_content
from qep_core.exports.service import ExportRequest, build_export
from qep_core.importing import import_file
from qep_core.importing.itemlogs import RECLA_CHANNELS, RECLA_TYPES
from qep_core.models import Perimetre, Prefecture
from qep_core.periods import year_period
from qep_core.rules.public_names import MISSING_PUBLIC_NAME, public_name
from qep_core.users import add_user
from tests.test_compute import long_csv
from tests.test_exports_files import deck_texts, pdf_text, squash
from tests.test_sp_plus import sp_plus_ready

APP = Path(__file__).resolve().parent.parent / "app.py"
SHORTHANDS = ("PC", "CM", "RG", "Coord.", "Étrang.", "Natu.", "Élect.")
PERSON = "Bureau de M. Dupont"


def _labels_of(text: str) -> set[str]:
    """The demo's shorthand names found in *text* as whole words (« FRAUDE_PC » is not « PC »)."""
    return {s for s in SHORTHANDS if re.search(rf"(?<![\w.]){re.escape(s)}(?!\w)", text)}


# ------------------------------------------------------------------------------------------------ the rule


@pytest.mark.parametrize(("name", "typed", "shown"), [
    ("PC", None, None), ("CM", "", None), ("Coord.", "  ", None), ("Étrang.", None, None), ("Élect.", None, None),
    (PERSON, None, None), ("Bureau de Mme Martin", None, None), ("pref-etrangers@demo.gouv.fr", None, None),
    ("Accueil 02 40 41 20 20", None, None),
    ("Boîte préfecture", None, "Boîte préfecture"), ("Sous-préfecture de Saint-Nazaire", None,
                                                     "Sous-préfecture de Saint-Nazaire"),
    ("PC", "  Permis de   conduire ", "Permis de conduire"), (PERSON, "Accueil des usagers", "Accueil des usagers"),
])
def test_the_rule(name: str, typed: str | None, shown: str | None) -> None:
    assert public_name(name, typed) == shown


# ------------------------------------------------------------------------------------------------ the demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = get_engine(f"sqlite:///{tmp_path_factory.mktemp('public-names') / 'demo.db'}")
    create_schema(engine)
    load_demo(engine)
    sp_plus_ready(engine, 1)
    return engine


def _export(engine: Engine, kind: str, prefecture_id: int = 1, quarter: int | None = None, **options: object) -> bytes:
    return build_export(engine, prefecture_id, ExportRequest(kind, 2024, quarter, **options)).data  # type: ignore[arg-type]


def _chart_categories(deck: bytes) -> list[str]:
    prs = Presentation(io.BytesIO(deck))
    return [str(c) for s in prs.slides for sh in s.shapes if sh.has_chart and sh.name == "perimetre_chart"
            for c in sh.chart.plots[0].categories]


def test_the_demo_perimetres_have_their_public_names(demo: Engine) -> None:
    with session_scope(demo) as session:
        rows = {p.name: p.public_name for p in session.exec(select(Perimetre))}
    assert {name: rows[name] for name in PUBLIC_NAMES} == PUBLIC_NAMES
    assert rows["PC"] == "Permis de conduire" and rows["Étrang."] == "Étrangers"


def test_public_documents_of_the_demo_use_public_names_only(demo: Engine) -> None:
    deck = _export(demo, "clu")
    categories = _chart_categories(deck)
    assert any(c.startswith("Permis de conduire (") for c in categories)
    assert any(c.startswith("Étrangers (") for c in categories)
    texts = "\n".join(deck_texts(Presentation(io.BytesIO(deck))))
    assert not _labels_of(texts), _labels_of(texts)
    _, poster = pdf_text(_export(demo, "affiche", quarter=3))
    assert not _labels_of(squash(poster))
    sp_plus = _export(demo, "sp-plus").decode("utf-8-sig")
    assert not _labels_of(sp_plus)
    # the internal deck keeps the services' own names
    copil = "\n".join(deck_texts(Presentation(io.BytesIO(_export(demo, "copil")))))
    assert "PC" in _labels_of(copil)


def test_public_content_holds_only_fixed_vocabulary_for_complaints(demo: Engine) -> None:
    with session_scope(demo) as session:
        content = build_content(session, 1, year_period(2024), CLU)
    assert content.complaints is not None and content.complaints.source == "journal"
    assert set(content.complaints.by_type) <= set(RECLA_TYPES)
    assert set(content.complaints.by_channel) <= set(RECLA_CHANNELS)
    assert not _labels_of(all_text(content))


# ------------------------------------------------------------------------------------------------ names from files


def _actor(engine: Engine) -> services.Actor:
    return services.Actor(LOCAL_PRINCIPAL, engine)


@pytest.fixture
def from_files(engine: Engine, prefecture: Prefecture) -> Prefecture:
    """Four services of 2024 named as their files name them: a person's office, a shorthand, a full
    name, and a second shorthand that will share the full name's public name."""
    rows = []
    for m in range(1, 13):
        for name, answered in ((PERSON, 40), ("PC", 80), ("Service des cartes grises", 60), ("CG", 20)):
            rows.append(["COURRIEL_5J", f"2024-{m:02d}", name, answered, 100, None, None])
    import_file(engine, prefecture.id or 0, "services.csv", long_csv(rows))
    sp_plus_ready(engine, prefecture.id or 0)
    return prefecture


def _perimetre_id(engine: Engine, name: str) -> int:
    with session_scope(engine) as session:
        return session.exec(select(Perimetre.id).where(Perimetre.name == name)).one() or 0


def test_a_name_from_a_file_never_reaches_a_public_document(engine: Engine, from_files: Prefecture) -> None:
    pid = from_files.id or 0
    categories = _chart_categories(_export(engine, "clu", pid))
    assert [c.rsplit(" (", 1)[0] for c in categories] == ["Service des cartes grises", OTHER_PERIMETRES]
    for kind in ("clu", "affiche", "sp-plus"):
        data = _export(engine, kind, pid, quarter=3 if kind == "affiche" else None)
        text = squash(pdf_text(data)[1]) if kind == "affiche" else "\n".join(
            deck_texts(Presentation(io.BytesIO(data)))) if kind == "clu" else data.decode("utf-8-sig")
        assert "Dupont" not in text and not _labels_of(text), kind
    copil = "\n".join(deck_texts(Presentation(io.BytesIO(_export(engine, "copil", pid)))))
    assert PERSON in copil  # internal documents keep the names files gave


def test_a_public_name_set_through_the_service_is_in_the_history_and_the_clu_deck(
        engine: Engine, from_files: Prefecture) -> None:
    pid, actor = from_files.id or 0, _actor(engine)
    line = services.settings.set_public_name(actor, pid, _perimetre_id(engine, "PC"), "Permis de conduire")
    assert line == "« PC » : nom public « Permis de conduire »"
    assert services.settings.set_public_name(actor, pid, _perimetre_id(engine, "PC"), " Permis de  conduire") == ""
    services.settings.set_public_name(actor, pid, _perimetre_id(engine, "CG"), "Service des cartes grises")
    history = services.history.change_history(actor, pid, action="perimetre")
    assert line in list(history["Résumé"])
    categories = [c.rsplit(" (", 1)[0] for c in _chart_categories(_export(engine, "clu", pid))]
    # PC under its public name; CG and the full-named service share one, as one line (40 %, worst
    # first, on both volumes); the person's office pooled
    assert categories == ["Service des cartes grises", "Permis de conduire", OTHER_PERIMETRES]
    assert re.sub(r"\D", "", _chart_categories(_export(engine, "clu", pid))[0]) == "2400"
    cleared = services.settings.set_public_name(actor, pid, _perimetre_id(engine, "PC"), "")
    assert cleared == "« PC » : nom public effacé"
    assert "Permis de conduire" not in "".join(_chart_categories(_export(engine, "clu", pid)))


def test_the_settings_grid_sets_shows_and_checks_public_names(engine: Engine, from_files: Prefecture) -> None:
    pid, actor = from_files.id or 0, _actor(engine)
    table = services.settings.perimetres_table(actor, pid)
    shown = dict(zip(table["name"], table["shown"], strict=True))
    assert shown[PERSON] == shown["PC"] == f"⚠ {MISSING_PUBLIC_NAME}"
    assert shown["Service des cartes grises"] == "Service des cartes grises"
    rows = table.to_dict("records")
    for row in rows:
        if row["name"] == PERSON:
            row["public_name"] = "Accueil des usagers"
    assert services.settings.save_perimetres(actor, pid, rows) == [f"« {PERSON} » : nom public « Accueil des usagers »"]
    # a caller without the column (an older grid) leaves public names alone
    assert services.settings.save_perimetres(actor, pid, [{k: v for k, v in r.items() if k != "public_name"}
                                                          for r in rows]) == []
    rows[0]["public_name"] = "x" * 201
    with pytest.raises(services.settings.SettingsError, match="200 caractères"):
        services.settings.save_perimetres(actor, pid, rows)
    rows[0]["public_name"] = "Bureau de Mme Martin"  # published as typed: no personal data
    with pytest.raises(services.settings.SettingsError, match="données personnelles"):
        services.settings.save_perimetres(actor, pid, rows)
    with pytest.raises(services.settings.SettingsError, match="données personnelles"):
        services.settings.set_public_name(actor, pid, _perimetre_id(engine, "PC"), "Accueil 02 40 41 20 20")
    with session_scope(engine) as session:
        assert session.get(Perimetre, _perimetre_id(engine, PERSON)).public_name == "Accueil des usagers"  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------------ page and CLI


def test_the_parametres_page_edits_a_public_name(engine: Engine, from_files: Prefecture,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    pid = from_files.id or 0
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("pages/parametres.py").run()
    assert not at.exception, at.exception
    grid = next(e for e in at.data_editor if (e.key or "").startswith(f"perimetres-{pid}-"))
    assert f"⚠ {MISSING_PUBLIC_NAME}" in list(grid.value["shown"])
    row = list(grid.value["name"]).index("PC")
    at.session_state[grid.key] = {"edited_rows": {row: {"public_name": "Permis de conduire"}}, "added_rows": [],
                                  "deleted_rows": []}
    next(b for b in at.button if b.label == "Enregistrer les périmètres").click().run()
    assert not at.exception, at.exception
    assert any("nom public « Permis de conduire »" in s.value for s in at.success)
    with session_scope(engine) as session:
        assert session.get(Perimetre, _perimetre_id(engine, "PC")).public_name == "Permis de conduire"  # type: ignore[union-attr]


def test_the_command_line_lists_and_sets_public_names(engine: Engine, from_files: Prefecture,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    assert main(["perimetre", "set-public", "pc", "Permis de conduire"]) == 0  # names match as imports do
    assert "« PC » : nom public « Permis de conduire »" in capsys.readouterr().out
    assert main(["perimetre", "list", "--format", "json"]) == 0
    listed = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["PC"]["shown"] == "Permis de conduire" and listed[PERSON]["public_name"] is None
    assert main(["perimetre", "set-public", "inconnu", "x"]) == 2
    assert main(["perimetre", "set-public", "PC"]) == 2
    assert main(["perimetre", "set-public", str(listed["PC"]["id"]), "x" * 201]) == 1
    with session_scope(engine, write=True) as session:
        add_user(session, "clu44", "lecture-clu", password="un-mot-de-passe-long", prefecture_id=from_files.id)
    assert main(["--as", "clu44", "perimetre", "set-public", "PC", "Autre chose"]) == 3
    with session_scope(engine) as session:
        assert session.get(Perimetre, listed["PC"]["id"]).public_name == "Permis de conduire"  # type: ignore[union-attr]
