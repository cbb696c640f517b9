"""tc filter actions: gact (drop, pass) and mirred (redirect, mirror), from the command line
and the keyword API.

The bytes are checked against strings laid out here from the kernel's uapi headers
(tc_act/tc_gact.h, tc_act/tc_mirred.h, pkt_cls.h). This kernel has no classifier (matchall,
u32, flower: "TC classifier not found") and no act_gact, so the kernel step runs where
they exist and is skipped here, naming the missing module.
"""

from __future__ import annotations

import json
import socket
import struct
import subprocess
from typing import Any

import pytest
from support.iporacle import VETH_V0, batch
from support.nlrun import nl
from support.testns import requires_root

from nlshell.engine.codec import constants as C
from nlshell.engine.codec import encode
from nlshell.engine.requests import tc as T

NESTED = C.NLA_F_NESTED
INGRESS = 0xFFFFFFF2
ALL = socket.htons(C.ETH_P_ALL)


def nla(atype: int, payload: bytes) -> bytes:
    ln = 4 + len(payload)
    return struct.pack("=HH", ln, atype) + payload + b"\0" * (-ln & 3)


def gact(verdict: int) -> bytes:
    # TCA_ACT_KIND "gact", TCA_ACT_OPTIONS { TCA_GACT_PARMS: struct tc_gact = tc_gen:
    # index, capab, action, refcnt, bindcnt }
    return nla(1, b"gact\0") + nla(2 | NESTED, nla(2, struct.pack("=IIiii", 0, 0, verdict,
                                                                  0, 0)))


def mirred(eaction: int, verdict: int, ifindex: int) -> bytes:
    # struct tc_mirred: tc_gen, then eaction (TCA_EGRESS_REDIR 1, _MIRROR 2, TCA_INGRESS_REDIR
    # 3, _MIRROR 4) and ifindex
    parms = struct.pack("=IIiiiiI", 0, 0, verdict, 0, 0, eaction, ifindex)
    return nla(1, b"mirred\0") + nla(2 | NESTED, nla(2, parms))


def matchall(index: int, *acts: bytes, prio: int = 0) -> bytes:
    """tcmsg + TCA_KIND matchall + TCA_OPTIONS { TCA_MATCHALL_ACT { 1: act, 2: act } }."""
    head = struct.pack("=BxxxiIII", 0, index, 0, INGRESS, prio << 16 | ALL)
    listed = b"".join(nla(i | NESTED, a) for i, a in enumerate(acts, 1))
    return head + nla(1, b"matchall\0") + nla(2 | NESTED, nla(2 | NESTED, listed))


def body(req: Any) -> bytes:
    return encode(req.msg_type, req.flags, 0, req.fields, req.attrs)[16:]


DROP, PASS, STOLEN, PIPE = 2, 0, 4, 3  # TC_ACT_SHOT, TC_ACT_OK, TC_ACT_STOLEN, TC_ACT_PIPE


# -- the keyword API (no kernel) ------------------------------------------------------------------


@pytest.mark.parametrize("action, want", [
    ("drop", gact(DROP)),
    ("pass", gact(PASS)),
    ({"kind": "gact", "action": "drop"}, gact(DROP)),
    ({"kind": "mirred", "direction": "egress", "action": "redirect", "ifindex": 7},
     mirred(1, STOLEN, 7)),
    ({"kind": "mirred", "direction": "egress", "action": "mirror", "ifindex": 7},
     mirred(2, PIPE, 7)),
    ({"kind": "mirred", "direction": "ingress", "action": "redirect", "ifindex": 7},
     mirred(3, STOLEN, 7)),
    ({"kind": "mirred", "direction": "ingress", "action": "mirror", "ifindex": 7},
     mirred(4, PIPE, 7)),
])
def test_api_bytes(action: Any, want: bytes) -> None:
    req = T.tc_request("add-filter", "matchall", {"index": 2, "parent": "ffff:fff2",
                                                  "action": action})
    assert body(req) == matchall(2, want)


def test_api_two_actions_in_order() -> None:
    acts = [{"kind": "mirred", "direction": "egress", "action": "mirror", "ifindex": 3}, "drop"]
    req = T.tc_request("add-filter", "matchall", {"index": 2, "parent": "ffff:fff2",
                                                  "action": acts})
    assert body(req) == matchall(2, mirred(2, PIPE, 3), gact(DROP))


@pytest.mark.parametrize("action, word", [
    ("explode", "explode"),
    ({"kind": "mirred", "direction": "sideways", "action": "redirect", "ifindex": 1},
     "sideways"),
    ({"kind": "mirred", "direction": "egress", "action": "redirect"}, "ifindex"),
    ({"kind": "skbedit"}, "skbedit"),
])
def test_api_bad_actions_name_the_word(action: Any, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        T.tc_request("add-filter", "matchall", {"index": 2, "parent": "ffff:fff2",
                                                "action": action})


# -- the command line -----------------------------------------------------------------------------


@pytest.fixture
def v0(ns: str) -> str:
    batch(ns, VETH_V0)
    subprocess.run(["tc", "-n", ns, "qdisc", "add", "dev", "v1", "clsact"], check=True)
    return ns


def ifindex(ns: str, name: str) -> int:
    out = subprocess.run(["ip", "-n", ns, "-j", "link", "show", name], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)[0]["ifindex"]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The bytes of every tc request the command line makes (not sent to the kernel)."""
    from nlshell.commands import tc as cmd

    out: list[bytes] = []

    def capture(ctx: Any, verb: str, kind: Any, kw: dict[str, Any]) -> None:
        try:
            out.append(body(T.tc_request(verb, kind, kw)))
        except ValueError as exc:
            raise cmd._error(str(exc)) from None

    monkeypatch.setattr(cmd, "_send", capture)
    return out


@requires_root
@pytest.mark.parametrize("words, acts", [
    ("action drop", lambda v0: [gact(DROP)]),
    ("action pass", lambda v0: [gact(PASS)]),
    ("action ok", lambda v0: [gact(PASS)]),
    ("action gact drop", lambda v0: [gact(DROP)]),
    ("action mirred egress redirect dev v0", lambda v0: [mirred(1, STOLEN, v0)]),
    ("action mirred ingress mirror dev v0", lambda v0: [mirred(4, PIPE, v0)]),
    ("action mirred egress mirror dev v0 action drop",
     lambda v0: [mirred(2, PIPE, v0), gact(DROP)]),
])
def test_command_line_bytes(v0: str, sent: list[bytes], words: str, acts: Any) -> None:
    res = nl(v0, f"tc filter add dev v1 ingress matchall {words}")
    assert res.code == 0, res
    assert sent == [matchall(ifindex(v0, "v1"), *acts(ifindex(v0, "v0")))]


@requires_root
@pytest.mark.parametrize("words, word", [
    ("action explode", "explode"),
    ("action mirred egress dev v0", "redirect|mirror"),
    ("action mirred redirect dev v0", "egress|ingress"),
    ("action mirred egress redirect", "dev"),
    ("action mirred egress redirect dev nosuch", "nosuch"),
    ("action mirred drop egress redirect dev v0", "drop"),
    ("action drop redirect", "redirect"),
    ("action pass dev v0", "dev"),
])
def test_bad_actions_one_line_nothing_applied(v0: str, words: str, word: str) -> None:
    res = nl(v0, f"tc filter add dev v1 ingress matchall {words}")
    assert res.code != 0 and word in res.err and res.err.count("\n") == 1, res
    shown = subprocess.run(["tc", "-n", v0, "filter", "show", "dev", "v1", "ingress"],
                           check=True, capture_output=True, text=True).stdout
    assert shown == ""


def test_completion_offers_the_action_words() -> None:
    from nlshell.commands.suggest import suggest

    words = {s.text for s in suggest("tc filter add dev v1 ingress matchall action ")}
    assert {"drop", "pass", "gact", "mirred"} <= words
    words = {s.text for s in suggest("tc filter add dev v1 ingress matchall action mirred ")}
    assert {"egress", "ingress", "redirect", "mirror", "dev"} <= words


# -- the kernel step -------------------------------------------------------------------------------

MISSING = {"TC classifier not found": "cls_matchall",
           "Failed to load TC action module": "the action module (act_gact / act_mirred)"}


def _skip_if_missing(err: str) -> None:
    for text, module in MISSING.items():
        if text in err:
            pytest.skip(f"the kernel lacks {module}: {err.strip()}")


@requires_root
@pytest.mark.parametrize("words, kind", [
    ("action drop", "gact"),
    ("action mirred egress redirect dev v0", "mirred"),
])
def test_kernel_step_checked_with_tc(v0: str, words: str, kind: str) -> None:
    res = nl(v0, f"tc filter add dev v1 ingress matchall {words}")
    if res.code != 0:
        _skip_if_missing(res.err)
    assert res.code == 0, res
    out = subprocess.run(["tc", "-n", v0, "-j", "filter", "show", "dev", "v1", "ingress"],
                         check=True, capture_output=True, text=True).stdout
    shown = json.loads(out)
    acts = [a for f in shown for a in f.get("options", {}).get("actions", [])]
    assert [a["kind"] for a in acts] == [kind]


@requires_root
def test_kernel_step_through_the_api(v0: str) -> None:
    from nlshell import NetlinkError, NetNS

    with NetNS(v0) as ipr:
        v1 = ipr.link_lookup(ifname="v1")[0]
        try:
            ipr.tc("add-filter", "matchall", v1, parent="ffff:fff2", action="drop")
        except NetlinkError as exc:
            _skip_if_missing(str(exc))
            raise
        assert [f.get("kind") for f in ipr.get_filters(v1, parent="ffff:fff2")] == ["matchall"]
