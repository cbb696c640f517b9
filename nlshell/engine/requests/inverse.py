"""Requests that reverse others: the delete that undoes an add, and the delete of a
dumped object (what a flush sends). Both keep the object's identity.

An encoded request (bytes) is reversed by patching its header (message type and flags):
the identity bytes stay exactly what was sent, and no decode is needed on the hot path.
"""

from __future__ import annotations

import struct
from typing import Any

from ..codec import constants as C
from .base import Request

# the add's type -> its delete's
_INVERSE = {C.RTM_NEWROUTE: C.RTM_DELROUTE, C.RTM_NEWADDR: C.RTM_DELADDR,
            C.RTM_NEWNEIGH: C.RTM_DELNEIGH, C.RTM_NEWRULE: C.RTM_DELRULE}
_TYPE_FLAGS = struct.Struct("=HH")  # nlmsg_type, nlmsg_flags (after nlmsg_len)
_TYPE_FLAGS_SEQ_PID = struct.Struct("=HHII")


def retyped(raw: bytes, msg_type: int, flags: int = 0) -> bytes:
    """An encoded message as a request of another type: NLM_F_REQUEST (the kernel
    ignores messages without it) and ``flags``, sequence number and port id 0 (the
    socket sets them)."""
    out = bytearray(raw)
    _TYPE_FLAGS_SEQ_PID.pack_into(out, 4, msg_type, C.NLM_F_REQUEST | flags, 0, 0)
    return bytes(out)


def undo_of(req: Request | bytes) -> Request | bytes | None:
    """The delete that reverses an add (create+excl): same identity, the delete's type.
    None when the request is not an add of a kind that has one."""
    if type(req) is bytes:
        mtype = _INVERSE.get(_TYPE_FLAGS.unpack_from(req, 4)[0])
        return None if mtype is None else retyped(req, mtype)
    if req.raw is not None:
        return undo_of(req.raw)
    mtype = _INVERSE.get(req.msg_type)
    if mtype is None or req.action != "new":
        return None
    return Request(mtype, 0, dict(req.fields), list(req.attrs), "del")


# a dumped object's type -> the delete that removes it
_DELETE = {C.RTM_NEWROUTE: C.RTM_DELROUTE, C.RTM_NEWRULE: C.RTM_DELRULE,
           C.RTM_NEWADDR: C.RTM_DELADDR, C.RTM_NEWNEIGH: C.RTM_DELNEIGH}


def delete_of(msg: Any) -> Request | bytes:
    """The delete of a dumped route, rule, address or neighbour (as ip's flush sends):
    routes and rules are sent back whole as their own delete; an address goes by its
    header and addresses, a neighbour by its header and destination."""
    mtype = msg.type
    if mtype not in _DELETE:
        raise ValueError(f"no delete for a {C.MESSAGE_NAMES.get(mtype, mtype)} message")
    if mtype in (C.RTM_NEWROUTE, C.RTM_NEWRULE):
        return retyped(msg.raw(), _DELETE[mtype])
    if mtype == C.RTM_NEWADDR:
        attrs = [(name, msg.get(name)) for name in ("IFA_LOCAL", "IFA_ADDRESS")
                 if msg.get(name) is not None]
        fields = {"family": msg["family"], "prefixlen": msg["prefixlen"],
                  "index": msg["index"]}
        return Request(C.RTM_DELADDR, 0, fields, attrs, "del")
    fields = {"family": msg["family"], "ifindex": msg["ifindex"], "state": msg["state"],
              "flags": msg["flags"] & C.NTF_PROXY, "ndm_type": msg["ndm_type"]}
    return Request(C.RTM_DELNEIGH, 0, fields, [("dst", msg.get("dst"))], "del")
