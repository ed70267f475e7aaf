"""Local labels, learned once: a préfecture's own words for rows, columns, training themes, roles
and périmètres, and what they mean (:mod:`~qep_core.mappings.labels`; the table in
:mod:`~qep_core.mappings.models`). Nothing is imported here, so that the schema can register the
table without loading the rules."""
