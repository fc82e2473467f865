"""The raw-socket server: parse a request line and headers, hand the socket to a behaviour."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    target: str  # path and query, as sent
    headers: Mapping[str, str]

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]


@dataclass(slots=True)
class Conn:
    """One accepted connection, given to a behaviour; ``sent`` counts body bytes written."""

    server: HostileServer
    request: Request
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()
        self.server.count_sent(self.request.path, len(data))

    async def respond(
        self,
        status: int,
        body: bytes = b"",
        *,
        content_type: str | None = "text/html; charset=utf-8",
        headers: Mapping[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        """Headers (Content-Length is len(body) unless ``length`` says otherwise) and body."""
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Whatever')}"]
        if content_type is not None:
            lines.append(f"Content-Type: {content_type}")
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(body) if length is None else length}")
        lines.append("Connection: close")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if body:
            await self.send(body)
        else:
            await self.writer.drain()

    async def headers_only(self, status: int, headers: Mapping[str, str]) -> None:
        """A status line and headers, no Content-Length: the body is delimited by closing."""
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Whatever')}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await self.writer.drain()


Behaviour = Callable[[Conn], Awaitable[None]]

REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(eq=False)
class HostileServer:
    """Serves ``routes``: {path: behaviour}; a key ending in '/' also matches longer paths."""

    host: str
    routes: Mapping[str, Behaviour]
    tls: ssl.SSLContext | None = None
    port: int = 0
    hits: list[str] = field(default_factory=list)  # request targets, in order
    connections: int = 0
    sent: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def paths(self) -> list[str]:
        with self._lock:
            return [t.split("?", 1)[0] for t in self.hits]

    def targets(self) -> list[str]:
        with self._lock:
            return list(self.hits)

    def count_sent(self, path: str, n: int) -> None:
        with self._lock:
            self.sent[path] += n

    def _route(self, path: str) -> Behaviour | None:
        if path in self.routes:
            return self.routes[path]
        prefixes = [p for p in self.routes if p.endswith("/") and path.startswith(p)]
        return self.routes[max(prefixes, key=len)] if prefixes else None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        try:
            with self._lock:
                self.connections += 1
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = [*lines[0].split(" "), "", ""][:3]
            headers = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if sep:
                    headers[name.strip().lower()] = value.strip()
            request = Request(method, target, headers)
            with self._lock:
                self.hits.append(target)
            behaviour = self._route(request.path)
            conn = Conn(self, request, reader, writer)
            if behaviour is None:
                await conn.respond(404, b"<html><body>not here</body></html>")
            else:
                await behaviour(conn)
        except (ConnectionError, ssl.SSLError, asyncio.CancelledError):
            pass  # the client gave up, as it should
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            with contextlib.suppress(Exception):
                writer.close()
                await asyncio.wait_for(writer.wait_closed(), 1)

    def start(self) -> HostileServer:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                server = loop.run_until_complete(
                    asyncio.start_server(
                        self._handle, self.host, self.port, ssl=self.tls, limit=1 << 20
                    )
                )
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            self.port = int(server.sockets[0].getsockname()[1])
            ready.set()
            try:
                loop.run_forever()
            finally:
                server.close()
                pending = list(self._tasks)
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.wait(pending, timeout=5))
                loop.run_until_complete(server.wait_closed())
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name=f"hostile-{self.host}", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


@contextlib.contextmanager
def hostile_server(
    host: str, routes: Mapping[str, Behaviour], tls: ssl.SSLContext | None = None
) -> Iterator[HostileServer]:
    server = HostileServer(host, routes, tls).start()
    try:
        yield server
    finally:
        server.stop()
