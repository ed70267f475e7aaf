"""Reading a survey export: one row per respondent, one column per question.

The files come from online form tools (CSV with ``,`` or ``;``, UTF-8 with or without BOM, or
Windows-1252 from Excel), from tablets in the reception hall and from Microsoft-style ``.xlsx``
exports, sometimes with a title line above the header. They are opened by the same guarded reader
as tracking sheets (:func:`qep_core.importing.workbook.open_source`: size limits, no macros, no XML
bombs) and rejected with French messages located like Excel does (sheet, row, column).

Columns are sorted into:

* **questions** (everything that is not metadata);
* **metadata** kept apart: the response time (``Horodateur``, ``Heure de fin``…), the respondent's id,
  the collection channel (``Mode de recueil`` : tablette, site internet…);
* **personal columns** (e-mail, name, phone, IP address, and any column whose answers are mostly
  e-mail addresses or phone numbers): their contents are **never kept**;
* technical columns of the tools (``Dernière page``, ``Langue``…), ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath

from qep_core.frenchforms import count_text, normalize, parse_month_header, plural
from qep_core.importing.issues import ERROR, ImportRejected, Issue, IssueLog, column_letter, rows_phrase
from qep_core.importing.workbook import HEAD_ROWS, SourceFile, open_source
from qep_core.privacy import mask_personal_data

TIMESTAMP_HEADERS = (  # best first: the moment the answers were submitted
    "date de soumission", "heure de fin", "completion time", "submitted at", "submission date", "date submitted",
    "horodateur", "horodatage", "timestamp", "date de reponse", "date de la reponse", "date d envoi",
    "date et heure", "date heure", "date de saisie", "date de completion", "date", "jour", "date de l enquete",
    "date du questionnaire", "date de passage", "date de visite", "date de l entretien", "created", "created at",
    "date de creation", "date de la derniere action", "date de lancement", "heure de debut", "start time",
    "end time",
)
ID_HEADERS = frozenset({
    "id", "identifiant", "id de la reponse", "id reponse", "n", "no", "numero", "n du questionnaire",
    "numero du questionnaire", "numero de questionnaire", "questionnaire", "n questionnaire", "response id",
    "respondent id", "id du repondant", "n de reponse", "numero de reponse", "reponse n", "token", "n d ordre",
})
CHANNEL_HEADERS = frozenset({
    "canal", "canal de reponse", "canal de recueil", "mode de recueil", "mode de reponse", "mode de collecte",
    "source", "support", "lieu", "collecteur", "origine", "point de collecte", "lieu de l enquete",
    "lieu de passage", "tablette", "borne", "lieu de recueil",
})
PERSONAL_HEADERS = frozenset({
    "adresse e mail", "adresse email", "adresse mail", "adresse de messagerie", "e mail", "email", "mail",
    "courriel", "adresse electronique", "adresse courriel", "votre e mail", "votre adresse e mail", "votre courriel",
    "nom", "prenom", "nom prenom", "prenom nom", "nom et prenom", "nom complet", "name", "full name", "votre nom",
    "telephone", "numero de telephone", "tel", "portable", "votre telephone", "adresse ip", "ip", "ip address",
    "adresse", "adresse postale", "nom de l agent", "enqueteur", "nom de l enqueteur", "evaluateur", "signature",
    "nom de la personne", "coordonnees", "vos coordonnees",
})
TECHNICAL_HEADERS = frozenset({
    "derniere page", "langue de depart", "langue", "tete de serie", "statut", "etat", "duree", "duree totale",
    "temps total", "heure de la derniere modification", "derniere modification", "date de derniere modification",
    "progression", "progress", "complet", "termine", "url", "referer", "url de reference", "user agent",
    "navigateur", "appareil", "device", "duree en secondes", "temps passe", "score total",
})

ROLE_LABELS = {"timestamp": "date de réponse", "date": "autre date", "id": "identifiant", "channel": "mode de recueil",
               "personal": "données personnelles (non conservées)", "technical": "colonne technique (ignorée)",
               "question": "question"}

_DATE_TEXT = re.compile(
    r"^\s*(?:(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})"
    r"|(?P<Y>\d{4})[/.\-](?P<M>\d{1,2})[/.\-](?P<D>\d{1,2}))"
    r"(?:[ T,]+(?:à\s*)?(?P<H>\d{1,2})[:h](?P<min>\d{2})?(?::(?P<s>\d{2}))?(?:[.,]\d+)?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
    r"\s*(?:(?:UTC|GMT|Z)\s*(?:[+\-]\d{1,2}(?::?\d{2})?)?|[+\-]\d{2}:?\d{2})?\s*$"
)
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


@dataclass
class Column:
    index: int
    header: str
    role: str

    @property
    def letter(self) -> str:
        return column_letter(self.index)

    @property
    def located(self) -> str:
        return f"{self.letter} ({self.header})" if self.header else self.letter


@dataclass
class QuestionData:
    position: int
    column: str  # letter
    text: str
    answers: list[str]  # one per respondent, "" for no answer


@dataclass
class SurveyTable:
    """A survey file, read: its questions and answers, with the metadata kept apart."""

    file_name: str
    sha256: str
    sheet: str
    header_row: int  # 1-based
    title: str
    columns: list[Column]
    questions: list[QuestionData]
    rows: list[int]  # file row (1-based) of each respondent
    submitted: list[dt.datetime | None]
    respondent_refs: list[str | None]
    collection: list[str | None]
    skipped_rows: int = 0
    warnings: list[Issue] = field(default_factory=list)

    @property
    def respondents(self) -> int:
        return len(self.rows)

    @property
    def dated(self) -> list[dt.datetime]:
        return [d for d in self.submitted if d is not None]

    @property
    def date_span(self) -> tuple[dt.date, dt.date] | None:
        dates = self.dated
        if not dates:
            return None
        return min(dates).date(), max(dates).date()

    @property
    def all_dated(self) -> bool:
        return bool(self.rows) and all(d is not None for d in self.submitted)

    def columns_with(self, role: str) -> list[Column]:
        return [c for c in self.columns if c.role == role]


def cell_text(value: object) -> str:
    """A cell as the answer text users see: whole numbers without ``.0``, decimal comma, dates in
    French order, TRUE/FALSE as Oui/Non."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, float):
        if value != value:
            return ""
        return str(int(value)) if value.is_integer() else repr(value).replace(".", ",")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M") if (value.hour or value.minute) else value.strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    if "  " in text or "\t" in text or "\u00a0" in text:
        text = re.sub(r"[ \t\u00a0]+", " ", text)
    return text.strip()


def parse_timestamp(value: object) -> dt.datetime | None:
    """A response time from what tools write; None for an empty cell; ValueError when unreadable.

    ``2023/05/12 10:15:32 UTC+2`` (online forms), ``12/05/2023 10:15``, ``2023-05-12T10:15:32``,
    Excel dates (cells or serial numbers). The time zone is dropped: the date is what counts.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20_000 <= float(value) <= 80_000:  # an Excel serial date (1954–2119)
            return EXCEL_EPOCH + dt.timedelta(days=float(value))
        raise ValueError(f"« {cell_text(value)} » n'est pas une date")
    text = str(value).strip()
    m = _DATE_TEXT.match(text)
    if not m:
        raise ValueError(f"« {text} » n'est pas une date")
    if m.group("Y"):
        year, month, day = int(m.group("Y")), int(m.group("M")), int(m.group("D"))
    else:
        year, month, day = int(m.group("y")), int(m.group("m")), int(m.group("d"))
        year = year + 2000 if year < 100 else year
    hour = int(m.group("H") or 0)
    minute = int(m.group("min") or 0)
    second = int(m.group("s") or 0)
    ampm = (m.group("ampm") or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise ValueError(f"date impossible « {text} »") from exc


def _text_cells(row: list[object]) -> int:
    return sum(1 for c in row if isinstance(c, str) and c.strip() and not _looks_numeric(c))


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"\s*[-+]?\d+(?:[.,]\d+)?\s*%?\s*", text))


def find_header(head: list[list[object]]) -> int | None:
    """The header row: the row with the most text cells among the first ones (a title line above
    it has one or two), provided it has at least two — or one, in a file of a single column."""
    widest = max((sum(1 for c in row if cell_text(c)) for row in head), default=0)
    best, best_count = None, 1 if widest >= 2 else 0
    for i, row in enumerate(head):
        count = _text_cells(row)
        if count > best_count:
            best, best_count = i, count
    return best


def _role(header: str, answers: list[str]) -> str:
    form = normalize(header)
    if form in PERSONAL_HEADERS:
        return "personal"
    if form in TECHNICAL_HEADERS:
        return "technical"
    if form in ID_HEADERS:
        return "id"
    if form in CHANNEL_HEADERS:
        return "channel"
    if form in TIMESTAMP_HEADERS or form.startswith(("horodat", "date de soumission", "heure de fin")):
        return "date"
    filled = Counter(a for a in answers if a)  # each distinct answer is looked at once
    contacts = sum(n for a, n in filled.items() if _is_contact(a))
    if filled and contacts >= max(1, (filled.total() + 1) // 2):
        return "personal"  # « laissez votre e-mail si vous souhaitez être recontacté »
    return "question"


_CONTACT_HINT = re.compile(r"@|\d{2}\D?\d{2}\D?\d{2}|\b(?:m|mme|mlle|monsieur|madame|mademoiselle|dr)\b",
                           re.IGNORECASE)


def _is_contact(answer: str) -> bool:
    """An answer that is nothing but contact details (an e-mail address, a phone number…)."""
    if len(answer) > 120 or not _CONTACT_HINT.search(answer):
        return False
    masked = mask_personal_data(answer)
    if masked == answer:
        return False
    rest = re.sub(r"\[[^\]]*\]", "", masked)
    return len(re.sub(r"[\W\d_]", "", rest)) < 4


def _pick_timestamp(columns: list[Column]) -> Column | None:
    dated = [c for c in columns if c.role == "date"]
    if not dated:
        return None
    rank = {h: i for i, h in enumerate(TIMESTAMP_HEADERS)}
    return min(dated, key=lambda c: (rank.get(normalize(c.header), len(rank)), c.index))


def _month_headers(row: list[object]) -> int:
    return sum(1 for c in row if isinstance(c, str) and c.strip() and parse_month_header(c) is not None)


def _table_from_rows(source: SourceFile, sheet: str, rows: list[list[object]], log: IssueLog) -> SurveyTable | None:
    head = rows[:HEAD_ROWS]
    header_idx = find_header(head)
    if header_idx is None:
        log.error("en-tête introuvable : aucune ligne ne porte les intitulés des questions (au moins deux colonnes de "
                  "texte)", sheet)
        return None
    header_cells = rows[header_idx]
    if _month_headers(header_cells) >= 3:
        log.error("ce fichier ressemble à un tableau de suivi (des mois en colonnes), pas à un export d'enquête : "
                  "importez-le depuis la page Import", sheet, header_idx + 1)
        return None
    title_rows = [" — ".join(cell_text(c) for c in r if cell_text(c)) for r in rows[:header_idx]]
    title = next((t for t in title_rows if t), "")  # the first line above the header; an export date follows
    body = rows[header_idx + 1:]
    width = max((len(r) for r in rows), default=0)
    body = [list(r) + [""] * (width - len(r)) for r in body]
    header_cells = list(header_cells) + [""] * (width - len(header_cells))
    texts = [[cell_text(c) for c in r] for r in body]
    keep = [i for i, r in enumerate(texts) if any(r)]
    columns: list[Column] = []
    for j in range(width):
        header = cell_text(header_cells[j])
        answers = [texts[i][j] for i in keep]
        if not header and not any(answers):
            continue
        columns.append(Column(j, header or f"Colonne {column_letter(j)}", _role(header, answers)))
    seen: dict[str, int] = {}
    for c in columns:  # two columns with the same header are two questions: number the second
        key = normalize(c.header)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1 and c.role == "question":
            c.header = f"{c.header} ({seen[key]})"
    stamp = _pick_timestamp(columns)
    if stamp is not None:
        stamp.role = "timestamp"
    questions_cols = [c for c in columns if c.role == "question"]
    if not questions_cols:
        log.error("aucune question : toutes les colonnes sont des métadonnées (date, identifiant…) ou des "
                  "coordonnées personnelles", sheet, header_idx + 1)
        return None
    answered = [i for i in keep if any(texts[i][c.index] for c in questions_cols)]
    skipped = len(keep) - len(answered)
    if not answered:
        log.error("aucune réponse : le fichier ne contient que l'en-tête (ou des lignes sans aucune réponse)", sheet,
                  header_idx + 1)
        return None
    submitted: list[dt.datetime | None] = []
    if stamp is not None:
        bad: list[int] = []
        for i in answered:
            raw = body[i][stamp.index]
            try:
                submitted.append(parse_timestamp(raw))
            except ValueError as exc:
                submitted.append(None)
                if not bad:
                    log.error(f"date illisible : {exc} (attendu p. ex. 12/05/2023 ou 2023-05-12 10:15)", sheet,
                              header_idx + 2 + i, stamp.located)
                bad.append(header_idx + 2 + i)
        if len(bad) > 1:
            log.error(f"{len(bad)} dates illisibles dans la colonne {stamp.located} : {rows_phrase(bad)}", sheet)
        missing = [header_idx + 2 + i for i, d in zip(answered, submitted, strict=True) if d is None]
        if missing and not bad:
            log.warn(f"{count_text(len(missing), 'réponse')} sans date ({rows_phrase(missing)}) : "
                     f"{plural(len(missing), 'elle compte', 'elles comptent')} dans l'enquête, "
                     "mais les taux ne peuvent pas être répartis par mois", sheet, None, stamp.located)
    else:
        submitted = [None] * len(answered)
    id_col = next((c for c in columns if c.role == "id"), None)
    refs: list[str | None] = [texts[i][id_col.index] or None for i in answered] if id_col else [None] * len(answered)
    if id_col is not None:
        counts: dict[str, list[int]] = {}
        for i, ref in zip(answered, refs, strict=True):
            if ref:
                counts.setdefault(ref, []).append(header_idx + 2 + i)
        doubles = {ref: where for ref, where in counts.items() if len(where) > 1}
        if doubles:
            ref, where = next(iter(doubles.items()))
            log.warn(f"{count_text(len(doubles), 'identifiant')} en double, p. ex. « {ref} » ({rows_phrase(where)}) : le fichier "
                     "réunit peut-être deux exports ; chaque ligne compte comme un répondant", sheet, None,
                     id_col.located)
    channel_col = next((c for c in columns if c.role == "channel"), None)
    collection: list[str | None] = [texts[i][channel_col.index] or None for i in answered] if channel_col else [None] * len(answered)
    questions = [QuestionData(pos, c.letter, c.header, [texts[i][c.index] for i in answered])
                 for pos, c in enumerate(questions_cols)]
    personal = [c.header for c in columns if c.role == "personal"]
    if personal:
        log.warn(plural(len(personal), "colonne de données personnelles non conservée",
                        "colonnes de données personnelles non conservées") + " : " + ", ".join(f"« {h} »" for h in personal),
                 sheet)
    if skipped:
        log.warn(f"{count_text(skipped, 'ligne')} sans aucune réponse aux questions {plural(skipped, 'ignorée', 'ignorées')}", sheet)
    return SurveyTable(source.name, source.sha256, sheet, header_idx + 1, title, columns, questions,
                       [header_idx + 2 + i for i in answered], submitted, refs, collection, skipped)


def read_survey(file_name: str, data: bytes, sheet: str | None = None) -> SurveyTable:
    """Read a survey export; raises :class:`ImportRejected` (French messages) when it cannot be used.

    With several sheets, the first one that holds a survey is read (or *sheet* when given).
    """
    source = open_source(file_name, data)
    names = source.sheet_names
    if sheet is not None:
        if sheet not in names:
            raise ImportRejected(source.name, [Issue(ERROR, f"feuille « {sheet} » introuvable (feuilles : "
                                                            + ", ".join(f"« {n} »" for n in names) + ")")])
        names = [sheet]
    first_errors: list[Issue] | None = None
    for name in names:
        log = IssueLog()
        table = _table_from_rows(source, name, source.rows(name), log)
        if table is not None and log.ok:
            table.warnings = log.warnings
            others = [n for n in source.sheet_names if n != name]
            if others and sheet is None:
                table.warnings.append(Issue("avertissement", "autres feuilles non lues : "
                                            + ", ".join(f"« {n} »" for n in others)))
            if not table.title:
                table.title = PurePath(source.name).stem.replace("_", " ").replace("-", " ")
            return table
        if first_errors is None:
            first_errors = log.all_errors()
    raise ImportRejected(source.name, first_errors or [Issue(ERROR, "aucune enquête reconnue dans ce fichier")])
