"""Counting answers: distributions, satisfaction rate with its 95 % interval, the change against
last year, cross-tabs.

**Satisfaction rate** (DOMAIN.md): the respondents on the positive levels of the scale (« Très
satisfait » + « Satisfait » / « Plutôt satisfait », the two best levels of any verbal scale, marks 4-5
on 1-5, marks 7-10 on 0-10) divided by the answers *expressed*: blanks and « sans avis », « ne sait
pas », « non concerné » are left out of both counts and reported beside the rate as ``excluded``.

**Interval**: Wilson's score interval at 95 %. Samples are small (44 respondents for a phone
survey) and rates sit near 100 % (99,6 % at a digital help point): the textbook interval
p ± 1,96·√(p(1-p)/n) then overshoots 100 % or collapses to zero width, Wilson's does not and
keeps close to its nominal 95 % coverage down to a few dozen answers.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

from qep_core.surveys.questions import (
    BLANK,
    EXCLUDED_LABELS,
    Scale,
    canon,
    excluded_label,
    is_blank,
    parse_number,
    scale_of,
    split_multiple,
    yes_no,
)

Z95 = NormalDist().inv_cdf(0.975)  # 1.959963984540054
YES_NO_SCALE = Scale("oui_non", "oui / non", ("Oui", "Non"), (("oui",), ("non",)), positive=1)


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson's score interval for a proportion (as fractions), None without any answer.

    centre = (p + z²/2n) / (1 + z²/n), half-width = z·√(p(1-p)/n + z²/4n²) / (1 + z²/n).
    """
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} succès pour {n} réponses")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exactly 0 (or 1): no rounding residue
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class RateComparison:
    """This year's rate against last year's, in percentage points, with a 95 % interval."""

    current: float  # %
    previous: float  # %
    difference: float  # points
    low: float  # points
    high: float  # points

    @property
    def significant(self) -> bool:
        """True when the interval of the difference leaves out zero: more than sampling noise."""
        return self.low > 0 or self.high < 0

    def text(self) -> str:
        sign = "+" if self.difference >= 0 else "−"
        amount = f"{sign}{abs(self.difference):.1f} pt".replace(".", ",")
        margin = f"de {self.low:+.1f} à {self.high:+.1f} pt".replace(".", ",").replace("-", "−")
        if self.significant:
            what = "hausse" if self.difference > 0 else "baisse"
            return f"{amount} : {what} significative (écart à 95 % {margin})"
        return f"{amount} : dans la marge d'erreur (écart à 95 % {margin}), pas d'évolution démontrée"

    @property
    def short_text(self) -> str:
        """« +4,2 pt, hausse significative » / « +1,0 pt, dans la marge d'erreur »: the change as a
        reader takes it in; :meth:`text` gives its interval."""
        sign = "+" if self.difference >= 0 else "−"
        amount = f"{sign}{abs(self.difference):.1f} pt".replace(".", ",")
        if self.significant:
            return f"{amount}, {'hausse' if self.difference > 0 else 'baisse'} significative"
        return f"{amount}, dans la marge d'erreur"


def compare_rates(satisfied: int, expressed: int, previous_satisfied: int, previous_expressed: int,
                  z: float = Z95) -> RateComparison | None:
    """Is the change from last year's rate larger than the noise of two small samples?

    Test used: Newcombe's hybrid score interval for the difference of two independent proportions
    (Newcombe 1998, method 10), at 95 %; the change counts when that interval excludes zero.

    Why this one: it is built from the two Wilson intervals shown beside each rate, so the page never
    says "significant" while showing overlapping reasoning of another kind; it keeps close to 95 %
    coverage with a few dozen answers and with rates near 100 % (where the usual two-proportion
    z-test is too liberal, and where an exact test would need a dependency and says nothing about
    the size of the change); and it gives the change with its margin (« +12 pt, de +3 à +20 »), which
    is what a users' committee can read. The two years are different respondents: independent
    samples.
    """
    if expressed <= 0 or previous_expressed <= 0:
        return None
    p1, p2 = satisfied / expressed, previous_satisfied / previous_expressed
    l1, u1 = wilson_interval(satisfied, expressed, z)  # type: ignore[misc]  # expressed > 0: an interval, never None
    l2, u2 = wilson_interval(previous_satisfied, previous_expressed, z)  # type: ignore[misc]  # previous_expressed > 0: an interval, never None
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return RateComparison(100 * p1, 100 * p2, 100 * d, 100 * low, 100 * high)


@dataclass
class ScaleStats:
    """A scale (or yes/no) question counted: levels best → worst, what was left out, the rate."""

    scale: Scale
    counts: list[int]
    excluded_detail: dict[str, int]  # « sans réponse », « sans avis », « ne sait pas », « non concerné »

    @property
    def expressed(self) -> int:
        return sum(self.counts)

    @property
    def satisfied(self) -> int:
        return sum(self.counts[: self.scale.positive])

    @property
    def excluded(self) -> int:
        return sum(self.excluded_detail.values())

    @property
    def rate(self) -> float | None:
        """Satisfied / expressed, as a fraction."""
        return self.satisfied / self.expressed if self.expressed else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.satisfied, self.expressed)

    @property
    def rate_pct(self) -> float | None:
        return None if self.rate is None else 100 * self.rate

    @property
    def ci_pct(self) -> tuple[float, float] | None:
        ci = self.interval
        return None if ci is None else (100 * ci[0], 100 * ci[1])


def scale_stats(scale: Scale, answers: Sequence[str]) -> ScaleStats:
    """Count the answers of a scale question (an answer off the scale is an error upstream).

    Each distinct answer is classified once (a big survey has thousands of identical answers).
    """
    counts = [0] * len(scale.levels)
    excluded = {BLANK: 0, **{label: 0 for label in EXCLUDED_LABELS}}
    for answer, n in Counter(answers).items():
        if is_blank(answer):
            excluded[BLANK] += n
            continue
        left_out = excluded_label(answer)
        if left_out is not None:
            excluded[left_out] += n
            continue
        if scale.key == YES_NO_SCALE.key:
            level = {"oui": 0, "non": 1}.get(yes_no(answer) or "")
        else:
            level = scale.level_of(answer)
        if level is None:
            raise ValueError(f"réponse hors échelle : « {answer} »")
        counts[level] += n
    return ScaleStats(scale, counts, {k: v for k, v in excluded.items() if v})


@dataclass
class NumberStats:
    count: int
    mean: float
    median: float
    minimum: float
    maximum: float


@dataclass
class QuestionStats:
    """One question counted, whatever its type."""

    position: int
    column: str
    text: str
    type_key: str
    respondents: int
    answers: int  # non-blank answers
    distribution: list[tuple[str, int]] = field(default_factory=list)  # label → count, in display order
    scale: ScaleStats | None = None
    numbers: NumberStats | None = None
    comments: list[str] = field(default_factory=list)  # free text, raw (mask before showing!)

    @property
    def is_scale(self) -> bool:
        return self.type_key.startswith("scale:")


_FIRST_NUMBER = re.compile(r"\d+")


def ordinal_key(label: str) -> tuple[int, int] | None:
    """Where a numbered answer stands among its siblings: « Moins de 25 ans » (25, 0) before
    « 25 à 34 ans » (25, 1) before « 65 ans et plus » (65, 2); None for an answer without a number."""
    found = _FIRST_NUMBER.search(label)
    if found is None:
        return None
    text, raw = canon(label), label.strip()
    if text.startswith(("moins", "avant", "jusqu")) or raw.startswith(("<", "≤")):
        return int(found.group()), 0
    if "plus" in text or text.startswith("apres") or raw.startswith((">", "≥")) or raw.endswith("+"):
        return int(found.group()), 2
    return int(found.group()), 1


def _grouped(values: Counter[str] | Sequence[str]) -> list[tuple[str, int]]:
    """Choices grouped whatever their case or accents (first spelling shown): in their natural order
    when every one holds a number (age bands, waiting times: « Moins de 25 ans » first, never by
    frequency or alphabet), most frequent first otherwise."""
    label_of: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for value, n in (values if isinstance(values, Counter) else Counter(values)).items():
        key = canon(value) or value
        label_of.setdefault(key, value)
        counts[key] += n
    items = [(label_of[k], n) for k, n in counts.items()]
    ranks = {label: ordinal_key(label) for label, _ in items}
    if len(items) > 1 and all(rank is not None for rank in ranks.values()):
        return sorted(items, key=lambda item: (ranks[item[0]], canon(item[0])))
    return sorted(items, key=lambda item: (-item[1], canon(item[0])))


def question_stats(position: int, column: str, text: str, type_key: str, answers: Sequence[str],
                   separator: str | None = None) -> QuestionStats:
    """Count one question's answers according to its type."""
    filled = Counter(str(a).strip() for a in answers if not is_blank(a))
    out = QuestionStats(position, column, text, type_key, len(answers), filled.total())
    scale = scale_of(type_key)
    if scale is not None or type_key == "yes_no":
        stats = scale_stats(scale or YES_NO_SCALE, answers)
        out.scale = stats
        out.distribution = [*zip(stats.scale.levels, stats.counts, strict=True),
                            *[(label.capitalize(), n) for label, n in stats.excluded_detail.items() if label != BLANK]]
    elif type_key == "multiple":
        sep = separator or ";"
        options: Counter[str] = Counter()
        for answer, n in filled.items():
            for option in dict.fromkeys(split_multiple(answer, sep)):  # an option ticked twice counts once
                options[option] += n
        out.distribution = _grouped(options)
    elif type_key == "number":
        values: list[float] = []
        for answer, n in filled.items():
            number = parse_number(answer)
            if number is not None:
                values.extend([number] * n)
        if values:
            out.numbers = NumberStats(len(values), statistics.fmean(values), statistics.median(values),
                                      min(values), max(values))
            distinct = Counter(values)
            if len(distinct) <= 15:
                out.distribution = [(_number_label(v), distinct[v]) for v in sorted(distinct)]
    elif type_key == "text":
        out.comments = [str(a).strip() for a in answers if not is_blank(a)]
    elif type_key == "single":
        out.distribution = _grouped(filled)
    return out


def _number_label(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value}".replace(".", ",")


@dataclass
class CrossTab:
    """A question broken down by a profile question: one row per profile answer."""

    question: str
    by: str
    columns: list[str]  # levels or options of the question
    rows: list[str]  # answers of the profile question (then « Ensemble »)
    counts: list[list[int]]
    respondents: list[int]  # who answered the question, per row (multiple choice: may tick several)
    scales: list[ScaleStats | None]  # per row, for a scale question


def _categories(type_key: str, answers: Sequence[str]) -> list[str]:
    """The answer of each respondent to a profile question, as a category label ("" when blank)."""
    scale = scale_of(type_key)
    out = []
    label_of: dict[str, str] = {}
    seen: dict[str, str] = {}
    for a in answers:
        if a in seen:  # each distinct answer is classified once
            out.append(seen[a])
            continue
        start = len(out)
        _classify_category(a, scale, type_key, label_of, out)
        seen[a] = out[start]
    return out


def _classify_category(a: str, scale: Scale | None, type_key: str, label_of: dict[str, str], out: list[str]) -> None:
    """Append the category label of one answer to *out* ("" when blank)."""
    if is_blank(a):
        out.append("")
        return
    if scale is not None:
        level = scale.level_of(a)
        out.append(scale.levels[level] if level is not None else (excluded_label(a) or a))
        return
    if type_key == "yes_no":
        out.append((yes_no(a) or excluded_label(a) or a).capitalize())
        return
    key = canon(a) or a
    out.append(label_of.setdefault(key, a.strip()))


def cross_tab(question_text: str, type_key: str, answers: Sequence[str], by_text: str, by_type: str,
              by_answers: Sequence[str], separator: str | None = None) -> CrossTab:
    """Distribution of a question for each answer of a profile question (age band, reason for visit…).

    Respondents who did not answer the profile question are left out of its rows but kept in
    « Ensemble ». For a scale, each row also has its satisfaction rate and interval.
    """
    if len(answers) != len(by_answers):
        raise ValueError("les deux questions n'ont pas le même nombre de répondants")
    overall = question_stats(0, "", question_text, type_key, answers, separator)
    columns = [label for label, _ in overall.distribution]
    if type_key == "number" and overall.numbers is not None and not columns:
        raise ValueError("question numérique trop dispersée pour un tableau croisé")
    categories = _categories(by_type, by_answers)
    order = [label for label, _ in _grouped([c for c in categories if c])]
    scale = scale_of(by_type)
    if scale is not None or by_type == "yes_no":
        ranked = list((scale or YES_NO_SCALE).levels)
        order = sorted(order, key=lambda c: ranked.index(c) if c in ranked else len(ranked))
    rows, counts, respondents, scales = [], [], [], []
    for label in [*order, "Ensemble"]:
        chosen = [a for a, c in zip(answers, categories, strict=True) if label == "Ensemble" or c == label]
        stats = question_stats(0, "", question_text, type_key, chosen, separator)
        by_label = dict(stats.distribution)
        rows.append(label)
        counts.append([by_label.get(col, 0) for col in columns])
        respondents.append(stats.scale.expressed if stats.scale is not None else stats.answers)
        scales.append(stats.scale)
    return CrossTab(question_text, by_text, columns, rows, counts, respondents, scales)
