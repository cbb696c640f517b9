"""The library reads numbers in prefixes as ASCII digits only, like the command line: a
Unicode digit ('٣') is never a 3 (a route to /3 instead of an error once was)."""

from __future__ import annotations

import pytest

from nlshell.engine.cache_query import predicate
from nlshell.engine.requests import route_request
from nlshell.engine.requests.base import split_prefix
from nlshell.engine.requests.route_fast import fast_route

HOSTILE = ["10.0.0.0/٣", "10.0.0.0/３", "10.0.0.0/+8", "10.0.0.0/ 8", "10.0.0.0/33",
           "10.0.0.0/08x", "2001:db8::/٣"]


@pytest.mark.parametrize("dst", HOSTILE)
def test_prefix_length_is_ascii_decimal(dst: str) -> None:
    with pytest.raises(ValueError, match="prefix length"):
        split_prefix(dst, "dst")
    assert fast_route("add", {"dst": dst, "oif": 1}) is None  # the general path decides
    with pytest.raises(ValueError):
        route_request("add", {"dst": dst, "oif": 1})
    if "/33" not in dst and "٣" in dst or "３" in dst:
        with pytest.raises(ValueError, match="prefix length"):
            predicate("route", {"dst": dst})  # the cache's route filters


def test_good_prefix_lengths() -> None:
    assert split_prefix("10.0.0.0/8", "dst")[1] == 8
    assert split_prefix("2001:db8::/128", "dst")[1] == 128
