"""The shell's ``monitor``: which forms run beside the prompt, and ``dev X`` honoured there.

``monitor file F`` and ``monitor help`` end by themselves, so the shell runs them in the
foreground like any command; ``monitor [OBJECTS] [dev X]`` listens in the background, with
only the device's events (an unknown device is the line's error, nothing started).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from support.nlrun import captured
from support.testns import requires_root

from nlshell.shell.monitor import BackgroundMonitor, background


@pytest.mark.parametrize("values, listens", [
    ({}, True),
    ({"objects": ["link", "nexthop"]}, True),
    ({"objects": ["link"], "dev": "v0"}, True),
    ({"file": "/tmp/x"}, False),
    ({"help": True}, False),
])
def test_which_forms_run_in_the_background(values: dict, listens: bool) -> None:
    assert background(SimpleNamespace(values=values)) is listens


@requires_root
def test_dev_filters_the_background_monitor(ns: str) -> None:
    with captured(ns) as cap:
        inv = SimpleNamespace(values={"objects": ["link"], "dev": "lo"}, words=["monitor"])
        mon = BackgroundMonitor(cap.ctx, inv, lambda line: None)
        try:
            assert mon._mon.dev == "lo"
        finally:
            mon.stop()
        bad = SimpleNamespace(values={"objects": ["link"], "dev": "nosuch"}, words=["monitor"])
        with pytest.raises(Exception, match="nosuch"):
            BackgroundMonitor(cap.ctx, bad, lambda line: None)
