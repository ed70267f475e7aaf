"""Satisfaction surveys and mystery checks.

* ``reading``: survey exports (one row per respondent) → questions and answers, metadata apart;
* ``questions``: scales, yes/no, choices, numbers, free text: detection and correction;
* ``stats``: distributions, satisfaction rate, Wilson interval, year-over-year test, cross-tabs;
* masking of e-mail addresses, phone numbers, names… in free text: :mod:`qep_core.privacy`;
* ``service``: all-or-nothing import, catalogue feed, corrections, comment themes;
* ``mystery``: mystery calls / e-mails / visits: grids of criteria;
* ``summary``: plain-data accessor for exports; ``report``: CLI output; ``charts``: figures;
* ``demo``: the demo préfecture's surveys.

This package never imports streamlit. Its tables live in ``models`` (registered in ``qep_core.db``).
"""
