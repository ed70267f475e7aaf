"""The refusal of an edit made in the app (a grid, a form): every reason, in French."""

from __future__ import annotations

from collections.abc import Sequence


class PilotageError(ValueError):
    """One or more reasons why nothing was written."""

    def __init__(self, errors: str | Sequence[str]):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__(" ; ".join(self.errors))
