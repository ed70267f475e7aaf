"""The "Import" and "Saisie" pages, run headless with AppTest against a temp database, and their helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from qep_core import services
from qep_core.db import session_scope
from qep_core.importing import analyze_file, import_file
from qep_core.models import Perimetre, Prefecture
from qep_core.prefectures import WHOLE_PREFECTURE
from qep_core.referentiel import engagements_for, indicators_for
from qep_core.template import build_template
from qep_ui import importing
from qep_ui.widgets import plain
from tests.conftest import make_workbook
from tests.seed_tables import EMAIL_MONTHLY, titled

APP = Path(__file__).resolve().parent.parent / "app.py"
IMPORT_PAGE = "pages/import_fichiers.py"
SAISIE_PAGE = "pages/saisie.py"
Snapshot = Callable[[Engine], dict[str, list[tuple]]]

LONG_HEADER = "indicateur;période;périmètre;numérateur;dénominateur"
# May 2022 of the prefecture@ mailbox is 156 / 173 in EMAIL_MONTHLY; this file corrects it
CORRECTION = f"{LONG_HEADER}\nCOURRIEL_5J;2022-05;;160;173\nCOURRIEL_5J;2022-11;Boîte PC;40;50\n".encode()
BAD = f"{LONG_HEADER}\nCOURRIEL_5J;2022-11;;60;50\n".encode()


# --- fixtures and small readers ------------------------------------------------------------------

@pytest.fixture
def empty_db(engine: Engine, prefecture: Prefecture, monkeypatch: pytest.MonkeyPatch) -> Prefecture:
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    return prefecture


@pytest.fixture
def app_db(empty_db: Prefecture, engine: Engine) -> Prefecture:
    """The préfecture with the 2022 e-mail sheet imported (batch n° 1)."""
    data = make_workbook({"Courriels 2022": titled("Courriels 2022", EMAIL_MONTHLY)})
    import_file(engine, empty_db.id or 0, "courriels.xlsx", data)
    return empty_db


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page that has *column*."""
    for frame in at.dataframe:
        value = frame.value
        if column in value.columns:
            return value
    raise AssertionError(f"aucun tableau avec la colonne « {column} »")


def tables_with(at: AppTest, column: str) -> list[pd.DataFrame]:
    return [f.value for f in at.dataframe if column in f.value.columns]


def save_buttons(at: AppTest) -> list:
    return [b for b in at.button if b.key and b.key.startswith("save-") and b.key != "save-all"]


def observation(engine: Engine, code: str, month: str, perimetre: str = WHOLE_PREFECTURE) -> tuple | None:
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT o.numerator, o.denominator, o.batch_id FROM observation o JOIN indicator i ON i.id = o.indicator_id "
            "JOIN perimetre p ON p.id = o.perimetre_id WHERE i.code = :code AND o.period_start = :month "
            "AND p.name = :perim"), {"code": code, "month": f"{month}-01", "perim": perimetre}).first()


def batches(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            text("SELECT id, file_name, kind, imported_by, rows, replaced, status FROM import_batch ORDER BY id"))]


# --- Import page ---------------------------------------------------------------------------------

def test_import_page_renders_for_an_empty_prefecture(empty_db):
    at = open_page(IMPORT_PAGE)
    assert at.title[0].value == "Import des tableaux de suivi"
    assert at.file_uploader[0].accept_multiple_files
    assert set(at.file_uploader[0].allowed_type) >= {".xlsx", ".xlsm", ".xls", ".ods", ".csv"}
    assert ".ods (LibreOffice Calc)" in at.file_uploader[0].help and "valeurs enregistrées" in at.file_uploader[0].help
    assert any("Aucun import pour cette préfecture" in c.value for c in at.caption)
    assert at.text_input(key=importing.USER_KEY).value == importing.DEFAULT_USER
    assert [s.label for s in at.selectbox if s.key == "template-year"] == ["Année du modèle"]


def test_import_page_lists_the_history(app_db):
    at = open_page(IMPORT_PAGE)
    history = table_with(at, "Statut")
    row = history.iloc[0]
    assert (row["N°"], row["Fichier"], row["Statut"], row["Valeurs"]) == (1, "courriels.xlsx", "importé", 20)
    assert row["Type"] == "tableau de suivi (mois en colonnes)" and row["Auteur"] == ""
    assert row["Avertissements"] >= 1
    assert dt.datetime.strptime(row["Date"], "%d/%m/%Y %H:%M")  # Paris time, French form
    assert any("Avertissements du lot n° 1" in e.label for e in at.expander)


def test_upload_preview_then_save(empty_db, engine):
    at = open_page(IMPORT_PAGE)
    at.text_input(key=importing.USER_KEY).input("Marie Curie").run()
    data = make_workbook({"Courriels 2022": titled("Courriels 2022", EMAIL_MONTHLY)})
    at.file_uploader[0].upload("courriels.xlsx", data).run()
    assert not at.exception
    assert at.expander[0].label == "courriels.xlsx — prêt : 20 valeurs, janvier 2022 – octobre 2022"
    assert any("tableau de suivi (mois en colonnes)" in m.value and "janvier 2022 – octobre 2022" in m.value
               for m in at.markdown)
    assert any(c.value.startswith("Lu dans le fichier : 30 valeurs lues") and "Nombre de messages reçus" in c.value
               for c in at.caption)
    touched = table_with(at, "Valeurs")
    assert list(touched["Code"]) == ["COURRIEL_5J", "COURRIEL_DELAI_MOYEN"]
    preview = table_with(at, "Dénominateur")
    may = preview[(preview["Code"] == "COURRIEL_5J") & (preview["Période"] == "mai 2022")].iloc[0]
    assert (may["Numérateur"], may["Dénominateur"], may["Valeur"]) == (156, 173, "90,2 %")
    assert may["Périmètre"] == WHOLE_PREFECTURE
    assert "Taux de réponse aux courriels" in may["Indicateur"]
    warnings = table_with(at, "Gravité")
    assert (warnings["Gravité"] == "avertissement").all() and warnings["Message"].str.contains("non reconnue").any()
    assert batches(engine) == []  # analysing writes nothing

    [save] = save_buttons(at)
    save.click().run()
    assert not at.exception
    assert any("Enregistré (lot n° 1)" in s.value and "20 valeurs" in s.value for s in at.success)
    assert batches(engine) == [(1, "courriels.xlsx", "wide", "Marie Curie", 20, 0, "imported")]
    assert observation(engine, "COURRIEL_5J", "2022-05")[:2] == (156, 173)
    # after the rerun the same file says it is already there, with no save button
    assert at.expander[0].label == "courriels.xlsx — déjà importé"
    assert any("déjà été importé" in i.value and "lot n° 1, par Marie Curie" in i.value for i in at.info)
    assert not save_buttons(at)
    assert table_with(at, "Statut").iloc[0]["Auteur"] == "Marie Curie"


def test_rejected_upload_shows_french_errors_and_changes_nothing(app_db, engine, snapshot: Snapshot):
    before = snapshot(engine)
    at = open_page(IMPORT_PAGE)
    at.file_uploader[0].upload("mauvais.csv", BAD).run()
    assert not at.exception
    assert at.expander[0].label == "mauvais.csv — refusé, 1 erreur"
    assert "Fichier refusé" in at.error[0].value and "dépasse le dénominateur" in at.error[0].value
    errors = table_with(at, "Gravité")
    assert errors.iloc[0]["Gravité"] == "erreur" and errors.iloc[0]["Ligne"] == "2"
    assert "le numérateur (60) dépasse le dénominateur (50)" in errors.iloc[0]["Message"]
    assert not save_buttons(at) and not [b for b in at.button if b.key == "save-all"]
    assert snapshot(engine) == before


def test_upload_shows_replacements_and_new_perimetres_then_saves_all(app_db, engine):
    at = open_page(IMPORT_PAGE)
    extra = f"{LONG_HEADER}\nPAN_USAGERS;2022-11;;31;\n".encode()
    at.file_uploader[0].set_value([("correction.csv", CORRECTION, "text/csv"), ("pan.csv", extra, "text/csv"),
                                   ("mauvais.csv", BAD, "text/csv")]).run()
    assert not at.exception
    labels = [e.label for e in at.expander]
    assert labels[:3] == ["correction.csv — prêt : 2 valeurs, mai 2022 – novembre 2022",
                          "pan.csv — prêt : 1 valeur, novembre 2022", "mauvais.csv — refusé, 1 erreur"]
    assert any("Nouveaux périmètres" in i.value and "« Boîte PC »" in i.value for i in at.info)
    assert any("1 valeur déjà enregistrée sera remplacée" in w.value for w in at.warning)
    replaced = table_with(at, "Avant")
    assert replaced.iloc[0].to_dict() | {"Indicateur": ""} == {
        "Code": "COURRIEL_5J", "Indicateur": "", "Période": "mai 2022", "Périmètre": WHOLE_PREFECTURE,
        "Avant": "90,2 % (156 / 173)", "Après": "92,5 % (160 / 173)"}

    [save_all] = [b for b in at.button if b.key == "save-all"]
    assert "2 fichiers" in save_all.label and "1 fichier refusé ne le sera pas" in save_all.label
    save_all.click().run()
    assert not at.exception
    assert sum("Enregistré (lot n°" in s.value for s in at.success) == 2
    assert [(b[1], b[2], b[6]) for b in batches(engine)] == [
        ("courriels.xlsx", "wide", "imported"), ("correction.csv", "long", "imported"), ("pan.csv", "long", "imported")]
    assert observation(engine, "COURRIEL_5J", "2022-05")[:2] == (160, 173)
    assert observation(engine, "COURRIEL_5J", "2022-11", "Boîte PC")[:2] == (40, 50)
    assert observation(engine, "PAN_USAGERS", "2022-11")[:2] == (31, None)
    assert labels[2] == [e.label for e in at.expander][2]  # the rejected file is still shown as such
    newest = max(b[0] for b in batches(engine))
    assert at.selectbox(key="history-batch").value == newest  # the undo selector shows the batch just saved


def test_history_shows_replaced_values_and_undo_restores(app_db, engine):
    import_file(engine, app_db.id or 0, "correction.csv", CORRECTION, user="Marie")
    at = open_page(IMPORT_PAGE)
    history = table_with(at, "Statut")
    assert list(history["N°"]) == [2, 1] and list(history["Remplacées"]) == [1, 0]
    assert at.selectbox(key="history-batch").value == 2
    replaced = table_with(at, "remplacé par le lot")
    assert replaced.iloc[0]["indicateur"] == "COURRIEL_5J" and replaced.iloc[0]["mois"] == "mai 2022"
    assert replaced.iloc[0]["numérateur"] == 156

    # undoing batch 1 first is refused: batch 2 replaced one of its values
    at.selectbox(key="history-batch").select(1).run()
    at.checkbox(key="undo-confirm-1").check().run()
    at.button(key="undo-batch").click().run()
    assert not at.exception
    assert "Annulation impossible" in at.error[0].value and "lot n° 2" in at.error[0].value
    assert [b[6] for b in batches(engine)] == ["imported", "imported"]

    at.selectbox(key="history-batch").select(2).run()
    assert at.button(key="undo-batch").disabled  # needs the confirmation first
    at.checkbox(key="undo-confirm-2").check().run()
    at.button(key="undo-batch").click().run()
    assert not at.exception
    assert any("Lot n° 2 annulé" in s.value and "1 valeur antérieure rétablie" in s.value for s in at.success)
    assert [b[6] for b in batches(engine)] == ["imported", "undone"]
    assert observation(engine, "COURRIEL_5J", "2022-05") == (156, 173, 1)
    assert observation(engine, "COURRIEL_5J", "2022-11", "Boîte PC") is None
    assert list(table_with(at, "Statut")["Statut"]) == ["annulé", "importé"]


def test_template_uses_the_cli_channel_mapping(app_db, engine):
    with session_scope(engine) as session:
        indicators = indicators_for(session, app_db.id or 0)
        engagements = engagements_for(session, app_db.id or 0)
    mapping = services.imports.template_channels(indicators, engagements)
    assert mapping["COURRIEL_5J"] == "courrier" and mapping["TEL_ABOUTIS"] == "telephone"
    assert mapping["FRAUDE_PC"] == "titres"
    data = build_template(indicators, 2023, mapping, app_db.name)
    assert data.startswith(b"PK")
    at = open_page(IMPORT_PAGE)
    assert at.selectbox(key="template-year").value == 2022  # the sidebar's year


# --- Saisie page ---------------------------------------------------------------------------------

def open_saisie(month: dt.date | None = dt.date(2022, 5, 1)) -> AppTest:
    at = open_page(SAISIE_PAGE)
    if month is not None:
        [picker] = [s for s in at.selectbox if s.label == "Mois"]
        picker.select(month).run()
        assert not at.exception
    return at


def field(at: AppTest, code: str, part: int):  # type: ignore[no-untyped-def]
    """The entry box of one count of an indicator (1: numerator, mean or value; 2: denominator or answers)."""
    [box] = [n for n in at.number_input if n.key and n.key.endswith(f"-{code}-{part}")]
    return box


def edit_grid(at: AppTest, edits: dict[str, dict[int, float | None]]) -> None:
    for code, parts in edits.items():
        for part, value in parts.items():
            field(at, code, part).set_value(value)


def entry_codes(at: AppTest) -> list[str]:
    return list(dict.fromkeys(n.key.rsplit("-", 2)[1] for n in at.number_input if n.key and n.key.startswith("saisie")))


def test_saisie_grid_shows_the_monthly_indicators_with_stored_counts(app_db, engine):
    at = open_saisie(month=None)
    assert [s.value for s in at.selectbox if s.label == "Mois"] == [dt.date(2022, 12, 1)]  # the view's month
    assert [s.value for s in at.selectbox if s.label == "Périmètre"] == [WHOLE_PREFECTURE]
    at = open_saisie()
    with session_scope(engine) as session:
        indicators = {d.code: d for d in indicators_for(session, app_db.id or 0)}
    expected = [code for code, d in indicators.items() if d.frequency == "monthly" and d.module_code in ("M1", "M2", "M4")]
    assert entry_codes(at) == expected
    assert "SITE_CONNEXION" not in expected and "COLL_RDV_10J" in expected
    rate = indicators["COURRIEL_5J"]  # each count asked for by its own name, the indicator's full label above
    assert (field(at, "COURRIEL_5J", 1).value, field(at, "COURRIEL_5J", 2).value) == (156, 173)
    assert field(at, "COURRIEL_5J", 1).label == plain(rate.counts["numerator"].label)
    assert field(at, "COURRIEL_5J", 2).label == plain(rate.counts["denominator"].label)
    assert any(m.value.startswith(plain(rate.label)) and "enregistré : 90,2 %" in m.value for m in at.markdown)
    mean = indicators["COURRIEL_DELAI_MOYEN"]  # stored Σ delays 346 over 173 answers
    assert (field(at, "COURRIEL_DELAI_MOYEN", 1).value, field(at, "COURRIEL_DELAI_MOYEN", 2).value) == (2.0, 173)
    assert "jour" in field(at, "COURRIEL_DELAI_MOYEN", 1).label  # in days, said once
    assert field(at, "COURRIEL_DELAI_MOYEN", 1).label.startswith(plain(mean.counts["value"].label))
    assert field(at, "COURRIEL_DELAI_MOYEN", 2).label == plain(mean.counts["count"].label)
    assert field(at, "PAN_USAGERS", 1).label == "Usagers accueillis" and field(at, "PAN_USAGERS", 1).value is None
    assert not [n for n in at.number_input if n.key and n.key.endswith("-PAN_USAGERS-2")]  # a count has one box


def test_saisie_saves_a_batch_of_kind_saisie(app_db, engine):
    at = open_saisie()
    edit_grid(at, {"TEL_ABOUTIS": {1: 95, 2: 100}, "PAN_USAGERS": {1: 12}, "RECLA_DELAI_MOYEN": {1: 4.5, 2: 6}})
    at.button(key="saisie-save").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [
        "Saisie enregistrée (lot n° 2) pour mai 2022, la préfecture dans son ensemble : 3 nouvelles valeurs, "
        "0 modifiée, 2 inchangées."], [e.value for e in at.error]
    new = batches(engine)[-1]
    assert new[1:3] == ("saisie 44 2022-05 Préfecture (ensemble).csv", "saisie")
    assert new[3] == importing.DEFAULT_USER and new[4] == 5 and new[6] == "imported"
    assert observation(engine, "TEL_ABOUTIS", "2022-05") == (95, 100, 2)
    assert observation(engine, "PAN_USAGERS", "2022-05") == (12, None, 2)
    assert observation(engine, "RECLA_DELAI_MOYEN", "2022-05") == (27, 6, 2)  # mean 4,5 j × 6 answers
    # the untouched rows came back identical (the mean delay too)
    assert observation(engine, "COURRIEL_5J", "2022-05") == (156, 173, 2)
    assert observation(engine, "COURRIEL_DELAI_MOYEN", "2022-05")[:2] == (346, 173)
    assert new[5] == 0  # nothing that was stored changed
    # the fresh form shows what is now stored
    assert any(m.value.startswith("Taux d") and "enregistré : 95,0 %" in m.value for m in at.markdown)
    assert (field(at, "TEL_ABOUTIS", 1).value, field(at, "TEL_ABOUTIS", 2).value) == (95, 100)
    # the page "Import" lists the entry, which can be undone there
    at.switch_page(IMPORT_PAGE).run()
    assert table_with(at, "Statut").iloc[0]["Type"] == "saisie dans l'application"


def test_saisie_replaces_a_stored_value_and_keeps_the_name_typed_on_the_import_page(app_db, engine):
    at = open_page(IMPORT_PAGE)
    at.text_input(key=importing.USER_KEY).input("Marie Curie").run()
    at.switch_page(SAISIE_PAGE).run()
    assert at.text_input(key=importing.USER_KEY).value == "Marie Curie"
    [picker] = [s for s in at.selectbox if s.label == "Mois"]
    picker.select(dt.date(2022, 5, 1)).run()
    edit_grid(at, {"COURRIEL_5J": {1: 160}})
    at.button(key="saisie-save").click().run()
    assert not at.exception
    assert "1 modifiée" in at.success[0].value
    assert batches(engine)[-1][3:6] == ("Marie Curie", 2, 1)
    assert observation(engine, "COURRIEL_5J", "2022-05") == (160, 173, 2)


def test_saisie_rejects_a_numerator_over_its_denominator(app_db, engine, snapshot: Snapshot):
    before = snapshot(engine)
    at = open_saisie()
    edit_grid(at, {"TEL_ABOUTIS": {1: 120, 2: 100}})
    at.button(key="saisie-save").click().run()
    assert not at.exception
    assert "Saisie refusée" in at.error[0].value
    assert "le numérateur (120) dépasse le dénominateur (100)" in at.error[0].value
    errors = table_with(at, "Champ")
    assert errors.iloc[0]["Indicateur"].startswith("TEL_ABOUTIS — ") and errors.iloc[0]["Champ"] == "numérateur"
    assert not at.success
    assert snapshot(engine) == before


def test_saisie_refuses_an_incomplete_row_and_an_unchanged_grid(app_db, engine, snapshot: Snapshot):
    before = snapshot(engine)
    at = open_saisie()
    at.button(key="saisie-save").click().run()
    assert any("Aucune modification" in i.value for i in at.info)
    edit_grid(at, {"COURRIER_10J": {1: 12, 2: None}})
    at.button(key="saisie-save").click().run()
    assert "Saisie incomplète" in at.error[0].value and plain("COURRIER_10J") in at.error[0].value
    assert snapshot(engine) == before


def test_saisie_for_an_empty_prefecture(empty_db, engine):
    at = open_saisie(month=None)
    assert all(n.value is None for n in at.number_input if n.key and n.key.startswith("saisie"))
    at.button(key="saisie-save").click().run()
    assert any("Aucune valeur saisie" in w.value for w in at.warning)
    assert batches(engine) == []


# --- helpers -------------------------------------------------------------------------------------

def test_csv_numbers_keep_their_precision_and_never_read_as_thousands():
    assert services.entry.csv_number(12.0) == "12"
    assert services.entry.csv_number(1.234) == "1,234"  # "1.234" would be read as 1 234
    assert services.entry.csv_number(13 / 3) == "4,333333333333333"
    assert services.entry.csv_number(1e-7) == "0,0000001"


def test_saisie_csv_imports_as_typed_with_a_new_perimetre(app_db, engine):
    with session_scope(engine) as session:
        indicators = {d.code: d for d in indicators_for(session, app_db.id or 0)}
        perimetres = list(session.exec(select(Perimetre).where(Perimetre.prefecture_id == app_db.id)))
    choice = services.entry.resolve_perimetre("Bureau du courrier", perimetres)
    assert choice.is_new and not choice.whole
    assert services.entry.resolve_perimetre("préfecture (ENSEMBLE)", perimetres).whole
    assert services.entry.resolve_perimetre("", perimetres).whole
    rows = [services.entry.EntryRow("COURRIER_10J", 9, 10), services.entry.EntryRow("COURRIER_DELAI_MOYEN", 1.234, 7),
            services.entry.EntryRow("PAN_USAGERS", 40, None)]
    month = dt.date(2023, 2, 1)
    content = services.entry.saisie_csv(rows, indicators, month, choice, "Jean; Dupont",
                                   now=dt.datetime(2023, 3, 1, 9, 30, tzinfo=dt.UTC))
    lines = content.decode().splitlines()
    assert lines[0] == "Saisie du 01/03/2023 à 10:30:00 par Jean  Dupont"
    assert lines[1] == "indicateur;période;périmètre;numérateur;dénominateur;valeur;effectif"
    assert lines[2:] == ["COURRIER_10J;2023-02;Bureau du courrier;9;10;;",
                         "COURRIER_DELAI_MOYEN;2023-02;Bureau du courrier;;;1,234;7",
                         "PAN_USAGERS;2023-02;Bureau du courrier;;;40;"]
    name = services.entry.saisie_file_name("44", month, choice)
    assert name == "saisie 44 2023-02 Bureau du courrier.csv"
    with session_scope(engine) as session:
        plan = analyze_file(session, session.get(Prefecture, app_db.id), name, content)
    assert plan.ok and plan.new_perimetres == ["Bureau du courrier"] and not plan.warnings
    outcome = import_file(engine, app_db.id or 0, name, content, user="Jean", kind="saisie")
    assert outcome.batch is not None and outcome.batch.kind == "saisie"
    assert observation(engine, "COURRIER_DELAI_MOYEN", "2023-02", "Bureau du courrier")[:2] == pytest.approx(
        (1.234 * 7, 7))


def test_paris_time():
    assert importing.paris_time(dt.datetime(2022, 7, 5, 12, 3)) == "05/07/2022 14:03"  # naive = UTC, summer time
    assert importing.paris_time(dt.datetime(2022, 12, 5, 12, 3, tzinfo=dt.UTC)) == "05/12/2022 13:03"
