"""A sample grammar for the engine's tests: a realistic subset of ip's syntax.

It declares into its own `SAMPLE` registry, so the tests do not depend on the real declaration
modules (nlshell/commands/link.py ...), which other people write.
"""

from __future__ import annotations

from nlshell.commands import slots as S
from nlshell.commands.grammar import (
    Branch,
    Flag,
    Group,
    Kw,
    OneOf,
    Pos,
    Registry,
    Rest,
    Switch,
)

SAMPLE = Registry()

MTU = S.number(68, 65535, example="e.g. 1500")
U32 = S.NUMBER
BRD = S.ADDR.with_words({"+": ("+", "derive from the prefix"), "-": ("-", "all host bits clear")})
STATE = {"up": "bring the device up", "down": "bring the device down"}
ONOFF = S.choice("ONOFF", {"on": (True, "enable"), "off": (False, "disable")})

# -- link ------------------------------------------------------------------------------------

link = SAMPLE.object("link", "network devices", shortcuts=["l"], default="show")

link.verb("show", "list devices and their attributes", aliases=["list", "lst"],
          shortcuts=["s", "sh"], params=[
              Pos("dev", S.IFNAME, "only this device", keyword="dev", required=False),
              Flag("up", "only devices that are up"),
              Kw("type", S.LINK_KIND, "only devices of this kind"),
              Kw("master", S.IFNAME, "only ports of this master"),
          ])

PEER = Group("peer", "the other end of the pair", [
    Kw("name", S.NEW_IFNAME, "name of the peer", required=True, metavar="NAME"),
    Kw("address", S.LLADDR, "MAC address of the peer"),
    Kw("mtu", MTU, "MTU of the peer"),
    Kw("netns", S.NETNS, "namespace of the peer"),
])

VXLAN = Branch("VXLAN tunnel", [
    Kw("id", S.number(0, 0xFFFFFF, name="VNI"), "VXLAN network identifier", required=True),
    Kw("dstport", S.number(0, 65535, name="PORT"), "UDP destination port"),
    Kw("local", S.ADDR, "source address"),
    Kw("remote", S.ADDR, "unicast destination"),
    Kw("group", S.ADDR, "multicast group"),
    Kw("dev", S.IFNAME, "underlying device"),
    Kw("ttl", S.number(0, 255), "time to live"),
    OneOf("learning", {"learning": "learn remote MACs", "nolearning": "do not learn"},
          values={"learning": True, "nolearning": False}),
])

MACVLAN_MODE = S.choice("MODE", {
    "private": "no traffic between macvlans", "vepa": "through the external switch",
    "bridge": "bridge between macvlans", "passthru": "one macvlan takes over", "source": "by source MAC",
})

link.verb("add", "create a virtual device", params=[
    Pos("name", S.NEW_IFNAME, "name of the new device", keyword="name", metavar="NAME"),
    Kw("link", S.IFNAME, "the lower device"),
    Kw("mtu", MTU, "maximum transmission unit"),
    Kw("txqueuelen", U32, "transmit queue length", aliases=["txqlen"]),
    Kw("address", S.LLADDR, "MAC address"),
    Kw("netns", S.NETNS, "create it in this namespace"),
    Switch("type", "device kind", {
        "veth": Branch("virtual ethernet pair", [PEER]),
        "vxlan": VXLAN,
        "macvlan": Branch("MAC-based VLAN", [Kw("mode", MACVLAN_MODE, "macvlan mode")]),
        "bridge": Branch("Ethernet bridge", [
            Kw("stp_state", S.number(0, 1), "spanning tree on (1) or off (0)"),
            Kw("forward_delay", U32, "forwarding delay"),
            Kw("vlan_filtering", S.number(0, 1), "VLAN filtering"),
        ]),
        "ifb": "intermediate functional block",
    }, required=True, metavar="KIND"),
])

link.verb("set", "change device attributes", shortcuts=["se"], params=[
    Pos("dev", S.IFNAME, "the device", keyword="dev"),
    OneOf("state", STATE),
    Kw("mtu", MTU, "maximum transmission unit"),
    Kw("name", S.NEW_IFNAME, "rename it", metavar="NAME"),
    Kw("address", S.LLADDR, "MAC address"),
    Kw("broadcast", S.LLADDR, "broadcast MAC address", aliases=["brd"]),
    Kw("txqueuelen", U32, "transmit queue length", aliases=["txqlen"]),
    Kw("netns", S.NETNS, "move it into this namespace"),
    Kw("master", S.IFNAME, "enslave it to this device"),
    Flag("nomaster", "release it from its master"),
    Kw("alias", S.STRING, "a description"),
    Kw("arp", ONOFF, "ARP on this device"),
], conflicts=[("master", "nomaster")])

link.verb("delete", "delete a virtual device", aliases=["del"], shortcuts=["d"], params=[
    Pos("dev", S.IFNAME, "the device", keyword="dev"),
    Kw("type", S.LINK_KIND, "only if it is of this kind"),
])

# -- address ---------------------------------------------------------------------------------

address = SAMPLE.object("address", "protocol addresses", aliases=["addr"], shortcuts=["a"],
                        default="show")

address.verb("show", "list addresses", aliases=["list", "lst"], shortcuts=["s", "sh"], params=[
    Pos("dev", S.IFNAME, "only on this device", keyword="dev", required=False),
    Kw("scope", S.SCOPE, "only with this scope"),
    Kw("to", S.PREFIX, "only inside this prefix"),
    Kw("label", S.STRING, "only with this label"),
    Flag("up", "only on devices that are up"),
    OneOf("kind", {"permanent": "only permanent", "dynamic": "only dynamic"}),
])

address.verb("add", "add an address", params=[
    Pos("local", S.IFADDR, "the address and prefix length", keyword="local"),
    Kw("dev", S.IFNAME, "the device", required=True),
    Kw("peer", S.IFADDR, "the remote end of a point-to-point link"),
    Kw("broadcast", BRD, "broadcast address", aliases=["brd"], bare="+"),
    Kw("label", S.STRING, "a label (name:tag)"),
    Kw("scope", S.SCOPE, "address scope"),
    Kw("valid_lft", S.DURATION, "valid lifetime"),
    Kw("preferred_lft", S.DURATION, "preferred lifetime"),
    Kw("metric", U32, "metric of the prefix route", aliases=["priority"]),
    Flag("noprefixroute", "do not add the prefix route"),
    Flag("nodad", "skip duplicate address detection (IPv6)"),
    Flag("home", "home address (IPv6)"),
])

address.verb("delete", "remove an address", aliases=["del"], shortcuts=["d"], params=[
    Pos("local", S.IFADDR, "the address", keyword="local", source="addresses"),
    Kw("dev", S.IFNAME, "the device", required=True),
    Kw("label", S.STRING, "the label"),
])

address.verb("flush", "remove addresses", shortcuts=["f"], params=[
    Pos("dev", S.IFNAME, "only on this device", keyword="dev", required=False),
    Kw("scope", S.SCOPE, "only with this scope"),
    Kw("to", S.PREFIX, "only inside this prefix"),
    Kw("label", S.STRING, "only with this label"),
    OneOf("kind", {"permanent": "only permanent", "dynamic": "only dynamic"}),
])

# -- route -----------------------------------------------------------------------------------

route = SAMPLE.object("route", "routing table entries", shortcuts=["r", "ro"], default="show")

route.verb("show", "list routes", aliases=["list", "lst"], shortcuts=["s", "sh"], params=[
    Pos("selector", S.choice("SELECTOR", {"root": "routes inside PREFIX",
                                          "match": "routes covering PREFIX",
                                          "exact": "exactly PREFIX"}),
        "how PREFIX selects", required=False),
    Pos("prefix", S.PREFIX_ALL, "destination", keyword="to", required=False, source="routes"),
    Kw("table", S.TABLE, "routing table"),
    Kw("dev", S.IFNAME, "output device"),
    Kw("via", S.ADDR, "gateway"),
    Kw("src", S.ADDR, "preferred source"),
    Kw("proto", S.PROTO, "routing protocol"),
    Kw("scope", S.SCOPE, "route scope"),
    Kw("type", S.RTTYPE, "route type"),
])

NEXTHOP = Group("nexthop", "one path of a multipath route", [
    Kw("via", S.ADDR, "gateway"),
    Kw("dev", S.IFNAME, "output device"),
    Kw("weight", S.number(1, 256), "relative weight"),
    Flag("onlink", "the gateway is on the link"),
], repeat=True, metavar="NH",
    check=lambda v: None if ("via" in v or "dev" in v) else "needs via or dev")


def _route_params(prefix_source: str | None = None) -> list:
    return [
        Pos("type", S.RTTYPE, "route type", required=False, metavar="TYPE"),
        Pos("prefix", S.PREFIX, "destination", keyword="to", source=prefix_source),
        Kw("via", S.ADDR, "gateway"),
        Kw("dev", S.IFNAME, "output device", aliases=["oif"]),
        Kw("src", S.ADDR, "preferred source"),
        Kw("metric", U32, "route priority", aliases=["priority", "preference"]),
        Kw("table", S.TABLE, "routing table"),
        Kw("proto", S.PROTO, "routing protocol"),
        Kw("scope", S.SCOPE, "route scope"),
        Kw("mtu", MTU, "path MTU"),
        Flag("onlink", "the gateway is on the link"),
        NEXTHOP,
    ]


for _verb, _help, _aliases, _shortcuts in [
    ("add", "add a route", [], []),
    ("delete", "delete a route", ["del"], ["d"]),
    ("change", "change a route", ["chg"], []),
    ("replace", "add or change a route", [], []),
]:
    route.verb(_verb, _help, _route_params("routes" if _verb == "delete" else None),
               aliases=_aliases, shortcuts=_shortcuts, conflicts=[("via", "nexthop")])

route.verb("get", "the route a packet would take", shortcuts=["g"], params=[
    Pos("to", S.PREFIX, "destination", keyword="to", metavar="ADDR"),
    Kw("from", S.ADDR, "source address"),
    Kw("iif", S.IFNAME, "input device"),
    Kw("oif", S.IFNAME, "output device"),
    Kw("mark", S.FWMARK, "firewall mark"),
    Flag("fibmatch", "show the matching entry"),
])

# -- neighbour ---------------------------------------------------------------------------------

neigh = SAMPLE.object("neighbour", "ARP / NDP entries", aliases=["neighbor", "neigh"],
                      shortcuts=["n"], default="show")

neigh.verb("show", "list entries", aliases=["list", "lst"], shortcuts=["s", "sh"], params=[
    Pos("to", S.PREFIX, "only inside this prefix", keyword="to", required=False),
    Kw("dev", S.IFNAME, "only on this device"),
    Kw("nud", S.NUD.with_words({"all": (-1, "every state")}), "only in this state"),
])

neigh.verb("add", "add an entry", params=[
    Pos("to", S.ADDR, "the neighbour's address", keyword="to"),
    Kw("dev", S.IFNAME, "the device", required=True),
    Kw("lladdr", S.LLADDR, "its link-layer address"),
    Kw("nud", S.NUD, "entry state"),
    Flag("proxy", "a proxy entry"),
    Flag("router", "the neighbour is a router"),
])

# -- rule ------------------------------------------------------------------------------------

rule = SAMPLE.object("rule", "routing policy rules", shortcuts=["ru"], default="show")
rule.verb("show", "list rules", aliases=["list", "lst"], shortcuts=["s", "sh"])
rule.verb("add", "add a rule", params=[
    Flag("not", "invert the selector"),
    Kw("from", S.PREFIX_ALL, "source prefix"),
    Kw("to", S.PREFIX_ALL, "destination prefix"),
    Kw("iif", S.IFNAME, "input device"),
    Kw("oif", S.IFNAME, "output device"),
    Kw("fwmark", S.FWMARK, "firewall mark"),
    Kw("priority", U32, "rule priority", aliases=["preference", "order"]),
    Kw("table", S.TABLE, "routing table", aliases=["lookup"]),
    Kw("goto", U32, "jump to the rule with this priority"),
])

# -- netns ------------------------------------------------------------------------------------

netns = SAMPLE.object("netns", "network namespaces", default="list")
netns.verb("list", "list namespaces", aliases=["show", "lst"], shortcuts=["l", "s", "sh"])
netns.verb("add", "create a namespace", params=[Pos("name", S.NEW_NETNS, "its name", metavar="NAME")])
netns.verb("attach", "name the namespace of a process", params=[
    Pos("name", S.NEW_NETNS, "the name to give", metavar="NAME"),
    Pos("pid", S.number(1, 2**22, name="PID"), "the process"),
])
netns.verb("delete", "delete a namespace", aliases=["del"], shortcuts=["d"],
           params=[Pos("name", S.NETNS, "the namespace")])
netns.verb("identify", "the namespace of a process", params=[
    Pos("pid", S.number(1, 2**22, name="PID"), "the process", required=False),
])
netns.verb("exec", "run a program inside a namespace", params=[
    Pos("name", S.NETNS, "the namespace"),
    Rest("argv", "the program and its arguments", metavar="COMMAND", required=True),
])

# -- shell words -----------------------------------------------------------------------------

SAMPLE.command("cd", "enter a namespace", [
    Pos("name", S.NETNS.with_words({"/": "where nlshell started", "-": "the previous one"}),
        "namespace", metavar="NETNS"),
])
SAMPLE.command("pwd", "name the current namespace")
SAMPLE.command("ls", "list the namespaces")
SAMPLE.command("help", "help on commands", [
    Rest("topic", "command words", slot=S.COMMAND, metavar="WORDS"),
])
SAMPLE.command("watch", "rerun a command and show what changed", [
    Kw("interval", S.number(1, 3600), "seconds between runs"),
    Rest("command", "the command", slot=S.COMMAND, required=True),
])
SAMPLE.command("monitor", "print kernel events", [
    Pos("objects", S.choice("WHAT", {"all": "everything", "link": "devices",
                                     "address": "addresses", "route": "routes",
                                     "neigh": "neighbours", "rule": "rules"}),
        "what to watch", required=False, repeat=True),
    Flag("label", "prefix events with their kind"),
])
SAMPLE.command("exit", "leave nlshell", aliases=["quit"])
