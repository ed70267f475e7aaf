"""What every command shares: exit codes, usage errors, where output goes."""

from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
LOG_KINDS = ["courriels", "courriers", "reclamations", "site", "rdv_elus", "courriers_elus", "appels"]


class UsageError(Exception):
    pass


def write_output(text: str, target: str | None) -> None:
    if target:
        Path(target).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        print(f"écrit : {target}", file=sys.stderr)
    else:
        print(text)
