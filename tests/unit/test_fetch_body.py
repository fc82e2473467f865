"""Content-Encoding undone in bounded steps (siteaudit.fetch.body)."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest

from siteaudit.fetch.body import STEP, decoded_chunks


class _Stream(httpx.AsyncByteStream):
    def __init__(self, data: bytes, chunk: int = 16 * 1024) -> None:
        self.data = data
        self.chunk = chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), self.chunk):
            yield self.data[start : start + self.chunk]


async def _pieces(data: bytes, encoding: str, chunk: int = 16 * 1024) -> list[bytes]:
    headers = {"Content-Encoding": encoding} if encoding else {}
    response = httpx.Response(200, headers=headers, stream=_Stream(data, chunk))
    return [piece async for piece in decoded_chunks(response)]


async def test_a_bomb_is_decoded_in_bounded_steps() -> None:
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024), 9)
    seen = 0
    headers = {"Content-Encoding": "gzip"}
    response = httpx.Response(200, headers=headers, stream=_Stream(bomb, 64 * 1024))
    async for piece in decoded_chunks(response):
        assert len(piece) <= STEP
        seen += len(piece)
        if seen > 1024 * 1024:
            break  # the caller stops at its cap: nothing more was decoded than asked for
    assert seen <= 1024 * 1024 + STEP


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (gzip.compress(b"<p>one</p>") + gzip.compress(b"<p>two</p>"), "gzip"),
        (zlib.compress(b"<p>one</p><p>two</p>"), "deflate"),
        (zlib.compress(b"<p>one</p><p>two</p>")[2:-4], "deflate"),  # raw deflate
        (gzip.compress(zlib.compress(b"<p>one</p><p>two</p>")), "deflate, gzip"),
        (b"<p>one</p><p>two</p>", ""),
        (b"<p>one</p><p>two</p>", "br"),  # not asked for: passed through as it came
    ],
)
async def test_encodings(data: bytes, encoding: str) -> None:
    assert b"".join(await _pieces(data, encoding, chunk=7)) == b"<p>one</p><p>two</p>"


async def test_a_broken_body_is_a_decoding_error() -> None:
    with pytest.raises(httpx.DecodingError):
        await _pieces(b"\x1f\x8b\x08\x00garbage-garbage", "gzip")


async def test_a_body_read_already_is_returned_as_it_is() -> None:
    response = httpx.Response(200, content=b"x" * (STEP + 10))
    assert [len(p) async for p in decoded_chunks(response)] == [STEP, 10]
