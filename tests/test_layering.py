"""The layers hold: the UI never touches the database, the core never imports streamlit, no cycles.

The same figures as ``../shared/tools/structure.py``, but as a test of this repository, so that a
change that breaks a layer fails ``make test`` instead of waiting for someone to run the tool.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI_FILES = [*sorted((ROOT / "qep_ui").rglob("*.py")), *sorted((ROOT / "pages").glob("*.py")), ROOT / "app.py"]
CORE_FILES = [f for f in sorted((ROOT / "qep_core").rglob("*.py")) if "migrations/versions" not in f.as_posix()]
#: What the UI may import from the core: the service layer and the few vocabularies pages speak.
UI_CORE_MODULES_MAX = 8
#: Imports inside functions, allowed only for the heavy libraries loaded on first use.
FUNCTION_IMPORTS_MAX = 10

DB_ACCESS = re.compile(r"\bsession_scope\(|\bSession\(|\.exec\(|\bselect\(")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


KNOWN = {_module(f) for f in [*CORE_FILES, *UI_FILES]}


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _known(name: str) -> str | None:
    while name and name not in KNOWN:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path) -> list[tuple[str, bool, str]]:
    """(imported name, inside a function?, top-level package imported) for each import of the file."""
    module = _module(path)
    out: list[tuple[str, bool, str]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                out.extend((a.name, in_function, a.name.split(".")[0]) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = _resolve(child, module, path.name == "__init__.py")
                out.extend((f"{base}.{a.name}", in_function, base.split(".")[0]) for a in child.names)
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return out


def test_the_ui_opens_no_session_and_imports_no_orm() -> None:
    offenders = []
    for path in UI_FILES:
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in DB_ACCESS.finditer(text)]
        offenders += [f"{path.relative_to(ROOT)}: imports {top}" for _, _, top in _imports(path)
                      if top in ("sqlmodel", "sqlalchemy")]
    assert not offenders, "the UI calls the services, never the database:\n" + "\n".join(offenders)


def test_the_ui_speaks_to_few_core_modules() -> None:
    used = {t for path in UI_FILES for name, _, top in _imports(path) if top == "qep_core"
            if (t := _known(name)) is not None}
    assert len(used) <= UI_CORE_MODULES_MAX, sorted(used)


def test_the_core_never_imports_streamlit() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in CORE_FILES if any(top == "streamlit" for _, _, top in _imports(p))]
    assert not offenders


def test_imports_are_at_the_top_of_modules() -> None:
    inside = [f"{p.relative_to(ROOT)}: {name}" for p in [*CORE_FILES, *UI_FILES[:-1]] if "pages" not in p.parts
              for name, in_function, top in _imports(p) if in_function and top in ("qep_core", "qep_ui")]
    assert len(inside) <= FUNCTION_IMPORTS_MAX, "\n".join(inside)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    faces = {_module(f) for f in [*CORE_FILES, *UI_FILES] if f.name == "__init__.py"}
    for path in [*CORE_FILES, *UI_FILES]:
        module = _module(path)
        for name, _, _ in _imports(path):
            target = _known(name)
            if target is None or target == module or module.startswith(target + ".") or target in faces:
                continue
            graph.setdefault(module, set()).add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in list(graph):
        if v not in index:
            connect(v)
    return found


def test_no_import_cycle() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
