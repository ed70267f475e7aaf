"""Alerts: what an import makes cross, said once, and told once to the addresses subscribed.

Why here and not in a page: the Import page, the Saisie page and ``python -m qep_core import`` all
save through :func:`qep_core.services.imports.save_upload`; the rules below run inside that one
write transaction, so an alert exists exactly when the values that raised it are stored.

What crosses, for each indicator × month whose préfecture-level value the import changed (all
périmètres, weighted as :mod:`qep_core.compute` weighs them):

* « seuil » — the month is on the bad side of the alert threshold in force that year (the
  préfecture's or the référentiel's) while the previous month with a value was not, or there is
  none;
* « cible » — the same with the target (only when the threshold did not cross that month: the
  threshold lies beyond the target, so its alert says more); no target (« pas d'objectif »), no
  alert;
* « spc » — the control chart over the 24 months before and the month (:func:`qep_core.spc.
  chart_for_kind`, limits started again at each process change of :class:`Event`) flags the month
  a « préoccupation » while the same chart one month earlier did not flag its last month so: a
  new special cause, not every month of a long one.

The previous month is read against the month's own target and threshold: a crossing is a value
that moved across the line in force now.

An alert's key (``seuil:CODE:2024-06``) is unique in its préfecture: the same file imported
again, or a corrected file for the same month, raises nothing new.

E-mails: each subscriber gets one message per batch listing that batch's alerts it subscribed
to, under the key ``lot:BATCH:address`` of :func:`qep_core.mail.send_once` — never twice. They
leave after the import's transaction is committed (:func:`send_pending`), each in its own
savepoint: a server down or refusing leaves the import saved, the alerts recorded, and the
unsent messages without a :class:`SentMail` line, to be sent again later (``alerts send``).
A subscriber is told only of alerts raised after it subscribed. Alert e-mails carry figures,
indicator labels and months only: no file name, no user, no item.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from qep_core.compute import latest_month_with_data, monthly_values
from qep_core.frenchforms import MONTH_NAMES_FR, count_text, month_label_fr
from qep_core.mail import Mail, MailError, mail_configured, send_once, sent_before
from qep_core.models import PARIS, Module, Observation, ObservationHistory, Prefecture, local_time
from qep_core.periods import Period, add_months
from qep_core.referentiel import IndicatorDef, TargetBook, TargetRule, indicators_for
from qep_core.rules.formatting import format_value
from qep_core.rules.kinds import Direction
from qep_core.rules.signals import PREOCCUPATION
from qep_core.signals.events import process_changes
from qep_core.signals.models import Alert, AlertSubscription
from qep_core.spc import SpcChart, chart_for_kind
from qep_core.spc_series import SPC_WINDOW_MONTHS  # the tiles' and the review's window: they must agree

__all__ = ["CIBLE", "KIND_LABELS", "SEUIL", "SPC", "SPC_WINDOW_MONTHS", "AlertLine", "AlertReport", "Crossing",
           "MailReport", "alert_key", "alert_lines", "alerts_for_batch", "changed_months", "detect", "is_bad",
           "list_alerts", "mail_for", "matching", "raise_alerts", "recent_months", "send_pending", "spc_concern",
           "threshold_crossing"]

SEUIL, CIBLE, SPC = "seuil", "cible", "spc"
#: The kinds as the pages, the e-mails and the command line name them.
KIND_LABELS = {SEUIL: "seuil d'alerte franchi", CIBLE: "cible manquée", SPC: "préoccupation (carte de contrôle)"}
MAIL_KIND = "alerte"
MAX_SUBJECT_LABELS = 3
_EPS = 1e-9


@dataclass(frozen=True)
class Crossing:
    """One crossing before it is stored: what, which month, the figures its sentence quotes."""

    kind: str
    code: str
    month: dt.date
    value: float
    limit: float | None = None  # the threshold or the target crossed
    previous_month: dt.date | None = None
    previous_value: float | None = None
    detail: str = ""  # for a control chart: the signals that flagged the month


def alert_key(kind: str, code: str, month: dt.date) -> str:
    return f"{kind}:{code}:{month:%Y-%m}"


def is_bad(value: float, limit: float, direction: str) -> bool:
    """*value* on the wrong side of *limit* (below it for a rate to reach, above it for a delay)."""
    if Direction(direction) is Direction.HIGHER_IS_BETTER:
        return value < limit - _EPS
    return value > limit + _EPS


def threshold_crossing(code: str, month: dt.date, value: float, rule: TargetRule,
                       previous: tuple[dt.date, float] | None) -> Crossing | None:
    """« seuil » or « cible » when *value* crossed that line since the previous month with a value
    (both read against *rule*, the month's); None otherwise. At most one: the threshold first."""
    for kind, limit in ((SEUIL, rule.alert), (CIBLE, rule.value)):
        if limit is None or not is_bad(value, limit, rule.direction):
            continue
        if previous is not None and is_bad(previous[1], limit, rule.direction):
            return None  # already on the bad side of this line (and so of the target too)
        return Crossing(kind, code, month, value, limit, *(previous or (None, None)))
    return None


def spc_concern(ind: IndicatorDef, frame: pd.DataFrame, month: dt.date,
                process_changes: Sequence[dt.date] = ()) -> Crossing | None:
    """« spc » when the chart of the window ending at *month* calls it a « préoccupation » and the
    chart ending at the previous month with a value did not call that month so. *frame* is
    :func:`qep_core.compute.monthly_values`'s (month, numerator, denominator, value, target)."""
    return _KnownMonths.of(frame).concern(ind, month, process_changes, {})


@dataclass(frozen=True)
class _KnownMonths:
    """One indicator's months with a value, oldest first, as plain lists: detection reads a window
    per month changed (a 72-month file: 72 windows), and slicing lists is what keeps that cheap
    inside the import's transaction (pandas masks cost ten times the charts themselves)."""

    months: list[dt.date]
    numerators: list[float]
    denominators: list[float | None]
    values: list[float]
    targets: list[float | None]

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _KnownMonths:
        known = frame.loc[frame["value"].notna()]
        return cls(list(known["month"]), [float(x) for x in known["numerator"]],
                   [None if pd.isna(x) else float(x) for x in known["denominator"]],
                   [float(x) for x in known["value"]],
                   [None if x is None or pd.isna(x) else float(x) for x in known["target"]])

    def index_of(self, month: dt.date) -> int | None:
        i = bisect.bisect_left(self.months, month)
        return i if i < len(self.months) and self.months[i] == month else None

    def previous(self, month: dt.date) -> tuple[dt.date, float] | None:
        """The latest month with a value before *month*, and that value."""
        i = bisect.bisect_left(self.months, month)
        return (self.months[i - 1], self.values[i - 1]) if i else None

    def chart(self, ind: IndicatorDef, last: int, process_changes: Sequence[dt.date],
              charts: dict[int, SpcChart]) -> SpcChart:
        """The chart of the window (:func:`qep_core.spc_series.spc_window`) ending at month index
        *last*, against that month's target; kept in *charts* (the next month's « before »)."""
        if last not in charts:
            first = bisect.bisect_right(self.months, add_months(self.months[last], -SPC_WINDOW_MONTHS))
            window = slice(first, last + 1)
            charts[last] = chart_for_kind(ind.kind, self.months[window], self.numerators[window],
                                          self.denominators[window], ind.direction, self.targets[last],
                                          list(process_changes))
        return charts[last]

    def concern(self, ind: IndicatorDef, month: dt.date, process_changes: Sequence[dt.date],
                charts: dict[int, SpcChart]) -> Crossing | None:
        """:func:`spc_concern` over these months, the charts shared through *charts*."""
        i = self.index_of(month)
        if i is None:
            return None
        last = self.chart(ind, i, process_changes, charts).points[-1]
        if last.variation != PREOCCUPATION:
            return None
        if i and self.chart(ind, i - 1, process_changes, charts).points[-1].variation == PREOCCUPATION:
            return None
        limits = "" if last.lower is None or last.upper is None else \
            f" ; limites {format_value(last.lower, ind.unit)} – {format_value(last.upper, ind.unit)}"
        return Crossing(SPC, ind.code, month, last.value, detail=" ; ".join(last.signals) + limits)


def sentence(ind: IndicatorDef, crossing: Crossing) -> str:
    """The alert's French sentence: « Taux … — juin 2024 : 84,2 %, sous le seuil d'alerte de 85,0 %
    (mai : 88,0 %). »"""
    head = f"{ind.label} — {month_label_fr(crossing.month)} : {format_value(crossing.value, ind.unit)}"
    if crossing.kind == SPC:
        return f"{head}, signal de préoccupation sur la carte de contrôle ({crossing.detail})."
    higher = Direction(ind.direction) is Direction.HIGHER_IS_BETTER
    line = {(True, SEUIL): "sous le seuil d'alerte", (True, CIBLE): "sous la cible",
            (False, SEUIL): "au-dessus du seuil d'alerte", (False, CIBLE): "au-dessus de la cible"}[higher, crossing.kind]
    what = f"{line} de {format_value(crossing.limit, ind.unit)}"
    before = ""
    if crossing.previous_month is not None:
        shown = month_label_fr(crossing.previous_month)
        if crossing.previous_month.year == crossing.month.year:
            shown = MONTH_NAMES_FR[crossing.previous_month.month - 1]
        before = f" ({shown} : {format_value(crossing.previous_value, ind.unit)})"
    return f"{head}, {what}{before}."


# ------------------------------------------------------------------------------------------------ detection


def changed_months(session: Session, batch_id: int) -> dict[int, set[dt.date]]:
    """Indicator id → the months whose monthly values *batch_id* brought or changed (a value it
    brought again unchanged is not a change)."""
    stored = session.exec(select(Observation.indicator_id, Observation.perimetre_id, col(Observation.period_start))
                          .where(Observation.batch_id == batch_id,
                                 Observation.period_start == Observation.period_end))
    same = {(int(i), int(p), _date(s)) for i, p, s in session.exec(
        select(ObservationHistory.indicator_id, ObservationHistory.perimetre_id,
               col(ObservationHistory.period_start))
        .where(ObservationHistory.replaced_by_batch_id == batch_id, col(ObservationHistory.changed).is_(False)))}
    out: dict[int, set[dt.date]] = {}
    for indicator_id, perimetre_id, start in stored:
        key = (int(indicator_id), int(perimetre_id), _date(start))
        if key not in same:
            out.setdefault(key[0], set()).add(key[2])
    return out


def recent_months(session: Session, prefecture_id: int, months: int = 12) -> dict[int, set[dt.date]]:
    """Indicator id → its months with monthly values among the last *months* up to the latest
    month with data: what a recalculation (the demo's load) looks at."""
    latest = latest_month_with_data(session, prefecture_id)
    if latest is None:
        return {}
    rows = session.exec(select(Observation.indicator_id, col(Observation.period_start)).where(
        Observation.prefecture_id == prefecture_id, Observation.period_start == Observation.period_end,
        col(Observation.period_start) > add_months(latest, -months), col(Observation.period_start) <= latest).distinct())
    out: dict[int, set[dt.date]] = {}
    for indicator_id, start in rows:
        out.setdefault(int(indicator_id), set()).add(_date(start))
    return out


def _date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def detect(session: Session, prefecture_id: int, months: dict[int, set[dt.date]]) -> list[tuple[IndicatorDef, Crossing]]:
    """Every crossing of the indicator × months given, at the préfecture level, oldest first."""
    indicators = {d.id: d for d in indicators_for(session, prefecture_id)}
    changed = [indicators[i] for i in months if i in indicators]
    book = TargetBook(session, prefecture_id, changed)
    changes = process_changes(session, prefecture_id, None)  # préfecture-wide ones: figures read for all
    found: list[tuple[IndicatorDef, Crossing]] = []
    for indicator_id, wanted in months.items():
        ind = indicators.get(indicator_id)
        if ind is None or not wanted:
            continue
        first, last = min(wanted), max(wanted)
        frame = monthly_values(session, prefecture_id, ind, Period(add_months(first, -SPC_WINDOW_MONTHS - 1), last,
                                                                     "range"))
        known, charts = _KnownMonths.of(frame), dict[int, SpcChart]()
        for month in sorted(wanted):
            i = known.index_of(month)
            if i is None:
                continue
            line = threshold_crossing(ind.code, month, known.values[i], book.rule(ind.code, month.year),
                                      known.previous(month))
            found += [(ind, c) for c in (line, known.concern(ind, month, changes[ind.code], charts)) if c is not None]
    return sorted(found, key=lambda pair: (pair[1].month, pair[0].position, pair[0].code, pair[1].kind))


def raise_alerts(session: Session, prefecture_id: int, months: dict[int, set[dt.date]],
                 batch_id: int | None = None) -> list[Alert]:
    """Store the crossings of *months* not stored before (the key decides); the new alerts."""
    found = detect(session, prefecture_id, months)
    if not found:
        return []
    keys = [alert_key(c.kind, c.code, c.month) for _, c in found]
    existing = set(session.exec(select(Alert.key).where(Alert.prefecture_id == prefecture_id,
                                                        col(Alert.key).in_(keys))))
    new: list[Alert] = []
    for (ind, crossing), key in zip(found, keys, strict=True):
        if key in existing:
            continue
        alert = Alert(prefecture_id=prefecture_id, key=key, indicator_code=ind.code, month=crossing.month,
                      kind=crossing.kind, message=sentence(ind, crossing), batch_id=batch_id)
        try:
            with session.begin_nested():  # another import raising the same key meanwhile: keep its line
                session.add(alert)
                session.flush()
        except IntegrityError:
            continue
        existing.add(key)
        new.append(alert)
    return new


def alerts_for_batch(session: Session, prefecture_id: int, batch_id: int) -> list[Alert]:
    """What :func:`raise_alerts` stored for a batch, oldest month first."""
    return list(session.exec(select(Alert).where(Alert.prefecture_id == prefecture_id, Alert.batch_id == batch_id)
                             .order_by(col(Alert.month), col(Alert.id))))


def list_alerts(session: Session, prefecture_id: int, since: dt.date | None = None, kinds: Iterable[str] | None = None,
                limit: int = 500) -> list[Alert]:
    """The préfecture's alerts, newest first (raised, then month)."""
    stmt = select(Alert).where(Alert.prefecture_id == prefecture_id)
    if since is not None:
        stmt = stmt.where(Alert.created_at >= dt.datetime.combine(since, dt.time(), tzinfo=PARIS))
    if kinds is not None:
        stmt = stmt.where(col(Alert.kind).in_(list(kinds)))
    return list(session.exec(stmt.order_by(col(Alert.created_at).desc(), col(Alert.month).desc(), col(Alert.id).desc())
                             .limit(limit)))


# ------------------------------------------------------------------------------------------------ e-mail


@dataclass
class MailReport:
    """What became of the e-mails of some alerts: sent, left for later (with why), or mail off."""

    configured: bool = True
    sent: list[str] = field(default_factory=list)  # addresses
    unsent: list[str] = field(default_factory=list)
    error: str = ""

    def text(self) -> str:
        """One French sentence for the page and the command line."""
        if not self.configured and (self.unsent or not self.sent):
            return "Courriels désactivés : aucun serveur de courriel n'est configuré (QEP_SMTP_HOST)."
        parts = []
        if self.sent:
            parts.append(count_text(len(self.sent), "courriel d'alerte envoyé", "courriels d'alerte envoyés"))
        if self.unsent:
            parts.append(f"{count_text(len(self.unsent), 'courriel non envoyé', 'courriels non envoyés')} : "
                         f"{self.error} Ils pourront être renvoyés (page Signaux ou « alerts send »).")
        return " ; ".join(parts) if parts else "Aucun courriel d'alerte à envoyer."


@dataclass(frozen=True)
class AlertLine:
    """One alert as pages, e-mails and the command line show it (the row outlives its session)."""

    id: int
    indicator_code: str
    label: str
    module_code: str
    month: dt.date
    kind: str
    message: str
    created_at: dt.datetime  # Paris time
    batch_id: int | None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


def alert_lines(session: Session, prefecture_id: int, alerts: Iterable[Alert]) -> list[AlertLine]:
    """*alerts* with their indicators' labels and modules (an indicator since removed: its code)."""
    defs = {d.code: d for d in indicators_for(session, prefecture_id)}
    out = []
    for a in alerts:
        ind = defs.get(a.indicator_code)
        out.append(AlertLine(a.id or 0, a.indicator_code, ind.label if ind else a.indicator_code,
                             ind.module_code if ind else "", a.month, a.kind, a.message, local_time(a.created_at),
                             a.batch_id))
    return out


@dataclass(frozen=True)
class AlertReport:
    """The alerts a save raised and what became of their e-mails. *hidden* counts the alerts left
    out of *alerts* for a principal limited to its périmètres (they are préfecture-wide figures)."""

    alerts: tuple[AlertLine, ...] = ()
    mail: MailReport = field(default_factory=MailReport)
    hidden: int = 0

    @property
    def count(self) -> int:
        return len(self.alerts) + self.hidden


def matching(subscriptions: Iterable[AlertSubscription], code: str, module_code: str) -> bool:
    """Whether one of *subscriptions* covers the indicator *code* of module *module_code*."""
    return any((s.indicator_code in ("", code)) and (s.module_code in ("", module_code)) for s in subscriptions)


def mail_for(prefecture_name: str, alerts: Sequence[Alert], labels: dict[str, str], address: str,
             batch_id: int) -> Mail:
    """The one message of a batch's alerts to one subscriber: French subject and body, figures only."""
    names = list(dict.fromkeys(labels.get(a.indicator_code, a.indicator_code) for a in alerts))
    shown = ", ".join(names[:MAX_SUBJECT_LABELS]) + (", …" if len(names) > MAX_SUBJECT_LABELS else "")
    subject = f"Qual-e-Pref — {count_text(len(alerts), 'alerte')} : {shown}"
    lines = [f"- {KIND_LABELS.get(a.kind, a.kind).capitalize()} : {a.message}" for a in alerts]
    body = "\n".join([
        "Bonjour,", "",
        f"Le dernier enregistrement de données de la {prefecture_name} (lot n° {batch_id}) a fait apparaître "
        f"{count_text(len(alerts), 'alerte')} :", "", *lines, "",
        "Le détail de chaque indicateur est dans Qual-e-Pref, page « Signaux ».", "",
        f"Vous recevez ce message parce que l'adresse {address} est abonnée aux alertes de ces indicateurs. "
        "Pour ne plus les recevoir, demandez au référent qualité de retirer l'abonnement.", "",
        "— Qual-e-Pref (message automatique, ne pas répondre)",
    ])
    return Mail(to=(address,), subject=subject, body=body)


def _pending(session: Session, prefecture_id: int, alerts: Sequence[Alert]) -> dict[tuple[int, str], list[Alert]]:
    """(batch, address) → the alerts of that batch the address subscribed to before they were raised."""
    subscriptions: dict[str, list[AlertSubscription]] = {}
    for row in session.exec(select(AlertSubscription).where(AlertSubscription.prefecture_id == prefecture_id)
                            .order_by(col(AlertSubscription.id))):
        subscriptions.setdefault(row.email.lower(), []).append(row)
    modules = {d.code: d.module_code for d in indicators_for(session, prefecture_id)}
    out: dict[tuple[int, str], list[Alert]] = {}
    for alert in alerts:
        if alert.batch_id is None:
            continue  # raised by a recalculation (the demo), not by a save: nobody is told
        for rows in subscriptions.values():
            before = [s for s in rows if _naive(s.created_at) <= _naive(alert.created_at)]
            if matching(before, alert.indicator_code, modules.get(alert.indicator_code, "")):
                out.setdefault((alert.batch_id, rows[0].email), []).append(alert)
    return out


def _naive(stamp: dt.datetime) -> dt.datetime:
    return stamp.replace(tzinfo=None) if stamp.tzinfo is not None else stamp


def send_pending(session: Session, prefecture_id: int, alerts: Sequence[Alert], sent_by: str) -> MailReport:
    """Send every message of *alerts* not sent yet, one per batch and subscriber, each in its own
    savepoint (a refusal undoes only its own line); stop at the first refusal — the server is
    down or refusing, the others would wait as long — and leave the rest for later."""
    pending = _pending(session, prefecture_id, alerts)
    report = MailReport(configured=mail_configured())
    if not pending:
        return report
    prefecture = session.get(Prefecture, prefecture_id)
    labels = {d.code: d.label for d in indicators_for(session, prefecture_id)}
    name = prefecture.name if prefecture is not None else "préfecture"
    todo = sorted(pending.items(), key=lambda item: (item[0][0], item[0][1].lower()))
    for (batch_id, address), batch_alerts in todo:
        key = f"lot:{batch_id}:{address.lower()}"
        if report.error or not report.configured:
            if not _sent(session, prefecture_id, key):
                report.unsent.append(address)
            continue
        mail = mail_for(name, sorted(batch_alerts, key=lambda a: (a.month, a.id or 0)), labels, address, batch_id)
        try:
            with session.begin_nested():
                line = send_once(session, prefecture_id, MAIL_KIND, key, mail, sent_by)
        except MailError as exc:
            report.error = str(exc)
            report.unsent.append(address)
            continue
        if line is not None:
            report.sent.append(address)
    return report


def _sent(session: Session, prefecture_id: int, key: str) -> bool:
    return sent_before(session, prefecture_id, MAIL_KIND, key) is not None


def module_codes(session: Session) -> list[str]:
    """The référentiel's module codes, in order (what a subscription to a module may name)."""
    return [m.code for m in session.exec(select(Module).order_by(col(Module.number)))]


def recent_alerts(session: Session, prefecture_id: int, days: int = 31) -> list[Alert]:
    """The alerts of the last *days* days: what ``alerts send`` looks through."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    return list(session.exec(select(Alert).where(Alert.prefecture_id == prefecture_id, Alert.created_at >= since,
                                                 col(Alert.batch_id).is_not(None))))

