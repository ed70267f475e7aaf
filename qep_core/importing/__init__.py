"""Importing tracking sheets: long and wide layouts, checks, all-or-nothing saves."""

from qep_core.importing.issues import ImportRejected, Issue
from qep_core.importing.service import (
    ImportOutcome,
    ImportPlan,
    UndoError,
    analyze_file,
    import_file,
    list_batches,
    save_plan,
    undo_batch,
)

__all__ = ["ImportOutcome", "ImportPlan", "ImportRejected", "Issue", "UndoError", "analyze_file", "import_file",
           "list_batches", "save_plan", "undo_batch"]
