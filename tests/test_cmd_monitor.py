"""`monitor`: timestamped, labelled event lines from a real `nlshell` process.

The process is bounded by NLSHELL_MONITOR_COUNT / NLSHELL_MONITOR_SECONDS and says
"monitor: listening" on stderr (NLSHELL_MONITOR_READY) once subscribed, so the test makes
its changes only then.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Sequence

import pytest
from support import iporacle, nlrun, testns

pytestmark = testns.requires_root
STAMP = r"\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\]"


def start(ns: str, args: Sequence[str], count: int | None = None,
          seconds: float = 20) -> subprocess.Popen:
    env = nlrun.nlshell_env(NLSHELL_MONITOR_READY="1", NLSHELL_MONITOR_SECONDS=str(seconds))
    if count is not None:
        env["NLSHELL_MONITOR_COUNT"] = str(count)
    proc = subprocess.Popen(nlrun.nlshell_argv("-n", ns, *args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert line == "monitor: listening\n", line + proc.stderr.read()
    return proc


def finish(proc: subprocess.Popen) -> list[str]:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out.splitlines()


def test_all_objects(ns: str) -> None:
    proc = start(ns, ["monitor"], seconds=5)  # room for a slow batch on a loaded machine
    iporacle.batch(ns, """\
link add m0 type veth peer name m1
link set m0 up
addr add 192.0.2.1/24 dev m0
route add 198.51.100.0/24 via 192.0.2.254
neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev m0
rule add pref 100 table 100
link del m0
""")
    lines = finish(proc)
    assert lines and all(re.match(STAMP + r" \[[A-Z]+\] ", line) for line in lines), lines
    labels = {re.match(STAMP + r" \[([A-Z]+)\]", line).group(1) for line in lines}
    assert {"LINK", "ADDR", "ROUTE", "NEIGH", "RULE"} <= labels
    text = "\n".join(lines)
    assert re.search(r"\[ADDR\] \d+: m0    inet 192.0.2.1/24 scope global m0", text)
    assert "[ROUTE] 198.51.100.0/24 via 192.0.2.254 dev m0" in text
    assert "[NEIGH] 192.0.2.9 dev m0 lladdr 02:00:00:00:00:09 PERMANENT" in text
    assert "[RULE] 100:\tfrom all lookup 100" in text  # ip's tab
    assert re.search(r"\[LINK\] Deleted \d+: m0", text)


def test_selected_object_and_count(ns: str) -> None:
    proc = start(ns, ["monitor", "address"], count=2)
    iporacle.sh(ns, "link", "add", "m0", "type", "ifb")
    iporacle.sh(ns, "addr", "add", "192.0.2.1/24", "dev", "m0")
    iporacle.sh(ns, "addr", "add", "2001:db8::1/64", "dev", "m0", "nodad")
    lines = finish(proc)  # ends by itself after two events
    assert len(lines) == 2 and all("[ADDR]" in line for line in lines)
    assert "inet6 2001:db8::1/64" in lines[1]


def test_family_and_json(ns: str) -> None:
    testns.no_dad(ns)
    iporacle.sh(ns, "link", "add", "m0", "type", "ifb")
    iporacle.sh(ns, "link", "set", "m0", "up")  # its own IPv6 routes come before the monitor
    proc = start(ns, ["-6", "-j", "monitor", "route"], count=1)
    iporacle.sh(ns, "route", "add", "192.0.2.0/24", "dev", "m0")  # IPv4: not heard
    iporacle.sh(ns, "route", "add", "2001:db8:5::/64", "dev", "m0")
    (line,) = finish(proc)
    event = json.loads(line)
    assert event["object"] == "route" and re.fullmatch(STAMP[2:-2], event["timestamp"])
    assert event["dst"] == "2001:db8:5::/64" and event["dev"] == "m0"


def test_all_nsid(ns: str, ns2: str) -> None:
    iporacle.sh(ns, "netns", "set", ns2, "11")  # ns gives ns2 the id 11
    proc = start(ns, ["monitor", "link", "all-nsid"], count=1)
    iporacle.sh(ns2, "link", "add", "far0", "type", "ifb")
    (line,) = finish(proc)
    assert f"[nsid 11 {ns2}] [LINK]" in line and "far0" in line


def test_nsid_events(ns: str, ns2: str) -> None:
    proc = start(ns, ["monitor", "nsid"], count=1)
    iporacle.sh(ns, "netns", "set", ns2, "12")
    (line,) = finish(proc)
    assert "[NSID] nsid 12" in line


def test_interrupt_exits_zero(ns: str) -> None:
    proc = start(ns, ["monitor"], seconds=30)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_timeout_without_events(ns: str) -> None:
    started = time.monotonic()
    proc = start(ns, ["monitor", "rule"], seconds=0.5)
    assert finish(proc) == []
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("line", ["monitor bogus", "monitor link all-nsid extra"])
def test_bad_words(ns: str, line: str) -> None:
    proc = nlrun.run_nlshell("-n", ns, "-c", line)
    assert proc.returncode == 255 and len(proc.stderr.strip().splitlines()) == 1
    assert line.split()[-1] in proc.stderr
