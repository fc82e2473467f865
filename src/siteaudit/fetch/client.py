"""The Fetcher: one shared httpx client with the guard, redirects, caps and retries."""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import urljoin

import certifi
import httpx

from ..errors import InputError
from ..models import Page, PageKind, SiteStatus
from ..settings import Settings
from .aio import AiohttpTransport
from .body import ACCEPT_ENCODING, decoded_chunks
from .content import (
    SNIFF_BYTES,
    codec,
    decode_html,
    looks_binary,
    looks_like_html,
    mime,
    page_kind,
    parse_retry_after,
)
from .guard import BlockedAddress, NetworkPolicy, literal_ip
from .taxonomy import classify

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Errors a fetch turns into a failed Page; anything else is a bug and propagates.
_FETCH_ERRORS = (httpx.HTTPError, httpx.InvalidURL, BlockedAddress, OSError)
_TRANSIENT = (httpx.TimeoutException, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


def _ssl_context(settings: Settings) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=certifi.where())
    context.load_default_certs()
    if settings.ca_bundle:
        try:
            context.load_verify_locations(cafile=settings.ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise InputError(
                f"setting 'ca_bundle': cannot load {settings.ca_bundle!r} ({exc}); "
                "point it at a readable PEM file of CA certificates"
            ) from None
    return context


@dataclass(frozen=True, slots=True)
class _Attempt:
    page: Page
    retry: bool = False
    retry_after: float | None = None


# --- the fetcher --------------------------------------------------------------------------


class Fetcher:
    """One httpx client for the whole scan. Use as ``async with Fetcher(settings) as f:``."""

    def __init__(
        self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.policy = NetworkPolicy.from_settings(settings)
        self._passed: set[str] = set()  # "scheme://authority" prefixes _precheck let through
        if transport is None:
            transport = self._guarded_transport()
        self._client = httpx.AsyncClient(
            transport=transport,
            headers={
                "User-Agent": settings.user_agent,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
                "Accept-Language": "ru,kk;q=0.9,en;q=0.5",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.page_timeout,
            ),
            follow_redirects=False,
            trust_env=False,
        )

    def _guarded_transport(self) -> httpx.AsyncBaseTransport:
        s = self.settings
        # A host's requests in flight, plus robots.txt and a sitemap beside them.
        return AiohttpTransport(self.policy, _ssl_context(s), s.per_host_concurrency + 2)

    async def __aenter__(self) -> Self:
        await self._client.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._client.__aexit__(exc_type, exc, tb)

    async def aclose(self) -> None:
        await self._client.aclose()

    def _precheck(self, url: str) -> None:
        """Refuse a literal non-public IP: aiohttp dials a literal IP without asking the
        resolver (the guard for host names). An origin that passed is not parsed again."""
        end = url.find("/", url.find("//") + 2)
        origin = url if end < 0 else url[:end]
        if origin in self._passed:
            return
        host = httpx.URL(url).host
        ip = literal_ip(host)
        if ip is not None and not self.policy.permits(ip):
            raise BlockedAddress(host, ip)
        if len(self._passed) < 100_000:
            self._passed.add(origin)

    @asynccontextmanager
    async def _open(self, url: str) -> AsyncIterator[httpx.Response]:
        """GET ``url`` following redirects by hand; yields the final, unread response."""
        current = url
        visits: dict[str, int] = {}
        for _ in range(self.settings.max_redirects + 1):
            self._precheck(current)
            visits[current] = visits.get(current, 0) + 1
            if visits[current] > 2:  # once more is allowed: cookie-setting self-redirects
                raise httpx.TooManyRedirects(f"redirect loop through {current}")
            async with self._client.stream("GET", current) as response:
                location = response.headers.get("location", "").strip()
                if response.status_code not in _REDIRECTS or not location:
                    yield response
                    return
            current = urljoin(str(response.url), location).split("#", 1)[0]
            if not current.lower().startswith(("http://", "https://")):
                raise httpx.UnsupportedProtocol(f"redirect to a non-web address {current[:100]}")
        raise httpx.TooManyRedirects(
            f"more than {self.settings.max_redirects} redirects (max_redirects)"
        )

    async def fetch(
        self, url: str, *, depth: int = 0, found_via: str = "link", html_only: bool = True
    ) -> Page:
        """Fetch one page. Never raises for the site's problems: failures are in Page.error."""
        loop = asyncio.get_running_loop()
        limit = self.settings.page_timeout
        try:
            async with asyncio.timeout(limit) as scope:
                attempt = 0
                while True:
                    result = await self._attempt(url, depth, found_via, html_only)
                    if not result.retry or attempt >= self.settings.retries:
                        return result.page
                    delay = result.retry_after
                    if delay is None:
                        delay = 0.5 * 2**attempt
                    deadline = scope.when()
                    if deadline is not None and loop.time() + delay >= deadline:
                        return result.page
                    await _sleep(delay)
                    attempt += 1
        except TimeoutError:
            return _failed(
                url,
                depth,
                found_via,
                SiteStatus.TIMEOUT,
                f"no complete answer within page_timeout ({limit:g} s)",
            )

    async def _attempt(self, url: str, depth: int, found_via: str, html_only: bool) -> _Attempt:
        try:
            async with self._open(url) as response:
                return await self._read(url, response, depth, found_via, html_only)
        except _FETCH_ERRORS as exc:
            status, detail = classify(exc)
            transient = isinstance(exc, _TRANSIENT)
            return _Attempt(_failed(url, depth, found_via, status, detail), retry=transient)

    async def _read(
        self, url: str, response: httpx.Response, depth: int, found_via: str, html_only: bool
    ) -> _Attempt:
        code = response.status_code
        content_type = response.headers.get("content-type", "")
        final = str(response.url)
        common: dict[str, Any] = {
            "url": url,
            "final_url": final,
            "status_code": code,
            "fetched_at": datetime.now(UTC),
            "depth": depth,
            "content_type": content_type,
            "found_via": found_via,
        }
        if code >= 400:
            error = SiteStatus.BLOCKED if code in (403, 429) else SiteStatus.HTTP_ERROR
            page = Page(
                **common, error=error, error_detail=f"HTTP {code} {response.reason_phrase}".strip()
            )
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            return _Attempt(page, retry=code >= 500 or code == 429, retry_after=retry_after)
        limit = self.settings.max_body_bytes
        too_large = Page(
            **common,
            error=SiteStatus.TOO_LARGE,
            error_detail=f"the body is larger than max_body_bytes ({limit} bytes)",
        )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return _Attempt(too_large)
        chunks = decoded_chunks(response)  # decoded in bounded steps: gzip bombs stop at limit
        body = bytearray()
        kind = page_kind(mime(content_type), final)
        if kind is None or kind is PageKind.HTML:
            async for chunk in chunks:
                body += chunk
                if len(body) >= SNIFF_BYTES:
                    break
            head = bytes(body[:SNIFF_BYTES])
            if kind is None:
                kind = PageKind.HTML if looks_like_html(head) else PageKind.OTHER
            elif looks_binary(head) and not looks_like_html(head):
                kind = PageKind.OTHER  # binary served as text/html
        common["kind"] = kind
        if kind is not PageKind.HTML and html_only:
            return _Attempt(Page(**common))  # leaving the stream unread closes it
        async for chunk in chunks:
            body += chunk
            if len(body) > limit:
                return _Attempt(too_large)
        data = bytes(body)
        text: str | None = None
        encoding: str | None = None
        if kind is PageKind.HTML:
            text, encoding = decode_html(data, response.charset_encoding)
        page = Page(
            **common,
            html=text,
            encoding=encoding,
            content_hash=hashlib.sha256(data).hexdigest(),
            size=len(data),
        )
        return _Attempt(page)

    async def fetch_text(
        self, url: str, max_bytes: int
    ) -> tuple[int | None, str, SiteStatus | None]:
        """Fetch a small text resource (robots.txt, a sitemap): (status code, text, error).

        The body is truncated at ``max_bytes`` (as robots.txt parsers do); a gzip body
        (``sitemap.xml.gz``) is decompressed up to the same limit. No retries.
        """
        code: int | None = None
        try:
            async with asyncio.timeout(self.settings.page_timeout), self._open(url) as response:
                code = response.status_code
                if code >= 400:
                    return (
                        code,
                        "",
                        SiteStatus.BLOCKED if code in (403, 429) else SiteStatus.HTTP_ERROR,
                    )
                body = bytearray()
                async for chunk in decoded_chunks(response):
                    body += chunk
                    if len(body) >= max_bytes:
                        break
                data = bytes(body[:max_bytes])
                charset = codec(response.charset_encoding) or "utf-8-sig"
        except TimeoutError:
            return code, "", SiteStatus.TIMEOUT
        except _FETCH_ERRORS as exc:
            return code, "", classify(exc)[0]
        if data.startswith(b"\x1f\x8b"):
            try:
                data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, max_bytes)
            except zlib.error:
                return code, "", SiteStatus.HTTP_ERROR
        return code, data.decode(charset, errors="replace"), None


async def _sleep(seconds: float) -> None:
    """Backoff sleep (a seam for tests)."""
    await asyncio.sleep(seconds)


def _failed(url: str, depth: int, found_via: str, status: SiteStatus, detail: str) -> Page:
    return Page(
        url=url,
        final_url=url,
        status_code=None,
        fetched_at=datetime.now(UTC),
        depth=depth,
        error=status,
        error_detail=detail,
        found_via=found_via,
    )
