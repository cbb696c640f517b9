"""Before-images of a namespace, and the restore that brings it back to one.

    before = capture(ipr)          # every link, address, route, neighbour and rule
    ...                            # changes (a batch)
    notes = restore(ipr, before)   # back to the before-image; notes: what is not exact

The restore works from the state, not from the commands that changed it: what exists now
and not in the before-image is deleted (objects first, then links); what the before-image
has and the namespace lost is re-created from its dumped message (links with their old
ifindex and MAC, so routes and neighbours naming that index fit again); what changed is
set back. Objects the kernel makes itself (routes of proto kernel, IPv6 addresses that are
not permanent) come back with their links and addresses and are not sent. At the end the
namespace is dumped again: every object that still differs is named in the notes.
"""

from __future__ import annotations

import errno
from typing import Any

from .cache import describe
from .cache_keys import key_of, same_state, wanted
from .codec import constants as C
from .errors import NetlinkError
from .requests.inverse import delete_of, retyped

# (cache kind, kernel_dump object), in the order they are captured
DUMPS = (("link", "link"), ("address", "addr"), ("route", "route"),
         ("neighbour", "neigh"), ("rule", "rule"))

State = dict[str, dict[Any, Any]]  # kind -> {identity key: Message}

# errors that mean "already as wanted" for a delete or a re-add
_GONE = {errno.ENOENT, errno.ESRCH, errno.ENODEV, errno.EADDRNOTAVAIL}
_EEXIST = errno.EEXIST

# what a re-created link of each kind takes from its before-image's IFLA_INFO_DATA (the
# settings; the rest of the dump is state the kernel reports: timers, counters, ids)
KIND_SETTINGS: dict[str, tuple[str, ...]] = {
    "bridge": ("IFLA_BR_FORWARD_DELAY", "IFLA_BR_HELLO_TIME", "IFLA_BR_MAX_AGE",
               "IFLA_BR_AGEING_TIME", "IFLA_BR_STP_STATE", "IFLA_BR_PRIORITY",
               "IFLA_BR_VLAN_FILTERING", "IFLA_BR_GROUP_FWD_MASK", "IFLA_BR_MCAST_SNOOPING"),
    "vxlan": ("IFLA_VXLAN_ID", "IFLA_VXLAN_GROUP", "IFLA_VXLAN_GROUP6", "IFLA_VXLAN_LOCAL",
              "IFLA_VXLAN_LOCAL6", "IFLA_VXLAN_LINK", "IFLA_VXLAN_TTL", "IFLA_VXLAN_TOS",
              "IFLA_VXLAN_LEARNING", "IFLA_VXLAN_AGEING", "IFLA_VXLAN_PORT",
              "IFLA_VXLAN_UDP_CSUM"),
    "macvlan": ("IFLA_MACVLAN_MODE", "IFLA_MACVLAN_FLAGS"),
    "macvtap": ("IFLA_MACVLAN_MODE", "IFLA_MACVLAN_FLAGS"),
    "veth": (),
    "ifb": (),
}
# kinds a netlink request cannot create (tun/tap need an ioctl on /dev/net/tun)
_NOT_BY_NETLINK = {"tun"}


def capture(ipr: Any) -> State:
    """The namespace's objects now, by identity key (the before-image)."""
    state: State = {}
    for kind, obj in DUMPS:
        table: dict[Any, Any] = {}
        for msg in ipr.kernel_dump(obj):
            if wanted(kind, msg):
                key = key_of(kind, msg)
                if key is not None:
                    table[key] = msg
        state[kind] = table
    return state


def kernel_made(kind: str, msg: Any) -> bool:
    """Objects the kernel makes with links and addresses: never sent back."""
    if kind == "route":
        return msg["proto"] == C.RTPROT_KERNEL
    if kind == "address":
        return msg["family"] == C.AF_INET6 and not (
            (msg.get("IFA_FLAGS") or msg["flags"]) & C.IFA_F_PERMANENT)
    if kind == "neighbour":
        return not msg["state"] & (C.NUD_PERMANENT | C.NUD_NOARP)
    return False


class _Restore:
    def __init__(self, ipr: Any, before: State) -> None:
        self.ipr = ipr
        self.before = before
        self.notes: list[str] = []
        self.sent = 0

    def send(self, req: Any, what: str, ok: set[int]) -> None:
        try:
            self.ipr.send(req)
            self.sent += 1
        except NetlinkError as exc:
            if exc.code not in ok:
                self.notes.append(f"{what}: {exc.msg or exc}")

    def link(self, what: str, **kw: Any) -> None:
        try:
            self.ipr.link(kw.pop("cmd"), **kw)
            self.sent += 1
        except NetlinkError as exc:
            if exc.code not in _GONE:
                self.notes.append(f"{what}: {exc.msg or exc}")
        except ValueError as exc:
            self.notes.append(f"{what}: {exc}")

    def run(self) -> list[str]:
        before = self.before
        now = capture(self.ipr)
        # 1. objects the batch added (or changed: their before-image comes back below)
        for kind in ("rule", "neighbour", "route", "address"):
            for key, msg in now[kind].items():
                old = before[kind].get(key)
                if old is None or (kind in ("rule", "neighbour") and
                                   not same_state(kind, old, msg)):
                    if old is None and kernel_made(kind, msg):
                        continue
                    self.send(delete_of(msg), f"{kind} {describe(kind, msg)}", _GONE)
        # 2. links the batch added (a veth's peer goes with it)
        for index in now["link"]:
            if index not in before["link"]:
                self.link(f"link {index}", cmd="del", index=index)
        # 3. every link's settings as they were (name, MTU, MAC, master, up/down): once
        # before the deleted links come back (a macvlan needs its lower device's MTU),
        # once after (a port's master may be one of them)
        self.reset_links()
        # 4. links the batch deleted, with their old index and MAC
        now = capture(self.ipr)
        self.recreate_links([i for i in before["link"] if i not in now["link"]])
        self.reset_links()
        # 5. addresses, routes, neighbours and rules the before-image has and now lacks
        now = capture(self.ipr)
        for kind in ("address", "route", "neighbour", "rule"):
            for key, old in before[kind].items():
                cur = now[kind].get(key)
                if kernel_made(kind, old) or (cur is not None and same_state(kind, old, cur)):
                    continue
                self.send(self.readd(kind, old), f"{kind} {describe(kind, old)}", {_EEXIST})
        self.verify()
        return self.notes

    @staticmethod
    def readd(kind: str, old: Any) -> bytes:
        mtype = {"address": C.RTM_NEWADDR, "route": C.RTM_NEWROUTE,
                 "neighbour": C.RTM_NEWNEIGH, "rule": C.RTM_NEWRULE}[kind]
        flags = C.NLM_F_CREATE | (0 if kind == "rule" else C.NLM_F_REPLACE)
        return retyped(old.raw(), mtype, flags | C.NLM_F_ACK)

    def recreate_links(self, indexes: list[int]) -> None:
        done: set[int] = set()
        olds = self.before["link"]
        # lower devices and masters before the links that name them
        indexes.sort(key=lambda i: (olds[i].get("link") in indexes, i))
        for index in indexes:
            if index in done:
                continue
            old = olds[index]
            name = old.get("ifname")
            kind = old.get(("linkinfo", "kind"))
            if kind is None or kind in _NOT_BY_NETLINK or kind not in KIND_SETTINGS:
                self.notes.append(f"link {name} (index {index}): a {kind or 'physical'} "
                                  "device cannot be re-created")
                continue
            kw: dict[str, Any] = {"cmd": "add", "ifname": name, "index": index, "kind": kind}
            kw.update(_basic(old))
            data = old.get(("linkinfo", "data"))
            for attr in KIND_SETTINGS[kind]:
                value = data.get(attr) if data is not None else None
                if value is not None:
                    kw[attr] = value
            lower = old.get("link")
            if kind == "veth":
                peer = olds.get(lower) if lower else None
                if peer is None or old.get("link_netnsid") is not None:
                    self.notes.append(f"link {name}: its veth peer was in another namespace "
                                      "(re-created with a new peer)")
                    kw["peer"] = {"ifname": f"{name}p"[:15]}
                else:
                    kw["peer"] = {"ifname": peer.get("ifname"), "index": lower, **_basic(peer)}
                    done.add(lower)
            elif lower:
                kw["link"] = lower
            done.add(index)
            self.link(f"link {name}", **kw)

    def reset_links(self) -> None:
        links = {m["index"]: m for m in self.ipr.kernel_dump("link")}
        for index, old in self.before["link"].items():
            cur = links.get(index)
            if cur is not None:
                self.reset_link(old, cur, links)

    def reset_link(self, old: Any, cur: Any, links: dict[int, Any]) -> None:
        kw: dict[str, Any] = {}
        for attr in ("ifname", "mtu", "address", "txqlen"):
            if old.get(attr) is not None and old.get(attr) != cur.get(attr):
                kw[attr] = old.get(attr)
        master = old.get("master") or 0
        if master != (cur.get("master") or 0) and (not master or master in links):
            kw["master"] = master
        if (old["flags"] ^ cur["flags"]) & C.IFF_UP:
            kw["state"] = "up" if old["flags"] & C.IFF_UP else "down"
        if kw:
            self.link(f"link {old.get('ifname')}", cmd="set", index=old["index"], **kw)

    def verify(self) -> None:
        """Name every object that still differs from its before-image."""
        now = capture(self.ipr)
        for kind, table in self.before.items():
            for key, old in table.items():
                cur = now[kind].get(key)
                if kind == "link":
                    if cur is None:
                        self.notes.append(f"link {old.get('ifname')} is missing")
                    elif _link_settings(old) != _link_settings(cur):
                        self.notes.append(f"link {old.get('ifname')}: settings differ")
                elif cur is None and not kernel_made(kind, old):
                    self.notes.append(f"{kind} {describe(kind, old)} is missing")
            for key, cur in now[kind].items():
                if key not in table and not kernel_made(kind, cur):
                    self.notes.append(f"{kind} {describe(kind, cur)} is left over")


def _basic(msg: Any) -> dict[str, Any]:
    """A link's settings kept on re-creation: its MAC (a random one is kept too), MTU."""
    return {k: msg.get(k) for k in ("address", "mtu", "txqlen") if msg.get(k) is not None}


def _link_settings(msg: Any) -> tuple:
    return (msg.get("ifname"), msg.get("mtu"), msg.get("address"), msg.get("master") or 0,
            msg["flags"] & C.IFF_UP, msg.get(("linkinfo", "kind")))


def restore(ipr: Any, before: State) -> tuple[int, list[str]]:
    """Bring the namespace back to ``before``: (requests sent, what is not exact)."""
    job = _Restore(ipr, before)
    notes = job.run()
    return job.sent, notes


class Transaction:
    """Changes that can be taken back, as a context manager: the before-image is captured
    on entry; an exception leaving the block rolls the namespace back to it (and goes on).

        with IPRoute(netns='sandbox') as ipr, Transaction(ipr) as tx:
            ipr.link('add', ifname='v0', kind='veth', peer='v1')
            ...                        # an exception here: v0/v1 are gone again
        tx.rollback()                  # or roll back by hand; tx.notes: what is not exact
    """

    def __init__(self, ipr: Any) -> None:
        self.ipr = ipr
        self.before: State | None = None
        self.sent = 0
        self.notes: list[str] = []

    def __enter__(self) -> Transaction:
        self.before = capture(self.ipr)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.rollback()

    def rollback(self) -> list[str]:
        """Back to the state captured on entry; returns what could not be made exact."""
        if self.before is None:
            raise RuntimeError("rollback() outside the transaction's block")
        self.sent, self.notes = restore(self.ipr, self.before)
        return self.notes


# --- before-images across processes (the watchdog of `commit confirm`) -----------------

_KINDS = tuple(kind for kind, _obj in DUMPS)


def dump_state(state: State) -> bytes:
    """A before-image as bytes: per kind (in DUMPS order) its length, then its messages'
    raw bytes, each padded to 4 bytes as netlink frames them (`load_state` reads it)."""
    parts: list[bytes] = []
    for kind in _KINDS:
        blob = b"".join(m.raw().ljust((m.length + 3) & ~3, b"\0")
                        for m in state.get(kind, {}).values())
        parts.append(len(blob).to_bytes(8, "little") + blob)
    return b"".join(parts)


def load_state(data: bytes) -> State:
    """The before-image `dump_state` wrote, keyed again as `capture` keys it."""
    from .codec.message import parse

    state: State = {}
    off = 0
    for kind in _KINDS:
        size = int.from_bytes(data[off:off + 8], "little")
        blob, off = data[off + 8:off + 8 + size], off + 8 + size
        if len(blob) != size:
            raise ValueError("before-image cut short")
        table: dict[Any, Any] = {}
        for msg in parse(blob):
            key = key_of(kind, msg)
            if key is not None:
                table[key] = msg
        state[kind] = table
    return state


def differences(before: State, now: State) -> list[str]:
    """What changed since the before-image, one phrase per object ('link a0 added',
    'route 10.9.0.0/16 table 254 changed'); objects the kernel makes are left out."""
    out: list[str] = []
    for kind, table in before.items():
        cur_table = now.get(kind, {})
        for key, cur in cur_table.items():
            if key not in table and not _comes_with_links(kind, cur):
                out.append(f"{kind} {describe(kind, cur)} added")
        for key, old in table.items():
            cur = cur_table.get(key)
            if _comes_with_links(kind, old):
                continue
            if cur is None:
                out.append(f"{kind} {describe(kind, old)} deleted")
            elif (_link_settings(old) != _link_settings(cur) if kind == "link"
                  else not same_state(kind, old, cur)):
                out.append(f"{kind} {describe(kind, old)} changed")
    return out


def _comes_with_links(kind: str, msg: Any) -> bool:
    """Kernel-made objects, and IPv6 link-local addresses (they come and go with their
    links: naming them would only repeat the link's line)."""
    return kernel_made(kind, msg) or (kind == "address" and msg["family"] == C.AF_INET6
                                      and msg["scope"] == C.RT_SCOPE_LINK)


def undo(ipr: Any, before: State) -> tuple[list[str], int, list[str]]:
    """`restore`, saying first what it takes back: (what changed, requests sent, notes)."""
    changed = differences(before, capture(ipr))
    sent, notes = restore(ipr, before)
    return changed, sent, notes
