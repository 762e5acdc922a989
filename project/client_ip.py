"""The real client address, for throttles and logs.

X-Forwarded-For is written by whoever sent the request, so it is only believed as far as
our own proxies wrote it: with TRUSTED_PROXY_COUNT = N proxies in front of daphne, the
client is the N-th address from the right (each proxy appends the peer it saw). With
N = 0 (daphne faces clients, the default) the header is ignored entirely; with
TRUSTED_PROXIES set, it is also ignored unless the peer itself is one of those proxies.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(
    entries: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def _peer_is_trusted(peer: str) -> bool:
    entries = tuple(settings.TRUSTED_PROXIES or ())
    if not entries:
        return True  # TRUSTED_PROXY_COUNT alone: the network keeps clients off daphne
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in _networks(entries))


def client_ip(request: HttpRequest) -> str:
    peer = request.META.get("REMOTE_ADDR", "") or ""
    hops = int(settings.TRUSTED_PROXY_COUNT or 0)
    if hops <= 0 or not _peer_is_trusted(peer):
        return peer
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if not forwarded:
        return peer
    # Entries left of the N-th from the right were written by the client: ignored.
    candidate = forwarded[-hops] if len(forwarded) >= hops else forwarded[0]
    return _valid(candidate) or peer
