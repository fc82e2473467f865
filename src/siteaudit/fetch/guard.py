"""The network guard: resolve first, check every address, then connect by IP."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore

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


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks every address, then connects by IP.

    TLS still uses the host name for SNI and certificate checks: httpcore passes the origin
    host to ``start_tls`` itself.
    """

    def __init__(
        self, policy: NetworkPolicy, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self.policy = policy
        self.inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def resolve(self, host: str, port: int, timeout: float | None) -> list[IPAddress]:
        literal = literal_ip(host)
        if literal is not None:
            return [literal]
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"DNS lookup of {host} timed out") from None
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror}") from exc
        ips: list[IPAddress] = []
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if ip not in ips:
                ips.append(ip)
        return ips

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        ips = await self.resolve(host, port, timeout)
        for ip in ips:  # every address, so a mixed answer cannot sneak a private one in
            if not self.policy.permits(ip):
                raise BlockedAddress(host, ip)
        if not ips:
            raise httpcore.ConnectError(f"cannot resolve {host}: no addresses")
        last: Exception | None = None
        for ip in ips:
            try:
                return await self.inner.connect_tcp(
                    str(ip),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by siteaudit")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
