"""Start the app: ``python -m qep_ui.serve [streamlit options]``.

Streamlit keeps a legacy mode for apps with a ``pages/`` folder: until some run has called
``st.navigation``, the first request of a fresh server is resolved against the file names in
``pages/`` and may run a page without ``app.py`` (no navigation, no sidebar choices, a "Page not
found" dialog for our URLs). Our pages live in ``pages/`` but the navigation is always
``app.py``'s, so the legacy mode is switched off before the server starts.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"


def main(argv: list[str] | None = None) -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *(argv if argv is not None else sys.argv[1:])]
    cli.main()


if __name__ == "__main__":
    main()
