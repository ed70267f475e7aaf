"""Training records: agents, the trainings they followed, tutoring agreements, and the rule.

The Qual-e-Pref rule (référentiel, as the Isère bilan 2022 restates it): an agent on a reception
post (physical, telephone, website and social networks, quality referent, fraud…) is trained
within one year of taking the post, then at least every four years; until the training, a
tutoring agreement may bridge the gap. :func:`training_compliance` applies it to one agent on
one day; everything else (tables, counts per role, « à former cette année ») is built on it.

Years are **calendar years**: a deadline falls on the same day and month N years later
(:func:`add_years`), 29 February giving 28 February in a common year. A deadline day is still
within time; the agent is late from the next day on.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from qep_core.db import session_scope
from qep_core.frenchforms import count_text, normalize, plural
from qep_core.importing.issues import ImportRejected, Issue, IssueLog, UnknownLabel
from qep_core.importing.protocol import settle_ledger, settled_summary
from qep_core.importing.workbook import SourceFile, open_source
from qep_core.mappings.labels import NO_MAPPINGS, ROLE, THEME, Mappings, load_mappings
from qep_core.models import ImportBatch, Prefecture
from qep_core.pilotage.actions import as_date, clean_text
from qep_core.pilotage.errors import PilotageError
from qep_core.pilotage.models import Agent, Training, Tutoring
from qep_core.pilotage.tables import (
    DateFormatError,
    Table,
    already_imported,
    cell_text,
    find_table,
    parse_date,
    record_import,
    write_sheet,
)
from qep_core.pilotage.vocabulary import A_FORMER, A_JOUR, COMPLIANCE, EN_RETARD, ROLES, choices, lookup
from qep_core.prefectures import PrefectureError

FIRST_TRAINING_YEARS = 1  # trained within one year of taking the post…
RENEWAL_YEARS = 4  # …then at least every four years
KIND_TRAININGS = "formations"


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day and month *years* later (29 February → 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Compliance:
    """Where one agent stands on *as_of* with respect to the training rule."""

    as_of: dt.date
    concerned: bool  # on the post that day
    status: str | None  # a_jour | a_former | en_retard; None when not concerned
    deadline: dt.date | None  # the day by which the (next) training is due
    last_training: dt.date | None  # the last training since taking the post, up to as_of
    tutored: bool  # a tutoring agreement runs that day

    @property
    def label(self) -> str:
        return COMPLIANCE.get(self.status or "", "hors obligation")

    @property
    def due_this_year(self) -> bool:
        """Must be trained during *as_of*'s calendar year: deadline passed or falling this year."""
        return self.concerned and self.deadline is not None and self.deadline.year <= self.as_of.year

    @property
    def untrained_without_tutor(self) -> bool:
        return self.status in (A_FORMER, EN_RETARD) and not self.tutored


def training_compliance(post_start: dt.date, training_dates: Iterable[dt.date], as_of: dt.date,
                        tutorings: Iterable[tuple[dt.date, dt.date | None]] = (),
                        post_end: dt.date | None = None) -> Compliance:
    """The rule, for one agent on *as_of* (a day, counted whole).

    * Not concerned before taking the post or after leaving it (*post_end* is the last day on it).
    * Trainings count from the post start up to *as_of*; earlier ones belong to another post,
      later ones have not happened yet.
    * Never trained on this post: due by ``post_start + 1 year``; « à former » up to and including
      that day, « en retard » after.
    * Trained: the next one is due by ``last training + 4 years``; « à jour » up to and including
      that day, « en retard » after.
    * *tutorings* are (start, end or None) agreements; one running on *as_of* marks the agent
      « sous tutorat » (it does not replace the training: a late agent stays late).
    """
    tutored = any(start <= as_of and (end is None or as_of <= end) for start, end in tutorings)
    if as_of < post_start or (post_end is not None and as_of > post_end):
        return Compliance(as_of, False, None, None, None, tutored)
    counted = [d for d in training_dates if post_start <= d <= as_of]
    if not counted:
        deadline = add_years(post_start, FIRST_TRAINING_YEARS)
        return Compliance(as_of, True, A_FORMER if as_of <= deadline else EN_RETARD, deadline, None, tutored)
    last = max(counted)
    deadline = add_years(last, RENEWAL_YEARS)
    return Compliance(as_of, True, A_JOUR if as_of <= deadline else EN_RETARD, deadline, last, tutored)


# ------------------------------------------------------------------ the préfecture's records


@dataclass
class AgentRecord:
    agent: Agent
    trainings: list[Training]
    tutorings: list[Tutoring]

    def compliance(self, as_of: dt.date) -> Compliance:
        return training_compliance(self.agent.post_start, [t.training_date for t in self.trainings], as_of,
                                   [(t.start, t.end) for t in self.tutorings], self.agent.post_end)

    def last_training(self, as_of: dt.date) -> Training | None:
        done = [t for t in self.trainings if self.agent.post_start <= t.training_date <= as_of]
        return max(done, key=lambda t: t.training_date) if done else None


def agent_records(session: Session, prefecture_id: int) -> list[AgentRecord]:
    agents = list(session.exec(select(Agent).where(Agent.prefecture_id == prefecture_id)
                               .order_by(col(Agent.name), col(Agent.id))))
    ids = [a.id for a in agents]
    trainings: dict[int, list[Training]] = {i or 0: [] for i in ids}
    tutorings: dict[int, list[Tutoring]] = {i or 0: [] for i in ids}
    if ids:
        for t in session.exec(select(Training).where(col(Training.agent_id).in_(ids)).order_by(col(Training.training_date))):
            trainings[t.agent_id].append(t)
        for tu in session.exec(select(Tutoring).where(col(Tutoring.agent_id).in_(ids)).order_by(col(Tutoring.start))):
            tutorings[tu.agent_id].append(tu)
    return [AgentRecord(a, trainings[a.id or 0], tutorings[a.id or 0]) for a in agents]


@dataclass(frozen=True)
class RoleCounts:
    """One line of the Isère-style table: agents concerned, to be trained this year, and where they stand."""

    role: str
    label: str
    concerned: int = 0
    due_this_year: int = 0
    a_jour: int = 0
    a_former: int = 0
    en_retard: int = 0
    tutored: int = 0  # untrained (à former or en retard) with a tutoring agreement running


def counts_per_role(records: Sequence[AgentRecord], as_of: dt.date) -> tuple[list[RoleCounts], RoleCounts]:
    """Per role (in the référentiel's order) and the total."""
    rows: dict[str, dict[str, int]] = {}
    for record in records:
        c = record.compliance(as_of)
        if not c.concerned:
            continue
        counts = rows.setdefault(record.agent.role, {"concerned": 0, "due_this_year": 0, A_JOUR: 0, A_FORMER: 0,
                                                     EN_RETARD: 0, "tutored": 0})
        counts["concerned"] += 1
        counts["due_this_year"] += c.due_this_year
        counts[c.status or A_JOUR] += 1
        counts["tutored"] += c.status in (A_FORMER, EN_RETARD) and c.tutored
    order = [r for r in ROLES if r in rows] + sorted(r for r in rows if r not in ROLES)
    out = [RoleCounts(r, ROLES.get(r, r), rows[r]["concerned"], rows[r]["due_this_year"], rows[r][A_JOUR],
                      rows[r][A_FORMER], rows[r][EN_RETARD], rows[r]["tutored"]) for r in order]
    total = RoleCounts("total", "Total", *(sum(getattr(r, f) for r in out) for f in
                                            ("concerned", "due_this_year", "a_jour", "a_former", "en_retard", "tutored")))
    return out, total


# ------------------------------------------------------------------ editing in the app


def _check_agent(name: str, role: str | None, start: dt.date | None, end: dt.date | None, label: str) -> list[str]:
    errors = []
    if not name:
        errors.append(f"{label} : le nom (ou le pseudonyme) de l'agent est obligatoire")
    elif len(name) > 200:
        errors.append(f"{label} : nom trop long (200 caractères au plus)")
    if not role:
        errors.append(f"{label} : le rôle est obligatoire ({choices('role')})")
    elif role not in ROLES:
        errors.append(f"{label} : rôle inconnu « {role} » (attendu : {choices('role')})")
    if start is None:
        errors.append(f"{label} : la date de prise de poste est obligatoire")
    if start and end and end < start:
        errors.append(f"{label} : la fin de poste ({end:%d/%m/%Y}) précède la prise de poste ({start:%d/%m/%Y})")
    return errors


def _too_long(text: str, most: int, what: str) -> str | None:
    return f"{what} trop long ({len(text)} caractères, {most} au plus)" if len(text) > most else None


def save_agents(session: Session, prefecture_id: int, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Apply the agents' grid (new rows, edits, « Supprimer » ticked); all checked before writing."""
    existing = {a.id: a for a in session.exec(select(Agent).where(Agent.prefecture_id == prefecture_id))}
    errors: list[str] = []
    updates, additions, deletions = [], [], []
    for line, raw in enumerate(rows, start=1):
        agent_id = raw.get("id")
        agent_id = None if agent_id is None or agent_id != agent_id else int(agent_id)
        name = clean_text(raw.get("name"))
        if agent_id is None and not name and raw.get("post_start") in (None, ""):
            continue
        if raw.get("delete") is True:
            if agent_id in existing:
                deletions.append(existing[agent_id])
            continue
        role = clean_text(raw.get("role")) or None
        role = role if role in ROLES or role is None else (lookup("role", role) or role)
        try:
            start, end = as_date(raw.get("post_start")), as_date(raw.get("post_end"))
        except ValueError as exc:
            errors.append(f"ligne {line} : {exc}")
            continue
        service = clean_text(raw.get("service"))
        errors += _check_agent(name, role, start, end, f"ligne {line}" + (f" ({name})" if name else ""))
        if message := _too_long(service, 200, f"ligne {line} : service"):
            errors.append(message)
        values = (name, service, role, start, end)
        if agent_id is None:
            additions.append(values)
        elif agent_id not in existing:
            errors.append(f"ligne {line} : agent inconnu (n° {agent_id}) ; rechargez la page")
        else:
            updates.append((existing[agent_id], values))
    final = [normalize(v[0]) for _, v in updates] + [normalize(v[0]) for v in additions]
    final += [normalize(a.name) for a in existing.values() if a not in deletions and a not in [u[0] for u in updates]]
    duplicates = sorted({n for n in final if n and final.count(n) > 1})
    if duplicates:
        errors.append("noms en double (majuscules et accents ne comptent pas) : " + ", ".join(duplicates))
    if errors:
        raise PilotageError(errors)
    done = []
    for agent in deletions:
        _delete_agent(session, agent)
    if deletions:
        done.append(f"{count_text(len(deletions), 'agent supprimé', 'agents supprimés')} avec leurs formations")
    changed = 0
    for agent, (name, service, role, start, end) in updates:
        assert role is not None and start is not None  # else _check_agent reported it, raised above
        if (agent.name, agent.service, agent.role, agent.post_start, agent.post_end) != (name, service, role, start, end):
            agent.name, agent.service, agent.role, agent.post_start, agent.post_end = name, service, role, start, end
            session.add(agent)
            changed += 1
    for name, service, role, start, end in additions:
        assert role is not None and start is not None  # else _check_agent reported it, raised above
        session.add(Agent(prefecture_id=prefecture_id, name=name, service=service, role=role, post_start=start,
                          post_end=end))
    session.flush()
    if additions:
        done.append(count_text(len(additions), "agent ajouté", "agents ajoutés"))
    if changed:
        done.append(count_text(changed, "agent modifié", "agents modifiés"))
    return done


def _delete_agent(session: Session, agent: Agent) -> None:
    session.exec(delete(Training).where(col(Training.agent_id) == agent.id))
    session.exec(delete(Tutoring).where(col(Tutoring.agent_id) == agent.id))
    session.delete(agent)
    session.flush()


def _own_agents(session: Session, prefecture_id: int, agent_ids: Iterable[int]) -> list[Agent]:
    ids = list(dict.fromkeys(agent_ids))
    agents = [a for a in session.exec(select(Agent).where(col(Agent.id).in_(ids))) if a.prefecture_id == prefecture_id]
    if len(agents) != len(ids):
        raise PilotageError("agent inconnu : rechargez la page")
    return agents


def record_training(session: Session, prefecture_id: int, agent_ids: Iterable[int], day: dt.date, title: str,
                    today: dt.date) -> int:
    """One session followed by several agents; an agent already recorded for it is skipped."""
    title = clean_text(title)
    errors = []
    if not title:
        errors.append("l'intitulé de la formation est obligatoire")
    elif message := _too_long(title, 300, "intitulé de la formation"):
        errors.append(message)
    if day > today:
        errors.append(f"la formation du {day:%d/%m/%Y} n'a pas encore eu lieu : seules les formations suivies "
                      "s'enregistrent")
    agents = _own_agents(session, prefecture_id, agent_ids)
    if not agents:
        errors.append("choisissez au moins un agent")
    if errors:
        raise PilotageError(errors)
    added = 0
    for agent in agents:
        known = session.exec(select(Training).where(Training.agent_id == agent.id, Training.training_date == day)).all()
        if any(normalize(t.title) == normalize(title) for t in known):
            continue
        session.add(Training(agent_id=agent.id or 0, training_date=day, title=title))
        added += 1
    session.flush()
    return added


def record_tutoring(session: Session, prefecture_id: int, agent_id: int, tutor: str, start: dt.date,
                    end: dt.date | None) -> Tutoring:
    errors = []
    if end is not None and end < start:
        errors.append(f"la fin du tutorat ({end:%d/%m/%Y}) précède son début ({start:%d/%m/%Y})")
    if not clean_text(tutor):
        errors.append("le nom du tuteur ou de la tutrice est obligatoire")
    elif message := _too_long(clean_text(tutor), 200, "nom du tuteur"):
        errors.append(message)
    agent = _own_agents(session, prefecture_id, [agent_id])[0]
    if errors:
        raise PilotageError(errors)
    row = Tutoring(agent_id=agent.id or 0, tutor=clean_text(tutor), start=start, end=end)
    session.add(row)
    session.flush()
    return row


# ------------------------------------------------------------------ files

AGENT_FIELDS = {
    "name": ("nom", "agent", "nom de l agent", "nom prenom", "prenom nom", "pseudonyme", "agents"),
    "service": ("service", "bureau", "direction", "affectation"),
    "role": ("role", "mission", "fonction", "theme", "themes", "poste"),
    "post_start": ("prise de poste", "date de prise de poste", "arrivee", "date d arrivee", "debut de poste",
                   "date de prise de fonction"),
    "post_end": ("fin de poste", "date de fin de poste", "depart", "date de depart", "sortie"),
    "last_date": ("date de la derniere formation", "derniere formation", "date de formation",
                  "formation suivie le"),
    "last_title": ("intitule de la formation", "intitule de la derniere formation", "formation suivie", "intitule"),
}
TRAINING_FIELDS = {
    "agent": ("agent", "nom", "nom de l agent", "pseudonyme"),
    "date": ("date", "date de la formation", "date de formation", "le"),
    "title": ("intitule", "formation", "intitule de la formation", "titre", "libelle"),
}
TUTORING_FIELDS = {
    "agent": ("agent", "tutore", "tutoree", "agent tutore", "nom"),
    "tutor": ("tuteur", "tutrice", "tuteur tutrice", "tuteur trice"),
    "start": ("debut", "date de debut", "debut du tutorat", "date de signature", "signee le", "du"),
    "end": ("fin", "date de fin", "fin du tutorat", "au"),
}
EXACT = frozenset({"nom", "agent", "agents", "date", "le", "du", "au", "fin", "debut", "role", "poste", "theme",
                   "formation", "intitule"})


@dataclass
class AgentDraft:
    row: int
    name: str
    service: str
    role: str
    post_start: dt.date
    post_end: dt.date | None
    existing: Agent | None = None


@dataclass
class TrainingsFilePlan:
    file_name: str
    sha256: str
    agents: list[AgentDraft] = field(default_factory=list)
    trainings: list[tuple[str, dt.date, str]] = field(default_factory=list)  # agent key, date, title
    tutorings: list[tuple[str, str, dt.date, dt.date | None]] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    already_imported: ImportBatch | None = None
    unknown: list[UnknownLabel] = field(default_factory=list)  # themes and roles nothing recognised
    today: dt.date | None = None  # the day the analysis took as today (no training after it)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def replacements(self) -> list[AgentDraft]:
        """The agents already known that the file updates."""
        return [a for a in self.agents if a.existing is not None]

    def summary(self) -> str:
        if (settled := settled_summary(self)) is not None:
            return settled
        new = sum(a.existing is None for a in self.agents)
        return (f"{self.file_name} : {count_text(len(self.agents), 'agent')} dont {new} {plural(new, 'nouveau', 'nouveaux')}, "
                f"{count_text(len(self.trainings), 'formation')}, {count_text(len(self.tutorings), 'tutorat')}"
                + (f" ; {count_text(len(self.warnings), 'avertissement')}" if self.warnings else ""))


def _date_cell(table: Table, cells: list[object], name: str, number: int, log: IssueLog) -> dt.date | None:
    try:
        return parse_date(table.get(cells, name))
    except DateFormatError as exc:
        log.error(str(exc), table.sheet, number, table.column(name))
        return None


def _read_agents(table: Table, plan: TrainingsFilePlan, today: dt.date, log: IssueLog,
                 mappings: Mappings = NO_MAPPINGS) -> None:
    seen: dict[str, int] = {}
    header = table.rows[table.header_row][table.fields["role"]] if "role" in table.fields else ""
    kind = THEME if normalize(header).startswith("theme") else ROLE
    for number, cells in table.body():
        name = cell_text(table.get(cells, "name"))
        if not name:
            log.error("nom de l'agent manquant", table.sheet, number, table.column("name"))
            continue
        role_text = cell_text(table.get(cells, "role"))
        # the préfecture's own words first (« CERT 38 (fraude) » → fraude), then the vocabulary
        role = (mappings.training_role(role_text, header) or lookup("role", role_text)) if role_text else None
        if role_text and role is None:
            what = "thème" if kind == THEME else "rôle"
            log.error(f"{what} inconnu « {role_text} » (attendu : {choices('role')} ; ou donnez-lui un sens une fois "
                      "pour toutes dans Paramètres › Correspondances)", table.sheet, number, table.column("role"))
            log.unknown_label(kind, role_text, table.sheet, number, table.column("role"))
            continue
        start = _date_cell(table, cells, "post_start", number, log)
        end = _date_cell(table, cells, "post_end", number, log) if "post_end" in table.fields else None
        problems = _check_agent(name, role, start, end, "")
        if message := _too_long(cell_text(table.get(cells, "service")), 200, " : service"):
            problems.append(message)
        for message in problems:
            log.error(message.removeprefix(" : "), table.sheet, number)
        if problems or start is None or role is None:
            continue
        if start > today:
            log.warn(f"{name} : prise de poste le {start:%d/%m/%Y}, à venir", table.sheet, number,
                     table.column("post_start"))
        key = normalize(name)
        if key in seen:
            log.error(f"{name} figure deux fois (lignes {seen[key]} et {number})", table.sheet, number)
            continue
        seen[key] = number
        plan.agents.append(AgentDraft(number, name, cell_text(table.get(cells, "service")), role, start, end))
        if "last_date" in table.fields:
            day = _date_cell(table, cells, "last_date", number, log)
            if day is not None:
                title = cell_text(table.get(cells, "last_title")) or "Formation à l'accueil"
                plan.trainings.append((key, day, title))


def _read_trainings(table: Table, plan: TrainingsFilePlan, log: IssueLog) -> None:
    for number, cells in table.body():
        name, title = cell_text(table.get(cells, "agent")), cell_text(table.get(cells, "title"))
        day = _date_cell(table, cells, "date", number, log)
        if not name:
            log.error("agent manquant", table.sheet, number, table.column("agent"))
        elif not title:
            log.error("intitulé de la formation manquant", table.sheet, number, table.column("title"))
        elif day is None and not cell_text(table.get(cells, "date")):
            log.error("date de la formation manquante", table.sheet, number, table.column("date"))
        elif message := _too_long(title, 300, "intitulé de la formation"):
            log.error(message, table.sheet, number, table.column("title"))
        elif day is not None:
            plan.trainings.append((normalize(name), day, title))


def _read_tutorings(table: Table, plan: TrainingsFilePlan, log: IssueLog) -> None:
    for number, cells in table.body():
        name, tutor = cell_text(table.get(cells, "agent")), cell_text(table.get(cells, "tutor"))
        start = _date_cell(table, cells, "start", number, log)
        end = _date_cell(table, cells, "end", number, log) if "end" in table.fields else None
        if not name:
            log.error("agent tutoré manquant", table.sheet, number, table.column("agent"))
        elif start is None:
            if not cell_text(table.get(cells, "start")):
                log.error("date de début du tutorat manquante", table.sheet, number, table.column("start"))
        elif end is not None and end < start:
            log.error(f"la fin du tutorat ({end:%d/%m/%Y}) précède son début ({start:%d/%m/%Y})", table.sheet, number)
        elif message := _too_long(tutor, 200, "nom du tuteur"):
            log.error(message, table.sheet, number, table.column("tutor"))
        else:
            plan.tutorings.append((normalize(name), tutor, start, end))


def analyze_trainings_file(session: Session, prefecture_id: int, file_name: str, data: bytes,
                           today: dt.date | None = None) -> TrainingsFilePlan:
    """Read a training-records workbook (sheets found by their headers: agents, trainings, tutoring)."""
    today = today or dt.date.today()
    try:
        source = open_source(file_name, data)
    except ImportRejected as exc:
        return TrainingsFilePlan(exc.file_name, "", errors=exc.errors)
    plan = TrainingsFilePlan(source.name, source.sha256)
    log = IssueLog()
    mappings = load_mappings(session, prefecture_id)
    try:
        found = False
        for sheet in source.sheet_names:
            if (t := find_table(source, sheet, AGENT_FIELDS, ("name", "post_start"), EXACT)) is not None:
                _read_agents(t, plan, today, log, mappings)
            elif (t := find_table(source, sheet, TUTORING_FIELDS, ("agent", "tutor", "start"), EXACT)) is not None:
                _read_tutorings(t, plan, log)
            elif (t := find_table(source, sheet, TRAINING_FIELDS, ("agent", "date", "title"), EXACT)) is not None:
                _read_trainings(t, plan, log)
            else:
                continue
            found = True
    except ImportRejected as exc:
        return TrainingsFilePlan(exc.file_name, source.sha256, errors=exc.errors)
    if not found:
        log.error("aucun tableau de formations reconnu : il faut une feuille d'agents (« Nom », « Rôle », « Prise de "
                  "poste »), et au besoin une feuille de formations (« Agent », « Date », « Intitulé ») et une de "
                  "tutorats (« Agent », « Tuteur », « Début »)")
    plan.today = today
    _check_agents(session, prefecture_id, plan, log)
    plan.errors, plan.warnings, plan.unknown = log.all_errors(), log.warnings, log.unknown_labels()
    if plan.ok:
        plan.already_imported = already_imported(session, prefecture_id, KIND_TRAININGS, source.sha256)
    return plan


def settle_trainings_plan(session: Session, prefecture_id: int, plan: TrainingsFilePlan) -> TrainingsFilePlan:
    """A plan analysed outside the write transaction, brought up to date in it: the ledger, and the
    agents matched again by name as they are now (one added or deleted meanwhile: a training of
    an agent no longer known is refused). The file is not read again; its warnings stay."""
    if settle_ledger(plan, already_imported(session, prefecture_id, KIND_TRAININGS, plan.sha256)):
        log = IssueLog()
        _check_agents(session, prefecture_id, plan, log)
        plan.errors = log.all_errors()
    return plan


def _check_agents(session: Session, prefecture_id: int, plan: TrainingsFilePlan, log: IssueLog) -> None:
    """Pair the file's agents with the stored ones (by name) and check its trainings and
    tutorings against them: an agent known to neither is an error."""
    today = plan.today or dt.date.today()
    existing = {normalize(a.name): a for a in session.exec(select(Agent).where(Agent.prefecture_id == prefecture_id))}
    in_file = {a.name and normalize(a.name) for a in plan.agents}
    for draft in plan.agents:
        draft.existing = existing.get(normalize(draft.name))
    starts = {normalize(a.name): a.post_start for a in plan.agents}
    starts.update({k: a.post_start for k, a in existing.items() if k not in starts})
    for key, day, title in plan.trainings:
        if key not in in_file and key not in existing:
            log.error(f"formation « {title[:50]} » : agent inconnu « {key} » (ajoutez-le à la feuille des agents)")
        elif day > today:
            log.error(f"formation « {title[:50]} » du {day:%d/%m/%Y} : date dans le futur (seules les formations "
                      "suivies s'enregistrent)")
        elif day < starts[key]:
            log.warn(f"formation « {title[:50]} » du {day:%d/%m/%Y} antérieure à la prise de poste de l'agent : elle ne "
                     "compte pas pour l'obligation de ce poste")
    for key, _tutor, _start, _end in plan.tutorings:
        if key not in in_file and key not in existing:
            log.error(f"tutorat : agent inconnu « {key} » (ajoutez-le à la feuille des agents)")


def save_trainings_plan(session: Session, prefecture_id: int, plan: TrainingsFilePlan,
                        user: str = "") -> ImportBatch:
    """Agents matched by name are updated, others added; trainings and tutorings already known
    (same agent, date and title; same agent, tutor and start) are not added twice. Returns the
    file's line in the import ledger."""
    record = record_import(session, prefecture_id, KIND_TRAININGS, SourceFile(plan.file_name, b"", plan.sha256, ""),
                           user, plan.summary(), plan.warnings,
                           rows=len(plan.agents) + len(plan.trainings) + len(plan.tutorings))
    agents = {normalize(a.name): a for a in session.exec(select(Agent).where(Agent.prefecture_id == prefecture_id))}
    for d in plan.agents:
        agent = d.existing or Agent(prefecture_id=prefecture_id, name=d.name, role=d.role, post_start=d.post_start)
        agent.name, agent.service, agent.role, agent.post_start, agent.post_end = (d.name, d.service, d.role,
                                                                                  d.post_start, d.post_end)
        session.add(agent)
        agents[normalize(d.name)] = agent
    session.flush()
    # what is already known, read once (a register of hundreds of agents would otherwise cost a query a line)
    records = {r.agent.id: r for r in agent_records(session, prefecture_id)}
    trainings = {(t.agent_id, t.training_date, normalize(t.title)) for r in records.values() for t in r.trainings}
    tutorings = {(t.agent_id, normalize(t.tutor), t.start): t for r in records.values() for t in r.tutorings}
    for key, day, title in plan.trainings:
        agent_id = agents[key].id or 0
        if (agent_id, day, normalize(title)) not in trainings:
            trainings.add((agent_id, day, normalize(title)))
            session.add(Training(agent_id=agent_id, training_date=day, title=title))
    for key, tutor, start, end in plan.tutorings:
        agent_id = agents[key].id or 0
        known = tutorings.get((agent_id, normalize(tutor), start))
        if known is not None:
            known.end = end
            session.add(known)
        else:
            tutorings[(agent_id, normalize(tutor), start)] = row = Tutoring(agent_id=agent_id, tutor=tutor, start=start,
                                                                            end=end)
            session.add(row)
    session.flush()
    return record


def import_trainings_file(engine: Engine, prefecture_id: int, file_name: str, data: bytes, user: str = "",
                          dry_run: bool = False, today: dt.date | None = None) -> TrainingsFilePlan:
    with session_scope(engine, write=not dry_run) as session:
        if session.get(Prefecture, prefecture_id) is None:
            raise PrefectureError(f"préfecture inconnue : {prefecture_id}")
        plan = analyze_trainings_file(session, prefecture_id, file_name, data, today)
        if not plan.ok:
            raise ImportRejected(plan.file_name, plan.errors)
        if not dry_run and plan.already_imported is None:
            save_trainings_plan(session, prefecture_id, plan, user)
        return plan


def export_trainings_xlsx(session: Session, prefecture_id: int, as_of: dt.date) -> bytes:
    """Agents (with their standing on *as_of*, for reading; ignored on re-import), trainings, tutorings."""
    records = agent_records(session, prefecture_id)
    wb = Workbook()
    wb.remove(wb.active)
    agent_rows = []
    for r in records:
        c = r.compliance(as_of)
        agent_rows.append([r.agent.name, r.agent.service, ROLES.get(r.agent.role, r.agent.role), r.agent.post_start,
                           r.agent.post_end, c.label, c.deadline, "oui" if c.tutored else ""])
    write_sheet(wb, "Agents", ["Nom", "Service", "Rôle", "Prise de poste", "Fin de poste",
                          f"Situation au {as_of:%d/%m/%Y}", "Formation due le", "Sous tutorat"],
           agent_rows, [28, 28, 30, 14, 14, 18, 16, 12])
    write_sheet(wb, "Formations", ["Agent", "Date", "Intitulé"],
           [[r.agent.name, t.training_date, t.title] for r in records for t in r.trainings], [28, 12, 60])
    write_sheet(wb, "Tutorats", ["Agent", "Tuteur", "Début", "Fin"],
           [[r.agent.name, t.tutor, t.start, t.end] for r in records for t in r.tutorings], [28, 28, 12, 12])
    rows, total = counts_per_role(records, as_of)
    write_sheet(wb, "Par rôle", ["Rôle", "Agents concernés", f"À former en {as_of.year}", "À jour", "À former", "En retard",
                            "Sous tutorat (non formés)"],
           [[c.label, c.concerned, c.due_this_year, c.a_jour, c.a_former, c.en_retard, c.tutored]
            for c in [*rows, total]], [30, 16, 16, 10, 10, 10, 22])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
