"""Every service function is in the permission matrix.

Each ``tests/test_access_*.py`` file tests what each role may do with its service functions, on
its own périmètre, another service's and another préfecture, and lists them in ``COVERED``. A
new operation without its rows fails here.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from qep_core import services


def _covered() -> set[str]:
    covered: set[str] = set()
    for path in sorted(Path(__file__).parent.glob("test_access_*.py")):
        if path.stem == "test_access_matrix":
            continue
        covered |= set(getattr(importlib.import_module(f"tests.{path.stem}"), "COVERED", set()))
    return covered


def test_every_registered_operation_has_its_rows_in_the_matrix() -> None:
    missing = sorted(set(services.OPERATIONS) - _covered())
    assert not missing, f"operations without a permission-matrix test: {missing}"


def test_the_matrix_names_only_real_operations() -> None:
    assert _covered() <= set(services.OPERATIONS)


def test_every_write_needs_more_than_reading() -> None:
    """A write that only needed ``read`` would let the users' committee change data."""
    lax = [op.name for op in services.OPERATIONS.values() if op.writes and op.action == "read"]
    assert not lax
