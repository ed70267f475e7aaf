"""The COPIL's quarterly review: what it looks at, what it writes, and its freezing into minutes.

``workflow`` computes the review of a quarter and keeps the COPIL's comments and decided actions
(``models`` holds their tables); ``minutes`` holds the plain records that documents print.
"""
