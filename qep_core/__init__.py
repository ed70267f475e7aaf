"""Qual-e-Pref dashboard core library.

Everything the app and the command line compute lives here; this package never imports
streamlit so that the CLI, the tests and the benchmarks run the very same code as the pages.
"""

__version__ = "0.1.0"
