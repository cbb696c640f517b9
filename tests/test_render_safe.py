"""Terminal escapes in kernel strings never reach a terminal raw.

An interface may be named with ESC, CR or BEL in it (the kernel only refuses '/', ':' and
white space), and aliases, qdiscs, kinds and labels are free text. Human output (tables, -br
lines) shows them escaped; -j keeps the value (json.dumps escapes controls itself).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from support import iporacle

from nlshell.commands import render as R
from nlshell.commands.render.safe import printable
from nlshell.engine.codec import constants as C
from nlshell.engine.codec import encode, parse

EVIL = "a\x1b[31mb\rc\x07"
SHOWN = "a\\x1b[31mb\\x0dc\\x07"


@pytest.mark.parametrize(("raw", "shown"), [
    ("eth0", "eth0"), ("vé0", "vé0"), ("with space", "with space"), ("", ""),
    (EVIL, SHOWN), ("\x00\x7f\x9b", "\\x00\\x7f\\x9b"), ("a\u2028b", "a\\u2028b"),
])
def test_printable(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def _one(msg_type: int, fields: dict, attrs: list) -> object:
    (m,) = parse(encode(msg_type, fields=fields, attrs=attrs))
    return m


def _fake_link(name: str = EVIL) -> object:
    return _one(C.RTM_NEWLINK, {"index": 7, "flags": C.IFF_UP, "ifi_type": 1},
                [("IFLA_IFNAME", name), ("IFLA_IFALIAS", name), ("IFLA_QDISC", name),
                 ("IFLA_OPERSTATE", "UP"), ("IFLA_MTU", 1500),
                 ("IFLA_ADDRESS", "02:00:00:00:00:07"),
                 ("IFLA_LINKINFO", [("IFLA_INFO_KIND", name)])])


def _no_escape_in(text: str) -> None:
    assert "\x1b" not in text and "\r" not in text and "\x07" not in text, repr(text)
    assert SHOWN in text, repr(text)


def test_human_output_of_fake_messages_is_escaped() -> None:
    link = _fake_link()
    ctx = R.RenderContext([link], details=True)
    addr = _one(C.RTM_NEWADDR, {"family": C.AF_INET, "prefixlen": 24, "index": 7},
                [("IFA_LOCAL", "192.0.2.1"), ("IFA_ADDRESS", "192.0.2.1"),
                 ("IFA_LABEL", EVIL + ":1")])
    route = _one(C.RTM_NEWROUTE, {"family": C.AF_INET, "dst_len": 24, "table": 254,
                                  "type": C.RTN_UNICAST},
                 [("RTA_DST", "198.51.100.0"), ("RTA_OIF", 7)])
    mpath = _one(C.RTM_NEWROUTE, {"family": C.AF_INET, "dst_len": 24, "table": 254,
                                  "type": C.RTN_UNICAST},
                 [("RTA_DST", "203.0.113.0"),
                  ("RTA_MULTIPATH", [{"oif": 7, "attrs": [("RTA_GATEWAY", "192.0.2.9")]}])])
    neigh = _one(C.RTM_NEWNEIGH, {"family": C.AF_INET, "ifindex": 7,
                                  "state": C.NUD_REACHABLE},
                 [("NDA_DST", "192.0.2.2"), ("NDA_LLADDR", "02:00:00:00:00:02")])
    rule = _one(C.RTM_NEWRULE, {"family": C.AF_INET, "table": 254, "action": 1},
                [("FRA_PRIORITY", 5), ("FRA_IIFNAME", EVIL), ("FRA_OIFNAME", EVIL)])
    outputs = {
        "link table": R.link_table([link], ctx),
        "link brief": R.link_brief([link], ctx),
        "address table": R.address_table([addr], ctx),
        "address brief": R.address_brief([addr], ctx),
        "route table": R.route_table([route], ctx),
        "multipath table": R.route_table([mpath], ctx),
        "neighbour table": R.neighbour_table([neigh], ctx),
        "neighbour brief": R.neighbour_brief([neigh], ctx),
        "rule table": R.rule_table([rule], ctx),
    }
    for what, text in outputs.items():
        assert text, what
        _no_escape_in(text)
    # with colour on, the only escapes are the colour codes themselves
    coloured = R.link_table([link], ctx, color=True)
    assert "\x1b[31mb" not in coloured and SHOWN in coloured
    # JSON keeps the value
    (entry,) = R.link_json([link], ctx)
    assert entry["ifname"] == EVIL and entry["ifalias"] == EVIL
    assert EVIL in json.loads(json.dumps(entry))["linkinfo"]["info_kind"]


def test_a_real_link_named_with_an_escape(ns: str) -> None:
    name = "e\x1bx"  # the kernel takes it (dev_valid_name refuses only '/', ':', blanks)
    try:
        iporacle.sh(ns, "link", "add", name, "type", "veth", "peer", "name", "p\x07q")
    except iporacle.IpError as exc:
        pytest.skip(f"this kernel refuses the name: {exc}")
    for args in (["link", "show"], ["-br", "link", "show"], ["address", "show"],
                 ["-br", "address", "show"], ["--color=always", "link", "show"],
                 ["--color=always", "-br", "link", "show"]):
        out = subprocess.run([sys.executable, "-m", "nlshell", "-n", ns, *args],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, (args, out.stderr)
        text = out.stdout.replace("\x1b[0m", "")
        for code in ("\x1b[1m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[34m", "\x1b[35m",
                     "\x1b[36m"):
            text = text.replace(code, "")  # the colours themselves
        assert "\x1b" not in text and "\x07" not in text, (args, out.stdout)
        assert "e\\x1bx" in text and "p\\x07q" in text, (args, out.stdout)
    js = subprocess.run([sys.executable, "-m", "nlshell", "-n", ns, "-j", "link", "show"],
                        capture_output=True, text=True, timeout=60)
    assert {name, "p\x07q"} <= {e["ifname"] for e in json.loads(js.stdout)}
