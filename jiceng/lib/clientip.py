"""The address a request came from, trusting forwarded headers only from named proxies.

`X-Forwarded-For` is written by whoever sends the request: believed blindly it lets one
client pose as a thousand (the login lockout of django-axes counted every spoofed address as
a new client). The rule, as in django-ipware's "trusted proxies" mode: when the connecting
address (`REMOTE_ADDR`) is one of `JICENG_TRUSTED_PROXIES` (addresses or CIDR networks), walk
`X-Forwarded-For` from the right, skipping further trusted proxies, and take the first address
that is not one; otherwise `REMOTE_ADDR` is the client and the header is ignored.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(names: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(n.strip(), strict=False) for n in names if n.strip())


def parse_proxies(names: list[str]) -> list[str]:
    """Check a list of proxy addresses/networks at start-up; ValueError names the bad one."""
    for n in names:
        try:
            ipaddress.ip_network(n.strip(), strict=False)
        except ValueError:
            raise ValueError(
                f"JICENG_TRUSTED_PROXIES: {n!r} is not an address or network"
            ) from None
    return names


def _trusted(addr: str, nets: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(addr.strip())
    except ValueError:
        return False
    return any(ip in n for n in nets)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address (a string as in REMOTE_ADDR), or None without a request."""
    if request is None:
        return None
    remote = (request.META.get("REMOTE_ADDR") or "").strip() or None
    nets = _networks(tuple(getattr(settings, "JICENG_TRUSTED_PROXIES", ()) or ()))
    if remote is None or not nets or not _trusted(remote, nets):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a malformed chain: believe only the proxy itself
        if not _trusted(hop, nets):
            return hop
    return remote
