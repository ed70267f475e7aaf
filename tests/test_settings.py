"""The rules behind the "Paramètres" page (qep_core.settings), without Streamlit."""

from __future__ import annotations

import pytest
from sqlmodel import select

from qep_core.compute import compute_indicator
from qep_core.db import session_scope
from qep_core.importing import import_file
from qep_core.models import Engagement, Indicator, Observation, Perimetre, Prefecture, Target
from qep_core.periods import year_period
from qep_core.prefectures import create_prefecture, labelled_modules, perimetres_of
from qep_core.referentiel import engagements_for, indicators_for
from qep_core.settings import (
    SettingsError,
    add_own_engagement,
    add_own_indicator,
    add_perimetre,
    check_target,
    delete_perimetre,
    module_titles,
    own_indicators_table,
    perimetres_table,
    rename_own_engagement,
    rename_perimetre,
    save_perimetres,
    save_targets,
    set_perimetre_address,
    set_perimetre_kind,
    targets_table,
    update_modules,
    update_prefecture,
)
from tests.conftest import make_workbook
from tests.seed_tables import EMAIL_MONTHLY, titled

# ---------------------------------------------------------------- préfecture


def test_update_prefecture(engine, prefecture):
    with session_scope(engine, write=True) as s:
        update_prefecture(s, prefecture.id, "  Préfecture de la Loire-Atlantique ", "44", False)
    with session_scope(engine) as s:
        pref = s.get(Prefecture, prefecture.id)
        assert (pref.name, pref.code, pref.whit_monday_worked) == ("Préfecture de la Loire-Atlantique", "44", False)
    with session_scope(engine, write=True) as s:
        update_prefecture(s, prefecture.id, "Corse-du-Sud", "2a", True)
    with session_scope(engine) as s:
        assert s.get(Prefecture, prefecture.id).code == "2A"


def test_update_prefecture_rejects_bad_code_empty_name_and_duplicates(engine, prefecture, snapshot):
    with session_scope(engine, write=True) as s:
        create_prefecture(s, "09", "Ariège")
    before = snapshot(engine)
    with pytest.raises(SettingsError) as err, session_scope(engine, write=True) as s:
        update_prefecture(s, prefecture.id, " ", "20", True)
    assert len(err.value.errors) == 2
    assert "nom de la préfecture est obligatoire" in str(err.value)
    assert "code de département invalide" in str(err.value)
    with pytest.raises(SettingsError, match="déjà celui de « Ariège »"), session_scope(engine, write=True) as s:
        update_prefecture(s, prefecture.id, "Test", "9", True)
    with pytest.raises(SettingsError, match="préfecture inconnue"), session_scope(engine, write=True) as s:
        update_prefecture(s, 999, "Test", "45", True)
    assert snapshot(engine) == before


def test_modules(engine, prefecture):
    with session_scope(engine) as s:
        titles = module_titles(s)
    assert list(titles) == ["M2", "M3", "M4", "M5", "M6", "M7", "M8"]
    assert titles["M4"] == "Module 4 — Relation avec les collectivités territoriales"
    with session_scope(engine, write=True) as s:
        assert sorted(update_modules(s, prefecture.id, ["M6", "M3"])) == ["LAB", "M1", "M3", "M6", "PIL"]
    with session_scope(engine, write=True) as s:
        assert sorted(update_modules(s, prefecture.id, [])) == ["LAB", "M1", "PIL"]
    with pytest.raises(SettingsError, match="module inconnu : M9"), session_scope(engine, write=True) as s:
        update_modules(s, prefecture.id, ["M2", "M9"])
    with session_scope(engine) as s:
        assert sorted(labelled_modules(s, prefecture.id)) == ["LAB", "M1", "PIL"]


# ---------------------------------------------------------------- périmètres


def _perimetre_ids(engine, pref_id) -> dict[str, int]:
    with session_scope(engine) as s:
        return {p.name: p.id for p in perimetres_of(s, pref_id)}


@pytest.fixture
def with_values(engine, prefecture):
    """Imported e-mail figures: the préfecture-wide périmètre then holds values."""
    data = make_workbook({"Courriels 2022": titled("Courriels 2022", EMAIL_MONTHLY)})
    import_file(engine, prefecture.id, "courriels.xlsx", data)
    return prefecture


def test_perimetres_table_counts_values(engine, with_values):
    with session_scope(engine, write=True) as s:
        add_perimetre(s, with_values.id, "Bureau du courrier", "service")
        add_perimetre(s, with_values.id, "pref-contact@loire-atlantique.gouv.fr", "mailbox", "  pref@x.fr ")
    with session_scope(engine) as s:
        table = perimetres_table(s, with_values.id)
        stored = s.exec(select(Observation).where(Observation.prefecture_id == with_values.id)).all()
    assert list(table.columns) == ["id", "name", "public_name", "shown", "kind", "address", "values", "delete"]
    assert table.iloc[0]["kind"] == "prefecture"
    by_name = table.set_index("name")
    assert by_name.loc["Bureau du courrier", "values"] == 0
    assert by_name.loc["pref-contact@loire-atlantique.gouv.fr", "address"] == "pref@x.fr"
    assert table["values"].sum() == len(stored) > 0
    assert not table["delete"].any()


def test_add_rename_rekind_delete_perimetre(engine, prefecture):
    with session_scope(engine, write=True) as s:
        row = add_perimetre(s, prefecture.id, "Bureau des élections", "service")
    with session_scope(engine, write=True) as s:
        rename_perimetre(s, prefecture.id, row.id, "Bureau des élections et de la réglementation")
        set_perimetre_kind(s, prefecture.id, row.id, "sous-prefecture")
        set_perimetre_address(s, prefecture.id, row.id, "1 rue X")
    with session_scope(engine) as s:
        stored = s.get(Perimetre, row.id)
        assert (stored.name, stored.kind, stored.address) == (
            "Bureau des élections et de la réglementation", "sous-prefecture", "1 rue X")
    with session_scope(engine, write=True) as s:
        delete_perimetre(s, prefecture.id, row.id)
    with session_scope(engine) as s:
        assert s.get(Perimetre, row.id) is None


def test_perimetre_rules(engine, with_values, snapshot):
    ids = _perimetre_ids(engine, with_values.id)
    whole = ids["Préfecture (ensemble)"]
    with session_scope(engine, write=True) as s:
        other = add_perimetre(s, with_values.id, "Bureau du courrier").id
    before = snapshot(engine)
    cases = [
        (lambda s: add_perimetre(s, with_values.id, "BUREAU DU COURRIER"), "s'appelle déjà « Bureau du courrier »"),
        (lambda s: add_perimetre(s, with_values.id, "  "), "nom du périmètre est obligatoire"),
        (lambda s: add_perimetre(s, with_values.id, "Autre", "prefecture"), "réservée"),
        (lambda s: add_perimetre(s, with_values.id, "Autre", "bureau"), "nature de périmètre inconnue"),
        (lambda s: rename_perimetre(s, with_values.id, whole, "Toute la préfecture"), "ne peut pas être renommé"),
        (lambda s: rename_perimetre(s, with_values.id, other, "préfecture (Ensemble)"), "s'appelle déjà"),
        (lambda s: set_perimetre_kind(s, with_values.id, whole, "service"), "ne peut pas changer"),
        (lambda s: set_perimetre_kind(s, with_values.id, other, "prefecture"), "réservée"),
        (lambda s: delete_perimetre(s, with_values.id, whole), "ne peut pas être supprimé"),
        (lambda s: delete_perimetre(s, with_values.id, 9999), "périmètre inconnu"),
    ]
    for action, message in cases:
        with pytest.raises(SettingsError, match=message), session_scope(engine, write=True) as s:
            action(s)
    assert snapshot(engine) == before


def test_a_perimetre_with_values_cannot_be_deleted(engine, with_values):
    with session_scope(engine, write=True) as s:
        other = add_perimetre(s, with_values.id, "Bureau du courrier")
        obs = s.exec(select(Observation).where(Observation.prefecture_id == with_values.id)).first()
        obs.perimetre_id = other.id
        s.add(obs)
    with pytest.raises(SettingsError, match="1 valeur y est enregistrée \\(renommez-le"), \
            session_scope(engine, write=True) as s:
        delete_perimetre(s, with_values.id, other.id)


def test_save_perimetres_applies_the_grid(engine, prefecture):
    with session_scope(engine, write=True) as s:
        a = add_perimetre(s, prefecture.id, "Courrier").id
        b = add_perimetre(s, prefecture.id, "Standard").id
        c = add_perimetre(s, prefecture.id, "Ancien service").id
    with session_scope(engine) as s:
        rows = perimetres_table(s, prefecture.id).to_dict("records")
    by_id = {r["id"]: r for r in rows}
    by_id[a]["name"], by_id[b]["name"] = "Standard", "Courrier"  # a swap
    by_id[b]["kind"] = "mailbox"
    by_id[c]["delete"] = True
    rows.append({"id": None, "name": "Sous-préfecture de Saint-Nazaire", "kind": "sous-prefecture",
                 "address": None, "delete": None})
    rows.append({"id": None, "name": None, "kind": None, "address": None, "delete": None})  # empty grid row
    with session_scope(engine, write=True) as s:
        done = save_perimetres(s, prefecture.id, rows)
    assert "« Courrier » renommé en « Standard »" in done
    assert "« Ancien service » supprimé" in done
    assert "« Sous-préfecture de Saint-Nazaire » ajouté (sous-préfecture)" in done
    with session_scope(engine) as s:
        after = {p.name: (p.id, p.kind) for p in perimetres_of(s, prefecture.id)}
    assert after["Standard"] == (a, "service")
    assert after["Courrier"] == (b, "mailbox")
    assert "Ancien service" not in after
    assert after["Sous-préfecture de Saint-Nazaire"][1] == "sous-prefecture"


def test_save_perimetres_writes_nothing_on_error(engine, with_values, snapshot):
    with session_scope(engine, write=True) as s:
        a = add_perimetre(s, with_values.id, "Courrier").id
    with session_scope(engine) as s:
        rows = perimetres_table(s, with_values.id).to_dict("records")
    before = snapshot(engine)
    whole = rows[0]
    assert whole["kind"] == "prefecture" and whole["values"] > 0
    whole["name"] = "Toute la préfecture"
    whole["delete"] = False
    next(r for r in rows if r["id"] == a)["kind"] = "prefecture"
    rows.append({"id": None, "name": "courrier", "kind": "service", "address": None, "delete": False})
    rows.append({"id": None, "name": "Nouveau", "kind": "service", "address": None, "delete": False})
    with pytest.raises(SettingsError) as err, session_scope(engine, write=True) as s:
        save_perimetres(s, with_values.id, rows)
    text = str(err.value)
    assert "ne peut pas être renommé" in text and "réservée" in text and "noms en double" in text
    assert snapshot(engine) == before
    rows = perimetres_table_fresh(engine, with_values.id)
    rows[0]["delete"] = True
    with pytest.raises(SettingsError, match="ne peut pas être supprimé"), session_scope(engine, write=True) as s:
        save_perimetres(s, with_values.id, rows)
    assert snapshot(engine) == before


def perimetres_table_fresh(engine, pref_id):
    with session_scope(engine) as s:
        return perimetres_table(s, pref_id).to_dict("records")


def test_save_perimetres_frees_a_deleted_name(engine, prefecture):
    with session_scope(engine, write=True) as s:
        a = add_perimetre(s, prefecture.id, "Courrier").id
    rows = perimetres_table_fresh(engine, prefecture.id)
    next(r for r in rows if r["id"] == a)["delete"] = True
    rows.append({"id": None, "name": "COURRIER", "kind": "mailbox", "address": "", "delete": False})
    with session_scope(engine, write=True) as s:
        save_perimetres(s, prefecture.id, rows)
    assert set(_perimetre_ids(engine, prefecture.id)) == {"Préfecture (ensemble)", "COURRIER"}


# ---------------------------------------------------------------- targets


def test_check_target():
    assert check_target("%", ">=", 90, 80) == []
    assert check_target("j", "<=", 5, 7) == []
    assert check_target("%", ">=", 90, None) == []
    assert "inférieur à la cible" in check_target("%", ">=", 90, 95)[0]
    assert "inférieur à la cible" in check_target("%", ">=", 90, 90)[0]
    assert "supérieur à la cible" in check_target("j", "<=", 5, 4)[0]
    assert "entre 0 et 100" in check_target("%", ">=", 120, None)[0]
    assert "négative" in check_target("j", "<=", -1, None)[0]
    assert check_target("‰", ">=", 1200, 1000) == []  # no upper bound but for rates


def test_targets_table_shows_what_is_in_force(engine, prefecture):
    with session_scope(engine) as s:
        table = targets_table(s, prefecture.id, 2023)
        m1 = targets_table(s, prefecture.id, 2023, modules=["M1"])
    assert list(table.columns) == ["code", "label", "module", "unit", "direction", "target", "alert", "no_target",
                                   "source"]
    row = table.set_index("code").loc["COURRIEL_5J"]
    assert (row["unit"], row["direction"], row["target"], row["alert"], row["no_target"], row["source"]) == (
        "%", "≥", 90.0, 85.0, False, "référentiel")
    delay = table.set_index("code").loc["COURRIEL_DELAI_MOYEN"]
    assert (delay["direction"], delay["target"]) == ("≤", 5.0)
    assert table.set_index("code").loc["PAN_USAGERS"]["no_target"]
    assert set(m1["module"]) == {"M1"} and len(m1) < len(table)


def _rows(engine, pref_id, year, **changes):
    with session_scope(engine) as s:
        rows = targets_table(s, pref_id, year).to_dict("records")
    for row in rows:
        row.update(changes.get(row["code"], {}))
    return rows


def test_save_targets_writes_only_changes_and_applies_from_that_year(engine, with_values):
    pid = with_values.id
    rows = _rows(engine, pid, 2022, COURRIEL_5J={"target": 95.0, "alert": 91.0},
                 ACCUEIL_SATISFACTION={"no_target": False, "target": 80.0},
                 RECLA_DELAI={"no_target": True})
    with session_scope(engine, write=True) as s:
        written = save_targets(s, pid, 2022, rows)
    assert sorted(written) == ["ACCUEIL_SATISFACTION", "COURRIEL_5J", "RECLA_DELAI"]
    with session_scope(engine) as s:
        targets = {t.indicator_code: t for t in s.exec(select(Target).where(Target.prefecture_id == pid))}
        assert (targets["COURRIEL_5J"].year, targets["COURRIEL_5J"].target,
                targets["COURRIEL_5J"].alert_threshold) == (2022, 95.0, 91.0)
        assert targets["RECLA_DELAI"].has_target is False and targets["RECLA_DELAI"].target is None
        for year, source in ((2021, "référentiel"), (2022, "fixée pour 2022"), (2025, "fixée pour 2022")):
            row = targets_table(s, pid, year).set_index("code").loc["COURRIEL_5J"]
            assert row["source"] == source
        default = s.exec(select(Indicator).where(Indicator.code == "COURRIEL_5J", Indicator.prefecture_id.is_(None))
                         ).one()
        assert default.default_target == 90  # the référentiel is never changed
        result = compute_indicator(s, pid, "COURRIEL_5J", year_period(2022))
    assert result.target.value == 95.0 and result.target.alert == 91.0
    assert result.value == pytest.approx(91.5, abs=0.05)
    assert result.status == "à surveiller"
    # saving the same grid again writes nothing
    with session_scope(engine, write=True) as s:
        assert save_targets(s, pid, 2022, _rows(engine, pid, 2022)) == []
        assert save_targets(s, pid, 2023, _rows(engine, pid, 2023)) == []


def test_save_targets_validates_everything_and_writes_nothing(engine, prefecture, snapshot):
    pid = prefecture.id
    before = snapshot(engine)
    rows = _rows(engine, pid, 2024,
                 TEL_ABOUTIS={"target": 95.0},  # valid on its own: must not be written either
                 COURRIEL_5J={"target": 90.0, "alert": 95.0},
                 COURRIEL_DELAI_MOYEN={"target": 5.0, "alert": 3.0},
                 SITE_MAJ_3J={"target": 120.0},
                 COURRIER_10J={"target": None},
                 FRAUDE_PC={"target": -0.05},
                 PAN_USAGERS={"target": 300.0},  # typed while "pas d'objectif" is still ticked
                 RS_ENGAGEMENT={"target": "beaucoup"})
    with pytest.raises(SettingsError) as err, session_scope(engine, write=True) as s:
        save_targets(s, pid, 2024, [*rows, {"code": "INCONNU", "target": 1}])
    messages = err.value.errors
    assert any(m.startswith("COURRIEL_5J : pour un indicateur « ≥ »") for m in messages)
    assert any(m.startswith("COURRIEL_DELAI_MOYEN : pour un indicateur « ≤ »") for m in messages)
    assert any(m.startswith("SITE_MAJ_3J : la cible est un taux") for m in messages)
    assert any(m.startswith("COURRIER_10J : saisissez une cible") for m in messages)
    assert any(m.startswith("FRAUDE_PC : la cible ne peut pas être négative") for m in messages)
    assert any(m.startswith("PAN_USAGERS : une cible est saisie") for m in messages)
    assert any(m.startswith("RS_ENGAGEMENT : « beaucoup » n'est pas un nombre") for m in messages)
    assert any(m.startswith("INCONNU : indicateur inconnu") for m in messages)
    assert not any(m.startswith("TEL_ABOUTIS") for m in messages)
    assert snapshot(engine) == before
    with pytest.raises(SettingsError, match="année invalide"), session_scope(engine, write=True) as s:
        save_targets(s, pid, 1900, [])


def test_no_target_ignores_leftover_values_and_text_numbers_are_read(engine, prefecture):
    pid = prefecture.id
    rows = _rows(engine, pid, 2024, TEL_ABOUTIS={"no_target": True},  # 90 / 80 still in the cells
                 COURRIEL_5J={"target": "92,5", "alert": float("nan")})
    with session_scope(engine, write=True) as s:
        assert sorted(save_targets(s, pid, 2024, rows)) == ["COURRIEL_5J", "TEL_ABOUTIS"]
    with session_scope(engine) as s:
        table = targets_table(s, pid, 2024).set_index("code")
    assert table.loc["TEL_ABOUTIS"]["no_target"] and table.loc["TEL_ABOUTIS"]["target"] != 90
    assert table.loc["COURRIEL_5J"]["target"] == 92.5


# ---------------------------------------------------------------- own indicators and engagements


def test_add_own_indicator(engine, prefecture):
    with session_scope(engine, write=True) as s:
        pref = s.get(Prefecture, prefecture.id)
        ind = add_own_indicator(
            s, pref, code="accueil attente 20min", label="Taux d'usagers reçus en moins de 20 minutes",
            engagement_key="E7", module_code=None, kind="rate", direction=">=", target=85, alert=75,
            frequency="quarterly", count_labels={"numerator": "Usagers reçus en moins de 20 min",
                                                 "denominator": "Usagers reçus", "complement": ""})
    assert ind.code == "ACCUEIL_ATTENTE_20MIN" and ind.module_code == "M1" and ind.own
    with session_scope(engine) as s:
        table = own_indicators_table(s, prefecture.id)
        codes = [d.code for d in indicators_for(s, prefecture.id)]
    with session_scope(engine, write=True) as s:
        other = create_prefecture(s, "45", "Loiret")
        assert "ACCUEIL_ATTENTE_20MIN" not in [d.code for d in indicators_for(s, other.id)]
    assert "ACCUEIL_ATTENTE_20MIN" in codes
    row = table.iloc[0]
    assert (row["kind"], row["direction"], row["target"], row["frequency"]) == ("taux", "≥", 85, "trimestriel")
    assert "numérateur : Usagers reçus en moins de 20 min" in row["counts"]


def test_add_own_indicator_errors(engine, prefecture, snapshot):
    before = snapshot(engine)
    with session_scope(engine) as s:
        pref = s.get(Prefecture, prefecture.id)
    base = dict(code="X_TEST", label="Test", engagement_key=None, module_code="M2", kind="count", direction=">=",
                target=None, alert=None)
    cases = [
        ({"code": "1É"}, "le code commence par une lettre"),
        ({"label": " "}, "libellé est obligatoire"),
        ({"module_code": None}, "choisissez l'engagement ou le module"),
        ({"module_code": "M9"}, "module inconnu : M9"),
        ({"kind": "ratio"}, "nature inconnue"),
        ({"kind": "rate", "target": 90, "alert": 95}, "inférieur à la cible"),
        ({"alert": 3}, "suppose une cible"),
        ({"code": "COURRIEL_5J"}, "existe déjà"),
        ({"engagement_key": "E99", "module_code": None}, "engagement inconnu"),
    ]
    for change, message in cases:
        with pytest.raises(SettingsError, match=message), session_scope(engine, write=True) as s:
            add_own_indicator(s, pref, **{**base, **change})
    assert snapshot(engine) == before


def test_engagements(engine, prefecture, snapshot):
    with session_scope(engine, write=True) as s:
        pref = s.get(Prefecture, prefecture.id)
        rename_own_engagement(s, pref, "E17", "Nous répondons à vos courriers en 10 jours ouvrés")
        add_own_engagement(s, pref, key="e21", number=21, module_code="M2", title="Délivrance des titres : accueil")
    with session_scope(engine) as s:
        engs = {e.key: e for e in engagements_for(s, prefecture.id)}
        default = s.exec(select(Engagement).where(Engagement.key == "E17", Engagement.prefecture_id.is_(None))).one()
    assert engs["E17"].title == "Nous répondons à vos courriers en 10 jours ouvrés"
    assert default.title.startswith("Nous vous répondons dans un délai")
    assert engs["E21"].module_code == "M2" and engs["E21"].number == 21
    before = snapshot(engine)
    with session_scope(engine) as s:
        pref = s.get(Prefecture, prefecture.id)
    cases = [
        (lambda s: rename_own_engagement(s, pref, "E17", "  "), "intitulé de l'engagement est obligatoire"),
        (lambda s: rename_own_engagement(s, pref, "E99", "X"), "engagement inconnu"),
        (lambda s: add_own_engagement(s, pref, key="E21", number=None, module_code="M2", title="X"), "existe déjà"),
        (lambda s: add_own_engagement(s, pref, key="E22", number=17, module_code="M2", title="X"), "numéro 17"),
        (lambda s: add_own_engagement(s, pref, key="E 2é", number=-1, module_code="M0", title=""), "clé"),
    ]
    for action, message in cases:
        with pytest.raises(SettingsError, match=message), session_scope(engine, write=True) as s:
            action(s)
    assert snapshot(engine) == before

