"""Which address a request comes from, for login throttling.

The peer of the TCP connection (request.remote_addr) is the client, unless that peer is
a reverse proxy listed in TRUSTED_PROXIES (comma-separated IPs or CIDR ranges, e.g.
"10.0.0.5, 172.18.0.0/16"). Then X-Forwarded-For is read from the right: each proxy
appends the address it received the request from, so the rightmost entry not itself a
trusted proxy is the client. Entries further left were written by the client and are
never believed. With TRUSTED_PROXIES empty (the default) the header is ignored, so
nobody can pick a fresh address per guess by sending X-Forwarded-For.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable

from shared.config import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(entries: Iterable[str], variable: str = "TRUSTED_PROXIES") -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ConfigError(f"{variable} must list IP addresses or CIDR ranges, got {entry!r}") from None
    return tuple(networks)


def _ip(text: str | None):
    try:
        ip = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    return getattr(ip, "ipv4_mapped", None) or ip      # ::ffff:10.0.0.5 is 10.0.0.5


def client_address(remote_addr: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The client's address as text (at most 64 characters)."""
    address = (remote_addr or "unknown").strip()
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()] if trusted else []
    while hops:
        ip = _ip(address)
        if ip is None or not any(ip in network for network in trusted):
            break
        address = hops.pop()
    ip = _ip(address)
    return str(ip) if ip is not None else address[:64]
