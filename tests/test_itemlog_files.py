"""Every log kind but courriels, end to end through a real file as services send them.

Mixed formats: .xlsx built with openpyxl (a title row above the header, French header variants,
real date cells and datetime cells with a time of day) and .csv bytes (``;``, UTF-8 with BOM or
cp1252, dates typed "05/07/2024"). Expected counts are worked out by hand in the comments.

Calendar: Loire-Atlantique (44), Whit Monday (20 May) worked. May 2024 holidays: 1, 8 and 9 May.
Working days: May 2, 3 | 6, 7, 10 | 13–17 | 20–24 | 27–31; June 3–7 | 10… Import date: Monday 10 June.
A delay counts the working days after the start up to and including the end; an item without an
end is late ("sans réponse, délai dépassé") once its deadline (the n-th working day after the
start) is strictly before 10 June, else pending and left out of the rate.
"""

from __future__ import annotations

import datetime as dt

import pytest

from qep_core.compute import compute_indicator
from qep_core.db import session_scope
from qep_core.drilldown import log_items
from qep_core.importing import ImportRejected, import_file
from qep_core.periods import month_period
from tests.conftest import make_workbook

AS_OF = dt.date(2024, 6, 10)
MAY = month_period(2024, 5)
JUNE = month_period(2024, 6)
D = dt.date
T = dt.datetime


def csv_bytes(lines: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    """What Excel's "CSV (séparateur : point-virgule)" export writes, CRLF line ends."""
    return "".join(";".join(cells) + "\r\n" for cells in lines).encode(encoding)


def figures(engine, prefecture, code: str, period=MAY) -> tuple[float | None, float | None, float | None, int, int]:
    """(numerator, denominator, value, items, late items) of *code* for *period*."""
    with session_scope(engine) as session:
        result = compute_indicator(session, prefecture.id, code, period)
        items = log_items(session, prefecture.id, code, period)
        late = log_items(session, prefecture.id, code, period, only_late=True)
    return result.numerator, result.denominator, result.value, len(items), len(late)


# ------------------------------------------------------------------------------------------------
# courriers: CSV (UTF-8 with BOM), columns that do not tell the kind, file name neutral → forced

COURRIERS_CSV = [
    ["Registre arrivée courrier 2024", "", "", ""],
    ["Date d'arrivée", "Date de la réponse", "Expéditeur", "Objet"],
    ["02/05/2024", "16/05/2024", "M. A", "titre de séjour"],   # 3, 6, 7, 10, 13–16: 8 days ≤ 10, in time
    ["02/05/2024", "20/05/2024", "Mme B", "permis"],           # + 17, 20 (Whit Monday worked): 10, in time
    ["02/05/2024", "21/05/2024", "M. C", "carte grise"],       # 11 days: late
    ["13/05/2024", "", "Mme D", "relance"],                   # deadline 27 May (14–17, 20–24, 27): overdue
    ["27/05/2024", "", "M. E", "association"],                # deadline 10 June = as_of: still pending
]


def test_courriers_csv_with_the_kind_forced(engine, prefecture):
    data = csv_bytes(COURRIERS_CSV)
    # "Date d'arrivée" / "Date de la réponse" only, file name "export": the columns do not tell
    with pytest.raises(ImportRejected):
        import_file(engine, prefecture.id, "export.csv", data, as_of=AS_OF, dry_run=True)
    outcome = import_file(engine, prefecture.id, "export.csv", data, as_of=AS_OF, log_kind="courriers")
    assert outcome.plan.layout == "journal:courriers"
    # answered 3 (2 in time) + 1 overdue = 4; the item of 27 May is pending, left out
    assert figures(engine, prefecture, "COURRIER_10J")[:2] == (2, 4)
    assert figures(engine, prefecture, "COURRIER_10J")[3:] == (5, 2)  # 5 items, 21 May late + 13 May overdue
    mean = figures(engine, prefecture, "COURRIER_DELAI_MOYEN")
    assert mean[2] == pytest.approx((8 + 10 + 11) / 3)  # answered items only


def test_courriers_csv_answer_before_reception_is_rejected_with_its_line(engine, prefecture, snapshot):
    before = snapshot(engine)
    bad = [*COURRIERS_CSV[:4], ["06/05/2024", "03/05/2024", "M. X", "?"], *COURRIERS_CSV[4:]]  # CSV line 5
    with pytest.raises(ImportRejected) as info:
        import_file(engine, prefecture.id, "registre-courriers.csv", csv_bytes(bad), as_of=AS_OF,
                    log_kind="courriers")
    errors = info.value.errors
    assert len(errors) == 1
    assert errors[0].row == 5 and errors[0].column is not None
    assert "antérieure" in errors[0].message and "03/05/2024" in errors[0].message
    assert snapshot(engine) == before


# ------------------------------------------------------------------------------------------------
# réclamations: .xlsx, title row, datetimes with times, deadline by canal

RECLA_HEADER = ["Date d'arrivée", "Canal", "Type", "Date de la réponse", "Usager"]
RECLA_ROWS = [
    [T(2024, 5, 2, 9, 30), "Courriel", "Réclamation", T(2024, 5, 10, 17, 45), "u1"],  # 3, 6, 7, 10: 4 ≤ 5
    [D(2024, 5, 6), "Formulaire en ligne", "Suggestion", D(2024, 5, 14), "u2"],       # 7, 10, 13, 14: 4 ≤ 5
    [T(2024, 5, 13, 10, 0), "mail", "Plainte", T(2024, 5, 21, 8, 0), "u3"],          # 14–17, 20, 21: 6 > 5 late
    [D(2024, 5, 6), "Urne", "Suggestion", D(2024, 5, 21), "u4"],                      # 9 days ≤ 10 (urne)
    [D(2024, 5, 30), "Courrier", "Réclamation", None, "u5"],  # deadline 10 → 13 June: pending
    [D(2024, 5, 29), "courriel", "Réclamation", None, "u6"],  # deadline 5 → 5 June (30, 31, 3, 4, 5): overdue
]


def recla_file(rows: list[list[object]]) -> bytes:
    return make_workbook({"Suggestions et réclamations": [["Registre SR — accueil général"], [], RECLA_HEADER,
                                                          *rows]})


def test_reclamations_xlsx_deadline_depends_on_the_canal(engine, prefecture):
    outcome = import_file(engine, prefecture.id, "registre-sr.xlsx", recla_file(RECLA_ROWS), as_of=AS_OF)
    assert outcome.plan.layout == "journal:reclamations"
    # in time: 1st, 2nd, 4th (9 days, urne); late: 3rd; overdue: 6th → 3 / (4 answered + 1 overdue)
    num, den, _value, items, late = figures(engine, prefecture, "RECLA_DELAI")
    assert (num, den) == (3, 5)
    assert (items, late) == (6, 2)
    assert figures(engine, prefecture, "RECLA_DELAI_MOYEN")[2] == pytest.approx((4 + 4 + 6 + 9) / 4)


def test_reclamations_xlsx_unknown_canal_is_rejected_with_its_row(engine, prefecture, snapshot):
    before = snapshot(engine)
    bad = [*RECLA_ROWS, [D(2024, 5, 7), "pigeon voyageur", "Suggestion", D(2024, 5, 10), "u7"]]
    with pytest.raises(ImportRejected) as info:
        import_file(engine, prefecture.id, "registre-sr.xlsx", recla_file(bad), as_of=AS_OF)
    error = info.value.errors[0]
    # title row 1, blank row 2, header row 3, items from row 4: the 7th item is on row 10
    assert error.sheet == "Suggestions et réclamations" and error.row == 10
    assert error.column is not None and error.column.startswith("B")
    assert "pigeon voyageur" in error.message and "canal" in error.message
    assert snapshot(engine) == before


# ------------------------------------------------------------------------------------------------
# site: CSV in cp1252 (Excel's French export), "en cours" in the publication column

SITE_CSV = [
    ["Demandé le", "Rubrique", "Mis en ligne le", "Demandeur"],
    ["02/05/2024", "Actualités", "07/05/2024", "Cabinet"],      # 3, 6, 7: 3 ≤ 3, in time
    ["07/05/2024", "Démarches", "13/05/2024", "DCL"],           # 10, 13 (8, 9 holidays): 2, in time
    ["17/05/2024", "Actualités", "23/05/2024", "Cabinet"],      # 20 (worked), 21, 22, 23: 4 > 3, late
    ["31/05/2024", "Sécurité routière", "", "DDTM"],            # deadline 5 June (3, 4, 5): overdue
    ["06/06/2024", "Actualités", "en cours", "Cabinet"],        # deadline 11 June: pending
]


def test_site_csv_cp1252(engine, prefecture):
    data = csv_bytes(SITE_CSV, encoding="cp1252")
    outcome = import_file(engine, prefecture.id, "export_web.csv", data, as_of=AS_OF)
    assert outcome.plan.layout == "journal:site"
    num, den, _value, items, late = figures(engine, prefecture, "SITE_MAJ_3J")
    assert (num, den) == (2, 4)  # 3 published (2 in time) + 1 overdue
    assert (items, late) == (4, 2)
    june = figures(engine, prefecture, "SITE_MAJ_3J", JUNE)
    assert june[2] is None and june[3] == 0  # only a pending request: no figure, no month held


def test_site_csv_publication_after_import_date_is_rejected(engine, prefecture, snapshot):
    before = snapshot(engine)
    bad = [*SITE_CSV, ["04/06/2024", "Actualités", "12/06/2024", "Cabinet"]]  # CSV line 7
    with pytest.raises(ImportRejected) as info:
        import_file(engine, prefecture.id, "export_web.csv", csv_bytes(bad, encoding="cp1252"), as_of=AS_OF)
    error = info.value.errors[0]
    assert error.row == 7 and "postérieure à la date d'import" in error.message
    assert snapshot(engine) == before


# ------------------------------------------------------------------------------------------------
# rendez-vous d'élus: .xlsx, two stages (offer ≤ 4 days, meeting ≤ 10 days after the offer)

RDV_HEADER = ["Date de la demande", "Commune", "Date proposée le", "Rendez-vous le"]
RDV_ROWS = [
    # 4 days: 3, 6, 7 = 3 in time; 10 days from 7 May: 10, 13–17, 20, 21 = 8 in time
    [T(2024, 5, 2, 11, 0), "Nantes", T(2024, 5, 7, 16, 30), T(2024, 5, 21, 10, 0)],
    # 14–17, 20 = 5 late; from 20 May: 21–24, 27–31, 3, 4, 5 = 12 late
    [D(2024, 5, 13), "Rezé", D(2024, 5, 20), D(2024, 6, 5)],
    # 28–31 = 4 in time; meeting 20 June is after as_of: not held, deadline 14 June → pending
    [D(2024, 5, 27), "Savenay", D(2024, 5, 31), D(2024, 6, 20)],
    # 15, 16 = 2 in time; no meeting: deadline 30 May (17, 20–24, 27–30) → overdue
    [D(2024, 5, 14), "Clisson", D(2024, 5, 16), None],
    # no offer: deadline 4 June (30, 31, 3, 4) → overdue; no second stage without an offer
    [D(2024, 5, 29), "Ancenis", None, None],
    # June request, no offer: deadline 11 June → pending (June gives no figure)
    [D(2024, 6, 5), "Blain", None, None],
]


def rdv_file(rows: list[list[object]]) -> bytes:
    return make_workbook({"RDV élus": [["Demandes de rendez-vous des élus — 2024"], RDV_HEADER, *rows]})


def test_rdv_elus_xlsx_two_stages(engine, prefecture):
    outcome = import_file(engine, prefecture.id, "rdv.xlsx", rdv_file(RDV_ROWS), as_of=AS_OF)
    assert outcome.plan.layout == "journal:rdv_elus"
    # offer: May items 1–5, in time 1, 3, 4; late 2; overdue 5 → 3 / 5
    num, den, _value, items, late = figures(engine, prefecture, "COLL_RDV_PROPOSITION_4J")
    assert (num, den) == (3, 5) and (items, late) == (5, 2)
    # meeting: offered items 1–4; in time 1; late 2; pending 3; overdue 4 → 1 / 3
    num, den, _value, items, late = figures(engine, prefecture, "COLL_RDV_10J")
    assert (num, den) == (1, 3) and (items, late) == (4, 2)


def test_rdv_elus_offer_in_the_next_month_stays_with_the_request_month(engine, prefecture):
    # requested 30 May, offered 4 June (31, 3, 4: 3 in time), met 7 June (5, 6, 7: 3 in time)
    rows = [*RDV_ROWS, [D(2024, 5, 30), "Pornic", D(2024, 6, 4), D(2024, 6, 7)]]
    import_file(engine, prefecture.id, "rdv.xlsx", rdv_file(rows), as_of=AS_OF)
    num, den, _value, items, late = figures(engine, prefecture, "COLL_RDV_10J")
    assert (num, den) == (2, 4)  # the figure counts it in May, the request's month
    assert (items, late) == (5, 2)  # and the drill-down of May must list it too


def test_rdv_elus_meeting_before_offer_is_rejected(engine, prefecture, snapshot):
    before = snapshot(engine)
    bad = [*RDV_ROWS[:2], [D(2024, 5, 21), "Guérande", D(2024, 5, 23), D(2024, 5, 22)], *RDV_ROWS[2:]]  # row 5
    with pytest.raises(ImportRejected) as info:
        import_file(engine, prefecture.id, "rdv.xlsx", rdv_file(bad), as_of=AS_OF)
    error = info.value.errors[0]
    assert error.sheet == "RDV élus" and error.row == 5 and error.column is not None and error.column.startswith("D")
    assert "rendez-vous" in error.message and "antérieure" in error.message
    assert snapshot(engine) == before


# ------------------------------------------------------------------------------------------------
# courriers et courriels d'élus: CSV UTF-8 with BOM, dates with times, indicator by domaine × canal

ELUS_CSV = [
    ["Reçu le", "Commune", "Domaine", "Canal", "Répondu le"],
    ["02/05/2024", "Nantes", "Légalité", "Courrier", "24/05/2024"],              # 14 ≤ 15: in time
    ["02/05/2024", "Rezé", "contrôle de légalité", "lettre", "27/05/2024"],      # 15 ≤ 15: in time
    ["02/05/2024", "Orvault", "Légalité", "courrier postal", "28/05/2024"],      # 16: late
    ["06/05/2024 09:15", "Vertou", "Légalité", "Mail", "14/05/2024 18:02"],     # 7, 10, 13, 14: 4 ≤ 5
    ["13/05/2024", "Carquefou", "Budgétaire", "courriel", "21/05/2024"],         # 14–17, 20, 21: 6 > 5 late
    ["31/05/2024", "Sautron", "finances", "Courriel", ""],                       # deadline 7 June: overdue
    ["21/05/2024", "Bouguenais", "Budget", "Courrier", ""],                      # deadline 11 June: pending
]


def test_courriers_elus_csv_split_by_domaine_and_canal(engine, prefecture):
    outcome = import_file(engine, prefecture.id, "courriers-elus.csv", csv_bytes(ELUS_CSV), as_of=AS_OF)
    assert outcome.plan.layout == "journal:courriers_elus"
    num, den, _value, items, late = figures(engine, prefecture, "COLL_COURRIER_LEGALITE_15J")
    assert (num, den) == (2, 3) and (items, late) == (3, 1)
    num, den, _value, items, late = figures(engine, prefecture, "COLL_COURRIEL_LEGALITE_5J")
    assert (num, den) == (1, 1) and (items, late) == (1, 0)
    num, den, _value, items, late = figures(engine, prefecture, "COLL_COURRIEL_BUDGET_5J")
    assert (num, den) == (0, 2) and (items, late) == (2, 2)  # one answered late, one overdue
    budget_letters = figures(engine, prefecture, "COLL_COURRIER_BUDGET_15J")
    assert budget_letters[2] is None and budget_letters[3] == 0  # its only item is pending


def test_courriers_elus_csv_unknown_domaine_is_rejected(engine, prefecture, snapshot):
    before = snapshot(engine)
    bad = [*ELUS_CSV[:3], ["03/05/2024", "Nort", "urbanisme", "Courrier", "06/05/2024"], *ELUS_CSV[3:]]  # line 4
    with pytest.raises(ImportRejected) as info:
        import_file(engine, prefecture.id, "courriers-elus.csv", csv_bytes(bad), as_of=AS_OF)
    error = info.value.errors[0]
    assert error.row == 4 and "domaine" in error.message and "urbanisme" in error.message
    assert snapshot(engine) == before


# ------------------------------------------------------------------------------------------------
# appels: .xlsx daily counts, no items

CALLS_HEADER = ["Date", "Appels reçus", "Appels perdus"]
CALLS_ROWS = [
    [D(2024, 5, 2), 120, 12],
    [D(2024, 5, 3), 80, 20],
    [D(2024, 5, 4), None, None],              # Saturday in the template: skipped
    [T(2024, 5, 6, 8, 0), 100, 8],
    [D(2024, 6, 3), 50, 5],
]


def calls_file(rows: list[list[object]]) -> bytes:
    return make_workbook({"Standard": [["Statistiques du standard téléphonique"], CALLS_HEADER, *rows]})


def test_appels_xlsx_monthly_sums(engine, prefecture):
    outcome = import_file(engine, prefecture.id, "stats.xlsx", calls_file(CALLS_ROWS), as_of=AS_OF)
    assert outcome.plan.layout == "journal:appels"
    num, den, _value, items, late = figures(engine, prefecture, "TEL_ABOUTIS")
    assert (num, den) == (108 + 60 + 92, 120 + 80 + 100)  # answered = received − lost
    assert (items, late) == (0, 0)  # counts, not items: nothing to drill into
    assert figures(engine, prefecture, "TEL_ABOUTIS", JUNE)[:2] == (45, 50)


def test_appels_xlsx_more_lost_than_received_is_rejected(engine, prefecture, snapshot):
    before = snapshot(engine)
    bad = [*CALLS_ROWS[:3], [D(2024, 5, 7), 30, 40], *CALLS_ROWS[3:]]  # row 6
    with pytest.raises(ImportRejected) as info:
        import_file(engine, prefecture.id, "stats.xlsx", calls_file(bad), as_of=AS_OF)
    error = info.value.errors[0]
    assert error.sheet == "Standard" and error.row == 6 and error.column is not None
    assert "plus nombreux que les appels reçus" in error.message
    assert snapshot(engine) == before
