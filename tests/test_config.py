"""Settings are data: every ``QEP_*`` variable is declared once in ``qep_core/config.py``, read only
there, and documented in the README's table (name, default, sentence)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from qep_core.config import DATA_DIR, SETTINGS

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "qep_core" / "config.py"
SOURCES = [*sorted((ROOT / "qep_core").rglob("*.py")), *sorted((ROOT / "qep_ui").rglob("*.py")),
           *sorted((ROOT / "pages").glob("*.py")), ROOT / "app.py"]
NAME = re.compile(r"\bQEP_[A-Z0-9][A-Z0-9_]*\b")


def _environment_reads(path: Path) -> list[str]:
    """``os.environ`` / ``os.getenv`` / ``environ`` / ``getenv`` used in *path*, as "file:line"."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                a.name in ("environ", "getenv", "environb") for a in node.names):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_only_config_reads_the_environment() -> None:
    reads = [hit for path in SOURCES if path != CONFIG for hit in _environment_reads(path)]
    assert not reads, f"read the environment through qep_core.config.setting(): {reads}"


def test_every_qep_name_in_the_code_is_declared() -> None:
    declared = {s.name for s in SETTINGS}
    used = {(name, str(path.relative_to(ROOT))) for path in SOURCES
            for name in NAME.findall(path.read_text(encoding="utf-8"))}
    undeclared = sorted((name, where) for name, where in used if name not in declared)
    assert not undeclared, f"declare these settings in qep_core/config.py: {undeclared}"


def _readme_rows() -> dict[str, list[str]]:
    rows = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `QEP_") and len(cells) == 3:
            rows[cells[0].strip("`")] = cells
    return rows


def test_every_setting_is_in_the_readme_table_with_its_default_and_sentence() -> None:
    rows = _readme_rows()
    for setting in SETTINGS:
        assert setting.name in rows, f"{setting.name}: no row in the README's table of settings"
        _, default, doc = rows[setting.name]
        shown = setting.default.replace(str(DATA_DIR), "data")  # the default path, relative to the project
        assert default == (f"`{shown}`" if shown else "(vide)"), (setting.name, default)
        assert doc == setting.doc, setting.name
    assert set(rows) == {s.name for s in SETTINGS}, "the README lists a setting the code does not declare"
