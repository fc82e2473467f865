"""httpx's API over aiohttp's connections: the transport under the Fetcher's httpx client.

httpx's own pool (httpcore) costs most of a crawl's CPU in bookkeeping; aiohttp keeps its
connections per host and reads responses in C. The client above stays httpx (redirects by
hand, cookies, the API respx mocks in tests); only the connections are aiohttp's.

The network guard is aiohttp's resolver here: aiohttp dials exactly the addresses the resolver
returns, and the resolver returns none until every address of the answer passed the policy.
aiohttp never asks a resolver about a literal IP: Fetcher._precheck refuses those first, and
aiohttp itself rejects the legacy numeric forms (``127.1``, ``2130706433``).

Why not the ``httpx-aiohttp`` package: its error mapping turns a dropped connection into a
connect timeout and lets other aiohttp errors escape, and it has no place for a resolver; the
adapter is a few dozen lines.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from .guard import BlockedAddress, NetworkPolicy

#: Bytes handed up per read of a response body.
CHUNK = 64 * 1024
#: The longest status or header line read (aiohttp's default is 8 KB; browsers take long
#: Content-Security-Policy and Set-Cookie lines, and so must a crawler of their sites).
MAX_LINE = 64 * 1024


class GuardedResolver(AbstractResolver):
    """The system resolver, refusing a host when any address of its answer is not allowed."""

    def __init__(self, policy: NetworkPolicy) -> None:
        self.policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        # socket.gaierror is an OSError: aiohttp reports it as a DNS error
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, family=family)
        out: list[ResolveResult] = []
        for fam, _, proto, _, sockaddr in infos:
            address = str(sockaddr[0])
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if not self.policy.permits(ip):  # every address: a mixed answer is refused
                raise BlockedAddress(host, ip)
            out.append(
                ResolveResult(
                    hostname=host,
                    host=address,
                    port=int(sockaddr[1]),
                    family=fam,
                    proto=proto,
                    flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
                )
            )
        if not out:
            raise OSError(f"cannot resolve {host}: no addresses")
        return out

    async def close(self) -> None:
        return None


def as_httpx(exc: BaseException) -> Exception:
    """The httpx error the Fetcher knows for an aiohttp error (raised ``from`` it, so that
    classify() still sees the socket or TLS error beneath)."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(exc, asyncio.TimeoutError):  # aiohttp's socket and server timeouts
        return httpx.ReadTimeout(message)
    if isinstance(exc, aiohttp.ClientConnectorError):  # DNS, refused, TLS
        return httpx.ConnectError(message)
    if isinstance(
        exc,
        aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientResponseError,
    ):
        return httpx.RemoteProtocolError(message)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(message)
    if isinstance(exc, aiohttp.ClientOSError | OSError):  # a reset or a broken pipe
        return httpx.ReadError(message)
    return httpx.TransportError(message)


_AIOHTTP_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(CHUNK):
                yield chunk
        except _AIOHTTP_ERRORS as exc:
            raise as_httpx(exc) from exc

    async def aclose(self) -> None:
        # Back to the pool when the body was read to its end; aiohttp closes the connection
        # of a body left unread, so nothing of it can reach the next request.
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """GET and HEAD over one aiohttp session: bodies neither decoded nor followed (the
    Fetcher decodes in bounded steps and follows redirects itself), no cookies (httpx keeps
    them), the guard as the resolver, at most ``per_host`` connections to a host."""

    def __init__(
        self,
        policy: NetworkPolicy,
        ssl_context: ssl.SSLContext,
        per_host: int,
        keepalive: float = 5.0,
    ) -> None:
        self._options: dict[str, Any] = {
            "resolver": GuardedResolver(policy),
            "ssl": ssl_context,
            "limit": 0,  # the scan's concurrency limits the hosts; this limits each host
            "limit_per_host": per_host,
            "keepalive_timeout": keepalive,
        }
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:  # made inside the running event loop, as aiohttp wants
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(**self._options),
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                trust_env=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
                max_line_size=MAX_LINE,
                max_field_size=MAX_LINE,
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        try:
            response = await self._client().request(
                request.method,
                URL(str(request.url), encoded=True),  # httpx has encoded it: as it is
                headers=[
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw
                ],
                data=request.content or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                    connect=timeout.get("pool"),
                ),
            )
        except _AIOHTTP_ERRORS as exc:
            raise as_httpx(exc) from exc
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_Body(response),
            request=request,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode("latin-1", "replace"),
            },
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
