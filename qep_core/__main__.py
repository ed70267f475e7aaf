import sys

from qep_core.cli import main

sys.exit(main())
