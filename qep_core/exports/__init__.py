"""Meeting outputs: quarterly COPIL review, slides, annual bilan, transparency poster, spreadsheets.

Every output is drawn from one document model (:mod:`qep_core.exports.content`), built from the
same core computations as the dashboard, so a figure on a slide, in the bilan, on the poster and
in a spreadsheet is the figure the dashboard shows. Heavy libraries (python-pptx, weasyprint) are
imported by the modules that need them only: ``qep_core.db`` imports :mod:`.models` at start-up.
"""
