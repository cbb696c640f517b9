"""The netlink engine: codec, sockets, namespaces and cache (standard library only)."""
