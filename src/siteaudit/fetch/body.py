"""Reading a response body with Content-Encoding undone in bounded steps.

httpx decompresses each network chunk in one call, so a 64 KB chunk of a gzip bomb becomes
64 MB in memory before any cap can look at it. Here every decompression step yields at most
``STEP`` bytes, so the caller's byte cap (max_body_bytes) holds for decoded bytes and memory
stays near the cap whatever the compression ratio.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator

import httpx

STEP = 64 * 1024
#: What the client asks for; anything else a server sends anyway is passed through as is.
ACCEPT_ENCODING = "gzip, deflate"


class _Inflater:
    """gzip (several members too) or deflate (zlib-wrapped or raw), STEP bytes at a time."""

    def __init__(self, gzip: bool) -> None:
        self.gzip = gzip
        self.obj: zlib._Decompress | None = None

    def _start(self, data: bytes) -> zlib._Decompress:
        if self.gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # RFC 9110 deflate is zlib-wrapped; many servers send raw deflate instead.
        wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            while data:
                if self.obj is None:
                    self.obj = self._start(data)
                out = self.obj.decompress(data, STEP)
                if out:
                    yield out
                data = self.obj.unconsumed_tail
                if self.obj.eof:
                    rest = self.obj.unused_data
                    self.obj = None
                    # Another gzip member may follow; trailing junk after the end is ignored.
                    data = rest if self.gzip and rest.startswith(b"\x1f\x8b") else b""
        except zlib.error as exc:
            raise httpx.DecodingError(f"a broken compressed body ({exc})") from None


def _decoders(content_encoding: str) -> list[_Inflater] | None:
    """Decoders in the order to apply them; None when an encoding is not one we undo."""
    names = [n.strip().lower() for n in content_encoding.split(",") if n.strip()]
    decoders: list[_Inflater] = []
    for name in reversed(names):  # the last encoding applied is undone first
        if name in ("gzip", "x-gzip"):
            decoders.append(_Inflater(gzip=True))
        elif name == "deflate":
            decoders.append(_Inflater(gzip=False))
        elif name != "identity":
            return None
    return decoders


async def decoded_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body with Content-Encoding undone, in pieces of at most STEP decoded bytes each."""
    try:
        content = response.content  # read already (a response built from bytes): decoded
    except httpx.ResponseNotRead:
        pass
    else:
        for start in range(0, len(content), STEP):
            yield content[start : start + STEP]
        return
    decoders = _decoders(response.headers.get("content-encoding", ""))
    async for raw in response.aiter_raw():
        if not decoders:  # identity, or an encoding we did not ask for: as it came
            yield raw
            continue
        pieces: Iterator[bytes] = iter((raw,))
        for decoder in decoders:
            pieces = _chain(decoder, pieces)
        for piece in pieces:
            yield piece


def _chain(decoder: _Inflater, pieces: Iterator[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from decoder.feed(piece)
