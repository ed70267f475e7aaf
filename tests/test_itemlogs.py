"""Item logs (registres): detection, per-item statuses and the monthly drafts they feed.

Every expected count below is worked out by hand from the calendar of Loire-Atlantique (44) with
Whit Monday worked (the préfecture default). The facts used, for May-June 2024:

    May 2024: Wed 1 (fête du travail), Wed 8 (Victoire 1945), Thu 9 (Ascension) are holidays;
              Sat/Sun 4-5, 11-12, 18-19, 25-26; Mon 20 (Whit Monday) is worked.
              Working days: 2 3 6 7 10 13 14 15 16 17 20 21 22 23 24 27 28 29 30 31.
    June 2024: no holiday; Sat/Sun 1-2, 8-9, 15-16. AS_OF = Mon 10 June 2024.

A delay counts the working days after the start date up to and including the end date. An item
without an answer is late when its deadline (the N-th working day after reception) is strictly
before AS_OF, pending otherwise.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from qep_core.importing.context import ImportContext
from qep_core.importing.issues import IssueLog
from qep_core.importing.itemlogs import (
    ITEM_COLUMNS,
    STATUS_IN_TIME,
    STATUS_LATE,
    STATUS_OVERDUE,
    STATUS_PENDING,
    detect_log_kind,
    log_summary,
    parse_date_column,
    parse_item_log,
)
from qep_core.importing.long_layout import DRAFT_COLUMNS
from qep_core.referentiel import UNIT_OF_KIND, CountSpec, IndicatorDef, Referentiel, _counts_payload
from qep_core.workdays import WorkingCalendar

AS_OF = dt.date(2024, 6, 10)
MAY = dt.date(2024, 5, 1)
JUNE = dt.date(2024, 6, 1)
APRIL = dt.date(2024, 4, 1)


def _indicator_defs() -> dict[str, IndicatorDef]:
    """The default indicators straight from data/referentiel.json, as the DB would give them."""
    ref = Referentiel.load()
    engagement_module = {e["key"]: e["module"] for e in ref.raw["engagements"]}
    defs = {}
    for pos, spec in enumerate(ref.raw["indicators"]):
        payload = json.loads(_counts_payload(spec))
        defs[spec["code"]] = IndicatorDef(
            id=pos + 1, code=spec["code"], label=spec["label"], engagement_key=spec.get("engagement"),
            module_code=spec.get("module") or engagement_module[spec["engagement"]], family=spec.get("family"),
            kind=spec["kind"], unit=UNIT_OF_KIND[spec["kind"]], direction=spec["direction"],
            default_target=spec.get("target"), alert_threshold=spec.get("alert"), frequency=spec["frequency"],
            counts={r: CountSpec(r, c["label"], tuple(c.get("aliases", ()))) for r, c in payload["counts"].items()},
            position=pos,
        )
    return defs


@pytest.fixture(scope="module")
def ctx() -> ImportContext:
    return ImportContext(_indicator_defs(), Referentiel.load().families)


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar("44", whit_monday_worked=True)


def run(rows: list[list[object]], ctx: ImportContext, calendar: WorkingCalendar, sheet: str = "Feuil1",
        forced: str | None = None, as_of: dt.date = AS_OF) -> tuple[pd.DataFrame, pd.DataFrame, IssueLog, str]:
    """Detect the log in *rows* (sheet rows, row 1 first) and parse it like the importer does."""
    found = detect_log_kind(sheet, rows[:20], forced)
    assert found is not None, "registre non reconnu"
    kind, header_idx, fields = found
    body = pd.DataFrame(rows[header_idx + 1:], dtype=object)
    log = IssueLog()
    drafts, items = parse_item_log(sheet, kind, rows[header_idx], fields, body, header_idx + 2, ctx, calendar,
                                   as_of, log)
    return drafts, items, log, kind


def draft(drafts: pd.DataFrame, code: str, month: dt.date, perimetre: str | None = None) -> tuple[float, float]:
    sel = drafts[(drafts["indicator"] == code) & (drafts["start"] == month)]
    sel = sel[sel["perimetre"].isna()] if perimetre is None else sel[sel["perimetre"] == perimetre]
    assert len(sel) == 1, f"{code} {month} {perimetre}: {len(sel)} brouillon(s)\n{drafts}"
    return float(sel["numerator"].iat[0]), float(sel["denominator"].iat[0])


def statuses(items: pd.DataFrame, code: str) -> dict[int, str]:
    sel = items[items["indicator"] == code]
    return dict(zip(sel["row"].astype(int), sel["status"], strict=True))


def messages(log: IssueLog) -> str:
    return "\n".join(str(e) for e in log.errors)


# ------------------------------------------------------------------------------------------------
# Courriels


COURRIELS = [
    ["Registre des courriels – 2024"],  # row 1: a title above the header
    ["Date de réception", "Boîte fonctionnelle", "Expéditeur", "Objet", "Répondu le"],  # row 2
    ["06/05/2024", "pref", "M. Dupont", "Carte grise", "13/05/2024"],  # 3: 7, 10, 13 → 3 ≤ 5, in time
    ["2024-05-04", "pref", "Mme Martin", "Permis", dt.date(2024, 5, 6)],  # 4: Saturday → Monday = 1, in time
    ["07/05/2024", "pref", None, "Titre", "16/05/2024"],  # 5: 10, 13, 14, 15, 16 → 5, in time (limit)
    ["07/05/2024", "pref", None, "a/b \"c\"", "17/05/2024"],  # 6: 6 > 5, late
    [dt.datetime(2024, 5, 30, 9, 15), "sp", None, None, None],  # 7: deadline 31, 3, 4, 5, 6 → 6 June < 10: overdue
    [45443.0, "sp", None, None, "en cours"],  # 8: 31/05 (Excel serial); deadline 7 June < 10: overdue
    ["02/05/2024", "sp", None, None, "2024-05-03 17:45:00"],  # 9: 1, in time
    [None, None, None, None, None],  # 10: blank, skipped
    ["15/05/2024", "sp", None, None, "20/05/2024"],  # 11: 16, 17, 20 (Whit Monday worked) → 3, in time
    ["05/06/2024", "sp", None, None, None],  # 12: deadline 6, 7, 10, 11, 12 → 12 June ≥ 10: pending
]


def test_courriels(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    drafts, items, log, kind = run(COURRIELS, ctx, calendar)
    assert kind == "courriels"
    assert log.ok, messages(log)
    assert list(drafts.columns) == DRAFT_COLUMNS and list(items.columns) == ITEM_COLUMNS
    # May, pref: rows 3, 4, 5 in time, 6 late → 3 / 4; delays 3 + 1 + 5 + 6 = 15 over 4 answers
    assert draft(drafts, "COURRIEL_5J", MAY, "pref") == (3.0, 4.0)
    assert draft(drafts, "COURRIEL_DELAI_MOYEN", MAY, "pref") == (15.0, 4.0)
    # May, sp: rows 9, 11 in time; 7, 8 overdue (in the denominator) → 2 / 4; delays 1 + 3 over 2 answers
    assert draft(drafts, "COURRIEL_5J", MAY, "sp") == (2.0, 4.0)
    assert draft(drafts, "COURRIEL_DELAI_MOYEN", MAY, "sp") == (4.0, 2.0)
    # June: one pending item only → no value yet
    assert not (drafts["start"] == JUNE).any()
    assert len(drafts) == 4
    assert drafts["numerator"].dtype == float and drafts["denominator"].dtype == float
    assert set(drafts["end"]) == {MAY} and set(drafts["sheet"]) == {"Feuil1"}

    assert statuses(items, "COURRIEL_5J") == {
        3: STATUS_IN_TIME, 4: STATUS_IN_TIME, 5: STATUS_IN_TIME, 6: STATUS_LATE, 7: STATUS_OVERDUE,
        8: STATUS_OVERDUE, 9: STATUS_IN_TIME, 11: STATUS_IN_TIME, 12: STATUS_PENDING,
    }
    assert statuses(items, "COURRIEL_DELAI_MOYEN") == {}  # the mean's items are the rate's, stored once
    rate = items[items["indicator"] == "COURRIEL_5J"].set_index("row")
    assert rate.at[3, "delay"] == 3 and np.isnan(rate.at[7, "delay"])
    assert rate.at[7, "received"] == pd.Timestamp(2024, 5, 30)  # the time of day is dropped
    assert rate.at[8, "received"] == pd.Timestamp(2024, 5, 31) and pd.isna(rate.at[8, "answered"])
    assert rate.at[9, "answered"] == pd.Timestamp(2024, 5, 3)
    assert rate.at[3, "deadline"] == pd.Timestamp(2024, 5, 15)  # 7, 10, 13, 14, 15
    assert rate.at[12, "deadline"] == pd.Timestamp(2024, 6, 12)
    assert rate.at[3, "perimetre"] == "pref" and rate.at[3, "kind"] == "courriels"


def test_details_hold_the_other_columns_only(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    _drafts, items, _log, _kind = run(COURRIELS, ctx, calendar)
    rate = items[items["indicator"] == "COURRIEL_5J"].set_index("row")
    first = json.loads(rate.at[3, "details"])
    assert first == {"Expéditeur": "M. Dupont", "Objet": "Carte grise"}
    assert "é" in rate.at[3, "details"]  # not \u00e9: readable as stored
    assert json.loads(rate.at[6, "details"]) == {"Objet": 'a/b "c"'}  # empty cells left out, quotes kept
    assert json.loads(rate.at[7, "details"]) == {}
    for text in items["details"]:
        keys = set(json.loads(text))
        assert not keys & {"Date de réception", "Répondu le", "Boîte fonctionnelle"}


def test_summary_matches_the_drafts(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    _drafts, items, _log, _kind = run(COURRIELS, ctx, calendar)
    summary = log_summary(items).set_index(["indicator", "month"])
    may = summary.loc[("COURRIEL_5J", MAY)]
    assert (may["items"], may["answered"], may["in_time"], may["late"], may["pending"]) == (8, 6, 5, 3, 0)
    assert (may["late_answered"], may["late_unanswered"], may["delay_sum"]) == (1, 2, 19.0)
    june = summary.loc[("COURRIEL_5J", JUNE)]
    assert (june["items"], june["pending"], june["answered"]) == (1, 1, 0)
    assert log_summary(items.iloc[0:0]).empty


# ------------------------------------------------------------------------------------------------
# Courriers


COURRIERS = [
    ["Date d'arrivée", "Service", "Objet", "Date d'envoi de la réponse"],  # row 1
    ["02/05/2024", "BCI", "x", "17/05/2024"],  # 2: 3 6 7 10 13 14 15 16 17 → 9 ≤ 10, in time
    ["02/05/2024", "BCI", "x", "20/05/2024"],  # 3: 10 (Whit Monday worked), in time
    ["02/05/2024", "BCI", "x", "21/05/2024"],  # 4: 11, late
    ["13/05/2024", None, "x", "27/05/2024"],  # 5: 14..17, 20..24, 27 → 10, in time; no service
    ["27/05/2024", "BCI", "x", None],  # 6: deadline 28 29 30 31 3 4 5 6 7 10 → 10 June = as_of: pending
    ["24/05/2024", "BCI", "x", None],  # 7: deadline 27 … 7 June < 10: overdue
]


def test_courriers(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    drafts, items, log, kind = run(COURRIERS, ctx, calendar, sheet="Courriers 2024")
    assert kind == "courriers"
    assert log.ok, messages(log)
    assert draft(drafts, "COURRIER_10J", MAY, "BCI") == (2.0, 4.0)  # 2 in time / 3 answered + 1 overdue
    assert draft(drafts, "COURRIER_DELAI_MOYEN", MAY, "BCI") == (30.0, 3.0)  # 9 + 10 + 11
    assert draft(drafts, "COURRIER_10J", MAY, None) == (1.0, 1.0)  # the blank service: whole préfecture
    assert draft(drafts, "COURRIER_DELAI_MOYEN", MAY, None) == (10.0, 1.0)
    assert statuses(items, "COURRIER_10J") == {2: STATUS_IN_TIME, 3: STATUS_IN_TIME, 4: STATUS_LATE,
                                               5: STATUS_IN_TIME, 6: STATUS_PENDING, 7: STATUS_OVERDUE}
    assert any("sans service" in w.message for w in log.warnings)
    assert set(drafts["column"]) == {"D (Date d'envoi de la réponse)"}


def test_whit_monday_setting_changes_the_delay(ctx: ImportContext) -> None:
    """Whit Monday not worked: row 3 (2 → 20 May) is 9 days, row 4 (→ 21 May) is 10: both in time."""
    drafts, _items, log, _kind = run(COURRIERS, ctx, WorkingCalendar("44", whit_monday_worked=False),
                                     sheet="Courriers")
    assert log.ok
    assert draft(drafts, "COURRIER_10J", MAY, "BCI") == (3.0, 4.0)
    assert draft(drafts, "COURRIER_DELAI_MOYEN", MAY, "BCI") == (28.0, 3.0)  # 9 + 9 + 10


# ------------------------------------------------------------------------------------------------
# Suggestions et réclamations


RECLAMATIONS = [
    ["Date de réception", "Canal", "Type", "Nom", "Date de réponse"],  # row 1
    ["06/05/2024", "Courriel", "Réclamation", "A", "14/05/2024"],  # 2: 7 10 13 14 → 4 ≤ 5, in time
    ["06/05/2024", "Urne", "Suggestion", "B", "21/05/2024"],  # 3: 9 ≤ 10, in time
    ["06/05/2024", "Formulaire en ligne", "réclamation", "C", "15/05/2024"],  # 4: 5 ≤ 5, in time
    ["02/05/2024", "Courrier", "Autre", "D", "21/05/2024"],  # 5: 11 > 10, late
    ["13/05/2024", "mail", "Plainte", "E", "21/05/2024"],  # 6: 14 15 16 17 20 21 → 6 > 5, late
    ["31/05/2024", "urne", "suggestion", "F", None],  # 7: deadline 10 days → 14 June: pending
    ["29/05/2024", "courriel", "réclamation", "G", None],  # 8: deadline 30 31 3 4 5 → 5 June < 10: overdue
]


def test_reclamations(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    drafts, items, log, kind = run(RECLAMATIONS, ctx, calendar)
    assert kind == "reclamations"  # told by the "Canal" column
    assert log.ok, messages(log)
    assert draft(drafts, "RECLA_DELAI", MAY) == (3.0, 6.0)  # rows 2, 3, 4 / 5 answered + row 8
    assert draft(drafts, "RECLA_DELAI_MOYEN", MAY) == (35.0, 5.0)  # 4 + 9 + 5 + 11 + 6
    assert statuses(items, "RECLA_DELAI") == {2: STATUS_IN_TIME, 3: STATUS_IN_TIME, 4: STATUS_IN_TIME,
                                              5: STATUS_LATE, 6: STATUS_LATE, 7: STATUS_PENDING,
                                              8: STATUS_OVERDUE}
    rate = items[items["indicator"] == "RECLA_DELAI"].set_index("row")
    assert rate.at[7, "deadline"] == pd.Timestamp(2024, 6, 14)  # urne: 10 working days
    assert json.loads(rate.at[6, "details"]) == {"canal": "courriel", "type": "réclamation", "Nom": "E"}

    summary = log_summary(items).set_index(["indicator", "month"]).loc[("RECLA_DELAI", MAY)]
    assert (summary["items"], summary["in_time"], summary["late"], summary["pending"]) == (7, 3, 3, 1)
    assert (summary["type: réclamation"], summary["type: suggestion"], summary["type: autre"]) == (4, 2, 1)
    assert (summary["canal: courriel"], summary["canal: urne"], summary["canal: formulaire"],
            summary["canal: courrier"]) == (3, 2, 1, 1)


def test_reclamations_unknown_type_is_a_warning(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    rows = [RECLAMATIONS[0], ["06/05/2024", "courriel", "Question", "A", "07/05/2024"]]
    drafts, _items, log, _kind = run(rows, ctx, calendar)
    assert log.ok
    assert "Question" in log.warnings[0].message
    assert draft(drafts, "RECLA_DELAI", MAY) == (1.0, 1.0)


# ------------------------------------------------------------------------------------------------
# Site internet


SITE = [
    ["Demandé le", "Rubrique", "Demandeur", "Publié le"],  # row 1
    ["07/05/2024", "Actualités", "SG", "10/05/2024"],  # 2: 8, 9 holidays, 10 → 1 ≤ 3, in time
    ["07/05/2024", "Démarches", "SG", "14/05/2024"],  # 3: 10 13 14 → 3, in time
    ["07/05/2024", "Actualités", "DDTM", "15/05/2024"],  # 4: 4 > 3, late
    ["06/06/2024", "Actualités", "SG", None],  # 5: deadline 7 10 11 → 11 June: pending
    ["03/06/2024", "Actualités", "SG", None],  # 6: deadline 4 5 6 → 6 June < 10: overdue
    ["05/06/2024", "Actualités", "SG", None],  # 7: deadline 6 7 10 → 10 June = as_of: pending
]


def test_site(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    drafts, items, log, kind = run(SITE, ctx, calendar)
    assert kind == "site"
    assert log.ok, messages(log)
    assert draft(drafts, "SITE_MAJ_3J", MAY) == (2.0, 3.0)
    assert draft(drafts, "SITE_MAJ_3J", JUNE) == (0.0, 1.0)
    assert set(drafts["indicator"]) == {"SITE_MAJ_3J"}  # no mean delay for the site
    assert statuses(items, "SITE_MAJ_3J") == {2: STATUS_IN_TIME, 3: STATUS_IN_TIME, 4: STATUS_LATE,
                                              5: STATUS_PENDING, 6: STATUS_OVERDUE, 7: STATUS_PENDING}
    first = items.set_index("row").loc[2]
    assert json.loads(first["details"]) == {"rubrique": "Actualités", "Demandeur": "SG"}
    assert drafts["perimetre"].isna().all()


# ------------------------------------------------------------------------------------------------
# Rendez-vous d'élus


RDV = [
    ["Demandé le", "Date proposée le", "Rendez-vous le", "Légalité / budgétaire", "Élu"],  # row 1
    ["06/05/2024", "13/05/2024", "24/05/2024", "légalité", "Maire A"],  # 2: 3 ≤ 4; 14…24 → 9 ≤ 10
    ["02/05/2024", "10/05/2024", "28/05/2024", "budget", "Maire B"],  # 3: 4 ≤ 4; 13…28 → 12 > 10
    ["06/05/2024", "15/05/2024", None, None, "Maire C"],  # 4: 5 > 4; no meeting, 10 days → 29 May: overdue
    ["28/05/2024", "31/05/2024", "20/06/2024", None, "Maire D"],  # 5: 3; meeting scheduled after as_of,
    #     not held: 10 days after 31 May → 14 June: pending
    ["05/06/2024", None, None, None, "Maire E"],  # 6: 4 days → 11 June: pending; no second stage
    ["31/05/2024", None, None, None, "Maire F"],  # 7: 4 days → 3 4 5 6 → 6 June < 10: overdue
    ["29/04/2024", "02/05/2024", "13/05/2024", None, "Maire G"],  # 8: 30/4, 2/5 → 2; 3 6 7 10 13 → 5
]


def test_rdv_elus(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    drafts, items, log, kind = run(RDV, ctx, calendar)
    assert kind == "rdv_elus"
    assert log.ok, messages(log)
    # proposals, May: rows 2, 3, 5 in time, 4 late, 7 overdue → 3 / 5; June: row 6 pending, no value
    assert draft(drafts, "COLL_RDV_PROPOSITION_4J", MAY) == (3.0, 5.0)
    # meetings, month of the request: row 2 in time, 3 late, 4 overdue, 5 pending → 1 / 3
    assert draft(drafts, "COLL_RDV_10J", MAY) == (1.0, 3.0)
    # row 8: requested in April, offered and held in May → both counted in April
    assert draft(drafts, "COLL_RDV_PROPOSITION_4J", APRIL) == (1.0, 1.0)
    assert draft(drafts, "COLL_RDV_10J", APRIL) == (1.0, 1.0)
    assert not (drafts["start"] == JUNE).any()
    assert statuses(items, "COLL_RDV_PROPOSITION_4J") == {
        2: STATUS_IN_TIME, 3: STATUS_IN_TIME, 4: STATUS_LATE, 5: STATUS_IN_TIME, 6: STATUS_PENDING,
        7: STATUS_OVERDUE, 8: STATUS_IN_TIME}
    assert statuses(items, "COLL_RDV_10J") == {2: STATUS_IN_TIME, 3: STATUS_LATE, 4: STATUS_OVERDUE,
                                               5: STATUS_PENDING, 8: STATUS_IN_TIME}
    meeting = items[items["indicator"] == "COLL_RDV_10J"].set_index("row")
    assert meeting.at[8, "received"] == pd.Timestamp(2024, 5, 2) and meeting.at[8, "delay"] == 5
    assert pd.isna(meeting.at[5, "answered"])  # scheduled, not held yet
    assert json.loads(meeting.at[8, "details"]) == {"demandé le": "2024-04-29", "Élu": "Maire G"}
    assert json.loads(meeting.at[2, "details"])["domaine"] == "légalité"

    summary = log_summary(items).set_index(["indicator", "month"])
    assert summary.loc[("COLL_RDV_10J", APRIL), "in_time"] == 1  # by request month, like the drafts
    assert summary.loc[("COLL_RDV_10J", MAY), "items"] == 4


# ------------------------------------------------------------------------------------------------
# Courriers et courriels d'élus


ELUS = [
    ["Reçu le", "Répondu le", "Domaine", "Canal", "Commune"],  # row 1
    ["02/05/2024", "23/05/2024", "Légalité", "Courrier", "A"],  # 2: 13 ≤ 15, in time
    ["02/05/2024", "27/05/2024", "Conseil budgétaire", "Lettre", "B"],  # 3: 15 ≤ 15, in time
    ["02/05/2024", "28/05/2024", "budget", "courrier", "C"],  # 4: 16 > 15, late
    ["13/05/2024", "21/05/2024", "légalité", "courriel", "D"],  # 5: 6 > 5, late
    ["13/05/2024", "17/05/2024", "legalite", "mail", "E"],  # 6: 4 ≤ 5, in time
    ["27/05/2024", None, "budgétaire", "e-mail", "F"],  # 7: deadline 28 29 30 31 3 → 3 June < 10: overdue
]


def test_courriers_elus(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    drafts, items, log, kind = run(ELUS, ctx, calendar, sheet="Élus")
    assert kind == "courriers_elus"
    assert log.ok, messages(log)
    assert draft(drafts, "COLL_COURRIER_LEGALITE_15J", MAY) == (1.0, 1.0)
    assert draft(drafts, "COLL_COURRIER_BUDGET_15J", MAY) == (1.0, 2.0)
    assert draft(drafts, "COLL_COURRIEL_LEGALITE_5J", MAY) == (1.0, 2.0)
    assert draft(drafts, "COLL_COURRIEL_BUDGET_5J", MAY) == (0.0, 1.0)
    assert len(drafts) == 4  # no mean delay for the élus
    by_row = items.set_index("row")
    assert by_row.at[3, "indicator"] == "COLL_COURRIER_BUDGET_15J" and by_row.at[3, "status"] == STATUS_IN_TIME
    assert by_row.at[7, "status"] == STATUS_OVERDUE and by_row.at[7, "deadline"] == pd.Timestamp(2024, 6, 3)


# ------------------------------------------------------------------------------------------------
# Appels


def test_appels_lost_calls(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    rows = [
        ["Date", "Appels reçus", "Appels perdus"],
        ["02/05/2024", 100, 10],
        ["2024-05-03 08:00", "50", "5"],  # date-hour, counts typed as text
        [dt.datetime(2024, 5, 3, 14, 0), 30, 0],
        ["04/05/2024", None, None],  # Saturday, no data: skipped
        ["03/06/2024", 80, 20],
    ]
    drafts, items, log, kind = run(rows, ctx, calendar, sheet="Standard")
    assert kind == "appels"
    assert log.ok, messages(log)
    assert items.empty and list(items.columns) == ITEM_COLUMNS
    assert draft(drafts, "TEL_ABOUTIS", MAY) == (165.0, 180.0)  # (100 − 10) + (50 − 5) + 30
    assert draft(drafts, "TEL_ABOUTIS", JUNE) == (60.0, 80.0)


def test_appels_answered_calls(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    rows = [["Jour", "Nombre d'appels reçus", "Appels décrochés"], ["10/05/2024", 40, 38], ["13/05/2024", 10, 10]]
    drafts, _items, log, _kind = run(rows, ctx, calendar)
    assert log.ok, messages(log)
    assert draft(drafts, "TEL_ABOUTIS", MAY) == (48.0, 50.0)


# ------------------------------------------------------------------------------------------------
# Errors: the whole file is rejected, each message names sheet, row and column


def _error_for(rows: list[list[object]], ctx: ImportContext, calendar: WorkingCalendar, sheet: str = "Feuil1",
               forced: str | None = None) -> tuple[IssueLog, str]:
    _drafts, _items, log, _kind = run(rows, ctx, calendar, sheet=sheet, forced=forced)
    assert not log.ok
    return log, messages(log)


def test_error_answer_before_reception(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    log, _ = _error_for([COURRIELS[1], ["10/05/2024", "pref", None, None, "07/05/2024"]], ctx, calendar)
    issue = log.errors[0]
    assert (issue.sheet, issue.row, issue.column) == ("Feuil1", 2, "E (Répondu le)")
    assert "date de réponse (07/05/2024) antérieure à la date de réception (10/05/2024)" in issue.message


def test_error_future_dates(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    log, text = _error_for([COURRIELS[1], ["12/06/2024", "pref", None, None, None],
                            ["06/06/2024", "pref", None, None, "11/06/2024"]], ctx, calendar)
    assert [(e.row, e.column) for e in log.errors] == [(2, "A (Date de réception)"), (3, "E (Répondu le)")]
    assert "date de réception du 12/06/2024 postérieure à la date d'import (10/06/2024)" in text
    assert "date de réponse du 11/06/2024 postérieure" in text


def test_error_missing_reception(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    log, _ = _error_for([COURRIELS[1], ["06/05/2024", "pref", None, None, None],
                         [None, "pref", "Dupont", None, "07/05/2024"]], ctx, calendar)
    issue = log.errors[0]
    assert (issue.row, issue.column) == (3, "A (Date de réception)")
    assert "date de réception manquante" in issue.message
    assert "feuille « Feuil1 », ligne 3, colonne A (Date de réception)" in str(issue)


def test_error_unreadable_dates(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    log, text = _error_for([COURRIELS[1], ["32/05/2024", "pref", None, None, None],
                            ["06/05/2024", "pref", None, None, "bientôt"],
                            ["06/05/0024", "pref", None, None, None],
                            ["32/05/2024", "pref", None, None, None]], ctx, calendar)
    assert "date de réception illisible « 32/05/2024 » (lignes 2, 5)" in text
    assert "date de réponse illisible « bientôt »" in text
    assert "« 06/05/0024 »" in text  # a year out of the calendar's range
    first = log.errors[0]
    assert (first.row, first.column) == (2, "A (Date de réception)")


def test_error_unknown_canal(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    rows = [RECLAMATIONS[0], ["06/05/2024", "Téléphone", "réclamation", "A", None],
            ["06/05/2024", None, "réclamation", "B", None]]
    log, text = _error_for(rows, ctx, calendar)
    assert (log.errors[0].row, log.errors[0].column) == (2, "B (Canal)")
    assert "canal « Téléphone » inconnu" in text and "urne ou courrier (10 jours ouvrés)" in text
    assert "canal manquant" in text and log.errors[1].row == 3


def test_error_unknown_domaine_and_canal_of_elus(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    rows = [ELUS[0], ["02/05/2024", None, "Urbanisme", "courrier", "A"], ["02/05/2024", None, "légalité", "fax", "B"]]
    log, text = _error_for(rows, ctx, calendar)
    assert "domaine « Urbanisme » inconnu : attendu légalité ou budgétaire" in text
    assert "canal « fax » inconnu" in text
    assert {(e.row, e.column) for e in log.errors} == {(2, "C (Domaine)"), (3, "D (Canal)")}


def test_error_call_counts(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    rows = [["Date", "Appels reçus", "Appels perdus"], ["02/05/2024", -5, 0], ["03/05/2024", 10, 12],
            ["06/05/2024", 10, None]]
    log, _text = _error_for(rows, ctx, calendar, sheet="Appels")
    by_row = {e.row: e for e in log.errors}
    assert "nombre d'appels reçus négatif (-5)" in by_row[2].message and by_row[2].column == "B (Appels reçus)"
    assert "appels perdus (12) plus nombreux que les appels reçus (10)" in by_row[3].message
    assert by_row[3].column == "C (Appels perdus)"
    assert "comptes d'appels incomplets" in by_row[4].message


def test_error_rendez_vous_before_offer(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    rows = [RDV[0], ["06/05/2024", "13/05/2024", "10/05/2024", None, "A"], ["06/05/2024", None, "17/05/2024", None, "B"]]
    _log, text = _error_for(rows, ctx, calendar)
    assert "date du rendez-vous (10/05/2024) antérieure à la date de proposition (13/05/2024)" in text
    assert "date de proposition manquante alors que le rendez-vous est fixé" in text


def test_many_bad_rows_are_summed_up(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    rows = [COURRIELS[1]] + [["10/05/2024", "pref", None, None, "07/05/2024"]] * 25
    log, _ = _error_for(rows, ctx, calendar)
    assert len(log.errors) == 11
    assert "15 autres lignes" in log.errors[-1].message


def test_indicator_not_followed(calendar: WorkingCalendar) -> None:
    defs = {k: v for k, v in _indicator_defs().items() if k != "SITE_MAJ_3J"}
    found = detect_log_kind("Site", SITE[:3])
    assert found is not None
    kind, h, fields = found
    log = IssueLog()
    parse_item_log("Site", kind, SITE[h], fields, pd.DataFrame(SITE[h + 1:], dtype=object), h + 2,
                   ImportContext(defs, {}), calendar, AS_OF, log)
    assert "SITE_MAJ_3J n'est pas suivi" in messages(log)


# ------------------------------------------------------------------------------------------------
# Detection


@pytest.mark.parametrize(("received", "answered", "box"), [
    ("Date de réception", "Date de réponse", "Boîte"),
    ("Date réception", "Répondu le", "Boîte fonctionnelle"),
    ("RECU LE", "date d'envoi de la réponse", "BAL"),
    ("Date d'arrivée", "Réponse le", "boite mail"),
    ("Date de réception du courriel", "Date de la réponse", "Boîte aux lettres fonctionnelle"),
])
def test_header_variants(received: str, answered: str, box: str) -> None:
    head = [["Suivi"], [], ["N°", received, box, "Objet", answered]]
    found = detect_log_kind("Feuil1", head)
    assert found is not None
    kind, header_idx, fields = found
    assert (kind, header_idx) == ("courriels", 2)
    assert (fields["recu"], fields["repondu"], fields["perimetre"]) == (1, 4, 2)


def test_kind_from_sheet_name_or_forced() -> None:
    head = [["Date de réception", "Objet", "Date de réponse"]]
    assert detect_log_kind("Feuil1", head) is None  # nothing tells courriels from courriers
    assert detect_log_kind("Courriels 2024", head)[0] == "courriels"  # type: ignore[index]
    assert detect_log_kind("Courriers reçus", head)[0] == "courriers"  # type: ignore[index]
    assert detect_log_kind("Suggestions", head) is None  # a réclamations log needs its canal column
    assert detect_log_kind("Feuil1", head, forced="courriers")[0] == "courriers"  # type: ignore[index]
    assert detect_log_kind("Feuil1", head, forced="site") is None
    with pytest.raises(ValueError, match="type de registre inconnu"):
        detect_log_kind("Feuil1", head, forced="fax")


def test_kind_from_columns() -> None:
    assert detect_log_kind("Feuil1", [["Reçu le", "Service", "Répondu le"]])[0] == "courriers"  # type: ignore[index]
    assert detect_log_kind("X", [["Reçu le", "Boîte", "Répondu le"]])[0] == "courriels"  # type: ignore[index]
    assert detect_log_kind("X", [["Reçu le", "Canal", "Répondu le"]])[0] == "reclamations"  # type: ignore[index]
    assert detect_log_kind("X", [["Reçu le", "Répondu le", "Domaine", "Canal"]])[0] == "courriers_elus"  # type: ignore[index]
    assert detect_log_kind("X", [["Demandé le", "Publié le"]])[0] == "site"  # type: ignore[index]
    assert detect_log_kind("X", [["Demandé le", "Proposée le"]])[0] == "rdv_elus"  # type: ignore[index]
    assert detect_log_kind("X", [["Date", "Appels reçus", "Appels décrochés"]])[0] == "appels"  # type: ignore[index]
    # the sheet name wins among the kinds the columns allow: a "Service" column in an élus sheet
    assert detect_log_kind("Courriers élus", [["Reçu le", "Service", "Répondu le", "Domaine", "Canal"]])[0] \
        == "courriers_elus"  # type: ignore[index]


def test_no_item_log_in_other_sheets() -> None:
    long_header = [["Indicateur", "Période", "Périmètre", "Numérateur", "Dénominateur"]]
    wide = [["Indicateur", "janvier", "février"], ["Appels reçus", 10, 12], ["Appels perdus", 1, 2]]
    assert detect_log_kind("Feuil1", long_header) is None
    assert detect_log_kind("Standard", wide) is None
    data_rows = [[dt.date(2024, 5, 2), dt.date(2024, 5, 3), "Boîte"]]  # dates are data, not a header
    assert detect_log_kind("Courriels", data_rows) is None


# ------------------------------------------------------------------------------------------------
# Date cells


def test_date_forms() -> None:
    column = pd.Series([
        "05/07/2024", "5/7/24", "2024-07-05", "2024-07-05 14:30:00", "05/07/2024 à 9h30", "05.07.2024",
        45478.0, 45478.75, "45478", dt.date(2024, 7, 5), dt.datetime(2024, 7, 5, 23, 59), pd.Timestamp("2024-07-05 08:00"),
        "vendredi 5 juillet 2024", "5 juil. 2024", None, float("nan"), "", "n.c", "31/02/2024", "demain", True,
    ], dtype=object)
    parsed = parse_date_column(column)
    expected_good = np.datetime64("2024-07-05", "D")
    assert (parsed.days[:14] == expected_good).all()
    assert parsed.missing[14:18].all()
    assert parsed.bad[18:].all() and not parsed.bad[:18].any()


def test_typed_columns() -> None:
    """What fastexcel gives for a column of real dates (datetime64) or of Excel serials (float64)."""
    stamps = pd.Series(pd.to_datetime(["2024-05-06 10:00", None, "2024-05-07 00:00"]))
    assert list(parse_date_column(stamps).days.astype(str)) == ["2024-05-06", "NaT", "2024-05-07"]
    serials = pd.Series([45418.0, np.nan, 45419.5])
    assert list(parse_date_column(serials).days.astype(str)) == ["2024-05-06", "NaT", "2024-05-07"]
    aware = pd.Series(pd.to_datetime(["2024-05-06 23:30"]).tz_localize("Europe/Paris"))
    assert parse_date_column(aware).days[0] == np.datetime64("2024-05-06", "D")
    assert parse_date_column(pd.Series(["en cours"]), pending_words=True).missing[0]
    assert parse_date_column(pd.Series(["en cours"])).bad[0]


def test_typed_body(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    """A body read by fastexcel: typed date and text columns instead of objects."""
    body = pd.DataFrame({
        0: pd.to_datetime(["2024-05-06 09:00", "2024-05-07 10:00", None]),
        1: pd.Series(["pref", "pref", None], dtype="str"),
        2: pd.to_datetime(["2024-05-13", None, None]),
    })
    header: list[object] = ["Date de réception", "Boîte", "Répondu le"]
    found = detect_log_kind("Feuil1", [header])
    assert found is not None
    log = IssueLog()
    drafts, items = parse_item_log("Feuil1", found[0], header, found[2], body, 2, ctx, calendar, AS_OF, log)
    assert log.ok, messages(log)
    # row 2: 3 days, in time; row 3: 7 May, deadline 10 13 14 15 16 → overdue; row 4 blank
    assert draft(drafts, "COURRIEL_5J", MAY, "pref") == (1.0, 2.0)
    assert statuses(items, "COURRIEL_5J") == {2: STATUS_IN_TIME, 3: STATUS_OVERDUE}


def test_large_log_is_vectorised(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    """20 000 items with a time on each reception: parsed and counted in well under a few seconds."""
    import time

    rng = np.random.default_rng(0)
    received = pd.Timestamp("2023-01-02") + pd.to_timedelta(rng.integers(0, 500 * 24 * 60, 20_000), unit="min")
    answered = received.normalize() + pd.to_timedelta(rng.integers(0, 12, 20_000), unit="D")
    answered = answered.where(answered.date < AS_OF)
    body = pd.DataFrame({0: received.to_pydatetime().astype(object), 1: rng.choice(["a", "b"], 20_000),
                         2: [d.strftime("%d/%m/%Y") if pd.notna(d) else None for d in answered], 3: "x"}, dtype=object)
    header: list[object] = ["Reçu le", "Boîte", "Répondu le", "Objet"]
    fields = detect_log_kind("Courriels", [header])[2]  # type: ignore[index]
    log = IssueLog()
    t0 = time.perf_counter()
    drafts, items = parse_item_log("Courriels", "courriels", header, fields, body, 2, ctx, calendar, AS_OF, log)
    elapsed = time.perf_counter() - t0
    assert log.ok, messages(log)
    assert len(items) == 20_000  # one per e-mail: the mean delay reads the rate's items
    rates = drafts[drafts["indicator"] == "COURRIEL_5J"]
    assert rates["denominator"].sum() == 20_000  # everything answered or overdue by June 2024
    assert elapsed < 5


def test_general_words_match_whole_headers_only(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    """"Réponse apportée" is text and "Date de relance" an extra date: both stay in the details."""
    rows = [["Reçu le", "Boîte", "Canal", "Date de relance", "Réponse apportée", "Répondu le"],
            ["06/05/2024", "pref", "courriel", "10/05/2024", "Renvoyé vers l'ANTS", "13/05/2024"]]
    drafts, items, log, kind = run(rows, ctx, calendar, sheet="Courriels")
    assert kind == "courriels" and log.ok, messages(log)
    assert draft(drafts, "COURRIEL_5J", MAY, "pref") == (1.0, 1.0)
    assert json.loads(items["details"].iat[0]) == {
        "Canal": "courriel", "Date de relance": "10/05/2024", "Réponse apportée": "Renvoyé vers l'ANTS"}
    calls = detect_log_kind("Standard", [["Date", "Appels", "Appels en absence"]])
    assert calls is not None and calls[2]["appels_recus"] == 1 and calls[2]["appels_perdus"] == 2


def test_missing_required_column(ctx: ImportContext, calendar: WorkingCalendar) -> None:
    log = IssueLog()
    drafts, items = parse_item_log("Feuil1", "reclamations", ["Reçu le", "Répondu le"], {"recu": 0, "repondu": 1},
                                   pd.DataFrame([["06/05/2024", None]], dtype=object), 2, ctx, calendar, AS_OF, log)
    assert drafts.empty and items.empty
    assert "colonne « canal » introuvable" in messages(log) and log.errors[0].row == 1
