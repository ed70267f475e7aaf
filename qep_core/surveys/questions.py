"""What kind of question a column holds, read from its answers (and its wording when needed).

Survey tools export answers as the labels respondents clicked: « Très satisfait », « Plutôt
d'accord », « 8 », « Carte grise;Permis de conduire; ». A question's type decides how it is
counted, so it is detected from every answer, shown to the user, and can be corrected:

* **scales**, ordered from best to worst: satisfaction (4 or 5 levels), agreement (4 or 5), graded
  yes/no (« Oui, tout à fait » … « Non, pas du tout »), ease, marks from 1 to 5 and from 0 to 10;
* **yes / no**; **single choice**; **multiple choice** (options separated by ``;``, ``|`` or ``,``);
* **numbers**; **free text**.

Answers such as « Sans avis », « Ne sait pas », « Non concerné » are recognised on every scale and
yes/no question: they are counted, but apart from the answers that make a rate (DOMAIN.md).

Type keys are plain strings stored with the question: ``scale:satisfaction4``, ``yes_no``,
``single``, ``multiple``, ``number``, ``text``, ``empty``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from qep_core.frenchforms import ValueFormatError, count_text, normalize
from qep_core.frenchforms import parse_number as parse_fr

SEPARATORS = (";", "|", ",")
BLANK = "sans réponse"

_ENUM_PREFIX = re.compile(r"^\s*(?:\(?\d{1,2}\)?\s*[-=:.)]\s+|[a-e]\s*[-=:.)]\s+)(?=\D)")
_ENUM_SUFFIX = re.compile(r"\s*\(\d{1,2}\)\s*$")
_GENDER = re.compile(r"\b(satisfait|insatisfait|concerne|mecontent|content)(?:e|es|s)\b")
_MARK_RE = re.compile(r"^\s*(\d{1,2})(?:[.,]0+)?\s*(?:(?:/|sur)\s*(5|10))?\s*(?:points?|etoiles?|étoiles?|★+)?\s*$",
                      re.IGNORECASE)


def canon(text: object) -> str:
    """The form answers are compared on: no accents, case, punctuation, numbering or gender.

    ``"4 - Très satisfaite"``, ``"Très satisfait (4)"`` and ``"TRES SATISFAIT"`` are the same answer.
    """
    raw = str(text or "")
    raw = _ENUM_SUFFIX.sub("", _ENUM_PREFIX.sub("", raw))
    return _GENDER.sub(r"\1", normalize(raw))




@dataclass(frozen=True)
class Scale:
    """An ordered scale, best level first; the first ``positive`` levels count as satisfied."""

    key: str
    label: str
    levels: tuple[str, ...]
    aliases: tuple[tuple[str, ...], ...]  # canonical forms accepted for each level
    positive: int
    numeric: bool = False

    @property
    def type_key(self) -> str:
        return f"scale:{self.key}"

    def level_of(self, answer: str) -> int | None:
        """Index of the level an answer stands for (0 = best), None when it is not on the scale."""
        form = canon(answer)
        if self.numeric:
            mark = parse_mark(answer)
            if mark is None:
                return None
            top = int(self.levels[0])
            bottom = int(self.levels[-1])
            if mark != int(mark) or not bottom <= mark <= top:
                return None
            return top - int(mark)
        for i, names in enumerate(self.aliases):
            if form in names:
                return i
        return None

    @property
    def positive_text(self) -> str:
        """Which answers make the satisfaction rate, in words for the page and the README."""
        if self.numeric:
            return f"notes de {self.levels[self.positive - 1]} à {self.levels[0]}"
        return " + ".join(f"« {lvl} »" for lvl in self.levels[: self.positive])


def _forms(*texts: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(canon(t) for t in texts))


SCALES: tuple[Scale, ...] = (
    Scale("satisfaction4", "échelle de satisfaction (4 niveaux)",
          ("Très satisfait", "Satisfait", "Peu satisfait", "Pas du tout satisfait"),
          (_forms("très satisfait", "tout à fait satisfait", "extrêmement satisfait"),
           _forms("satisfait", "plutôt satisfait", "assez satisfait"),
           _forms("peu satisfait", "plutôt pas satisfait", "plutôt insatisfait", "insatisfait", "pas satisfait",
                  "pas très satisfait", "mécontent"),
           _forms("pas du tout satisfait", "très insatisfait", "très mécontent", "pas satisfait du tout")),
          positive=2),
    Scale("satisfaction5", "échelle de satisfaction (5 niveaux)",
          ("Très satisfait", "Satisfait", "Ni satisfait ni insatisfait", "Insatisfait", "Très insatisfait"),
          (_forms("très satisfait", "tout à fait satisfait", "extrêmement satisfait"),
           _forms("satisfait", "plutôt satisfait", "assez satisfait"),
           _forms("ni satisfait ni insatisfait", "moyennement satisfait", "neutre", "mitigé", "ni l'un ni l'autre",
                  "moyen"),
           _forms("insatisfait", "peu satisfait", "plutôt insatisfait", "plutôt pas satisfait", "pas satisfait",
                  "mécontent"),
           _forms("très insatisfait", "pas du tout satisfait", "très mécontent", "pas satisfait du tout")),
          positive=2),
    Scale("accord4", "échelle d'accord (4 niveaux)",
          ("Tout à fait d'accord", "Plutôt d'accord", "Plutôt pas d'accord", "Pas du tout d'accord"),
          (_forms("tout à fait d'accord", "totalement d'accord", "entièrement d'accord"),
           _forms("plutôt d'accord", "d'accord", "assez d'accord"),
           _forms("plutôt pas d'accord", "pas vraiment d'accord", "plutôt en désaccord", "pas d'accord",
                  "en désaccord"),
           _forms("pas du tout d'accord", "tout à fait en désaccord", "totalement en désaccord",
                  "pas d'accord du tout")),
          positive=2),
    Scale("accord5", "échelle d'accord (5 niveaux)",
          ("Tout à fait d'accord", "Plutôt d'accord", "Ni d'accord ni pas d'accord", "Plutôt pas d'accord",
           "Pas du tout d'accord"),
          (_forms("tout à fait d'accord", "totalement d'accord", "entièrement d'accord"),
           _forms("plutôt d'accord", "d'accord", "assez d'accord"),
           _forms("ni d'accord ni pas d'accord", "ni d'accord ni en désaccord", "neutre", "mitigé"),
           _forms("plutôt pas d'accord", "pas vraiment d'accord", "plutôt en désaccord", "pas d'accord",
                  "en désaccord"),
           _forms("pas du tout d'accord", "tout à fait en désaccord", "totalement en désaccord",
                  "pas d'accord du tout")),
          positive=2),
    Scale("ouinon4", "oui / non gradué (4 niveaux)",
          ("Oui, tout à fait", "Oui, plutôt", "Non, plutôt pas", "Non, pas du tout"),
          (_forms("oui, tout à fait", "tout à fait", "oui tout à fait", "oui, totalement"),
           _forms("oui, plutôt", "plutôt oui", "oui plutôt"),
           _forms("non, plutôt pas", "plutôt non", "plutôt pas", "non plutôt pas"),
           _forms("non, pas du tout", "pas du tout", "non pas du tout")),
          positive=2),
    Scale("facilite4", "échelle de facilité (4 niveaux)",
          ("Très facile", "Facile", "Difficile", "Très difficile"),
          (_forms("très facile"), _forms("facile", "plutôt facile", "assez facile"),
           _forms("difficile", "plutôt difficile", "assez difficile", "peu facile"), _forms("très difficile")),
          positive=2),
    Scale("note5", "note de 1 à 5", ("5", "4", "3", "2", "1"), (), positive=2, numeric=True),
    Scale("note10", "note de 0 à 10", tuple(str(n) for n in range(10, -1, -1)), (), positive=4, numeric=True),
)
SCALE_BY_KEY = {s.key: s for s in SCALES}

# Answers that are given but not counted in a rate (DOMAIN.md): canonical form → shown label
EXCLUDED_ANSWERS: dict[str, str] = {}
for _label, _variants in {
    "sans avis": ("sans avis", "pas d'avis", "aucun avis", "sans opinion", "ne se prononce pas", "je ne me prononce pas",
                  "sans avis / ne sait pas", "ne sait pas / sans avis", "nsp / sans avis", "sans avis / nsp"),
    "ne sait pas": ("ne sait pas", "je ne sais pas", "ne sais pas", "nsp", "ne sait pas/ne se prononce pas", "nsp/nsp"),
    "non concerné": ("non concerné", "pas concerné", "je ne suis pas concerné", "non applicable", "pas applicable",
                     "sans objet", "n/a", "na", "n.a.", "non concerné(e)", "je ne suis pas concernée"),
}.items():
    for _v in _variants:
        EXCLUDED_ANSWERS.setdefault(normalize(_v), _label)
EXCLUDED_LABELS = ("sans avis", "ne sait pas", "non concerné")

YES_FORMS = frozenset({"oui", "o", "yes", "y", "vrai"})
NO_FORMS = frozenset({"non", "n", "no", "faux"})

TYPE_LABELS: dict[str, str] = {
    **{s.type_key: s.label for s in SCALES},
    "yes_no": "oui / non",
    "single": "choix unique",
    "multiple": "choix multiples",
    "number": "nombre",
    "text": "texte libre",
    "empty": "aucune réponse",
}
CATEGORICAL_TYPES = ("yes_no", "single")  # may serve as the rows of a cross-tab, with the scales

_MARK_HINT = re.compile(r"\bnote\b|\bnotez\b|\bnoter\b|\bevaluez\b|\bevaluer\b|\bechelle\b|\bsatisf|\brecommand"
                        r"|\bsur (?:5|10)\b|\bde [01] a (?:5|10)\b")
_TEXT_HINT = re.compile(r"\bcommentaire|\bremarque|\bsuggestion|\bobservation|\bprecise|\bpourquoi\b|\bexpliqu"
                        r"|\bameliorer|\bamelioration|\bautre chose\b|\bmessage\b|\bverbatim\b|\bvos attentes\b"
                        r"|\bqu avez vous\b|\bque pourrions\b|\bque pourrait\b|\blibre\b")
_PROFILE_HINT = re.compile(r"\bage\b|\bages\b|\btranche\b|\bvous etes\b|\bprofil\b|\bmotif\b|\bobjet de votre\b"
                           r"|\bobjet de la\b|\braison\b|\braisons\b|\bdemarche\b|\bdemarches\b|\bcategorie\b"
                           r"|\bsituation\b|\bstatut\b|\bsexe\b|\bgenre\b|\bcommune\b|\bfrequence\b|\bcombien de fois\b"
                           r"|\bpremiere fois\b|\bvenez vous\b|\bvenu\b|\bvenue\b|\bpourquoi avez vous\b")
_OVERALL_HINT = re.compile(r"\bglobalement\b|\bdans l ensemble\b|\bglobale?\b|\bde maniere generale\b"
                           r"|\ben general\b|\bau global\b|\bsatisfaction generale\b|\bvotre satisfaction\b"
                           r"|\bdans sa globalite\b|\bau total\b")
def is_blank(text: object) -> bool:
    return text is None or not str(text).strip()


def excluded_label(text: str) -> str | None:
    """« sans avis », « ne sait pas » or « non concerné » when the answer is one of those."""
    return EXCLUDED_ANSWERS.get(normalize(text)) or EXCLUDED_ANSWERS.get(canon(text))


def parse_mark(text: object) -> float | None:
    """``8``, ``8/10``, ``4 sur 5``, ``4,0``: the mark; None otherwise."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    m = _MARK_RE.match(str(text or ""))
    return float(m.group(1)) if m else None


def parse_number(text: object) -> float | None:
    """A plain number (``12``, ``3,5``, ``1 200``), None for anything else."""
    try:
        parsed = parse_fr(str(text))
    except ValueFormatError:
        return None
    return None if parsed is None else parsed.value


def yes_no(text: str) -> str | None:
    """« oui » / « non » when the answer is one, else None."""
    form = canon(text)
    if form in YES_FORMS:
        return "oui"
    if form in NO_FORMS:
        return "non"
    return None


def split_multiple(text: str, separator: str) -> list[str]:
    """The options ticked in one answer (Microsoft Forms ends the list with a separator)."""
    return [part.strip() for part in str(text).split(separator) if part.strip()]


def scale_of(type_key: str) -> Scale | None:
    return SCALE_BY_KEY.get(type_key.removeprefix("scale:")) if type_key.startswith("scale:") else None


def type_label(type_key: str) -> str:
    return TYPE_LABELS.get(type_key, type_key)


@dataclass(frozen=True)
class Detection:
    type_key: str
    separator: str | None = None
    profile: bool = False


def _fits_scale(scale: Scale, answers: Sequence[str]) -> bool:
    counted = [a for a in answers if excluded_label(a) is None]
    return bool(counted) and all(scale.level_of(a) is not None for a in counted)


def _numeric_scale(header: str, answers: Sequence[str]) -> Scale | None:
    """A mark scale when every answer is a whole mark and the question says it is a mark (or the
    answers carry their scale, ``8/10``). A bare count of 1 to 5 visits stays a number."""
    counted = [a for a in answers if excluded_label(a) is None]
    marks = [parse_mark(a) for a in counted]
    if not counted or any(m is None or m != int(m) for m in marks):
        return None
    written = {int(m.group(2)) for a in counted if (m := _MARK_RE.match(a)) and m.group(2)}
    hinted = bool(_MARK_HINT.search(normalize(header))) or "/10" in header.replace(" ", "") or "/5" in header.replace(" ", "")
    if not written and not hinted:
        return None
    checked = [m for m in marks if m is not None]  # all of them: a None returned above
    low, high = min(checked), max(checked)
    if written == {5} or (not written and 1 <= low and high <= 5 and "10" not in normalize(header)):
        return SCALE_BY_KEY["note5"] if low >= 1 and high <= 5 else None
    if 0 <= low and high <= 10:
        return SCALE_BY_KEY["note10"]
    return None


def _multiple_separator(answers: Sequence[str], answered: int | None = None) -> str | None:
    """The separator of a multiple-choice question: some options appear both alone (or with
    others) and in combinations. A lone label with a comma (« Oui, tout à fait ») never splits.
    *answers* may be the distinct answers; *answered* is then how many there were in all."""
    distinct = set(answers)
    answered = len(answers) if answered is None else answered
    for sep in SEPARATORS:
        with_sep = [a for a in distinct if sep in a.strip().rstrip(sep)]
        if not with_sep:
            continue
        parts_per_answer = [split_multiple(a, sep) for a in distinct]
        seen_in = Counter(p for parts in parts_per_answer for p in set(parts))
        tokens = list(seen_in)
        if not tokens or max(len(t) for t in tokens) > 80:
            continue
        shared = [t for t in tokens if seen_in[t] >= 2]
        if not shared:
            continue
        if len(tokens) > max(12, answered // 2):
            continue
        occurrences = sum(seen_in.values())
        if sum(seen_in[t] for t in shared) / occurrences < 0.6:
            continue
        return sep
    return None


def _is_free_text(header: str, counts: Counter[str]) -> bool:
    total = counts.total()
    distinct = len(counts)
    mean_length = sum(len(a) * n for a, n in counts.items()) / total
    hinted = bool(_TEXT_HINT.search(normalize(header)))
    if hinted:  # « Commentaires » is free text unless its answers repeat like a short list of choices
        looks_like_choices = distinct <= 3 and min(counts.values()) >= 2 and max(len(a) for a in counts) < 25
        return not looks_like_choices
    if distinct > 20 and distinct > 0.5 * total:
        return True
    if mean_length >= 40 and distinct > 0.6 * total:
        return True
    return total >= 3 and distinct == total and mean_length >= 25


def detect_type(header: str, answers: Sequence[str]) -> Detection:
    """The type of a question from its non-blank answers (and, for marks and text, its wording).

    Every check runs on the distinct answers: a 20 000-respondent export has a handful per question.
    """
    counts = Counter(str(a).strip() for a in answers if not is_blank(a))
    if not counts:
        return Detection("empty")
    distinct = list(counts)
    for scale in SCALES:
        if not scale.numeric and _fits_scale(scale, distinct):
            return Detection(scale.type_key)
    numeric = _numeric_scale(header, distinct)
    if numeric is not None:
        return Detection(numeric.type_key)
    counted = [a for a in distinct if excluded_label(a) is None]
    if counted and all(yes_no(a) is not None for a in counted):
        return Detection("yes_no", profile=bool(_PROFILE_HINT.search(normalize(header))))
    if all(parse_number(a) is not None for a in distinct):
        return Detection("number")
    separator = _multiple_separator(distinct, counts.total())
    if separator is not None:
        return Detection("multiple", separator=separator)
    if _is_free_text(header, counts):
        return Detection("text")
    return Detection("single", profile=bool(_PROFILE_HINT.search(normalize(header))))


def type_problem(type_key: str, answers: Sequence[str], header: str = "") -> str | None:
    """Why the answers cannot be read as *type_key* (French), or None when they can."""
    answers = list(dict.fromkeys(str(a).strip() for a in answers if not is_blank(a)))
    if type_key not in TYPE_LABELS:
        return f"type inconnu : {type_key}"
    scale = scale_of(type_key)
    if scale is not None:
        off = sorted({a for a in answers if excluded_label(a) is None and scale.level_of(a) is None})
        if off:
            shown = ", ".join(f"« {a} »" for a in off[:4]) + ("…" if len(off) > 4 else "")
            return f"{count_text(len(off), 'réponse')} hors de l'{scale.label} : {shown}"
        if not answers:
            return "aucune réponse"
        return None
    if type_key == "yes_no":
        off = sorted({a for a in answers if excluded_label(a) is None and yes_no(a) is None})
        if off:
            return "réponses autres que oui / non : " + ", ".join(f"« {a} »" for a in off[:4])
        return None
    if type_key == "number":
        off = sorted({a for a in answers if parse_number(a) is None})
        if off:
            return "réponses qui ne sont pas des nombres : " + ", ".join(f"« {a} »" for a in off[:4])
        return None
    if type_key == "multiple" and _any_separator(answers) is None:
        return "aucune réponse ne contient plusieurs choix (séparés par « ; », « | » ou « , »)"
    if type_key == "empty" and answers:
        return "la question a des réponses"
    return None


def _any_separator(answers: Sequence[str]) -> str | None:
    found = _multiple_separator(answers)
    if found:
        return found
    for sep in SEPARATORS:
        if any(sep in a for a in answers):
            return sep
    return None


def separator_for(type_key: str, answers: Sequence[str]) -> str | None:
    """The separator to store with a question corrected to multiple choice."""
    if type_key != "multiple":
        return None
    return _any_separator(list(dict.fromkeys(str(a).strip() for a in answers if not is_blank(a))))


def compatible_types(header: str, answers: Sequence[str]) -> list[str]:
    """Types the user may choose for this question: those its answers can be read as."""
    distinct = list(dict.fromkeys(answers))
    return [key for key in TYPE_LABELS if type_problem(key, distinct, header) is None]


def is_overall_question(header: str) -> bool:
    """Wording of an overall satisfaction question (« Globalement, êtes-vous satisfait… »)."""
    return bool(_OVERALL_HINT.search(normalize(header)))
