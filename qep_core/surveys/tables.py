"""A stored survey's results as tables: the synthesis, one distribution per question, a cross-tab.

What the "Enquêtes" page shows beside its charts (RGAA alternative) and what its results workbook
holds. Labels typed by respondents (choices, cross-tab rows) are masked: no table leaves with
personal data, whoever asks.
"""

from __future__ import annotations

import pandas as pd

from qep_core.frenchforms import format_number_fr
from qep_core.privacy import mask_personal_data
from qep_core.safe_cells import xlsx_bytes
from qep_core.surveys.charts import pct, rate_text
from qep_core.surveys.results import SurveyResults
from qep_core.surveys.stats import CrossTab, QuestionStats

__all__ = ["cross_tab_table", "distribution_table", "results_workbook", "synthesis_table"]


def distribution_table(stats: QuestionStats) -> pd.DataFrame:
    """The table behind a question's chart; labels masked."""
    if stats.scale is not None:
        s = stats.scale
        records = [(lvl, n, pct(100 * n / s.expressed if s.expressed else None))
                   for lvl, n in zip(s.scale.levels, s.counts, strict=True)]
        records += [(f"{label.capitalize()} (exclu)", n, "") for label, n in s.excluded_detail.items()]
        return pd.DataFrame.from_records(records, columns=["Réponse", "Nombre", "Part des réponses exprimées"])
    base = stats.answers
    return pd.DataFrame.from_records(
        [(mask_personal_data(label), n, pct(100 * n / base if base else None)) for label, n in stats.distribution],
        columns=["Réponse", "Nombre", "Part des répondants à la question"])


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def synthesis_table(res: SurveyResults) -> pd.DataFrame:
    """One row per scale or yes/no question: rate, interval, last year's rate and the change."""
    records = []
    for q in res.questions:
        s = q.stats.scale
        if s is None:
            continue
        ci = s.ci_pct
        prev = q.previous.scale if q.previous is not None else None
        records.append({
            "Question": q.info.text, "Type": q.info.type_label, "Taux (%)": _round(s.rate_pct),
            "Satisfaits (ou oui)": s.satisfied, "Réponses exprimées": s.expressed, "Exclues": s.excluded,
            "IC 95 % bas": _round(ci[0]) if ci else None, "IC 95 % haut": _round(ci[1]) if ci else None,
            "Année précédente (%)": _round(prev.rate_pct) if prev else None,
            "Évolution (pt)": _round(q.comparison.difference) if q.comparison else None,
            "Significative": ("oui" if q.comparison.significant else "non") if q.comparison else "",
            "Question générale": "oui" if q.is_overall else "",
        })
    return pd.DataFrame(records)


def cross_tab_table(tab: CrossTab) -> pd.DataFrame:
    """A question broken down by another's answers: counts, shares and the rate of each row."""
    rows = []
    for label, counts, n, scale in zip(tab.rows, tab.counts, tab.respondents, tab.scales, strict=True):
        row: dict[str, object] = {tab.by[:60]: mask_personal_data(label), "n": n}
        levels = set(scale.scale.levels) if scale is not None else None
        for column, count in zip(tab.columns, counts, strict=True):
            counted = levels is None or column in levels  # « Sans avis » is not a share of the answers counted
            row[mask_personal_data(column)] = (f"{count} ({format_number_fr(100 * count / n, 0)} %)" if n and counted
                                               else str(count))
        if scale is not None:
            row["Taux"] = rate_text(scale) if scale.expressed else "–"
        rows.append(row)
    return pd.DataFrame(rows)


def results_workbook(res: SurveyResults) -> bytes:
    """The synthesis sheet and one sheet per counted question; no comment, no personal data."""
    frames = {"Synthèse": synthesis_table(res)}
    for q in res.questions:
        if q.stats.type_key == "text" or not q.stats.distribution:
            continue
        table = distribution_table(q.stats)
        table.insert(0, "Question", q.info.text)
        frames[f"Q{q.info.position + 1}"] = table
    return xlsx_bytes(frames)
