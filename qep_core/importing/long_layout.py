"""The "long" layout: one row per indicator × month (× périmètre).

Files of this shape can be national extracts of hundreds of thousands of rows, so everything is
done per column (pandas) and per *distinct* value: a file has few distinct indicators, months and
périmètres, and parsing each once keeps the import close to the bare reading time.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from qep_core.frenchforms import (
    MISSING_MARKERS,
    PeriodFormatError,
    ValueFormatError,
    count_text,
    format_number_fr,
    is_no_target,
    normalize,
    normalize_marker,
    parse_month_cell,
    parse_number,
    parse_quarter_header,
    plural,
)
from qep_core.importing.context import ImportContext
from qep_core.importing.issues import IssueLog, column_letter, other_rows, rows_phrase
from qep_core.importing.matching import match_header_fields
from qep_core.periods import add_months

FIELD_VARIANTS: dict[str, tuple[str, ...]] = {
    "indicateur": ("indicateur", "code indicateur", "indicateur code", "code", "libelle indicateur", "indicator",
                   "libelle de l indicateur", "intitule"),
    "periode": ("periode", "mois", "date", "mois annee", "annee mois", "period", "month"),
    "perimetre": ("perimetre", "service", "boite", "boite fonctionnelle", "sous prefecture", "unite", "site", "bureau"),
    "numerateur": ("numerateur", "numerator", "num"),
    "denominateur": ("denominateur", "denominator", "den", "denom"),
    "valeur": ("valeur", "value", "nombre", "moyenne", "delai moyen"),
    "effectif": ("effectif", "nombre de reponses", "count", "nb reponses", "poids"),
    "taux": ("taux", "taux calcule", "resultat", "%", "taux de la feuille"),
    "cible": ("cible", "objectif", "target"),
}
NUMERIC_FIELDS = ("numerateur", "denominateur", "valeur", "effectif")
DRAFT_COLUMNS = ["indicator", "perimetre", "start", "end", "numerator", "denominator", "sheet", "row", "column"]


def match_long_header(cells: list[object]) -> dict[str, int] | None:
    """Column index of each field when *cells* is a long-layout header row, else None.

    A header matches the field whose variant it matches most specifically: "nombre de réponses"
    is the ``effectif`` of a mean delay, not a ``valeur`` because it starts with "nombre".
    """
    found = match_header_fields(cells, FIELD_VARIANTS)
    if "indicateur" in found and "periode" in found and ("numerateur" in found or "valeur" in found):
        return found
    return None


def find_long_header(rows: list[list[object]]) -> tuple[int, dict[str, int]] | None:
    for r, row in enumerate(rows[:20]):
        fields = match_long_header(row)
        if fields:
            return r, fields
    return None


def parse_period_cell(cell: object) -> tuple[dt.date, dt.date]:
    """A month (``2022-05``), a quarter (``2022-T2``) or a year (``2022``) → (first, last month)."""
    if isinstance(cell, str):
        text = cell.strip()
        if re.fullmatch(r"\d{4}", text):
            year = int(text)
            return dt.date(year, 1, 1), dt.date(year, 12, 1)
        if re.fullmatch(r"\d{5}(\.0)?", text):  # an Excel serial date read as text
            cell = float(text)
        else:
            m = re.fullmatch(r"(\d{4})\s*[-/ ]?\s*([TtQq][1-4])", text)
            quarter = (int(m.group(2)[1]), int(m.group(1))) if m else parse_quarter_header(text)
            if quarter is not None and quarter[1] is not None:
                start = dt.date(quarter[1], 3 * quarter[0] - 2, 1)
                return start, add_months(start, 2)
            if text.endswith(" 00:00:00"):
                text = text[:-9]
            cell = text
    start = parse_month_cell(cell)
    return start, start


def _period_key(value: object) -> object:
    """A hashable, comparable key for one période cell; "" for an empty one (None, NaN, NaT)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, (dt.date, float, int)):
        return value
    return str(value).strip()


def _resolve_indicator(raw: str, ctx: ImportContext) -> str | None:
    text = raw.strip()
    if text.upper() in ctx.indicators:
        return text.upper()
    return ctx.label_index.get(normalize(text))


def parse_numeric_column(series: pd.Series, field: str, column: str, sheet: str, rownums: np.ndarray,
                         log: IssueLog, allowed_units: tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Floats (NaN where missing) and the units read (``%``, ``j``…) for one column."""
    if pd.api.types.is_numeric_dtype(series.dtype):  # a typed column from the workbook: exact floats
        values = np.array(series, dtype=float)
        units = np.full(len(series), None, dtype=object)
        bad = np.isinf(values)
        if bad.any():
            log.error(f"nombre infini{other_rows(rownums[bad])}", sheet, int(rownums[bad][0]), column)
        return np.where(bad, np.nan, values), units
    text = series.fillna("").astype(str).str.strip()
    values = np.array(pd.to_numeric(text, errors="coerce"), dtype=float)  # a writable copy
    units = np.full(len(text), None, dtype=object)
    # "inf" and "1.234" (dots as thousands separators, as in the wide layout) take the strict path
    ambiguous = np.isinf(values) | np.array(text.str.fullmatch(r"\d{1,3}(?:\.\d{3})+"), dtype=bool)
    values[ambiguous] = np.nan
    todo = np.isnan(values) & (text != "").to_numpy()
    if todo.any():
        for raw in pd.unique(text[todo]):
            mask = (text == raw).to_numpy()
            if normalize_marker(raw) in MISSING_MARKERS:
                continue
            try:
                parsed = parse_number(raw)
            except ValueFormatError as exc:
                first = rownums[mask]
                log.error(f"{exc}{other_rows(first)}", sheet, int(first[0]), column)
                continue
            if parsed is not None and parsed.unit is not None and parsed.unit not in allowed_units:
                first = rownums[mask]
                log.error(f"« {raw} » : unité inattendue dans une colonne de comptes{other_rows(first)} ; écrivez le nombre "
                          "seul, le tableau de bord calcule les taux", sheet, int(first[0]), column)
                continue
            if parsed is not None:
                values[mask] = parsed.value
                units[mask] = parsed.unit
    return values, units


def parse_long(sheet: str, header: list[object], fields: dict[str, int], body: pd.DataFrame,
               first_row: int, ctx: ImportContext, log: IssueLog, column_offset: int = 0) -> pd.DataFrame:
    """*body* holds the cells below the header (any dtype); *first_row* is its 1-based sheet row;
    *column_offset* maps the body's columns back to the sheet's letters."""
    n = len(body)
    rownums = np.arange(first_row, first_row + n)
    col = {f: body.iloc[:, i] if i < body.shape[1] else pd.Series([""] * n) for f, i in fields.items()}
    letters = {f: f"{column_letter(i + column_offset)} ({str(header[i]).strip()})" for f, i in fields.items()}

    def as_text(f: str) -> pd.Series:
        return col[f].fillna("").astype(str).str.strip() if f in col else pd.Series([""] * n, index=body.index)

    def filled(series: pd.Series) -> np.ndarray:
        if not pd.api.types.is_object_dtype(series.dtype) and not pd.api.types.is_string_dtype(series.dtype):
            return np.array(series.notna(), dtype=bool)  # typed column (numbers, dates): no text to strip
        return np.array(series.fillna("").astype(str).str.strip() != "", dtype=bool)

    ind_text = as_text("indicateur")
    per_series = col["periode"]
    nonblank = np.array(ind_text != "", dtype=bool) | filled(per_series)
    for f in NUMERIC_FIELDS:
        if f in col:
            nonblank |= filled(col[f])
    if not nonblank.all():
        keep = nonblank
        body = body.loc[keep]
        rownums = rownums[keep]
        col = {f: s.loc[keep] for f, s in col.items()}
        ind_text, per_series = ind_text.loc[keep], per_series.loc[keep]
        n = len(body)
    if n == 0:
        log.error("aucune ligne de données sous l'en-tête", sheet, first_row - 1)
        return pd.DataFrame(columns=DRAFT_COLUMNS)

    # indicators: one lookup per distinct value
    codes = np.empty(n, dtype=object)
    for raw in pd.unique(ind_text):
        mask = (ind_text == raw).to_numpy()
        code = _resolve_indicator(raw, ctx) if raw else None
        if code is None:
            rows_ = rownums[mask]
            what = f"indicateur inconnu « {raw} »" if raw else "indicateur manquant"
            log.error(f"{what}{other_rows(rows_)} : utilisez un code du référentiel, p. ex. COURRIEL_5J",
                      sheet, int(rows_[0]), letters["indicateur"])
        codes[mask] = code

    # periods: one parse per distinct value
    starts = np.empty(n, dtype=object)
    ends = np.empty(n, dtype=object)
    per_codes, per_uniques = pd.factorize(per_series, use_na_sentinel=True)
    groups: dict[object, np.ndarray] = {}
    for per_code, value in enumerate([*per_uniques, None]):  # None: the empty cells (code -1)
        key = _period_key(value)
        mask = per_codes == (per_code if value is not None or per_code < len(per_uniques) else -1)
        groups[key] = groups[key] | mask if key in groups else mask
    for raw, mask in groups.items():
        if not mask.any():
            continue
        try:
            if raw is None or (isinstance(raw, str) and not raw):
                raise PeriodFormatError("période manquante")
            start, end = parse_period_cell(raw)
        except PeriodFormatError as exc:
            rows_ = rownums[mask]
            log.error(f"{exc}{other_rows(rows_)}", sheet, int(rows_[0]), letters["periode"])
            continue
        starts[mask] = start
        ends[mask] = end

    perims = as_text("perimetre").replace("", None).to_numpy(dtype=object) if "perimetre" in col else np.full(n, None, dtype=object)

    nums: dict[str, np.ndarray] = {}
    units: dict[str, np.ndarray] = {}
    for f in (*NUMERIC_FIELDS, "taux"):
        if f in col:
            allowed = {"taux": ("%", "‰"), "valeur": ("j",)}.get(f, ())
            nums[f], units[f] = parse_numeric_column(col[f], f, letters[f], sheet, rownums, log, allowed)
    nan = np.full(n, np.nan)
    numerator = nums.get("numerateur", nan).copy()
    denominator = nums.get("denominateur", nan).copy()
    valeur = nums.get("valeur", nan)
    effectif = nums.get("effectif", nan)

    kinds = np.array([ctx.indicators[c].kind if c else "" for c in codes], dtype=object)
    is_count = kinds == "count"
    is_mean = kinds == "mean_delay"
    is_ratio = np.isin(kinds, ["rate", "survey_rate", "per_mille"])

    # counts: the value column or the numerator
    numerator = np.where(is_count & np.isnan(numerator), valeur, numerator)
    denominator = np.where(is_count, np.nan, denominator)
    # mean delays: value × count, or Σ delays / count given directly
    mean_from_value = is_mean & ~np.isnan(valeur)
    no_weight = mean_from_value & np.isnan(effectif)
    if no_weight.any():
        rows_ = rownums[no_weight]
        log.error(f"délai moyen sans effectif{other_rows(rows_)} : sans le nombre de réponses il ne peut "
                  "pas être pondéré", sheet, int(rows_[0]), letters.get("effectif", letters.get("valeur")))
    numerator = np.where(mean_from_value, valeur * effectif, numerator)
    denominator = np.where(mean_from_value, effectif, denominator)
    ratio_with_value_only = is_ratio & np.isnan(numerator) & np.isnan(denominator) & ~np.isnan(valeur)
    if ratio_with_value_only.any():
        rows_ = rownums[ratio_with_value_only]
        log.error(f"un taux se déclare par son numérateur et son dénominateur, pas par sa valeur{other_rows(rows_)}",
                  sheet, int(rows_[0]), letters.get("valeur"))

    for name, field, arr in (("numérateur", "numerateur", numerator), ("dénominateur", "denominateur", denominator),
                             ("effectif", "effectif", effectif), ("valeur", "valeur", valeur)):
        neg = arr < 0
        if np.any(neg):
            rows_ = rownums[neg]
            log.error(f"{name} négatif{other_rows(rows_)} : un compte ou un délai ne peut pas être négatif",
                      sheet, int(rows_[0]), letters.get(field))
    over = is_ratio & (numerator > denominator + 1e-9)
    if over.any():
        rows_ = rownums[over]
        i = int(np.argmax(over))
        log.error(f"le numérateur ({format_number_fr(numerator[i], 0)}) dépasse le dénominateur "
                  f"({format_number_fr(denominator[i], 0)}){other_rows(rows_)}",
                  sheet, int(rows_[0]), letters.get("numerateur"))

    needs_den = is_ratio | is_mean
    missing_all = np.isnan(numerator) & (np.isnan(denominator) | ~needs_den)
    partial = needs_den & (np.isnan(numerator) ^ np.isnan(denominator))
    if missing_all.any():
        n = int(missing_all.sum())
        log.warn(f"{count_text(n, 'ligne')} sans valeur (« n.c » ou vide) : {plural(n, 'non importée', 'non importées')} "
                 f"({rows_phrase(rownums[missing_all])})", sheet)
    if partial.any():
        n = int(partial.sum())
        log.warn(f"{count_text(n, 'ligne')} avec un seul des deux comptes : {plural(n, 'non importée', 'non importées')} "
                 f"({rows_phrase(rownums[partial])})", sheet)
    keep = ~(missing_all | partial) & (codes != None) & (starts != None)  # noqa: E711

    if "taux" in nums:
        _check_sheet_rates(sheet, codes, numerator, denominator, nums["taux"], units["taux"], rownums, keep,
                           letters["taux"], ctx, log)
    if "cible" in col:
        _check_targets(sheet, codes, starts, as_text("cible"), rownums, keep, letters["cible"], ctx, log)

    drafts = pd.DataFrame({
        "indicator": codes, "perimetre": perims, "start": starts, "end": ends,
        "numerator": numerator, "denominator": denominator, "sheet": sheet, "row": rownums,
        "column": letters.get("numerateur", letters.get("valeur", "")),
    })
    return drafts.loc[keep].reset_index(drop=True)


def _check_sheet_rates(sheet: str, codes: np.ndarray, num: np.ndarray, den: np.ndarray, taux: np.ndarray,
                       units: np.ndarray, rownums: np.ndarray, keep: np.ndarray, letter: str,
                       ctx: ImportContext, log: IssueLog) -> None:
    scale = np.array([ctx.indicators[c].scale if c else 1.0 for c in codes])
    with np.errstate(divide="ignore", invalid="ignore"):
        computed = np.where(den > 0, num / den * scale, np.nan)
    computed = np.where(np.array([bool(c) and ctx.indicators[c].kind == "count" for c in codes]), num, computed)
    as_is, scaled = taux, taux * scale
    sheet_val = np.where(np.abs(as_is - computed) <= np.abs(scaled - computed), as_is, scaled)
    sheet_val = np.where(units != None, taux, sheet_val)  # noqa: E711  ("48 %" is already in points)
    bad = keep & ~np.isnan(taux) & ~np.isnan(computed) & (np.abs(sheet_val - computed) >= 1.0)
    for i in np.flatnonzero(bad)[:20]:
        ind = ctx.indicators[codes[i]]
        log.warn(f"{codes[i]} : taux de la feuille {format_number_fr(sheet_val[i], 1)} {ind.unit} ≠ "
                 f"{format_number_fr(computed[i], 1)} {ind.unit} calculé ; le calcul est retenu", sheet, int(rownums[i]), letter)
    if bad.sum() > 20:
        log.warn(f"… et {int(bad.sum()) - 20} autres taux de la feuille en désaccord avec les comptes", sheet)


def _check_targets(sheet: str, codes: np.ndarray, starts: np.ndarray, cible: pd.Series, rownums: np.ndarray,
                   keep: np.ndarray, letter: str, ctx: ImportContext, log: IssueLog) -> None:
    if ctx.targets is None:
        return
    seen: set[tuple[str, int, str]] = set()
    for i in np.flatnonzero(keep & (cible != "").to_numpy()):
        code, year, raw = codes[i], starts[i].year, cible.iloc[i]
        if (code, year, raw) in seen:
            continue
        seen.add((code, year, raw))
        rule = ctx.targets.rule(code, year)
        ind = ctx.indicators[code]
        if is_no_target(raw):
            sheet_target = None
        else:
            try:
                parsed = parse_number(raw)
            except ValueFormatError:
                log.warn(f"cible « {raw} » illisible", sheet, int(rownums[i]), letter)
                continue
            if parsed is None:
                continue
            sheet_target = parsed.value
            if parsed.unit is None and rule.value is not None and ind.kind in ("rate", "survey_rate") and sheet_target <= 1 < rule.value:
                sheet_target *= 100
        same = (sheet_target is None and rule.value is None) or (
            sheet_target is not None and rule.value is not None and abs(sheet_target - rule.value) < 1e-6)
        if not same:
            ref = "aucune" if rule.value is None else f"{format_number_fr(rule.value, 2 if rule.value < 1 else 0)} {ind.unit}"
            mine = "pas d'objectif" if sheet_target is None else f"{format_number_fr(sheet_target, 2 if sheet_target < 1 else 0)} {ind.unit}"
            log.warn(f"{code} : cible de la feuille ({mine}) ≠ cible en vigueur pour {year} ({ref}) ; "
                     "la cible en vigueur est appliquée", sheet, int(rownums[i]), letter)
