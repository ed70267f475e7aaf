"""Signals around the figures: dated events that explain a curve, alerts raised by an import, and
the e-mails they and the monthly digest send (see :mod:`qep_core.signals.models`)."""
