"""What ``python -m qep_core survey FILE`` prints: each question, its type, its answers counted.

Every text that comes from respondents (choice labels, comments) goes through
:func:`~qep_core.privacy.mask_personal_data`: the terminal output is an export like any other.

JSON keys per question: ``position``, ``column``, ``question``, ``type``, ``type_label``, ``answers``
(non-blank answers), ``respondents``, ``distribution`` (label → count, best level first for scales);
for scales and yes/no: ``satisfaction_rate`` (%, satisfied / expressed), ``satisfied``, ``expressed``
(answers counted), ``excluded`` (blanks and « sans avis », « ne sait pas », « non concerné »),
``excluded_detail``, ``ci_low`` and ``ci_high`` (Wilson 95 %, in %); for yes/no the rate is the share
of « oui »; for numbers ``mean``, ``median``, ``min``, ``max``; for free text ``comments`` (masked).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from qep_core.frenchforms import count_text, format_number_fr
from qep_core.privacy import mask_personal_data
from qep_core.surveys.questions import type_label
from qep_core.surveys.reading import ROLE_LABELS, SurveyTable
from qep_core.surveys.stats import QuestionStats

TABLE_COMMENTS = 5  # comments shown per question in the table form (all of them in JSON)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def question_record(stats: QuestionStats) -> dict[str, Any]:
    record: dict[str, Any] = {
        "position": stats.position + 1, "column": stats.column, "question": stats.text, "type": stats.type_key,
        "type_label": type_label(stats.type_key), "answers": stats.answers, "respondents": stats.respondents,
        "distribution": {mask_personal_data(label): n for label, n in stats.distribution},
    }
    if stats.scale is not None:
        ci = stats.scale.ci_pct
        record.update({
            "satisfaction_rate": _pct(stats.scale.rate_pct), "satisfied": stats.scale.satisfied,
            "expressed": stats.scale.expressed, "excluded": stats.scale.excluded,
            "excluded_detail": dict(stats.scale.excluded_detail),
            "ci_low": _pct(ci[0]) if ci else None, "ci_high": _pct(ci[1]) if ci else None,
            "satisfied_levels": stats.scale.scale.positive_text,
        })
    if stats.numbers is not None:
        record.update({"mean": round(stats.numbers.mean, 4), "median": stats.numbers.median,
                       "min": stats.numbers.minimum, "max": stats.numbers.maximum})
    if stats.type_key == "text":
        record["comments"] = [mask_personal_data(c) for c in stats.comments]
    return record


def survey_record(table: SurveyTable, questions: Sequence[QuestionStats]) -> dict[str, Any]:
    span = table.date_span
    return {
        "file": table.file_name, "sheet": table.sheet, "header_row": table.header_row, "title": table.title,
        "respondents": table.respondents,
        "period_start": span[0].isoformat() if span else None, "period_end": span[1].isoformat() if span else None,
        "metadata_columns": {c.header: c.role for c in table.columns if c.role != "question"},
        "questions": [question_record(q) for q in questions],
    }


def to_json(table: SurveyTable, questions: Sequence[QuestionStats]) -> str:
    return json.dumps(survey_record(table, questions), ensure_ascii=False, indent=2)


def _pct_text(value: float | None) -> str:
    return "–" if value is None else f"{format_number_fr(value, 1)} %"


def to_table(table: SurveyTable, questions: Sequence[QuestionStats]) -> str:
    """Readable text for a terminal, in French."""
    span = table.date_span
    lines = [f"{table.file_name} — {table.title}",
             count_text(table.respondents, "répondant") + (f", du {span[0]:%d/%m/%Y} au {span[1]:%d/%m/%Y}" if span else
                                                    ", sans date de réponse"),
             f"feuille « {table.sheet} », en-tête ligne {table.header_row}"]
    meta = [c for c in table.columns if c.role != "question"]
    if meta:
        lines.append("métadonnées : " + " ; ".join(f"{c.header} ({ROLE_LABELS[c.role]})" for c in meta))
    for q in questions:
        lines.append("")
        lines.append(f"Q{q.position + 1} [{q.column}] {q.text}")
        lines.append(f"    type : {type_label(q.type_key)} · {count_text(q.answers, 'réponse')} sur {q.respondents}")
        if q.scale is not None:
            s = q.scale
            ci = s.ci_pct
            what = "part de « oui »" if q.type_key == "yes_no" else "satisfaction"
            lines.append(f"    {what} : {_pct_text(s.rate_pct)} ({s.satisfied} / {s.expressed} exprimées ; "
                         f"IC 95 % {_pct_text(ci[0]) if ci else '–'} – {_pct_text(ci[1]) if ci else '–'}) ; "
                         f"exclues : {s.excluded}" + (
                             " (" + ", ".join(f"{k} {v}" for k, v in s.excluded_detail.items()) + ")"
                             if s.excluded_detail else ""))
        if q.numbers is not None:
            n = q.numbers
            lines.append(f"    moyenne {format_number_fr(n.mean, 1)} · médiane {format_number_fr(n.median, 1)} · "
                         f"min {format_number_fr(n.minimum, 1)} · max {format_number_fr(n.maximum, 1)}")
        total = q.scale.expressed if q.scale is not None else q.answers
        levels = set(q.scale.scale.levels) if q.scale is not None else None
        for label, count in q.distribution:
            if levels is not None and label not in levels:
                share = "exclu"
            else:
                share = f"{format_number_fr(100 * count / total, 1)} %" if total else "–"
            lines.append(f"      {mask_personal_data(label)[:70]:<70} {count:>6}  {share:>8}")
        if q.type_key == "text":
            for comment in q.comments[:TABLE_COMMENTS]:
                lines.append(f"      « {mask_personal_data(comment)[:110]} »")
            if len(q.comments) > TABLE_COMMENTS:
                lines.append(f"      … et {count_text(len(q.comments) - TABLE_COMMENTS, 'autre commentaire', 'autres commentaires')}")
    return "\n".join(lines)
