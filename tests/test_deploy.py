"""What deploy/ ships runs what exists: every command a systemd unit starts parses with the real
command line (a renamed option breaks here, not on the server at 2 a.m.), every timer's calendar
is valid, the nginx configuration passes ``nginx -t`` and lets through exactly the app's upload
limit; and ``python -m qep_core health`` says whether the database answers (exit code 0 / 1)."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qep_core.cli.main import build_parser
from qep_core.importing.safety import MAX_UPLOAD_MB

ROOT = Path(__file__).resolve().parent.parent
SYSTEMD = ROOT / "deploy" / "systemd"
NGINX = ROOT / "deploy" / "nginx"
UNITS = sorted(p for p in SYSTEMD.iterdir() if p.suffix in (".service", ".timer"))
SERVICES = [p for p in UNITS if p.suffix == ".service"]


def unit_file(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",), comment_prefixes=("#",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def exec_argv(path: Path) -> list[str]:
    """The command ExecStart runs, as the shell would see it on the 12th of March 2026 at port 8501:
    systemd's escapes undone (%% %, $$ $, %i the instance), ``sh -c '…'`` opened, ``$(date …)`` and
    ``$VARIABLE`` given sample values."""
    line = unit_file(path)["Service"]["ExecStart"]
    line = line.replace("%%", "\0").replace("%i", "8501").replace("\0", "%").replace("$$", "$")
    argv = shlex.split(line)
    if argv[:2] == ["/bin/sh", "-c"]:
        inner = re.sub(r'"?\$\((date [^()]*|date -d "\$\(date [^()]*\) [^"]*" [^()]*)\)"?', "2026-02", argv[2])
        argv = shlex.split(inner)
        argv = argv[1:] if argv[0] == "exec" else argv
    return [re.sub(r"\$\{?[A-Z_]+\}?", "copil@prefecture.gouv.fr", arg) for arg in argv]


def python_module(argv: list[str]) -> tuple[str, list[str]]:
    assert argv[0] == "/opt/qep/.venv/bin/python" and argv[1] == "-m", argv
    return argv[2], argv[3:]


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_each_service_runs_a_command_the_code_has(path: Path) -> None:
    module, args = python_module(exec_argv(path))
    if module == "qep_core":
        parsed = build_parser().parse_args(args)  # SystemExit (exit code 2) on an unknown command or option
        assert callable(parsed.func)
        done = subprocess.run([sys.executable, "-m", "qep_core", args[0], "--help"], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        for option in (a.split("=")[0] for a in args if a.startswith("--")):
            assert option in done.stdout, f"{path.name}: {option} is not an option of « qep_core {args[0]} »"
    else:
        assert module == "qep_ui.serve", f"{path.name} runs {module}"
        from streamlit import config

        options = dict(zip(args[::2], args[1::2], strict=True))
        assert options["--server.port"] == "8501" and options["--server.address"] == "127.0.0.1"
        known = config.get_config_options()
        unknown = [o for o in options if o.removeprefix("--") not in known]
        assert not unknown, f"{path.name}: not Streamlit options: {unknown}"


def test_the_shell_computes_last_month_as_collecte_wants_it() -> None:
    """qep-reminders.service asks the shell for last month, in the form ``collecte --month`` reads."""
    line = unit_file(SYSTEMD / "qep-reminders.service")["Service"]["ExecStart"]
    found = re.search(r'\$\$\((date -d "\$\$\(date \+%%Y-%%m-01\) -1 month" \+%%Y-%%m)\)', line)
    assert found, line
    command = found.group(1).replace("$$", "$").replace("%%", "%")
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=10,
                          env={"PATH": "/usr/bin:/bin", "TZ": "Europe/Paris"})
    assert re.fullmatch(r"\d{4}-\d{2}\n", done.stdout), (done.stdout, done.stderr)


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_each_service_is_hardened_and_reads_the_settings_file(path: Path) -> None:
    service = unit_file(path)["Service"]
    assert service["EnvironmentFile"] == "/etc/qep/qep.env" and service["User"] == "qep"
    assert service["NoNewPrivileges"] == "true" and service["PrivateTmp"] == "true"
    if path.name == "qep-app@.service":
        assert service["ProtectSystem"] == "strict" and service["Restart"] == "on-failure"


@pytest.mark.parametrize("path", [p for p in UNITS if p.suffix == ".timer"], ids=lambda p: p.name)
def test_each_timer_starts_its_service_on_a_valid_calendar(path: Path) -> None:
    timer = unit_file(path)["Timer"]
    assert (SYSTEMD / timer["Unit"]).is_file()
    assert timer["Persistent"] == "true"
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed: the calendar is not checked")
    done = subprocess.run(["systemd-analyze", "calendar", timer["OnCalendar"]], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr


def test_nginx_lets_through_the_apps_upload_limit_and_no_more() -> None:
    found = re.search(r"^client_max_body_size (\d+)m;", (NGINX / "qep-locations.conf").read_text(), re.MULTILINE)
    assert found, "client_max_body_size missing"
    assert MAX_UPLOAD_MB < int(found.group(1)) <= MAX_UPLOAD_MB + 5  # the file and its form's few bytes


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    """``nginx -t`` on the shipped files, as tests/browser/test_nginx.py renders them (no root)."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed (Debian package nginx; .ci/run installs it)")
    from tests.nginx_conf import render_nginx

    main = render_nginx(tmp_path, listen_port=18080, app_ports=[18501, 18502])
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr


def test_health_says_whether_the_database_answers(new_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = new_database("health", seeded=True)
    from qep_core import services

    services.system.open_database(url)
    ok = subprocess.run([sys.executable, "-m", "qep_core", "health"], cwd=ROOT, capture_output=True, text=True,
                        timeout=60, env={**_env(), "QEP_DATABASE_URL": url})
    assert ok.returncode == 0, ok.stdout + ok.stderr
    answer = json.loads(ok.stdout)
    assert answer["ok"] is True and answer["database"]["schema"] == answer["database"]["expected_schema"]
    down = subprocess.run([sys.executable, "-m", "qep_core", "health", "--format", "table", "--app",
                           "http://127.0.0.1:9"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**_env(), "QEP_DATABASE_URL": url})
    assert down.returncode == 1 and "✗ application http://127.0.0.1:9 : le processus ne répond pas" in down.stdout


def test_health_fails_when_the_database_does_not_answer() -> None:
    done = subprocess.run([sys.executable, "-m", "qep_core", "health"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**_env(), "QEP_DATABASE_URL": "postgresql+psycopg://qep@127.0.0.1:9/qep"})
    assert done.returncode == 1
    answer = json.loads(done.stdout)
    assert answer["ok"] is False and answer["database"]["problem"].startswith("la base ne répond pas")


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("QEP_")}
