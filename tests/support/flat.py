"""Every public name of iporacle, testns, hostguard, nlrun and resources in one namespace.

Only for test files that still say `helpers.X` (bound by `from support import flat as
helpers`); new code imports from the module that holds the name.
"""

from __future__ import annotations

from support.hostguard import *  # noqa: F403
from support.iporacle import *  # noqa: F403
from support.nlrun import *  # noqa: F403
from support.resources import *  # noqa: F403
from support.testns import *  # noqa: F403
