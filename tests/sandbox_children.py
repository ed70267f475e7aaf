"""Functions the bounded child runs in tests/test_import_bounds.py (a child imports them by name,
so they live in a module, not in the test file)."""

from __future__ import annotations

import io
import time
from typing import Any

import python_calamine

from qep_core.importing import ImportRejected
from qep_core.importing.sandbox import _analyse


def verdict(url: str, prefecture_id: int, file_name: str, data: bytes) -> list[str]:
    """The analysis of the services, its refusal messages returned rather than raised, so that the
    caller also gets the child's peak memory."""
    try:
        plan = _analyse(url, prefecture_id, "suivi", file_name, data, {})
    except ImportRejected as exc:
        return [str(e) for e in exc.errors]
    return [str(e) for e in plan.errors]


def calamine_unguarded(data: bytes) -> int:
    """The reader on a hostile file with no check before it: its allocation fails and it aborts."""
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = book.get_sheet_by_name(book.sheet_names[0]).to_python(skip_empty_area=False)
    return len(rows)


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def sleep(seconds: float) -> Any:
    time.sleep(seconds)
    return seconds


#: A file whose name starts so is analysed :data:`STALL` seconds late by :func:`slow_analysis`.
SLOW_PREFIX = "lent"
STALL = 3.0


def slow_analysis(url: str, prefecture_id: int, file_kind: str, file_name: str, data: bytes,
                  options: dict[str, Any]) -> Any:
    """Stands for the child's analysis (``sandbox._analyse``) in tests/test_import_bounds_other.py: a
    reader stuck for seconds on a file named ``lent…``, the usual analysis afterwards."""
    if file_name.startswith(SLOW_PREFIX):
        time.sleep(STALL)
    return _analyse(url, prefecture_id, file_kind, file_name, data, options)


def hungry_analysis(url: str, prefecture_id: int, file_kind: str, file_name: str, data: bytes,
                    options: dict[str, Any]) -> Any:
    """Stands for the child's analysis: a reader that needs 800 Mo for the file before analysing it."""
    allocate(800)
    return _analyse(url, prefecture_id, file_kind, file_name, data, options)
