"""python -m nlshell.shell.watch [PANES] [-n NS] ...: the watch screen on its own."""

import sys

from . import main

sys.exit(main(sys.argv[1:]))
