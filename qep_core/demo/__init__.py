"""The demo préfecture: files generated as services keep them, then loaded through the real importers.

``indicators`` writes the tracking sheets and item logs, ``pilotage`` the action plan, audit and
training register, ``surveys`` the survey exports and mystery checks; ``loading`` imports them all.
"""

from qep_core.demo.indicators import (
           DEMO_CODE,
           DEMO_DIR,
           DEMO_NAME,
           DEMO_USER,
           DemoLoadError,
           demo_files,
           write_demo_files,
)
from qep_core.demo.loading import load_demo, write_all_demo_files

__all__ = ["DEMO_CODE", "DEMO_DIR", "DEMO_NAME", "DEMO_USER", "DemoLoadError", "demo_files", "load_demo",
           "write_all_demo_files", "write_demo_files"]
