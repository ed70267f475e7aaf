"""Tables as préfectures' services really lay them out: the period each states, tables turned on
their side, several tables on a sheet, notes sheets, results without counts, and the coverage line.

Figures are checked against hand computations from the typed tables (tests/seed_tables.py): the
switchboard's "48 % d'appels aboutis entre nov. 21 et sept. 22" of Loire-Atlantique's bilan 2022,
its per-mailbox and monthly e-mail tables.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from qep_core.compute import compute_indicator
from qep_core.db import session_scope
from qep_core.importing import ImportRejected, import_file
from qep_core.models import Indicator, Observation, Perimetre
from qep_core.periods import month_period, range_period, year_period
from tests.conftest import make_workbook
from tests.seed_tables import (
    EMAIL_MAILBOXES,
    EMAIL_MONTHLY,
    PHONE_BY_ROW,
    PHONE_LOST,
    PHONE_NOV_SEP,
    PHONE_RECEIVED,
    RESULTS_ONLY,
    titled,
)

NOV_21_SEP_22 = range_period(dt.date(2021, 11, 1), dt.date(2022, 9, 1))
ANSWERED = sum(PHONE_RECEIVED) - sum(PHONE_LOST)  # 541 200 received − 281 200 lost = 260 000


def observations(engine) -> list[tuple[str, dt.date, dt.date, float, float | None]]:
    with session_scope(engine) as session:
        return sorted((code, o.period_start, o.period_end, o.numerator, o.denominator)
                      for o, code in session.exec(select(Observation, Indicator.code).join(Indicator)))


def refused(engine, prefecture, name: str, data: bytes) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        import_file(engine, prefecture.id, name, data)
    return [str(e) for e in caught.value.errors]


# --- the period of a table ------------------------------------------------------------------------

def test_the_seed_switchboard_figure_from_months_running_november_to_september(engine, prefecture):
    """48 % "entre nov. 21 et sept. 22": the range in the title files November and December in 2021."""
    title = "Standard — bilan annuel 2022, du 1er novembre 2021 au 30 septembre 2022"
    outcome = import_file(engine, prefecture.id, "standard.xlsx", make_workbook({"Standard": titled(title, PHONE_NOV_SEP)}))
    assert outcome.plan.months[0] == dt.date(2021, 11, 1) and outcome.plan.months[-1] == dt.date(2022, 9, 1)
    assert sum(PHONE_RECEIVED) == 541_200 and ANSWERED == 260_000
    with session_scope(engine) as session:
        whole = compute_indicator(session, prefecture.id, "TEL_ABOUTIS", NOV_21_SEP_22)
        december = compute_indicator(session, prefecture.id, "TEL_ABOUTIS", month_period(2021, 12))
        in_2022 = compute_indicator(session, prefecture.id, "TEL_ABOUTIS", year_period(2022))
    assert (whole.numerator, whole.denominator) == (260_000, 541_200)
    assert round(whole.value) == 48  # the bilan's published 48 %
    assert (december.numerator, december.denominator) == (45_300 - 22_900, 45_300)
    assert in_2022.denominator == sum(PHONE_RECEIVED[2:])  # January → September only


def test_months_crossing_the_year_under_one_year_are_refused_naming_the_columns(engine, prefecture, snapshot):
    before = snapshot(engine)
    data = make_workbook({"Standard": titled("Standard — bilan annuel 2022", PHONE_NOV_SEP)})
    [message] = refused(engine, prefecture, "standard.xlsx", data)
    assert "feuille « Standard »" in message and "B (novembre), C (décembre)" in message
    assert "2021 ou de 2022" in message and "du 1er novembre 2021 au 30 septembre 2022" in message
    assert snapshot(engine) == before


def test_two_years_in_the_title_file_the_months_on_each_side_of_january(engine, prefecture):
    data = make_workbook({"Standard 2021-2022": titled("Standard", PHONE_NOV_SEP)})
    import_file(engine, prefecture.id, "standard.xlsx", data)
    months = sorted({start for _, start, *_ in observations(engine)})
    assert months[:3] == [dt.date(2021, 11, 1), dt.date(2021, 12, 1), dt.date(2022, 1, 1)]


def test_a_one_month_mailbox_table_touches_that_month_only(engine, prefecture):
    """"juin 2022" on a table with one column per mailbox: June, never the year; July's file adds July."""
    june = make_workbook({"Boîtes": titled("Courriels des boîtes fonctionnelles — juin 2022", EMAIL_MAILBOXES)})
    import_file(engine, prefecture.id, "boites-juin.xlsx", june)
    july_table = [EMAIL_MAILBOXES[0], *([row[0], *(v // 2 if isinstance(v, int) else v for v in row[1:])]
                                        for row in EMAIL_MAILBOXES[1:3])]
    july = make_workbook({"Boîtes": titled("Courriels des boîtes fonctionnelles — juillet 2022", july_table)})
    outcome = import_file(engine, prefecture.id, "boites-juillet.xlsx", july)
    assert len(outcome.plan.replacements) == 0
    spans = {(start, end) for _, start, end, *_ in observations(engine)}
    assert spans == {(dt.date(2022, 6, 1), dt.date(2022, 6, 1)), (dt.date(2022, 7, 1), dt.date(2022, 7, 1))}
    with session_scope(engine) as session:
        pc = session.exec(select(Perimetre).where(Perimetre.name == "PC")).one()
        summer = compute_indicator(session, prefecture.id, "COURRIEL_5J", range_period(dt.date(2022, 6, 1), dt.date(2022, 7, 1)),
                                   [pc.id or 0])
    assert (summer.numerator, summer.denominator) == (189 + 94, 213 + 106)


def test_a_quarter_in_the_sheet_name_spans_the_quarter(engine, prefecture):
    data = make_workbook({"2e trimestre 2022": titled("Courriels par boîte", EMAIL_MAILBOXES)})
    import_file(engine, prefecture.id, "boites.xlsx", data)
    assert {(start, end) for _, start, end, *_ in observations(engine)} == {(dt.date(2022, 4, 1), dt.date(2022, 6, 1))}


def test_a_table_without_months_and_without_a_period_is_refused(engine, prefecture):
    data = make_workbook({"Boîtes": titled("Courriels par boîte fonctionnelle", EMAIL_MAILBOXES)})
    [message] = refused(engine, prefecture, "boites.xlsx", data)
    assert "période introuvable" in message and "juin 2022" in message


def test_title_and_sheet_name_that_disagree_are_refused(engine, prefecture):
    data = make_workbook({"Courriels 2021": titled("Courriels — boîte prefecture@ — 2022", EMAIL_MONTHLY)})
    [message] = refused(engine, prefecture, "courriels.xlsx", data)
    assert "« Courriels — boîte prefecture@ — 2022 » (titre)" in message and "« Courriels 2021 » (nom de la feuille)" in message


def test_the_file_name_gives_the_year_when_nothing_else_does(engine, prefecture):
    data = make_workbook({"Suivi": titled("Courriels — boîte prefecture@", EMAIL_MONTHLY)})
    outcome = import_file(engine, prefecture.id, "suivi_courriels_2022 (export du 2023-01-15).xlsx", data)
    assert outcome.plan.months[0] == dt.date(2022, 1, 1)


# --- more layouts ---------------------------------------------------------------------------------

def test_a_table_turned_on_its_side_imports_the_same_figures(engine, prefecture):
    title = "Standard — du 1er novembre 2021 au 30 septembre 2022"
    outcome = import_file(engine, prefecture.id, "standard.xlsx", make_workbook({"Standard": titled(title, PHONE_BY_ROW)}))
    assert outcome.plan.rows == 11
    with session_scope(engine) as session:
        whole = compute_indicator(session, prefecture.id, "TEL_ABOUTIS", NOV_21_SEP_22)
    assert (whole.numerator, whole.denominator) == (260_000, 541_200)


def test_a_turned_table_names_the_cells_the_user_sees(engine, prefecture):
    rows = [list(r) for r in PHONE_BY_ROW]
    rows[5][2] = "beaucoup"  # mars, appels perdus: sheet row 3 + 5 = 8, column C
    data = make_workbook({"Standard": titled("Standard — du 1er novembre 2021 au 30 septembre 2022", rows)})
    messages = refused(engine, prefecture, "standard.xlsx", data)
    assert any(m.startswith("feuille « Standard », ligne 8, colonne C (Appels perdus)") and "beaucoup" in m
               for m in messages), messages


def test_several_tables_on_one_sheet_each_under_its_heading(engine, prefecture):
    """The référente's combined monthly sheet: téléphone, point numérique, courriels."""
    months = ["janvier", "février", "mars"]
    sheet = [
        ["Tableau de bord mensuel — 2022"], [],
        ["Accueil téléphonique"], ["", *months], ["Appels reçus", 100, 200, 300], ["Appels perdus", 10, 20, 30], [],
        ["Point d'accueil numérique"], ["", *months], ["Usagers accueillis", 30, 40, 50], [],
        ["Courriels"], ["", *months], ["Nombre de réponses", 20, 30, 40], ["Réponses dans le délai", 18, 27, 40],
    ]
    outcome = import_file(engine, prefecture.id, "tableau.xlsx", make_workbook({"Mensuel": sheet}))
    assert outcome.plan.indicators == ["COURRIEL_5J", "PAN_USAGERS", "TEL_ABOUTIS"]
    assert not [w for w in outcome.plan.warnings if "non reconnue" in w.message]
    with session_scope(engine) as session:
        q1 = range_period(dt.date(2022, 1, 1), dt.date(2022, 3, 1))
        phone = compute_indicator(session, prefecture.id, "TEL_ABOUTIS", q1)
        mails = compute_indicator(session, prefecture.id, "COURRIEL_5J", q1)
        pan = compute_indicator(session, prefecture.id, "PAN_USAGERS", q1)
    assert (phone.numerator, phone.denominator) == (540, 600)
    assert (mails.numerator, mails.denominator) == (85, 90)
    assert pan.numerator == 120


def test_section_headings_inside_one_table(engine, prefecture):
    sheet = [
        ["Suivi 2022"], ["", "janvier", "février"],
        ["Téléphone"], ["Appels reçus", 100, 200], ["Appels perdus", 10, 20],
        ["Courriels"], ["Nombre de réponses", 20, 30], ["Réponses dans le délai", 18, 27],
    ]
    outcome = import_file(engine, prefecture.id, "suivi.xlsx", make_workbook({"Suivi": sheet}))
    assert outcome.plan.indicators == ["COURRIEL_5J", "TEL_ABOUTIS"]


def test_a_notes_sheet_with_a_targets_table_never_blocks_the_data_sheet(engine, prefecture):
    notes = [
        ["Mode d'emploi"], ["Saisir chaque mois les nombres de la boîte, avant le 5 du mois suivant."],
        ["Ne pas modifier les formules de la ligne Taux."], [],
        ["Rappel des cibles"], ["Indicateur", "Cible"],
        ["Taux de réponse aux courriels dans le délai de 5 jours", "90 %"],
        ["Taux d'appels aboutis au standard", "90 %"],
    ]
    data = make_workbook({"Mode d'emploi": notes, "Courriels 2022": titled("Courriels — 2022", EMAIL_MONTHLY)})
    outcome = import_file(engine, prefecture.id, "courriels.xlsx", data)
    assert outcome.plan.indicators == ["COURRIEL_5J", "COURRIEL_DELAI_MOYEN"]
    assert any(w.sheet == "Mode d'emploi" and "ignoré" in w.message for w in outcome.plan.warnings)


def test_a_results_only_table_is_refused_with_one_message(engine, prefecture):
    data = make_workbook({"Nos indicateurs": titled("Nos indicateurs — bilan 2022", RESULTS_ONLY)})
    [message] = refused(engine, prefecture, "bilan.xlsx", data)
    assert message.startswith("les nombres manquent") and "« Nos indicateurs »" in message
    assert "RECLA_DELAI" not in message


# --- nothing used in part without saying so --------------------------------------------------------

def test_the_coverage_line_counts_values_and_names_what_was_left(engine, prefecture):
    data = make_workbook({"Courriels 2022": titled("Courriels — boîte prefecture@ — 2022", EMAIL_MONTHLY)})
    outcome = import_file(engine, prefecture.id, "courriels.xlsx", data, dry_run=True)
    # 10 months × (réponses, dans les délais, délai moyen) read; the rate row and the Total column checked
    assert outcome.plan.coverage.startswith("30 valeurs lues (et 10 totaux ou taux vérifiés)")
    assert "1 ligne non reconnue : « Nombre de messages reçus » (ligne 8)" in outcome.plan.coverage


def test_the_cli_report_opens_with_the_coverage_line(engine, prefecture, tmp_path, monkeypatch, capsys):
    from qep_core.cli import main

    monkeypatch.setenv("QEP_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("QEP_AUTH", raising=False)
    path = tmp_path / "courriels-2022.xlsx"
    path.write_bytes(make_workbook({"Courriels 2022": titled("Courriels — 2022", EMAIL_MONTHLY)}))
    assert main(["import", str(path), "--prefecture", "44", "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].strip().startswith("30 valeurs lues")


def test_numbers_under_no_header_are_named_not_dropped_silently(engine, prefecture):
    table: list[list[object]] = [[*r, ""] for r in EMAIL_MONTHLY]
    table[1][-1], table[2][-1] = 5, 4  # a stray column after Total: M, no header
    data = make_workbook({"Courriels 2022": titled("Courriels — 2022", table)})
    outcome = import_file(engine, prefecture.id, "courriels.xlsx", data, dry_run=True)
    assert "1 colonne ignorée : colonne M sans en-tête" in outcome.plan.coverage
    [warning] = [w for w in outcome.plan.warnings if "sans en-tête" in w.message]
    assert (warning.row, warning.column) == (4, "M") and "ses 2 valeurs ne sont pas importées" in warning.message
