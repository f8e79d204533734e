"""`python -m opticserp_tools.load`: the same command as `opticserp load`."""

import sys

from opticserp_tools.load.command import main

sys.exit(main())
