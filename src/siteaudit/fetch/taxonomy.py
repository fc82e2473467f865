"""The one place where httpx, ssl and socket errors become a SiteStatus."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import httpx

from ..models import SiteStatus
from .guard import BlockedAddress

_DNS_MESSAGES = (
    "name or service not known",
    "nodename nor servname",
    "no address associated",
    "temporary failure in name resolution",
    "name does not resolve",
    "getaddrinfo failed",
    "no such host",
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The error, its causes and contexts, and the members of exception groups among them."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        cause = current.__cause__ or current.__context__
        if cause is not None:
            pending.append(cause)


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def classify(exc: BaseException) -> tuple[SiteStatus, str]:
    """Map an httpx/ssl/socket error to the status taxonomy, with a short detail."""
    chain = list(_chain(exc))
    message = _short(str(exc)) or type(exc).__name__
    text = " ".join(str(e) for e in chain).lower()
    blocked = next((e for e in chain if isinstance(e, BlockedAddress)), None)
    if blocked is not None:
        return SiteStatus.BLOCKED, str(blocked)
    if isinstance(exc, httpx.TooManyRedirects):
        return SiteStatus.TOO_MANY_REDIRECTS, message
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        phases: dict[type[BaseException], str] = {
            httpx.ConnectTimeout: "connecting",
            httpx.ReadTimeout: "waiting for data",
            httpx.WriteTimeout: "sending the request",
            httpx.PoolTimeout: "waiting for a free connection",
        }
        phase = phases.get(type(exc), "waiting for the server")
        return SiteStatus.TIMEOUT, f"timed out {phase}" + (f" ({message})" if str(exc) else "")
    if any(isinstance(e, socket.gaierror) for e in chain) or any(m in text for m in _DNS_MESSAGES):
        return SiteStatus.DNS_ERROR, f"the host name does not resolve ({message})"
    if any(isinstance(e, ssl.SSLError | ssl.CertificateError) for e in chain) or (
        "[ssl" in text or "certificate" in text
    ):
        return SiteStatus.TLS_ERROR, f"TLS handshake failed ({message})"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return SiteStatus.HTTP_ERROR, f"not a usable http(s) address ({message})"
    if isinstance(exc, httpx.DecodingError):
        return SiteStatus.HTTP_ERROR, f"the response body could not be decoded ({message})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return SiteStatus.CONNECT_ERROR, f"the server broke the connection ({message})"
    refused = next((e for e in chain if isinstance(e, ConnectionRefusedError)), None)
    if refused is not None or "refused" in text:
        return SiteStatus.CONNECT_ERROR, f"connection refused ({_short(str(refused or exc))})"
    if isinstance(exc, httpx.TransportError | OSError):
        return SiteStatus.CONNECT_ERROR, f"connection failed ({message})"
    return SiteStatus.INTERNAL_ERROR, f"{type(exc).__name__}: {message}"
