"""Pilotage of the label beside the indicators: the action plan, the auditors' findings, the
training records, and the plain-data summaries other modules (exports) read.

Small modules, no streamlit: ``vocabulary`` (statuses, sources, conformities, roles and their
French labels), ``models`` (tables), ``tables`` (reading the files users bring), ``remarks``
(splitting an auditor's comments into PF / PS / PP), ``actions``, ``audits``, ``trainings``,
``summary`` and ``demo``. This package must not import :mod:`qep_core.db` at import time of
``models`` (``db`` imports ``models`` to register the tables).
"""
