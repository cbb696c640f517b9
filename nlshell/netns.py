"""``nlshell.netns``: named network namespaces, as pyroute2 users import them
(``from nlshell.netns import create, remove, listnetns``).

This module *is* ``nlshell.engine.netns``: importing it puts that module in its place, so
both names give one object (one state, one set of functions).
"""

import sys

from .engine import netns as _engine_netns

sys.modules[__name__] = _engine_netns
