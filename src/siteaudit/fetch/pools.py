"""One small connection pool per host.

httpcore's pool looks at every connection it holds for each request it places, so one pool
serving a scan of many sites at once costs time in proportion to the connections of all
of them (a third of the crawl's CPU at 64 sites at once). A pool per host keeps that to the
host's own two or three connections. Pools of hosts the scan is done with are closed once
idle, so a registry of thousands of sites does not hold thousands of idle sockets.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx

#: Seconds a pool must have been unused before it may be closed to make room.
IDLE_BEFORE_CLOSE = 2.0


@dataclass
class _Pool:
    transport: httpx.AsyncBaseTransport
    active: int = 0  # requests whose response body is still open
    used: float = field(default_factory=time.monotonic)


class _Tracked(httpx.AsyncByteStream):
    """A response body that tells its pool when it is closed."""

    def __init__(self, inner: httpx.AsyncByteStream, pool: _Pool) -> None:
        self._inner = inner
        self._pool: _Pool | None = pool

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if self._pool is not None:
                self._pool.active -= 1
                self._pool.used = time.monotonic()
                self._pool = None


class HostPools(httpx.AsyncBaseTransport):
    """Routes each request to its host's own transport, made by ``make`` on first use.

    At most ``keep`` pools stay open: beyond that, the least recently used idle ones are
    closed (a host's pool in use is never closed; it may then exceed ``keep`` for a while).
    """

    def __init__(self, make: Callable[[], httpx.AsyncBaseTransport], keep: int) -> None:
        self._make = make
        self._keep = max(1, keep)
        self._pools: OrderedDict[tuple[str, str, int | None], _Pool] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        key = (url.scheme, url.host, url.port)
        pool = self._pools.get(key)
        if pool is None:
            # No await between the look-up and the insert: another request for the same
            # host cannot slip in and make a second pool.
            idle = self._evict()
            pool = self._pools[key] = _Pool(self._make())
            for old in idle:
                await old.transport.aclose()
        else:
            self._pools.move_to_end(key)
        pool.active += 1
        pool.used = time.monotonic()
        try:
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            pool.active -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Tracked(response.stream, pool),
            extensions=response.extensions,
        )

    def _evict(self) -> list[_Pool]:
        """Take the least recently used idle pools out, to make room for one more."""
        out: list[_Pool] = []
        now = time.monotonic()
        for key, pool in list(self._pools.items()):  # oldest first
            if len(self._pools) < self._keep:
                break
            if pool.active == 0 and now - pool.used >= IDLE_BEFORE_CLOSE:
                out.append(self._pools.pop(key))
        return out

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.transport.aclose()
