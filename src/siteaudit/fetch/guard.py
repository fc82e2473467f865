"""The network policy: which addresses may be dialled (aio.GuardedResolver applies it)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ..settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")


def address_kind(ip: IPAddress) -> str:
    """A short word for why an address is not public (used in messages)."""
    for kind, flag in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("shared/CGNAT", isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if flag:
            return kind
    return "public" if ip.is_global else "non-public"


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """Which addresses the scanner may connect to: public ones, plus the allowed networks."""

    allow: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> NetworkPolicy:
        return cls(tuple(ipaddress.ip_network(c, strict=False) for c in settings.allow_networks))

    def permits(self, ip: IPAddress) -> bool:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if self._public(ip):
            return True
        return any(ip.version == net.version and ip in net for net in self.allow)

    @staticmethod
    def _public(ip: IPAddress) -> bool:
        return address_kind(ip) == "public"


class BlockedAddress(Exception):
    """A connection the network policy refused, raised before any socket is opened."""

    def __init__(self, host: str, ip: IPAddress) -> None:
        self.host = host
        self.ip = ip
        via = "" if host == str(ip) else f" for {host}"
        super().__init__(
            f"refused to connect to {ip} ({address_kind(ip)}){via}: not allowed; "
            "pass --allow-network CIDR to allow"
        )


def literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
