"""Start the app: ``python -m qep_ui.serve [streamlit options]``.

Streamlit keeps a legacy mode for apps with a ``pages/`` folder: until some run has called
``st.navigation``, the first request of a fresh server is resolved against the file names in
``pages/`` and may run a page without ``app.py`` (no navigation, no sidebar choices, a "Page not
found" dialog for our URLs). Our pages live in ``pages/`` but the navigation is always
``app.py``'s, so the legacy mode is switched off before the server starts.

Streamlit's page says ``<html lang="en">``: screen readers then read French with English rules
(RGAA, criterion 8.3). The server is given a copy of Streamlit's static folder whose
``index.html`` says ``lang="fr"`` (the other files are links to the originals), made once per
Streamlit version in the temporary folder.

Each process writes the operation log (one JSON line per user operation: who, what, préfecture,
how long, done / refused / failed) to standard error, which systemd keeps in the journal;
``QEP_LOG_FORMAT`` chooses the format or turns it off (``services.system.start_operation_log``).
Several processes behind nginx: ``deploy/`` (README, « Déploiement »).
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from pathlib import Path

from qep_core import services

APP = Path(__file__).resolve().parent.parent / "app.py"
LANG_EN, LANG_FR = '<html lang="en">', '<html lang="fr">'


def french_static_dir(original: Path, version: str, parent: Path | None = None) -> Path:
    """A folder serving what *original* serves, its ``index.html`` in French (module docstring).
    Built beside the others under a name of its own, then renamed into place, so that two servers
    starting together never see half a folder."""
    target = (parent or Path(tempfile.gettempdir())) / f"qep-streamlit-static-{version}-{os.getuid()}"
    if (target / "index.html").is_file():
        return target
    building = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    for entry in original.iterdir():
        if entry.name != "index.html":
            (building / entry.name).symlink_to(entry)
    index = (original / "index.html").read_text(encoding="utf-8")
    (building / "index.html").write_text(index.replace(LANG_EN, LANG_FR, 1), encoding="utf-8")
    try:
        building.rename(target)
    except OSError:  # another server made it first: use theirs
        pass
    return target


#: What the first pages import, loaded before the server listens: otherwise the first visitor after a
#: start waits for pandas' and Plotly's imports and Plotly's default template (about a second here).
WARM_MODULES = ("pyarrow", "plotly.graph_objects", "qep_ui.auth", "qep_ui.state", "qep_ui.widgets", "qep_ui.data",
                "qep_ui.collection", "qep_ui.spc_view", "qep_ui.indicator_view", "qep_ui.importing")


def warm_up() -> None:
    """Import :data:`WARM_MODULES` and build one empty figure (Plotly reads its template once)."""
    for name in WARM_MODULES:
        importlib.import_module(name)
    import plotly.graph_objects as go

    go.Figure().to_plotly_json()


def main(argv: list[str] | None = None) -> None:
    import streamlit
    from streamlit import file_util
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False
    services.system.start_operation_log()
    warm_up()
    static = french_static_dir(Path(file_util.get_static_dir()), streamlit.__version__)
    file_util.get_static_dir = lambda: str(static)
    sys.argv = ["streamlit", "run", str(APP), *(argv if argv is not None else sys.argv[1:])]
    cli.main()


if __name__ == "__main__":
    main()
