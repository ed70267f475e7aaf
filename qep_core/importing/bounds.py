"""The value bounds of :mod:`qep_core.rules.bounds` applied to the values a file brings.

Why here and not only at the flush: indicator values are written by bulk inserts that bypass the
ORM (a 100 000-row import), and a user fixes a file better from « feuille, ligne, colonne » than
from a refused transaction. Every out-of-bound value becomes an error of the :class:`IssueLog`,
so the whole file is refused and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from qep_core.frenchforms import month_label_fr
from qep_core.importing.issues import IssueLog, other_rows
from qep_core.models import Perimetre
from qep_core.rules.bounds import count_faults, period_window, text_fault, window_text
from qep_core.rules.row_bounds import model_text_limit

COUNT_NAMES = {"numerator": "numérateur", "denominator": "dénominateur"}
SHOWN_CHARS = 40  # of an over-long name, in the message


def check_drafts(drafts: pd.DataFrame, kinds: Mapping[str, str], log: IssueLog, today: dt.date | None = None) -> None:
    """Log an error for each period outside the window, each count that is not finite, negative or
    absurd, and each périmètre name too long to store; *kinds* gives each indicator's kind."""
    if drafts.empty:
        return
    _check_periods(drafts, log, today)
    _check_counts(drafts, kinds, log)
    _check_names(drafts, log)


def _report(drafts: pd.DataFrame, mask: np.ndarray, message: str, log: IssueLog, column: bool = True) -> None:
    """One error per sheet for the rows of *mask*, at the first of them, naming the others. Rows
    the reader already refused (a negative count, say) keep its message alone."""
    known = {(e.sheet, e.row) for e in log.errors}
    if known:
        mask = mask & ~np.array([(s, r) in known for s, r in zip(drafts["sheet"], drafts["row"], strict=True)])
    hit = drafts.loc[mask]
    for sheet, group in hit.groupby("sheet", sort=False):
        rows = group["row"].to_numpy()
        log.error(f"{message}{other_rows(rows)}", str(sheet), int(rows[0]),
                  str(group["column"].iat[0]) if column and group["column"].iat[0] else None)


def _check_periods(drafts: pd.DataFrame, log: IssueLog, today: dt.date | None) -> None:
    first, last = period_window(today)
    starts, ends = drafts["start"], drafts["end"]
    valid = starts.notna() & ends.notna()
    outside = (valid & ((starts.where(valid, first) < first) | (ends.where(valid, last) > last))).to_numpy()
    if not outside.any():
        return
    for month in sorted({m for m in (*starts[outside], *ends[outside]) if not first <= m <= last}):
        mask = outside & ((starts == month) | (ends == month)).to_numpy()
        _report(drafts, mask, f"période {month_label_fr(month)} hors des périodes acceptées ({window_text(today)}) : "
                              "vérifiez l'année ; les bornes se règlent par QEP_PERIOD_FIRST_YEAR et "
                              "QEP_PERIOD_YEARS_AHEAD", log, column=False)


def _check_counts(drafts: pd.DataFrame, kinds: Mapping[str, str], log: IssueLog) -> None:
    months = np.ones(len(drafts))  # most values cover one month: only spans are counted, row by row
    for i in np.flatnonzero((drafts["start"] != drafts["end"]).to_numpy()):
        start, end = drafts["start"].iat[i], drafts["end"].iat[i]
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            months[i] = (end.year - start.year) * 12 + end.month - start.month + 1
    faults = count_faults(drafts["indicator"].map(kinds).fillna("").tolist(), months,
                          drafts["numerator"].astype(float).to_numpy(), drafts["denominator"].astype(float).to_numpy())
    for which, reason, mask in faults:  # a draft's column is its numerator's: a denominator is named, not placed
        _report(drafts, mask, f"{COUNT_NAMES[which]} : {reason}", log, column=which == "numerator")


def perimetre_name_fault(name: str) -> str | None:
    """Why a périmètre name cannot be stored, in French (its first characters quoted); None when it can."""
    fault = text_fault(name.strip(), model_text_limit(Perimetre, "name"))
    return None if fault is None else f"nom du périmètre « {name.strip()[:SHOWN_CHARS]}… » : {fault}"


def _check_names(drafts: pd.DataFrame, log: IssueLog) -> None:
    names = drafts["perimetre"]
    for name in pd.unique(names.dropna()):
        if (fault := perimetre_name_fault(str(name))) is not None:
            _report(drafts, (names == name).to_numpy(), fault, log, column=False)
