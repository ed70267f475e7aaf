"""Command line: ``python -m qep_core <command>``; ``main`` runs it (see :mod:`qep_core.cli.main`)."""

from qep_core.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
