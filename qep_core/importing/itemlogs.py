"""Item logs: one row per courriel, courrier, réclamation, site update, élu request or call count.

Services often keep a register rather than a monthly tally: "reçu le", "répondu le", the mailbox,
the sender… The rates "answered within N working days" then come from the dates themselves, which
is both less work for the service and more trustworthy than a hand-counted figure. This module
recognises such a register (:func:`detect_log_kind`), turns it into the same observation drafts
as the long layout (:func:`parse_item_log`, one per indicator × reception month × périmètre) plus
one row per item and indicator so that the référent(e) can see *which* items were late, and
summarises those items (:func:`log_summary`).

Rules (DOMAIN.md, "Rules that the figures must obey"):

* the delay of an item is the number of working days after its start date up to and including
  its end date (:meth:`WorkingCalendar.working_days_between`); it is in time when ≤ N;
* an item without an end date is late once its deadline has passed as of *as_of* (the import
  date): it then counts in the denominator as not in time ("sans réponse, délai dépassé");
  before that it is "en attente", left out of the rates and only counted in the summary;
* a mean delay is Σ delays / number answered, over answered items only;
* an item belongs to the month of its start date (reception; for the site the request; for
  appointments the élu's request, for both stages, so that one request is counted in one month).

Appointments with élus (``rdv_elus``) have two stages, read as follows:
``COLL_RDV_PROPOSITION_4J`` is the delay from "demandé le" to "date proposée le" (the day a date
was offered to the élu), ≤ 4 working days; ``COLL_RDV_10J`` is the delay from that offer to the
meeting itself ("rendez-vous le"), ≤ 10 working days. A meeting dated after *as_of* is scheduled,
not held: it is not an error, it counts as not held yet (pending, or late once its 10 days have
passed). The ``COLL_RDV_10J`` item carries its request date in ``details`` ("demandé le") because
its ``received`` column is the offer date.

Performance: registers reach tens of thousands of rows, so every date column is parsed per
*distinct* value (vectorised regular expressions for the usual forms) and delays, deadlines and
statuses are computed on whole arrays by the :class:`WorkingCalendar` tables. No loop runs over
rows except to word at most a few error messages.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from qep_core.frenchforms import EXCEL_EPOCH, MISSING_MARKERS, MONTHS, count_text, normalize, normalize_marker, plural
from qep_core.importing.context import ImportContext
from qep_core.importing.issues import IssueLog, column_letter, other_rows, rows_phrase
from qep_core.importing.long_layout import DRAFT_COLUMNS, parse_numeric_column
from qep_core.importing.matching import match_header_fields
from qep_core.rules.items import LOG_KIND_LABELS, LOG_KINDS, ItemStatus
from qep_core.workdays import MAX_YEAR, MIN_YEAR, WorkingCalendar

__all__ = [
    "ITEM_COLUMNS",
    "KINDS",
    "STATUS_IN_TIME",
    "STATUS_LATE",
    "STATUS_OVERDUE",
    "STATUS_PENDING",
    "SUMMARY_COLUMNS",
    "detect_log_kind",
    "log_summary",
    "parse_item_log",
]

ITEM_COLUMNS = ["kind", "indicator", "perimetre", "received", "answered", "delay", "deadline", "status", "sheet",
                "row", "details"]

# The item statuses and log kinds live in qep_core.rules.items; these names are kept for the importers.
STATUS_IN_TIME = ItemStatus.IN_TIME.value
STATUS_LATE = ItemStatus.LATE.value
STATUS_PENDING = ItemStatus.PENDING.value
STATUS_OVERDUE = ItemStatus.OVERDUE.value

KINDS = LOG_KINDS
KIND_LABELS = LOG_KIND_LABELS

HEAD_LIMIT = 20
MAX_ROW_MESSAGES = 10  # per kind of error: past this, one line "… et N autres lignes"

# ------------------------------------------------------------------------------------------------
# Header recognition

#: Normalized header variants (see :func:`qep_core.frenchforms.normalize`). A header matches a
#: variant when it equals it or starts with it followed by a word ("Date de réception du courriel");
#: the longest match wins so that "Date de réception" is a reception date, not the appels' "Date".
FIELD_VARIANTS: dict[str, tuple[str, ...]] = {
    "recu": ("recu le", "recu", "date de reception", "date reception", "date de la reception", "reception",
             "reception le", "date d arrivee", "date arrivee", "arrive le", "arrivee le", "arrivee",
             "date d entree", "date entree", "date de depot", "depose le", "date de saisine", "saisi le",
             "date de recu", "date reçu", "enregistre le", "date d enregistrement"),
    "repondu": ("repondu le", "date de reponse", "date reponse", "date de la reponse", "reponse le",
                "date d envoi de la reponse", "date envoi reponse", "date d envoi", "envoye le",
                "reponse envoyee le", "date de traitement", "traite le", "date de cloture", "clos le",
                "cloture le"),
    "demande": ("demande le", "date de demande", "date de la demande", "date demande", "demande recue le",
                "date de sollicitation", "sollicite le"),
    "publie": ("publie le", "date de publication", "date publication", "mis en ligne le", "mise en ligne le",
               "date de mise en ligne", "date mise en ligne", "date de mise a jour", "mise a jour le",
               "mis a jour le", "realise le", "date de realisation"),
    "propose": ("date proposee le", "proposee le", "propose le", "date de proposition", "proposition le",
                "date de la proposition", "date proposition", "date proposee", "proposition de date le",
                "date de proposition de rendez vous", "date de reponse a l elu"),
    "rendez_vous": ("rendez vous le", "rdv le", "date du rendez vous", "date de rendez vous", "date rendez vous",
                    "date du rdv", "date rdv", "rendez vous", "rdv", "date de la reunion", "reunion le",
                    "rendez vous tenu le", "date de l entretien"),
    "boite": ("boite", "boite fonctionnelle", "boite mail", "boite aux lettres", "boite aux lettres fonctionnelle",
              "bal", "bal fonctionnelle", "boite de reception", "adresse fonctionnelle", "mailbox"),
    "service": ("service", "service destinataire", "service concerne", "service traitant", "bureau",
                "direction", "service en charge", "sous prefecture"),
    "canal": ("canal", "canal de reception", "canal d arrivee", "mode de reception", "voie", "voie de reception",
              "moyen", "support", "mode de saisine", "canal de saisine", "vecteur"),
    "type": ("type", "type de demande", "type de reclamation", "type de requete", "nature", "nature de la demande",
             "categorie", "type de message", "suggestion reclamation", "suggestion ou reclamation"),
    "domaine": ("domaine", "legalite budgetaire", "legalite ou budgetaire", "conseil", "type de conseil",
                "nature du conseil", "matiere", "domaine de conseil", "domaine du conseil"),
    "rubrique": ("rubrique", "rubrique du site", "page", "page concernee", "section", "rubrique concernee"),
    "date": ("date", "date heure", "date et heure", "jour", "horodatage", "date appel", "date de l appel",
             "date des appels", "journee"),
    "appels_recus": ("appels recus", "nombre d appels recus", "nb appels recus", "nb d appels recus", "recus",
                     "appels entrants", "appels presentes", "nombre d appels", "total appels", "appels"),
    "appels_perdus": ("appels perdus", "appels en absence", "appels manques", "appels non repondus", "nombre d appels perdus", "nb appels perdus", "nb d appels perdus", "perdus",
                      "appels non decroches", "appels abandonnes", "abandonnes", "non decroches"),
    "appels_decroches": ("appels decroches", "nombre d appels decroches", "nb appels decroches",
                         "nb d appels decroches", "decroches", "appels traites", "appels aboutis", "aboutis",
                         "appels repondus", "appels servis"),
}
#: Variants too general to be matched as the start of a longer header: "Appels en absence" is not
#: "Appels" (received), "Date de relance" is not a date the register is counted on, "Type d'usager"
#: is not the réclamation's type, "Réponse apportée" holds text, not a date.
EXACT_ONLY = frozenset({"appels", "recus", "reception", "date", "jour", "journee", "rendez vous", "rdv", "type",
                        "nature", "categorie", "page", "section", "conseil", "voie", "moyen", "support", "vecteur",
                        "aboutis", "abandonnes", "perdus", "decroches"})
DATE_FIELDS = ("recu", "repondu", "demande", "publie", "propose", "rendez_vous", "date")
COUNT_FIELDS = ("appels_recus", "appels_perdus", "appels_decroches")
FIELD_LABELS = {
    "recu": "date de réception", "repondu": "date de réponse", "demande": "date de la demande",
    "publie": "date de publication", "propose": "date de proposition", "rendez_vous": "date du rendez-vous",
    "date": "date", "appels_recus": "appels reçus", "appels_perdus": "appels perdus",
    "appels_decroches": "appels décrochés", "canal": "canal", "type": "type", "domaine": "domaine",
}

#: Which dates start and end the counted delay, per kind. ``recu`` falls back on a "demandé le" or a
#: bare "Date" column (a register whose only reception column is "Date").
REQUIRED: dict[str, tuple[str, ...]] = {
    "courriels": ("recu", "repondu"),
    "courriers": ("recu", "repondu"),
    "reclamations": ("recu", "repondu", "canal"),
    "site": ("demande", "publie"),
    "rdv_elus": ("demande", "propose"),
    "courriers_elus": ("recu", "repondu", "domaine", "canal"),
    "appels": ("date", "appels_recus"),
}
#: Columns that, on their own, tell one kind from another (checked in this order).
EVIDENCE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("appels", ("appels_recus",)),
    ("rdv_elus", ("propose",)),
    ("site", ("publie",)),
    ("courriers_elus", ("domaine",)),
    ("reclamations", ("canal",)),
    ("courriels", ("boite",)),
    ("courriers", ("service",)),
)
#: Sheet-name hints, tried in this order ("Courriers élus" is an élus register, not a courriers one).
SHEET_HINTS: tuple[tuple[str, str], ...] = (
    ("appels", r"\b(appels?|telephon\w*|standard|tel)\b"),
    ("rdv_elus", r"\b(rdv|rendez vous|rendez)\b"),
    ("courriers_elus", r"\b(elus?|collectivites?|maires?)\b"),
    ("reclamations", r"\b(reclam\w*|suggestions?|plaintes?)\b"),
    ("site", r"\b(site|web|internet|publications?|maj|mises? a jour)\b"),
    ("courriels", r"\b(courriels?|mails?|e mails?|mels?|bal|messagerie)\b"),
    ("courriers", r"\b(courriers?|lettres?)\b"),
)


def _match_fields(cells: list[object]) -> dict[str, int]:
    """Column index of each recognised field in one row (first column wins for a repeated field)."""
    return match_header_fields(cells, FIELD_VARIANTS, EXACT_ONLY, text_only=True)


def _with_fallbacks(kind: str, fields: dict[str, int]) -> dict[str, int]:
    """The fields of *kind*, with ``recu`` taken from "demandé le" or "Date" when the log has no
    reception column, and the périmètre column resolved (boîte for courriels, service for courriers)."""
    out = dict(fields)
    if kind in ("courriels", "courriers", "reclamations", "courriers_elus") and "recu" not in out:
        for alt in ("demande", "date"):
            if alt in out:
                out["recu"] = out.pop(alt)
                break
    if kind in ("site", "rdv_elus") and "demande" not in out:
        for alt in ("recu", "date"):
            if alt in out:
                out["demande"] = out.pop(alt)
                break
    if kind == "appels" and "date" not in out:
        for alt in ("recu", "demande"):
            if alt in out:
                out["date"] = out.pop(alt)
                break
    order = {"courriels": ("boite", "service"), "courriers": ("service", "boite")}.get(kind, ())
    for name in order:
        if name in out:
            out["perimetre"] = out[name]
            break
    return out


def _fits(kind: str, fields: dict[str, int]) -> bool:
    resolved = _with_fallbacks(kind, fields)
    if not all(f in resolved for f in REQUIRED[kind]):
        return False
    return kind != "appels" or "appels_perdus" in resolved or "appels_decroches" in resolved


def sheet_hint(sheet_name: str) -> str | None:
    """The kind a sheet's name suggests ("Courriels 2024" → courriels), or None."""
    text = normalize(sheet_name)
    for kind, pattern in SHEET_HINTS:
        if re.search(pattern, text):
            return kind
    return None


def detect_log_kind(sheet_name: str, head: list[list[object]], forced: str | None = None
                    ) -> tuple[str, int, dict[str, int]] | None:
    """(kind, header row index in head, field → column index) when the first 20 rows hold an item log's header.

    Columns decide first, since they are what the parser needs: a kind is possible only when its
    required columns are all there. Among the possible kinds the sheet name's hint wins (a
    register with only "Reçu le" / "Répondu le" is a courriels log when its sheet is "Courriels");
    otherwise a column that only one kind has decides (a "Boîte" means courriels, a "Canal" with
    no "Domaine" means réclamations…). A register with nothing but the two dates and a neutral
    sheet name is not guessed: None. With *forced*, the first row holding that kind's required
    columns is the header. The returned fields are resolved for the kind (``perimetre`` added).
    """
    if forced is not None and forced not in KINDS:
        raise ValueError(f"type de registre inconnu « {forced} » (attendu : {', '.join(KINDS)})")
    hint = sheet_hint(sheet_name)
    for r, row in enumerate(head[:HEAD_LIMIT]):
        fields = _match_fields(list(row))
        if len(fields) < 2:
            continue
        if forced is not None:
            if _fits(forced, fields):
                return forced, r, _with_fallbacks(forced, fields)
            continue
        possible = [k for k in KINDS if _fits(k, fields)]
        if not possible:
            continue
        if hint in possible:
            return hint, r, _with_fallbacks(hint, fields)
        for kind, evidence in EVIDENCE:
            if kind in possible and any(f in fields for f in evidence):
                return kind, r, _with_fallbacks(kind, fields)
    return None


# ------------------------------------------------------------------------------------------------
# Cells

_NAT = np.datetime64("NaT", "D")
_EPOCH = np.datetime64(EXCEL_EPOCH, "D")
#: Words services type in an answer column while the item is still open: pending, not an error.
PENDING_MARKERS = frozenset({"en cours", "en attente", "non", "non repondu", "sans reponse", "pas de reponse",
                             "a traiter", "non traite", "a faire", "attente", "pas encore", "non publie",
                             "non propose", "a venir", "a fixer", "non fixe"})
_TIME = r"(?:\s*(?:[T ]|\s[àa]\s|,\s*)\s*\d{1,2}\s*(?:[:hH]\s*\d{0,2})(?:\s*:\s*\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?"
_FR_DATE = re.compile(rf"^\s*(\d{{1,2}})\s*[/.\-]\s*(\d{{1,2}})\s*[/.\-]\s*(\d{{4}}|\d{{2}}){_TIME}\s*$")
_ISO_DATE = re.compile(rf"^\s*(\d{{4}})\s*[-/.]\s*(\d{{1,2}})\s*[-/.]\s*(\d{{1,2}}){_TIME}\s*$")
_SERIAL = re.compile(r"^\s*(\d{5})(?:[.,]\d+)?\s*$")
_WORDS_DATE = re.compile(r"^(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) )?(\d{1,2})(?: ?er)? "
                         r"([a-z]+) (\d{4})(?: \d{1,2}(?: h)?(?: \d{2})*)?$")


class _DateColumn:
    """One date column parsed: days (``datetime64[D]``, NaT when empty or unreadable) and the unreadable mask."""

    def __init__(self, days: np.ndarray, bad: np.ndarray) -> None:
        self.days = days
        self.bad = bad

    @property
    def missing(self) -> np.ndarray:
        return np.isnat(self.days) & ~self.bad


def _serial_days(values: np.ndarray) -> np.ndarray:
    """Excel serial numbers → days (the fraction is the time of day, dropped)."""
    days = np.full(values.shape, _NAT)
    ok = np.isfinite(values)
    days[ok] = _EPOCH + np.floor(values[ok]).astype(np.int64)
    return days


def _ymd_days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days from integer arrays; NaT where the date does not exist (31/02, month 13)."""
    if not len(year):
        return np.array([], dtype="datetime64[D]")
    frame = pd.DataFrame({"year": year, "month": month, "day": day})
    parsed = pd.to_datetime(frame, errors="coerce")
    return parsed.to_numpy().astype("datetime64[D]")


def _parse_text_dates(texts: pd.Series) -> np.ndarray:
    """French or ISO dates written as text (with or without a time), vectorised; NaT when not readable."""
    out = np.full(len(texts), _NAT)
    if not len(texts):
        return out
    texts = texts.astype(object).astype(str)
    fr = texts.str.extract(_FR_DATE)
    hit = fr[0].notna().to_numpy()
    if hit.any():
        year_text = fr.loc[hit, 2]
        year = year_text.astype(int).to_numpy()
        year = np.where(year_text.str.len().to_numpy() == 2, 2000 + year, year)  # 05/07/24; never "0024"
        out[hit] = _ymd_days(year, fr.loc[hit, 1].astype(int).to_numpy(), fr.loc[hit, 0].astype(int).to_numpy())
    iso = texts.str.extract(_ISO_DATE)
    hit_iso = iso[0].notna().to_numpy() & ~hit
    if hit_iso.any():
        out[hit_iso] = _ymd_days(iso.loc[hit_iso, 0].astype(int).to_numpy(), iso.loc[hit_iso, 1].astype(int).to_numpy(),
                                 iso.loc[hit_iso, 2].astype(int).to_numpy())
    serial = texts.str.extract(_SERIAL)[0]
    hit_serial = serial.notna().to_numpy() & ~hit & ~hit_iso
    if hit_serial.any():
        out[hit_serial] = _serial_days(serial[hit_serial].astype(float).to_numpy())
    rest = np.flatnonzero(~(hit | hit_iso | hit_serial))
    for i in rest:  # "5 juillet 2024", "lundi 1er juil. 2024": rare, parsed one distinct value at a time
        m = _WORDS_DATE.match(normalize(texts.iat[i]))
        if m and m.group(2) in MONTHS:
            try:
                out[i] = np.datetime64(dt.date(int(m.group(3)), MONTHS[m.group(2)], int(m.group(1))), "D")
            except ValueError:
                pass
    return out


def _cell_kind(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return "missing"
    if isinstance(value, bool | np.bool_):
        return "other"
    if isinstance(value, dt.date | np.datetime64):
        return "date"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number"
    return "text"


#: The kind of the cell types calamine gives, decided without _cell_kind's isinstance chain
#: (subclasses, numbers, NaN and aware datetimes still go through _cell_kind).
_KIND_BY_TYPE: dict[type, str] = {str: "text", dt.datetime: "date", dt.date: "date"}


def _object_days(values: list[object]) -> np.ndarray:
    """Date/datetime cells → days (the time of day dropped), naive datetimes converted at once."""
    naive = np.array([type(v) is dt.datetime and v.tzinfo is None for v in values], dtype=bool)
    out = np.full(len(values), _NAT)
    if naive.any():
        stamps = [v for v, ok in zip(values, naive, strict=True) if ok]
        try:
            out[naive] = pd.to_datetime(stamps).to_numpy().astype("datetime64[D]")
        except (ValueError, OverflowError):  # outside pandas' range: numpy's is wider
            out[naive] = np.array(stamps, dtype="datetime64[us]").astype("datetime64[D]")
    rest = np.flatnonzero(~naive)
    if rest.size:
        out[rest] = [np.datetime64(v.date() if isinstance(v, dt.datetime) else cast(dt.date, v), "D")
                     for v in (values[i] for i in rest)]
    return out


#: A date written with a time of day, in the forms a workbook read as text or a CSV gives:
#: "2024-07-05 09:30:00", "2024-07-05T09:30", "05/07/2024 14:30". Group 1 is the date alone.
_DATE_WITH_TIME = r"^\s*(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4})(?:T|\s+)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*$"


def _text_array(series: pd.Series) -> pa.Array | None:
    """The column as an Arrow string array when it holds only text (None otherwise)."""
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(series.dtype):
        return pa.array(series, type=pa.large_string(), from_pandas=True)
    return None


def _distinct_days_text(series: pd.Series) -> tuple[np.ndarray, list[object]]:
    """(code per row, -1 when empty; distinct values) of a date column, each day parsed once.

    A text column of timestamps has as many distinct values as rows; its time of day (which
    delays ignore) is cut off first, in Arrow, so that 200 000 e-mails over three years come down
    to about a thousand distinct days.
    """
    text = _text_array(series)
    if text is None:
        codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
        return codes, list(uniques)
    days = pc.replace_substring_regex(text, pattern=_DATE_WITH_TIME, replacement=r"\1")
    return _dictionary_codes(days)


def _dictionary_codes(text: pa.Array) -> tuple[np.ndarray, list[object]]:
    encoded = pc.dictionary_encode(text)
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary.to_pylist()


def parse_date_column(series: pd.Series, *, pending_words: bool = False) -> _DateColumn:
    """Any column of dates → days, parsing each distinct value once.

    Typed columns (fastexcel gives ``datetime64`` for a column of real dates, ``float64`` for
    Excel serials stored as numbers) are converted whole. Object columns are factorized: real
    date/datetime cells, Excel serial numbers, "05/07/2024", "05/07/24", "2024-07-05 14:30",
    "5 juillet 2024" and serials typed as text are read; the time of day is dropped (delays count
    days). Empty cells and "n.c"-like markers are missing; with *pending_words*, "en cours",
    "en attente"… in an answer column are missing too (the item is open). Dates outside the
    calendar's years are unreadable: a year typed 0024 or 2204 must be fixed, not extrapolated.
    """
    n = len(series)
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        days = series.dt.tz_localize(None).to_numpy().astype("datetime64[D]")
        bad = np.zeros(n, dtype=bool)
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        days = series.to_numpy().astype("datetime64[D]")
        bad = np.zeros(n, dtype=bool)
    elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        days = _serial_days(np.asarray(series, dtype=float))
        bad = np.zeros(n, dtype=bool)
    else:
        codes, values = _distinct_days_text(series)
        kinds = np.array([_KIND_BY_TYPE.get(type(v)) or _cell_kind(v) for v in values], dtype=object)
        u_days = np.full(len(values), _NAT)
        u_bad = np.zeros(len(values), dtype=bool)
        is_date = np.flatnonzero(kinds == "date")
        if is_date.size:
            u_days[is_date] = _object_days([values[i] for i in is_date])
        is_num = np.flatnonzero(kinds == "number")
        if is_num.size:
            u_days[is_num] = _serial_days(np.array([float(cast(float, values[i])) for i in is_num]))
        is_text = np.flatnonzero(kinds == "text")
        if is_text.size:
            texts = pd.Series([str(values[i]).strip() for i in is_text], dtype=object)
            markers = texts.map(normalize_marker)
            empty = np.array(markers.isin(MISSING_MARKERS), dtype=bool)
            if pending_words:
                words = markers.str.replace(r"[^a-z ]", "", regex=True).str.strip()
                empty |= np.array(words.isin(PENDING_MARKERS), dtype=bool)
            parsed = _parse_text_dates(texts[~empty])
            text_days = np.full(len(texts), _NAT)
            text_days[~empty] = parsed
            u_days[is_text] = text_days
            u_bad[is_text] = np.isnat(text_days) & ~empty
        u_bad[kinds == "other"] = True
        days = np.where(codes >= 0, u_days[np.maximum(codes, 0)], _NAT) if len(values) else np.full(n, _NAT)
        bad = np.where(codes >= 0, u_bad[np.maximum(codes, 0)], False) if len(values) else np.zeros(n, dtype=bool)
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    out_of_range = ~np.isnat(days) & ((years < MIN_YEAR) | (years > MAX_YEAR))
    days = np.where(out_of_range, _NAT, days).astype("datetime64[D]")
    return _DateColumn(days, np.asarray(bad, dtype=bool) | out_of_range)


def _cell_text(value: object) -> str | None:
    """A cell as the text a user would read back in the item details (None when empty)."""
    kind = _cell_kind(value)
    if kind == "missing":
        return None
    if isinstance(value, dt.datetime):
        return f"{value:%d/%m/%Y %H:%M}" if (value.hour, value.minute) != (0, 0) else f"{value:%d/%m/%Y}"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, np.datetime64):
        return _cell_text(pd.Timestamp(value).to_pydatetime())
    if kind == "number":
        f = float(value)  # type: ignore[arg-type]  # kind "number": an int or a float
        return str(int(f)) if f.is_integer() else str(f).replace(".", ",")
    text = str(value).strip()
    return text or None


def _column_texts(series: pd.Series) -> np.ndarray:
    """A column as text per row (None when empty), converting each distinct value once."""
    text = _text_array(series)
    if text is not None:
        codes, uniques = _dictionary_codes(pc.utf8_trim_whitespace(text))
    else:
        codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    texts = np.array([(v.strip() or None) if type(v) is str else _cell_text(v) for v in uniques] + [None],
                     dtype=object)
    return texts[np.where(codes >= 0, codes, len(uniques))]


def _canonical(texts: np.ndarray, table: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """(canonical value or None, True where a non-empty value is unknown), one lookup per distinct value."""
    codes, uniques = pd.factorize(pd.Series(texts, dtype=object), use_na_sentinel=True)
    found: list[str | None] = []
    unknown: list[bool] = []
    for raw in uniques:
        text = normalize(raw)
        best: tuple[int, str] | None = None
        for variant, value in table.items():
            if text == variant or text.startswith(variant + " "):
                if best is None or len(variant) > best[0]:
                    best = (len(variant), value)
        found.append(best[1] if best else None)
        unknown.append(best is None)
    values = np.array([*found, None], dtype=object)[np.where(codes >= 0, codes, len(uniques))]
    bad = np.array([*unknown, False], dtype=bool)[np.where(codes >= 0, codes, len(uniques))]
    return values, bad


CANAL_RECLA = {
    **dict.fromkeys(("courriel", "courriels", "mail", "e mail", "email", "mel", "messagerie", "bal"), "courriel"),
    **dict.fromkeys(("formulaire", "formulaire en ligne", "formulaire web", "formulaire internet",
                     "formulaire de contact", "site internet", "site", "web", "internet", "en ligne"), "formulaire"),
    **dict.fromkeys(("urne", "boite a suggestions", "boite a idees", "registre", "cahier",
                     "cahier de suggestions", "livre d or"), "urne"),
    **dict.fromkeys(("courrier", "courriers", "lettre", "courrier postal", "postal", "voie postale", "papier"),
                    "courrier"),
}
RECLA_DEADLINES = {"courriel": 5, "formulaire": 5, "urne": 10, "courrier": 10}
TYPE_RECLA = {
    **dict.fromkeys(("suggestion", "suggestions", "idee", "proposition"), "suggestion"),
    **dict.fromkeys(("reclamation", "reclamations", "plainte", "mecontentement", "reclam"), "réclamation"),
    **dict.fromkeys(("autre", "autres", "remerciement", "remerciements", "felicitations", "information",
                     "demande d information"), "autre"),
}
CANAL_ELUS = {
    **dict.fromkeys(("courrier", "courriers", "lettre", "courrier postal", "postal", "voie postale", "papier"),
                    "courrier"),
    **dict.fromkeys(("courriel", "courriels", "mail", "e mail", "email", "mel", "messagerie"), "courriel"),
}
DOMAINE_ELUS = {
    **dict.fromkeys(("legalite", "conseil en legalite", "conseil legalite", "controle de legalite", "juridique",
                     "conseil juridique", "droit"), "légalité"),
    **dict.fromkeys(("budgetaire", "budget", "conseil budgetaire", "conseil budget", "finances", "financier",
                     "controle budgetaire", "finances locales"), "budgétaire"),
}
ELUS_INDICATORS = {
    ("légalité", "courrier"): ("COLL_COURRIER_LEGALITE_15J", 15),
    ("budgétaire", "courrier"): ("COLL_COURRIER_BUDGET_15J", 15),
    ("légalité", "courriel"): ("COLL_COURRIEL_LEGALITE_5J", 5),
    ("budgétaire", "courriel"): ("COLL_COURRIEL_BUDGET_5J", 5),
}
#: (rate indicator, its deadline, its mean-delay twin) for the kinds with one indicator.
SIMPLE_KINDS = {
    "courriels": ("COURRIEL_5J", 5, "COURRIEL_DELAI_MOYEN"),
    "courriers": ("COURRIER_10J", 10, "COURRIER_DELAI_MOYEN"),
    "site": ("SITE_MAJ_3J", 3, None),
}
MEAN_OF = {"COURRIEL_5J": "COURRIEL_DELAI_MOYEN", "COURRIER_10J": "COURRIER_DELAI_MOYEN",
           "RECLA_DELAI": "RECLA_DELAI_MOYEN"}


# ------------------------------------------------------------------------------------------------
# Errors


def _fmt(day: np.datetime64) -> str:
    return pd.Timestamp(day).strftime("%d/%m/%Y")


def _rows_error(log: IssueLog, sheet: str, rownums: np.ndarray, mask: np.ndarray, column: str | None,
                message: Callable[[int], str], summary: str) -> None:
    """One message per bad row (the first few), then one line for the rest: a register with a
    systematic slip should not bury every other error under hundreds of copies."""
    idx = np.flatnonzero(mask)
    for i in idx[:MAX_ROW_MESSAGES]:
        log.error(message(int(i)), sheet, int(rownums[i]), column)
    if len(idx) > MAX_ROW_MESSAGES:
        rest = rownums[idx[MAX_ROW_MESSAGES:]]
        shown = ", ".join(str(int(r)) for r in rest[:5])
        log.error(f"{summary} : {count_text(len(rest), 'autre ligne', 'autres lignes')} ({shown}{'…' if len(rest) > 5 else ''})", sheet,
                  None, column)


def _value_errors(log: IssueLog, sheet: str, rownums: np.ndarray, texts: np.ndarray, mask: np.ndarray,
                  column: str | None, what: str, expected: str) -> None:
    """One message per distinct bad value, naming its first row and the others."""
    if not mask.any():
        return
    shown = pd.Series(texts[mask], dtype=object).fillna("")
    rows_ = rownums[mask]
    for raw in pd.unique(shown):
        where = rows_[(shown == raw).to_numpy()]
        head = f"{what} « {raw} » inconnu" if raw else f"{what} manquant"
        log.error(f"{head}{other_rows(where)} : attendu {expected}", sheet, int(where[0]), column)


# ------------------------------------------------------------------------------------------------
# Parsing


def _empty_drafts() -> pd.DataFrame:
    return pd.DataFrame(columns=DRAFT_COLUMNS)


def _empty_items() -> pd.DataFrame:
    return pd.DataFrame(columns=ITEM_COLUMNS)


def _filled(series: pd.Series) -> np.ndarray:
    """True where a cell holds something: not NA and, for text, not blank (str() of any other cell is never blank)."""
    text = _text_array(series)
    if text is not None:
        return np.asarray(pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(text), ""), False), dtype=bool)
    if pd.api.types.is_object_dtype(series.dtype):
        values = series.to_numpy(dtype=object)
        filled = np.array(pd.notna(values), dtype=bool)
        filled &= np.fromiter((not isinstance(v, str) or v.strip() != "" for v in values), dtype=bool,
                              count=len(values))
        return filled
    return np.array(series.notna(), dtype=bool)


def _details(body: pd.DataFrame, header: list[object], skip: set[int], extra: dict[str, np.ndarray]) -> np.ndarray:
    """The JSON details of each row: every column not read as a date or périmètre, keyed by its header,
    plus *extra* (canonical canal, type… under their field names).

    Serialised by pandas in one call (``to_json`` lines), not row by row; empty cells are left out.
    """
    n = len(body)
    data: dict[str, np.ndarray] = {}
    for key, values in extra.items():
        data[key] = values
    for i in range(body.shape[1]):
        if i in skip:
            continue
        texts = _column_texts(body.iloc[:, i])
        raw = str(header[i]).strip() if i < len(header) and header[i] is not None else ""
        if (not raw or raw.lower() == "nan") and not any(t is not None for t in texts):
            continue  # an unnamed, empty column: Excel's trailing formatting
        name = raw if raw and raw.lower() != "nan" else f"colonne {column_letter(i)}"
        base, k = name, 2
        while name in data:
            name, k = f"{base} ({k})", k + 1
        data[name] = texts
    if not data or n == 0:
        return np.full(n, "{}", dtype=object)
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()})
    # to_json writes "/" as "\/" and empty cells as null: JSON either way, but json.dumps' form is
    # what the rest of the project reads and what a user sees when the details are shown raw. The
    # text holds no newline but the lines' ends, so replacing in it whole is replacing line by line.
    text = frame.to_json(orient="records", lines=True, force_ascii=False).replace("\\/", "/")
    lines = np.array(text.rstrip("\n").split("\n"), dtype=object)
    if '":null' not in text:
        return lines
    # Drop the empty cells' "key":null pairs. A key's opening quote always follows "{" or ",", and
    # inside a string a quote is escaped, so these patterns cannot match within a value (nor change
    # a line without '":null', left alone).
    nulls = np.fromiter(('":null' in line for line in lines), dtype=bool, count=len(lines))
    cleaned = pd.Series(lines[nulls], dtype=object)
    cleaned = cleaned.str.replace(r',"(?:[^"\\]|\\.)*":null(?=[,}])', "", regex=True)
    cleaned = cleaned.str.replace(r'^\{"(?:[^"\\]|\\.)*":null(?:,|(?=\}))', "{", regex=True)
    lines[nulls] = cleaned.to_numpy(dtype=object)
    return lines


def _month_start(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[M]").astype("datetime64[D]")


def _as_dates(days: np.ndarray) -> np.ndarray:
    """datetime64[D] → datetime.date objects (None for NaT), the type of the drafts' months."""
    return days.astype("datetime64[D]").astype(object)


class _Sheet:
    """What every stage of the parse shares: the body's columns, row numbers and error wording."""

    def __init__(self, sheet: str, header: list[object], fields: dict[str, int], body: pd.DataFrame,
                 rownums: np.ndarray, log: IssueLog) -> None:
        self.sheet = sheet
        self.header = header
        self.fields = fields
        self.body = body
        self.log = log
        self.rownums = rownums  # the 1-based sheet row of each body row (blank rows already dropped)

    def has(self, field: str) -> bool:
        return field in self.fields and self.fields[field] < self.body.shape[1]

    def column(self, field: str) -> pd.Series:
        if not self.has(field):
            return pd.Series([None] * len(self.body), dtype=object)
        return self.body.iloc[:, self.fields[field]]

    def letter(self, field: str) -> str | None:
        if field not in self.fields:
            return None
        i = self.fields[field]
        name = str(self.header[i]).strip() if i < len(self.header) else ""
        return f"{column_letter(i)} ({name})" if name else column_letter(i)

    def dates(self, field: str, *, end: bool = False) -> _DateColumn:
        """A date column, with one error per distinct unreadable value."""
        parsed = parse_date_column(self.column(field), pending_words=end)
        if parsed.bad.any():
            texts = _column_texts(self.column(field))
            _value_errors_dates(self.log, self.sheet, self.rownums, texts, parsed.bad, self.letter(field),
                                FIELD_LABELS[field])
        return parsed


def _value_errors_dates(log: IssueLog, sheet: str, rownums: np.ndarray, texts: np.ndarray, bad: np.ndarray,
                        column: str | None, what: str) -> None:
    shown = pd.Series(texts[bad], dtype=object).fillna("")
    rows_ = rownums[bad]
    for raw in pd.unique(shown):
        where = rows_[(shown == raw).to_numpy()]
        log.error(f"{what} illisible « {raw} »{other_rows(where)} : attendu une date comme 05/07/2024, 2024-07-05 "
                  f"ou une date Excel (années {MIN_YEAR} à {MAX_YEAR})", sheet, int(where[0]), column)


def parse_item_log(sheet: str, kind: str, header: list[object], fields: dict[str, int], body: pd.DataFrame,
                   first_row: int, ctx: ImportContext, calendar: WorkingCalendar, as_of: dt.date,
                   log: IssueLog) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(drafts with DRAFT_COLUMNS — one per indicator × reception month × périmètre, counts as floats —,
        items with ITEM_COLUMNS — one per item and indicator, appels give no items).

    Errors go to *log* with the sheet, row and column, and the rows concerned are left out of the
    counts; the caller rejects the file when the log holds any error, so partial drafts are never
    stored. A rate's draft counts the answered items plus the unanswered ones past their deadline;
    a month where every item is still pending gives no draft (nothing can be said yet), and a mean
    delay's draft needs at least one answer.
    """
    if kind not in KINDS:
        raise ValueError(f"type de registre inconnu « {kind} »")
    fields = _with_fallbacks(kind, fields)
    missing = [f for f in REQUIRED[kind] if f not in fields]
    if kind == "appels" and "appels_perdus" not in fields and "appels_decroches" not in fields:
        missing.append("appels_perdus")
    if missing:
        names = ", ".join(f"« {FIELD_LABELS[f]} »" for f in missing)
        log.error(f"{KIND_LABELS[kind]} : {plural(len(missing), 'colonne', 'colonnes')} {names} "
                  f"{plural(len(missing), 'introuvable', 'introuvables')} dans l'en-tête", sheet, first_row - 1)
        return _empty_drafts(), _empty_items()
    body = body.reset_index(drop=True)
    keep = np.zeros(len(body), dtype=bool)
    for i in range(body.shape[1]):  # a row kept by one column needs no look at the others
        todo = np.flatnonzero(~keep)
        if not todo.size:
            break
        keep[todo] = _filled(body.iloc[todo, i])
    body = body.loc[keep].reset_index(drop=True)
    state = _Sheet(sheet, header, fields, body, np.arange(first_row, first_row + len(keep))[keep], log)
    if len(body) == 0:
        log.warn(f"{KIND_LABELS[kind]} sans aucune ligne sous l'en-tête", sheet, first_row - 1)
        return _empty_drafts(), _empty_items()
    as_of_day = np.datetime64(as_of, "D")
    if kind == "appels":
        drafts = _parse_calls(state, ctx, as_of_day)
        return drafts, _empty_items()
    return _parse_delays(state, kind, ctx, calendar, as_of_day)


def _check_indicators(codes: set[str], ctx: ImportContext, state: _Sheet) -> None:
    for code in sorted(codes):
        if code not in ctx.indicators:
            state.log.error(f"l'indicateur {code} n'est pas suivi par la préfecture (inactif ou absent du "
                            "référentiel) : activez-le dans les paramètres ou retirez ce registre", state.sheet)


def _parse_calls(state: _Sheet, ctx: ImportContext, as_of: np.datetime64) -> pd.DataFrame:
    """Call counts per day (or hour) summed per month into TEL_ABOUTIS.

    The answered count is "reçus − perdus" when the log has lost calls (the référentiel's own
    formula), else "décrochés". A row whose counts are all empty is a day without data (a template
    listing every day, weekends included) and is skipped; a row with only some counts is an error,
    since an empty "perdus" could mean 0 or "not counted".
    """
    log, sheet, rownums = state.log, state.sheet, state.rownums
    n = len(state.body)
    dates = state.dates("date")
    counts: dict[str, np.ndarray] = {}
    for f in COUNT_FIELDS:
        if state.has(f):
            counts[f], _units = parse_numeric_column(state.column(f), f, state.letter(f) or "", sheet, rownums, log)
    nan = np.full(n, np.nan)
    received = counts.get("appels_recus", nan)
    lost = counts.get("appels_perdus", nan)
    taken = counts.get("appels_decroches", nan)
    present = [~np.isnan(a) for a in counts.values()]
    any_count = np.logical_or.reduce(present) if present else np.zeros(n, dtype=bool)
    all_count = np.logical_and.reduce(present) if present else np.zeros(n, dtype=bool)
    # with both lost and answered columns, one of them is enough
    if "appels_perdus" in counts and "appels_decroches" in counts:
        all_count = ~np.isnan(received) & (~np.isnan(lost) | ~np.isnan(taken))
    no_date = dates.missing & any_count
    _rows_error(log, sheet, rownums, no_date, state.letter("date"), lambda i: "date manquante pour ces appels",
                "date manquante")
    partial = any_count & ~all_count & ~dates.bad
    _rows_error(log, sheet, rownums, partial, None,
                lambda i: "comptes d'appels incomplets : indiquez les appels reçus et les appels perdus "
                          "(ou décrochés), 0 s'il n'y en a pas", "comptes d'appels incomplets")
    future = ~np.isnat(dates.days) & (dates.days > as_of)
    _rows_error(log, sheet, rownums, future, state.letter("date"),
                lambda i: f"date du {_fmt(dates.days[i])} postérieure à la date d'import ({_fmt(as_of)})",
                "dates postérieures à la date d'import")
    negative = np.zeros(n, dtype=bool)
    for f, arr in counts.items():
        neg = arr < 0
        negative |= neg

        def negative_message(i: int, f: str = f, arr: np.ndarray = arr) -> str:  # a typed lambda
            return f"nombre d'{FIELD_LABELS[f]} négatif ({arr[i]:g})"

        _rows_error(log, sheet, rownums, neg, state.letter(f), negative_message,
                    f"nombres d'{FIELD_LABELS[f]} négatifs")
    too_many = np.zeros(n, dtype=bool)
    for f, arr in (("appels_perdus", lost), ("appels_decroches", taken)):
        over = (arr > received) & ~negative  # a negative count is already reported
        too_many |= over

        def over_message(i: int, f: str = f, arr: np.ndarray = arr) -> str:  # a typed lambda
            return f"{FIELD_LABELS[f]} ({arr[i]:g}) plus nombreux que les appels reçus ({received[i]:g})"

        _rows_error(log, sheet, rownums, over, state.letter(f), over_message,
                    f"{FIELD_LABELS[f]} plus nombreux que les reçus")
    answered = np.where(np.isnan(lost), taken, received - lost)
    both = ~np.isnan(lost) & ~np.isnan(taken) & (np.abs(received - lost - taken) > 1e-9)
    if both.any():
        i = int(np.argmax(both))
        log.warn(f"appels reçus − perdus ({received[i] - lost[i]:g}) ≠ appels décrochés ({taken[i]:g}) sur "
                 f"{count_text(int(both.sum()), 'ligne')} ; « reçus − perdus » est retenu", sheet, int(rownums[i]),
                 state.letter("appels_decroches"))
    ok = all_count & ~np.isnat(dates.days) & ~future & ~negative & ~too_many
    _check_indicators({"TEL_ABOUTIS"}, ctx, state)
    if not ok.any():
        return _empty_drafts()
    frame = pd.DataFrame({"month": _month_start(dates.days[ok]), "num": answered[ok], "den": received[ok],
                          "row": rownums[ok]})
    g = frame.groupby("month", sort=True).agg(num=("num", "sum"), den=("den", "sum"), row=("row", "min"))
    empty = g["den"] <= 0
    if empty.any():
        log.warn(f"{int(empty.sum())} mois sans aucun appel reçu : pas de taux pour ces mois", sheet)
        g = g.loc[~empty]
    months = _as_dates(g.index.to_numpy())
    return pd.DataFrame({
        "indicator": "TEL_ABOUTIS", "perimetre": None, "start": months, "end": months,
        "numerator": g["num"].to_numpy(dtype=float), "denominator": g["den"].to_numpy(dtype=float),
        "sheet": sheet, "row": g["row"].to_numpy(dtype=int), "column": state.letter("appels_recus"),
    }, columns=DRAFT_COLUMNS)


def _parse_delays(state: _Sheet, kind: str, ctx: ImportContext, calendar: WorkingCalendar,
                  as_of: np.datetime64) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every kind counted from a start and an end date."""
    log, sheet, rownums = state.log, state.sheet, state.rownums
    n = len(state.body)
    start_field = "demande" if kind in ("site", "rdv_elus") else "recu"
    end_field = {"site": "publie", "rdv_elus": "propose"}.get(kind, "repondu")
    start = state.dates(start_field)
    end = state.dates(end_field, end=True)
    valid = ~start.bad & ~end.bad

    missing_start = start.missing
    _rows_error(log, sheet, rownums, missing_start, state.letter(start_field),
                lambda i: f"{FIELD_LABELS[start_field]} manquante : chaque ligne du registre doit en avoir une",
                f"{FIELD_LABELS[start_field]} manquante")
    valid &= ~missing_start
    future_cols = [(start_field, start), (end_field, end)]

    extra: dict[str, np.ndarray] = {}
    deadline_n = np.zeros(n, dtype=np.int64)
    indicator = np.full(n, None, dtype=object)
    perim = _column_texts(state.column("perimetre")) if state.has("perimetre") else np.full(n, None, dtype=object)
    if kind in SIMPLE_KINDS:
        code, days, _mean = SIMPLE_KINDS[kind]
        indicator[:] = code
        deadline_n[:] = days
        if kind == "site" and state.has("rubrique"):
            extra["rubrique"] = _column_texts(state.column("rubrique"))
    elif kind == "reclamations":
        raw = _column_texts(state.column("canal"))
        canal, unknown = _canonical(raw, CANAL_RECLA)
        bad = unknown | (pd.isna(canal) & valid)
        _value_errors(log, sheet, rownums, raw, bad & valid, state.letter("canal"), "canal",
                      "courriel, formulaire (5 jours ouvrés), urne ou courrier (10 jours ouvrés)")
        valid &= ~bad
        deadline_n = pd.Series(canal, dtype=object).map(RECLA_DEADLINES).fillna(0).to_numpy(dtype=np.int64)
        indicator[:] = "RECLA_DELAI"
        extra["canal"] = canal
        if state.has("type"):
            raw_type = _column_texts(state.column("type"))
            typ, unknown_type = _canonical(raw_type, TYPE_RECLA)
            if unknown_type.any():
                values = sorted({str(v) for v in raw_type[unknown_type]})
                log.warn(f"{plural(len(values), 'type inconnu', 'types inconnus')} : {', '.join(values[:5])} ; comptés dans le taux, classés « autre » "
                         "(attendu suggestion, réclamation ou autre)", sheet, int(rownums[unknown_type][0]),
                         state.letter("type"))
                typ = np.where(unknown_type, "autre", typ)
            extra["type"] = typ
    elif kind == "courriers_elus":
        raw_dom = _column_texts(state.column("domaine"))
        dom, unknown_dom = _canonical(raw_dom, DOMAINE_ELUS)
        bad_dom = unknown_dom | pd.isna(dom)
        _value_errors(log, sheet, rownums, raw_dom, bad_dom & valid, state.letter("domaine"), "domaine",
                      "légalité ou budgétaire")
        raw_canal = _column_texts(state.column("canal"))
        canal, unknown_canal = _canonical(raw_canal, CANAL_ELUS)
        bad_canal = unknown_canal | pd.isna(canal)
        _value_errors(log, sheet, rownums, raw_canal, bad_canal & valid, state.letter("canal"), "canal",
                      "courrier (15 jours ouvrés) ou courriel (5 jours ouvrés)")
        valid &= ~bad_dom & ~bad_canal
        key = pd.Series(dom, dtype=object).fillna("") + "|" + pd.Series(canal, dtype=object).fillna("")
        table = {f"{d}|{c}": v for (d, c), v in ELUS_INDICATORS.items()}
        indicator = key.map({k: v[0] for k, v in table.items()}).to_numpy(dtype=object)
        deadline_n = key.map({k: v[1] for k, v in table.items()}).fillna(0).to_numpy(dtype=np.int64)
        extra["domaine"] = dom
        extra["canal"] = canal
    elif kind == "rdv_elus":
        indicator[:] = "COLL_RDV_PROPOSITION_4J"
        deadline_n[:] = 4
        if state.has("domaine"):
            raw_dom = _column_texts(state.column("domaine"))
            dom, unknown_dom = _canonical(raw_dom, DOMAINE_ELUS)
            extra["domaine"] = np.where(unknown_dom, raw_dom, dom)

    # the rendez-vous column (second stage of rdv_elus): a date after as_of is a scheduled meeting
    meeting: _DateColumn | None = None
    if kind == "rdv_elus" and state.has("rendez_vous"):
        meeting = state.dates("rendez_vous", end=True)
        valid &= ~meeting.bad

    for field, parsed in future_cols:
        future = ~np.isnat(parsed.days) & (parsed.days > as_of)

        def future_message(i: int, f: str = field, p: _DateColumn = parsed) -> str:  # a typed lambda
            return f"{FIELD_LABELS[f]} du {_fmt(p.days[i])} postérieure à la date d'import ({_fmt(as_of)})"

        _rows_error(log, sheet, rownums, future & ~missing_start, state.letter(field), future_message,
                    f"{FIELD_LABELS[field]} postérieure à la date d'import")
        valid &= ~future
    before = ~np.isnat(end.days) & ~np.isnat(start.days) & (end.days < start.days)
    _rows_error(log, sheet, rownums, before, state.letter(end_field),
                lambda i: f"{FIELD_LABELS[end_field]} ({_fmt(end.days[i])}) antérieure à la "
                          f"{FIELD_LABELS[start_field]} ({_fmt(start.days[i])})",
                f"{FIELD_LABELS[end_field]} antérieure à la {FIELD_LABELS[start_field]}")
    valid &= ~before
    if meeting is not None:
        no_offer = ~np.isnat(meeting.days) & np.isnat(end.days) & ~end.bad
        _rows_error(log, sheet, rownums, no_offer, state.letter("propose"),
                    lambda i: "date de proposition manquante alors que le rendez-vous est fixé "
                              f"({_fmt(meeting.days[i])})", "date de proposition manquante")
        early = ~np.isnat(meeting.days) & ~np.isnat(end.days) & (meeting.days < end.days)
        _rows_error(log, sheet, rownums, early, state.letter("rendez_vous"),
                    lambda i: f"date du rendez-vous ({_fmt(meeting.days[i])}) antérieure à la date de proposition "
                              f"({_fmt(end.days[i])})", "rendez-vous antérieur à la proposition")
        valid &= ~no_offer & ~early
    if state.has("perimetre"):
        blank = valid & pd.isna(perim)
        if blank.any():
            n = int(blank.sum())
            log.warn(f"{count_text(n, 'ligne')} sans {'boîte' if kind == 'courriels' else 'service'} : "
                     f"{plural(n, 'comptée', 'comptées')} pour la préfecture entière ({rows_phrase(rownums[blank])})", sheet,
                     int(rownums[blank][0]), state.letter("perimetre"))

    # columns read into the item itself (its dates, its périmètre, canonical canal/type/domaine in
    # *extra*) are not repeated in the details; any other column, dates included, is kept as text
    used = (start_field, end_field, "rendez_vous" if kind == "rdv_elus" else "", "perimetre", *extra)
    skip = {state.fields[f] for f in used if f in state.fields}
    details = _details(state.body, state.header, skip, extra)

    month = _month_start(start.days)
    stages = [_Stage(indicator, start.days, end.days, deadline_n, valid, details)]
    if meeting is not None:
        offered = valid & ~np.isnat(end.days)
        held = np.where(meeting.days > as_of, _NAT, meeting.days).astype("datetime64[D]")
        request = np.where(np.isnat(start.days), None,  # type: ignore[call-overload]  # numpy's stubs refuse None
                           np.datetime_as_string(start.days, unit="D")).astype(object)
        details_10 = _details(state.body, state.header, skip, {"demandé le": request, **extra})
        stages.append(_Stage(np.full(n, "COLL_RDV_10J", dtype=object), end.days, held,
                             np.full(n, 10, dtype=np.int64), offered, details_10))

    codes = {c for s in stages for c in pd.unique(s.indicator[s.valid]) if c}
    codes |= {MEAN_OF[c] for c in codes if c in MEAN_OF}
    _check_indicators(codes, ctx, state)

    draft_frames: list[pd.DataFrame] = []
    item_frames: list[pd.DataFrame] = []
    for stage in stages:
        drafts, items = stage.compute(kind, month, perim, rownums, calendar, as_of, sheet,
                                      state.letter("repondu" if kind not in ("site", "rdv_elus") else end_field),
                                      state.letter("rendez_vous"))
        draft_frames.append(drafts)
        item_frames.append(items)
    drafts = pd.concat([d for d in draft_frames if len(d)], ignore_index=True) if any(len(d) for d in draft_frames) \
        else _empty_drafts()
    items = pd.concat([i for i in item_frames if len(i)], ignore_index=True) if any(len(i) for i in item_frames) \
        else _empty_items()
    return drafts, items


class _Stage:
    """One delay counted for a set of items: indicator, start, end, deadline in working days."""

    def __init__(self, indicator: np.ndarray, start: np.ndarray, end: np.ndarray, deadline_n: np.ndarray,
                 valid: np.ndarray, details: np.ndarray) -> None:
        self.indicator = indicator
        self.start = start
        self.end = end
        self.deadline_n = deadline_n
        self.valid = valid & pd.notna(indicator)
        self.details = details

    def compute(self, kind: str, month: np.ndarray, perim: np.ndarray, rownums: np.ndarray,
                calendar: WorkingCalendar, as_of: np.datetime64, sheet: str, rate_column: str | None,
                meeting_column: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        v = self.valid
        if not v.any():
            return _empty_drafts(), _empty_items()
        start, end, n_days = self.start[v], self.end[v], self.deadline_n[v]
        answered = ~np.isnat(end)
        # pending items: compute against the start itself (no NaT reaches the calendar), then mask
        delay = np.asarray(calendar.working_days_between(start, np.where(answered, end, start)), dtype=float)
        delay[~answered] = np.nan
        deadline = np.asarray(calendar.add_working_days(start, n_days)).astype("datetime64[D]")
        passed = np.asarray(calendar.deadline_passed(start, n_days, as_of), dtype=bool)
        in_time = answered & (delay <= n_days)
        status = np.select([in_time, answered, passed], [STATUS_IN_TIME, STATUS_LATE, STATUS_OVERDUE],
                           STATUS_PENDING).astype(object)
        counted = answered | passed
        codes = self.indicator[v]
        perims = perim[v]
        months = month[v]
        rows = rownums[v]
        items = pd.DataFrame({
            "kind": kind, "indicator": codes, "perimetre": perims, "received": start,
            "answered": end, "delay": delay, "deadline": deadline, "status": status,
            "sheet": sheet, "row": rows.astype(int), "details": self.details[v],
        }, columns=ITEM_COLUMNS)
        frame = pd.DataFrame({
            "indicator": codes, "month": months, "perim": pd.Series(perims, dtype=object),
            "in_time": in_time.astype(float), "counted": counted.astype(float), "answered": answered.astype(float),
            "delay": np.where(answered, delay, 0.0), "row": rows,
        })
        g = frame.groupby(["indicator", "month", "perim"], dropna=False, sort=True).agg(
            num=("in_time", "sum"), den=("counted", "sum"), answered=("answered", "sum"),
            delays=("delay", "sum"), row=("row", "min")).reset_index()
        column = meeting_column if codes[0] == "COLL_RDV_10J" else rate_column
        frames = [_drafts(g.loc[g["den"] > 0], g["indicator"], "num", "den", sheet, column)]
        means = g.loc[g["indicator"].isin(list(MEAN_OF)) & (g["answered"] > 0)]
        if len(means):
            # the mean's items are the rate's: stored once, found under either code (see logitems)
            frames.append(_drafts(means, means["indicator"].map(MEAN_OF), "delays", "answered", sheet, column))
        drafts = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) \
            else _empty_drafts()
        return drafts, items


def _drafts(g: pd.DataFrame, codes: pd.Series, num: str, den: str, sheet: str, column: str | None) -> pd.DataFrame:
    if not len(g):
        return _empty_drafts()
    months = _as_dates(g["month"].to_numpy().astype("datetime64[D]"))
    perims = g["perim"].astype(object).where(g["perim"].notna(), None).to_numpy(dtype=object)
    return pd.DataFrame({
        "indicator": codes.loc[g.index].to_numpy(dtype=object), "perimetre": perims, "start": months, "end": months,
        "numerator": g[num].to_numpy(dtype=float), "denominator": g[den].to_numpy(dtype=float), "sheet": sheet,
        "row": g["row"].to_numpy(dtype=int), "column": column,
    }, columns=DRAFT_COLUMNS)


# ------------------------------------------------------------------------------------------------
# Summary

SUMMARY_COLUMNS = ["indicator", "month", "items", "answered", "in_time", "late", "late_answered",
                   "late_unanswered", "pending", "delay_sum"]
RECLA_TYPES = ("suggestion", "réclamation", "autre")
RECLA_CHANNELS = ("courriel", "formulaire", "urne", "courrier")


def _details_field(details: pd.Series, key: str) -> pd.Series:
    """One key of the details JSON (one json.loads per distinct string: details repeat little, but
    the summary only reads the small réclamations and rendez-vous subsets)."""
    def pick(text: object) -> object:
        try:
            return json.loads(str(text)).get(key)
        except (ValueError, AttributeError):
            return None
    return details.map(pick)


def log_summary(items: pd.DataFrame) -> pd.DataFrame:
    """Per indicator × month: items, answered, in time, late (answered late, and unanswered past the
    deadline), pending, Σ delays; for RECLA_* also counts by type (``type: suggestion``…) and by
    channel (``canal: courriel``…).

    The month is the one the drafts use: the item's reception (``received``), except for
    ``COLL_RDV_10J`` whose ``received`` is the offer date and whose month is the request's,
    kept in its details. Rates follow from these columns as the drafts do:
    in_time / (answered + late_unanswered).
    """
    if items is None or not len(items):
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    received = pd.to_datetime(pd.Series(items["received"], dtype=object), errors="coerce")
    month = received.dt.to_period("M").dt.to_timestamp()
    rdv = (items["indicator"] == "COLL_RDV_10J").to_numpy()
    if rdv.any():
        asked = pd.to_datetime(_details_field(items.loc[rdv, "details"], "demandé le"), errors="coerce")
        month.loc[rdv] = asked.dt.to_period("M").dt.to_timestamp().to_numpy()
    status = items["status"]
    frame = pd.DataFrame({
        "indicator": items["indicator"].to_numpy(), "month": month.dt.date.to_numpy(),
        "items": 1, "answered": status.isin([STATUS_IN_TIME, STATUS_LATE]).astype(int).to_numpy(),
        "in_time": (status == STATUS_IN_TIME).astype(int).to_numpy(),
        "late_answered": (status == STATUS_LATE).astype(int).to_numpy(),
        "late_unanswered": (status == STATUS_OVERDUE).astype(int).to_numpy(),
        "pending": (status == STATUS_PENDING).astype(int).to_numpy(),
        "delay_sum": pd.to_numeric(items["delay"], errors="coerce").fillna(0.0).to_numpy(dtype=float),
    })
    frame["late"] = frame["late_answered"] + frame["late_unanswered"]
    recla = frame["indicator"].str.startswith("RECLA_").to_numpy()
    extra_cols: list[str] = []
    if recla.any():
        sub = items.loc[recla, "details"]
        typ = _details_field(sub, "type")
        canal = _details_field(sub, "canal")
        for value in RECLA_TYPES:
            col = f"type: {value}"
            frame[col] = 0
            frame.loc[recla, col] = (typ == value).astype(int).to_numpy()
            extra_cols.append(col)
        for value in RECLA_CHANNELS:
            col = f"canal: {value}"
            frame[col] = 0
            frame.loc[recla, col] = (canal == value).astype(int).to_numpy()
            extra_cols.append(col)
    sums = [c for c in SUMMARY_COLUMNS[2:]] + extra_cols
    out = frame.groupby(["indicator", "month"], sort=True)[sums].sum().reset_index()
    return out[[*SUMMARY_COLUMNS, *extra_cols]]
