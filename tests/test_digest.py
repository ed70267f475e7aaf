"""The monthly digest (issue 15, parts 4 and 5): its figures checked against hand-computed values,
its PDF read back (titles, values, inside the margins, no personal data), the e-mail end to end
through a real SMTP server (one message per recipient, French subject and body, the PDF attached,
nothing sent twice, a refusal noted as nothing), the command and the systemd units."""

from __future__ import annotations

import datetime as dt
import io
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL
from qep_core.cli.main import build_parser
from qep_core.cli.main import main as cli
from qep_core.db import get_engine, session_scope
from qep_core.demo.surveys import PAN_COMMENTS
from qep_core.exports.digest import (
    DigestError,
    digest_figures,
    move_score,
    parse_digest_month,
    render_digest_html,
    with_charts,
)
from qep_core.models import Observation, Perimetre, Prefecture
from qep_core.periods import add_months, range_period
from qep_core.prefectures import whole_prefecture
from qep_core.referentiel import indicators_for
from qep_core.rules.signals import ALEATOIRE, ATTEINTE, COMMUNE, PREOCCUPATION
from qep_core.rules.status import A_SURVEILLER, ATTEINT, NON_ATTEINT
from qep_core.signals.models import SentMail
from qep_core.spc import xmr_chart
from tests.smtp import Mailbox
from tests.test_exports_render import needs_poppler, outside_margins, to_png
from tests.test_pages import app, demo_url  # noqa: F401  (module-scoped demo database)

ROOT = Path(__file__).resolve().parent.parent
JUNE = dt.date(2024, 6, 1)
FIRST = add_months(JUNE, -23)  # July 2022: the 24 months of the control charts
COPIL, DIRECTION = "copil@loire-atlantique.gouv.fr", "direction@loire-atlantique.gouv.fr"


# ------------------------------------------------------------------------------------------ a hand-built month


def seed_series(engine: Engine, prefecture_id: int, code: str, values: list[tuple[float, float]],
                first: dt.date = FIRST) -> None:
    """One indicator of the whole préfecture, month by month from *first*: (numerator, denominator)."""
    with session_scope(engine, write=True) as session:
        perimetre = whole_prefecture(session, prefecture_id).id or 0
        ind = next(d for d in indicators_for(session, prefecture_id) if d.code == code)
        for i, (num, den) in enumerate(values):
            month = add_months(first, i)
            session.add(Observation(prefecture_id=prefecture_id, indicator_id=ind.id, perimetre_id=perimetre,
                                    period_start=month, period_end=month, numerator=num, denominator=den))


#: TEL_ABOUTIS (≥ 90 %, alert 80 %): 88 and 92 calls out of 100 in turn from July 2022 (88 in even
#: months of the series), then 60 in June 2024. p̄ = 0.90, σ = √(0.9 × 0.1 / 100) = 0.03, the z-scores
#: alternate ±0.667: σ_z = 1.333 / 1.128 = 1.182; limits 90 ± 3 × 3 × 1.182 = 90 ± 10.64 pt, i.e.
#: 79.36 % to 100 % (cut): June's 60 % is beyond the lower limit, a concern.
CALLS = [(88.0, 100.0) if i % 2 == 0 else (92.0, 100.0) for i in range(23)] + [(60.0, 100.0)]
#: COURRIEL_5J (≥ 90 %): 95 e-mails out of 100 in time, every month.
EMAILS = [(95.0, 100.0)] * 24


def seed_month(engine: Engine, prefecture_id: int) -> None:
    seed_series(engine, prefecture_id, "TEL_ABOUTIS", CALLS)
    seed_series(engine, prefecture_id, "COURRIEL_5J", EMAILS)


@pytest.fixture
def local(engine: Engine, prefecture: Prefecture) -> services.Actor:
    seed_month(engine, prefecture.id or 0)
    return services.Actor(LOCAL_PRINCIPAL.named("Marie"), engine)


def test_the_figures_of_a_hand_built_month(local: services.Actor, prefecture: Prefecture) -> None:
    """Every figure from the counts: June 60/100; May 88/100; June 2023 92/100; the quarter
    (92 + 88 + 60) / 300 = 80.0 %; January to June (88 + 92 + 88 + 92 + 88 + 60) / 600 = 84.67 %."""
    with session_scope(local.database) as session:
        figures = digest_figures(session, prefecture.id or 0, JUNE)
    span = range_period(FIRST, JUNE)
    charts = {c: services.dashboard.spc(local, prefecture.id or 0, c, span) for c in ("TEL_ABOUTIS", "COURRIEL_5J")}
    digest = with_charts(figures, charts)
    calls = next(x for x in digest.lines if x.code == "TEL_ABOUTIS")
    assert (calls.value, calls.month_before, calls.year_before) == pytest.approx((60.0, 88.0, 92.0))
    assert calls.status == NON_ATTEINT and calls.target == 90.0
    assert (calls.month_change_text, calls.year_change_text) == ("-28,0 pt", "-32,0 pt")
    assert calls.quarter_value == pytest.approx(80.0) and calls.quarter_status == A_SURVEILLER
    assert calls.year_value == pytest.approx(508 / 6) and calls.year_status == A_SURVEILLER
    assert calls.to_date_text("quarter") == "80,0 % ▲"
    assert calls.variation == PREOCCUPATION and calls.assurance == ALEATOIRE
    # σ = 10.638 / 3 = 3.546 both months (the upper limit, cut at 100 %, is not read): 28 / (3.546 √2) = 5.58
    assert calls.move_score == pytest.approx(28 / (3.5461 * 2 ** 0.5), rel=1e-3)
    emails = next(x for x in digest.lines if x.code == "COURRIEL_5J")
    assert (emails.value, emails.status, emails.variation, emails.assurance) == (95.0, ATTEINT, COMMUNE, ATTEINTE)
    assert not emails.significant_move and not emails.at_risk
    assert [x.code for x in digest.moves] == [x.code for x in digest.signals] == ["TEL_ABOUTIS"]
    assert [x.code for x in digest.at_risk] == ["TEL_ABOUTIS"]


def test_the_summary_says_what_moved_the_signals_and_the_targets_at_risk(local: services.Actor,
                                                                         prefecture: Prefecture) -> None:
    built = services.digest.build_digest(local, prefecture.id or 0, JUNE)
    assert built.subject == "Qual-e-Pref — tableau de bord de juin 2024 — Préfecture de test"
    assert built.file_name == "tableau-de-bord-44-2024-06.pdf"
    summary = built.summary
    assert summary.startswith("Qual-e-Pref — Préfecture de test — tableau de bord de juin 2024\n")
    assert "En bref : 2 indicateurs avec une valeur en juin 2024 : ✖ 1 non atteint · ✔ 1 atteint" in summary
    assert ("Ce qui a bougé depuis mai 2024 :\n- Taux d'appels aboutis au standard : 60,0 % (-28,0 pt sur mai 2024), "
            "en recul\n") in summary
    assert "1 signal ce mois-ci :\n- ⊖ préoccupation — Taux d'appels aboutis au standard : 60,0 %\n" in summary
    assert ("1 cible en danger :\n- ✖ non atteint — Taux d'appels aboutis au standard : 60,0 % pour une cible "
            "≥ 90,0 %\n") in summary
    assert "Taux de réponse aux courriels" not in summary  # met, steady: nothing to say
    assert "tableau-de-bord-44-2024-06.pdf" in summary


def test_a_quiet_month_says_so_with_real_plurals(engine: Engine, prefecture: Prefecture) -> None:
    seed_series(engine, prefecture.id or 0, "COURRIEL_5J", EMAILS)
    summary = services.digest.build_digest(services.Actor(LOCAL_PRINCIPAL, engine), prefecture.id or 0, JUNE).summary
    assert "En bref : 1 indicateur avec une valeur en juin 2024 : ✔ 1 atteint" in summary
    assert "Rien n'a bougé au-delà de la variation habituelle d'un mois à l'autre." in summary
    assert "0 signal ce mois-ci :\nChaque indicateur reste dans sa variation habituelle." in summary
    assert "0 cible en danger :\nAucune cible en danger ce mois-ci." in summary


def test_the_move_score_worked_case() -> None:
    """Limits 11.5 ± 4.433 from 10, 12, 11, 13 (σ = 1.478); 11 → 16 scores 5 / (1.478 √2) = 2.39."""
    months = [add_months(JUNE, i - 5) for i in range(6)]
    chart = xmr_chart(months, [10, 12, 11, 13, 11, 16], ">=", None, baseline=4)
    assert move_score(chart, JUNE) == pytest.approx(2.392, abs=1e-3)
    assert move_score(chart, add_months(JUNE, -5)) is None  # no month before it


def test_the_month_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    today = dt.date(2024, 7, 12)
    assert parse_digest_month("previous", today) == JUNE
    assert parse_digest_month(" 2024-06 ", today) == JUNE
    assert parse_digest_month("2024-07", today) == dt.date(2024, 7, 1)  # the current month, so far
    with pytest.raises(DigestError, match="août 2024 est à venir"):
        parse_digest_month("2024-08", today)
    with pytest.raises(DigestError, match="mois attendu au format AAAA-MM ou « previous »"):
        parse_digest_month("juin", today)
    monkeypatch.setenv("QEP_PERIOD_FIRST_YEAR", "2010")
    with pytest.raises(DigestError, match="juin 2009 est hors des périodes acceptées"):
        parse_digest_month("2009-06", today)


def test_a_month_without_data_is_refused_in_french(local: services.Actor, prefecture: Prefecture) -> None:
    with pytest.raises(DigestError, match="aucune valeur pour juin 2021"):
        services.digest.build_digest(local, prefecture.id or 0, dt.date(2021, 6, 1))


# ------------------------------------------------------------------------------------------ the demo


@pytest.fixture(scope="module")
def demo_built(demo_url: str) -> services.digest.DigestFile:  # noqa: F811
    return services.digest.build_digest(services.Actor(LOCAL_PRINCIPAL, get_engine(demo_url)), 1, JUNE)


def _weighted(engine: Engine, code: str, first: dt.date, last: dt.date) -> float:
    """Σ numerators / Σ denominators of the demo's observations, by hand (no compute module)."""
    with session_scope(engine) as session:
        ind = next(d for d in indicators_for(session, 1) if d.code == code)
        num, den = session.exec(select(func.sum(Observation.numerator), func.sum(Observation.denominator)).where(
            Observation.prefecture_id == 1, Observation.indicator_id == ind.id,
            Observation.period_start >= first, Observation.period_end <= last)).one()
    return float(num) / float(den) * 100


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_demo_digest_holds_the_month_s_weighted_figures(demo_url: str,  # noqa: F811
                                                            demo_built: services.digest.DigestFile) -> None:
    engine = get_engine(demo_url)
    calls = _weighted(engine, "TEL_ABOUTIS", JUNE, JUNE)
    quarter = _weighted(engine, "TEL_ABOUTIS", dt.date(2024, 4, 1), JUNE)
    year = _weighted(engine, "TEL_ABOUTIS", dt.date(2024, 1, 1), JUNE)
    emails = _weighted(engine, "COURRIEL_5J", JUNE, JUNE)
    text = _pdf_text(demo_built.pdf)
    for value in (calls, quarter, year, emails):
        assert f"{value:.1f}".replace(".", ",") + " %" in text
    assert f"Taux d'appels aboutis au standard : {calls:.1f} %".replace(".", ",") in demo_built.summary
    for title in ("Tableau de bord — juin 2024", "En bref", "Ce qui a bougé depuis mai 2024",
                  "Les indicateurs de juin 2024", "Module 1 — Relation générale avec les usagers", "Sur mai",
                  "2e trimestre à date", "Année à date", "Variation", "Assurance", "⊖ préoccupation",
                  "○ cible manquée"):
        assert title in text, title
    assert demo_built.pdf.startswith(b"%PDF")


def test_the_demo_digest_holds_no_personal_data(demo_url: str,  # noqa: F811
                                                demo_built: services.digest.DigestFile) -> None:
    """No périmètre (a mailbox, a service), no free-text answer, no address: aggregates only."""
    with session_scope(get_engine(demo_url)) as session:
        names = [p.name for p in session.exec(select(Perimetre).where(Perimetre.kind != "prefecture"))]
    assert len(names) > 5
    for text in (_pdf_text(demo_built.pdf), demo_built.summary):
        words = set(re.findall(r"[\w.]+", text))
        for name in names:
            assert (name not in text) if len(name) > 4 else (name not in words), name
        for comment in PAN_COMMENTS:
            assert comment not in text
        assert "@" not in text


@needs_poppler
def test_the_demo_digest_stays_within_its_margins(demo_built: services.digest.DigestFile, tmp_path: Path) -> None:
    pdf = tmp_path / "digest.pdf"
    pdf.write_bytes(demo_built.pdf)
    assert outside_margins(pdf) == []
    assert to_png(pdf, "digest", dpi=50)  # looked at: test-artifacts/exports/


# ------------------------------------------------------------------------------------------ the e-mail


def _sent(engine: Engine) -> list[SentMail]:
    with session_scope(engine) as session:
        return list(session.exec(select(SentMail).order_by(SentMail.key)))


def test_each_recipient_gets_one_message_and_a_second_run_sends_nothing(
        local: services.Actor, prefecture: Prefecture, smtp_server: Mailbox) -> None:
    pid = prefecture.id or 0
    first = services.digest.send_digest(local, pid, JUNE, [f"{COPIL}, {DIRECTION}"])
    assert [(d.address, d.state) for d in first] == [(COPIL, "envoyé"), (DIRECTION, "envoyé")]
    assert len(smtp_server.messages) == 2
    for address in (COPIL, DIRECTION):
        [got] = smtp_server.to(address)
        assert got.recipients == [address]  # one message each: no one sees the others' addresses
        assert got.subject == "Qual-e-Pref — tableau de bord de juin 2024 — Préfecture de test"
        assert "1 signal ce mois-ci :\n- ⊖ préoccupation — Taux d'appels aboutis au standard : 60,0 %" in got.body.replace("\r\n", "\n")
        [(name, data)] = got.attachments().items()
        assert name == "tableau-de-bord-44-2024-06.pdf" and data.startswith(b"%PDF")
    assert [m.key for m in _sent(local.database)] == [f"2024-06:{COPIL}", f"2024-06:{DIRECTION}"]

    again = services.digest.send_digest(local, pid, JUNE, [DIRECTION.upper(), COPIL, "dsi@loire-atlantique.gouv.fr"])
    assert [d.state for d in again] == ["déjà envoyé", "déjà envoyé", "envoyé"]
    assert again[0].text.startswith("déjà envoyé le ")
    assert len(smtp_server.messages) == 3  # only the newcomer
    history = services.history.change_history(local, pid)
    lines = history[history["Quoi"] == "Synthèse mensuelle"]
    assert sorted(lines["Résumé"]) == [f"envoyée à {a}" for a in (COPIL, DIRECTION, "dsi@loire-atlantique.gouv.fr")]


def test_a_refusal_is_said_in_french_and_nothing_is_noted_as_sent(
        local: services.Actor, prefecture: Prefecture, smtp_server: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QEP_SMTP_STARTTLS", "1")  # the test server offers no STARTTLS: refused before sending
    out = services.digest.send_digest(local, prefecture.id or 0, JUNE, [COPIL, DIRECTION])
    assert [d.state for d in out] == ["échec", "non tenté"]
    assert "ne propose pas STARTTLS" in out[0].text
    assert smtp_server.messages == [] and _sent(local.database) == []
    monkeypatch.setenv("QEP_SMTP_STARTTLS", "0")  # fixed: the next run serves both
    assert [d.state for d in services.digest.send_digest(local, prefecture.id or 0, JUNE, [COPIL, DIRECTION])] == \
        ["envoyé", "envoyé"]


def test_without_a_server_nothing_is_built(local: services.Actor, prefecture: Prefecture,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QEP_SMTP_HOST", raising=False)
    with pytest.raises(services.digest.MailError, match="aucun serveur de courriel n'est configuré"):
        services.digest.send_digest(local, prefecture.id or 0, JUNE, [COPIL])
    with pytest.raises(services.digest.MailError, match="Adresse de courriel invalide : « copil »"):
        services.digest.send_digest(local, prefecture.id or 0, JUNE, ["copil"])


# ------------------------------------------------------------------------------------------ the command


@pytest.fixture
def hand_built(local: services.Actor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    monkeypatch.setenv("QEP_DATABASE_URL", local.database.url.render_as_string(hide_password=False))
    monkeypatch.chdir(tmp_path)
    yield local.database


def test_the_command_writes_the_pdf_and_prints_the_summary(hand_built: Engine, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["digest", "--month", "2024-06", "--to", COPIL, DIRECTION]) == 0
    out = capsys.readouterr().out
    assert "1 cible en danger :" in out
    assert f"Avec --send, envoi à : {COPIL}, {DIRECTION}" in out
    assert (tmp_path / "tableau-de-bord-44-2024-06.pdf").read_bytes().startswith(b"%PDF")
    assert cli(["digest", "--month", "2024-06", "-o", str(tmp_path / "juin.pdf")]) == 0
    assert (tmp_path / "juin.pdf").exists() and "PDF écrit" in capsys.readouterr().out
    assert _sent(hand_built) == []  # nothing sent without --send


def test_the_command_sends_once_per_recipient(hand_built: Engine, smtp_server: Mailbox,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["digest", "--month", "2024-06", "--to", f"{COPIL},{DIRECTION}", "--send"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"✓ {COPIL} : envoyé", f"✓ {DIRECTION} : envoyé"]
    assert cli(["digest", "--month", "2024-06", "--to", COPIL, "--send"]) == 0
    assert re.fullmatch(rf"✓ {COPIL} : déjà envoyé le \d\d/\d\d/\d{{4}} à \d\d:\d\d\n", capsys.readouterr().out)
    assert len(smtp_server.messages) == 2


def test_the_command_s_refusals(hand_built: Engine, smtp_server: Mailbox, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["digest", "--month", "2099-01", "--to", COPIL]) == 2
    assert "janvier 2099 est à venir" in capsys.readouterr().err
    assert cli(["digest", "--month", "2021-06"]) == 2
    assert "aucune valeur pour juin 2021" in capsys.readouterr().err
    assert cli(["digest", "--month", "2024-06", "--send"]) == 2
    assert "indiquez les destinataires avec --to" in capsys.readouterr().err
    assert cli(["digest", "--month", "2024-06", "--to", "copil", "--send"]) == 2
    assert "Adresse de courriel invalide" in capsys.readouterr().err
    monkeypatch.setenv("QEP_SMTP_STARTTLS", "1")
    assert cli(["digest", "--month", "2024-06", "--to", COPIL, "--send"]) == 1
    assert "✗ copil@loire-atlantique.gouv.fr : échec : Envoi refusé" in capsys.readouterr().out
    assert _sent(hand_built) == [] and smtp_server.messages == []


# ------------------------------------------------------------------------------------------ systemd


def _unit(name: str) -> dict[str, dict[str, str]]:
    """A unit file's sections and keys (comments and blank lines left out)."""
    sections: dict[str, dict[str, str]] = {}
    current = ""
    for line in (ROOT / "deploy" / "systemd" / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = {}
        else:
            key, value = line.split("=", 1)
            sections[current][key] = value
    return sections


def test_the_systemd_units_run_the_command_monthly() -> None:
    service, timer = _unit("qep-digest.service"), _unit("qep-digest.timer")
    assert service["Service"]["Type"] == "oneshot" and service["Service"]["User"] == "qep"
    assert service["Service"]["WorkingDirectory"] == "/opt/qep"
    assert service["Service"]["EnvironmentFile"] == "/etc/qep/qep.env"
    command = shlex.split(service["Service"]["ExecStart"])
    assert command[:3] == ["/opt/qep/.venv/bin/python", "-m", "qep_core"]
    words = [COPIL, DIRECTION] if "$DIGEST_TO" in command else []  # systemd splits $DIGEST_TO at spaces
    args = build_parser().parse_args([w for c in command[3:] for w in (words if c == "$DIGEST_TO" else [c])])
    assert (args.command, args.digest_month, args.send, args.to) == ("digest", "previous", True, [COPIL, DIRECTION])
    assert timer["Timer"]["OnCalendar"] == "*-*-12 07:30:00" and timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["Unit"] == "qep-digest.service" and timer["Install"]["WantedBy"] == "timers.target"
    analyze = shutil.which("systemd-analyze")
    if analyze:  # the calendar expression as systemd reads it
        out = subprocess.run([analyze, "calendar", timer["Timer"]["OnCalendar"]], capture_output=True, text=True,
                             timeout=30)
        assert out.returncode == 0 and "*-*-12 07:30:00" in out.stdout


# ------------------------------------------------------------------------------------------ the Exports page


def test_the_exports_page_prepares_and_sends_the_digest(demo_url: str, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
                                                        smtp_server: Mailbox) -> None:
    monkeypatch.setenv("QEP_DATABASE_URL", demo_url)
    at = app().run()
    at.switch_page("pages/exports.py").run()
    assert not at.exception
    assert "Synthèse mensuelle par courriel" in [s.value for s in at.subheader]
    at.selectbox(key="digest_month").set_value(JUNE).run()
    next(b for b in at.button if b.key == "digest_prepare").click().run()
    assert not at.exception, at.exception
    assert any(t.value.startswith("Qual-e-Pref — Préfecture de démonstration — tableau de bord de juin 2024")
               for t in at.text)
    at.text_input(key="digest_to").input(f"{COPIL}, {DIRECTION}").run()
    next(b for b in at.button if b.key == "digest_send").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [f"{COPIL} : envoyé", f"{DIRECTION} : envoyé"]
    assert len(smtp_server.messages) == 2
    next(b for b in at.button if b.key == "digest_send").click().run()
    assert all(s.value.startswith(f"{a} : déjà envoyé le ") for s, a in zip(at.success, (COPIL, DIRECTION), strict=True))
    assert len(smtp_server.messages) == 2


def test_names_from_data_are_text_in_the_pdf(local: services.Actor, prefecture: Prefecture) -> None:
    """A préfecture's name holding markup is printed as typed, never read as HTML (WeasyPrint
    would fetch the image's address)."""
    hostile = "Préfecture <img src='http://exemple.invalid/x.png'> & Co"
    with session_scope(local.database, write=True) as session:
        pref = session.get(Prefecture, prefecture.id)
        assert pref is not None
        pref.name = hostile
    with session_scope(local.database) as session:
        figures = digest_figures(session, prefecture.id or 0, JUNE)
    html = render_digest_html(figures)
    assert "<img" not in html and "&lt;img src=&#39;http://exemple.invalid/x.png&#39;&gt; &amp; Co" in html
    built = services.digest.build_digest(local, prefecture.id or 0, JUNE)
    assert hostile in " ".join(_pdf_text(built.pdf).split()) and hostile in built.summary
