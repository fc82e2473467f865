"""Each way a site misbehaves, as a behaviour on its own path (see ``routes()``).

``SITES`` turns the worst of them into whole sites (their behaviour at ``/``), for a scan of a
registry that mixes them with one good site.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import socket
import struct
import zlib
from collections.abc import Callable, Mapping

from .server import Behaviour, Conn

MB = 1024 * 1024
GOOD_PAGE = (
    "<!DOCTYPE html><html lang='ru'><head><meta charset='utf-8'><title>Больница</title></head>"
    "<body><h1>Городская больница</h1><p>Главный врач: Иванов Иван Иванович</p>"
    "<a href='/about'>О нас</a></body></html>"
)


def page(body: str | bytes, content_type: str = "text/html; charset=utf-8") -> Behaviour:
    data = body.encode("utf-8") if isinstance(body, str) else body

    async def serve(conn: Conn) -> None:
        await conn.respond(200, data, content_type=content_type)

    return serve


def status(code: int, headers: Mapping[str, str] | None = None) -> Behaviour:
    async def serve(conn: Conn) -> None:
        body = f"<html><body>error {code}</body></html>".encode()
        await conn.respond(code, body, headers=headers)

    return serve


def fails_then_ok(code: int, retry_after: str, failures: int = 1) -> Behaviour:
    """``code`` with Retry-After for the first ``failures`` requests, then a good page."""
    seen = {"n": 0}

    async def serve(conn: Conn) -> None:
        seen["n"] += 1
        if seen["n"] <= failures:
            await conn.respond(code, b"busy", headers={"Retry-After": retry_after})
        else:
            await conn.respond(200, GOOD_PAGE.encode())

    return serve


def big_header(size: int = 24 * 1024) -> Behaviour:
    """A good page with a header line of ``size`` bytes (a long Content-Security-Policy or a
    pile of cookies: browsers read them; aiohttp's default limit is 8 KB)."""
    policy = "default-src 'self'; " + "img-src https://cdn.example.ru; " * (size // 32)

    async def serve(conn: Conn) -> None:
        headers = {"Content-Security-Policy": policy[:size]}
        await conn.respond(200, GOOD_PAGE.encode("utf-8"), headers=headers)

    return serve


def redirect(to: str | Callable[[Conn], str], code: int = 302) -> Behaviour:
    async def serve(conn: Conn) -> None:
        location = to(conn) if callable(to) else to
        await conn.respond(code, headers={"Location": location})

    return serve


def _next_number(conn: Conn) -> int:
    match = re.search(r"(\d+)$", conn.request.path)
    return int(match.group(1)) + 1 if match else 1


async def drip(conn: Conn, interval: float = 0.3) -> None:
    """Promise 100 KB, then send one byte every ``interval`` seconds (under any read timeout)."""
    await conn.respond(200, length=100_000)
    while True:
        await conn.send(b"<")
        await asyncio.sleep(interval)


async def silent(conn: Conn) -> None:
    """Accept, read the request, never answer."""
    await asyncio.sleep(3600)


async def reset(conn: Conn) -> None:
    """Read the request, then reset the connection (RST, not FIN)."""
    sock = conn.writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.writer.transport.abort()


def endless(declared: int | None) -> Behaviour:
    """A 200 MB page of HTML; ``declared`` is the Content-Length sent (None: no length)."""
    chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"

    async def serve(conn: Conn) -> None:
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if declared is not None:
            headers["Content-Length"] = str(declared)
        await conn.headers_only(200, headers)
        total = 0
        while total < 200 * MB:
            await conn.send(chunk)
            total += len(chunk)

    return serve


@functools.cache
def _bomb(size: int) -> bytes:
    """An HTML page of ``size`` bytes, mostly spaces, gzip-compressed (about 1,000 to 1)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * MB
    parts = [compressor.compress(b"<!DOCTYPE html><html><body>")]
    parts += [compressor.compress(block) for _ in range(size // MB)]
    parts.append(compressor.flush())
    return b"".join(parts)


def gzip_bomb(size: int = 200 * MB, content_type: str = "text/html") -> Behaviour:
    body = _bomb(size)  # built once, up front (about 1 s), not while a client waits

    async def serve(conn: Conn) -> None:
        await conn.respond(
            200, body, content_type=content_type, headers={"Content-Encoding": "gzip"}
        )

    return serve


async def trap(conn: Conn) -> None:
    """/page/n links to /page/n+1 and /calendar?month=n+1: an endless crawler trap."""
    n = _next_number(conn)
    month = int(conn.request.query.rpartition("=")[2] or 0) + 1
    links = f"<a href='/page/{n}'>дальше</a> <a href='/calendar?month={month}'>месяц</a>"
    await conn.respond(200, f"<html><body>{GOOD_PAGE}{links}</body></html>".encode())


def _deep(levels: int) -> str:
    return "<div>" * levels + "глубоко" + "</div>" * levels


def _links(count: int) -> str:
    return "".join(f"<a href='/many/{i}'>{i}</a>\n" for i in range(count))


BINARY = bytes(range(256)) * 256 + os.urandom(4096)  # 68 KB
CP1251_TEXT = (
    "<html><body><p>Главный врач: Иванов Иван Иванович, приём по вторникам</p></body></html>"
)
KOI8_TEXT = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r"></head>'
    "<body><p>Лицензия на медицинскую деятельность</p></body></html>"
)
UTF16_TEXT = "<html><body><p>Режим работы: с 8:00 до 20:00</p></body></html>"
LONG_URL = "/" + "a" * 10_000


def _sitemap(urls: list[str]) -> bytes:
    body = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{body}</urlset>"
    ).encode()


def routes(base: str) -> dict[str, Behaviour]:
    """Every behaviour on its own path of one server at ``base`` (``http://127.0.x.y:port``)."""
    self_index = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/sitemap-self.xml</loc></sitemap></sitemapindex>"
    ).encode()
    return {
        "/ok": page(GOOD_PAGE),
        "/about": page(GOOD_PAGE),
        "/loop/a": redirect("/loop/b"),
        "/loop/b": redirect("/loop/a"),
        "/chain/": redirect(lambda c: f"/chain/{_next_number(c)}"),
        "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
        "/to-private": redirect("http://10.0.0.1/admin"),
        "/to-private-name": redirect("http://intranet.hostile.test/"),
        "/drip": drip,
        "/silent": silent,
        "/reset": reset,
        "/huge": endless(declared=200 * MB),
        "/huge-undeclared": endless(declared=None),
        "/gzip-bomb": gzip_bomb(),
        "/gzip-bomb-xml": gzip_bomb(content_type="application/xml"),
        "/page/": trap,
        "/calendar": trap,
        "/deep": page(f"<html><body>{_deep(5000)}</body></html>"),
        "/nul": page(b"<html><body><p>\0\0\0\xd0\x9b\xd0\xb8\0</p>\0</body></html>"),
        "/bad-utf8": page(b"<html><body><p>\xff\xfe\xc3\x28 \xa0\xa1 \xe2\x28</p></body></html>"),
        "/long-line": page("<html><body><p>" + "ж" * (MB // 2) + "</p></body></html>"),
        "/cp1251-as-utf8": page(CP1251_TEXT.encode("cp1251")),
        "/koi8-meta": page(KOI8_TEXT.encode("koi8-r"), content_type="text/html"),
        "/utf16-bom": page(UTF16_TEXT.encode("utf-16"), content_type="text/html"),
        "/binary": page(BINARY, content_type="text/html"),
        "/big-header": big_header(),
        "/500": status(500),
        "/503": fails_then_ok(503, "1"),
        "/429": fails_then_ok(429, "1"),
        "/503-forever": status(503, {"Retry-After": "3600"}),
        "/refresh-self": page(
            "<html><head><meta http-equiv='refresh' content='0; url=/refresh-self'></head>"
            f"<body>{GOOD_PAGE}</body></html>"
        ),
        "/refresh-a": page("<meta http-equiv='refresh' content='0; url=/refresh-b'>"),
        "/refresh-b": page("<meta http-equiv='refresh' content='0; url=/refresh-a'>"),
        "/many-links": page(f"<html><body>{_links(50_000)}</body></html>"),
        "/many/": page(GOOD_PAGE),
        "/long-urls": page(
            "<html><body>"
            + "".join(f"<a href='{LONG_URL}{i}'>x</a>" for i in range(100))
            + "<a href='/about'>ok</a></body></html>"
        ),
        "/sitemap-self.xml": page(self_index, content_type="application/xml"),
        "/sitemap-big.xml": page(
            _sitemap([f"{base}/many/{i}" for i in range(100_000)]), content_type="application/xml"
        ),
    }


# --- whole sites: the behaviour at '/', robots.txt and sitemaps as the case needs ----------


def _site(
    start: Behaviour, extra: Mapping[str, Behaviour] | None = None
) -> Callable[[str], dict[str, Behaviour]]:
    def build(base: str) -> dict[str, Behaviour]:
        table = {"/": start, "/about": page(GOOD_PAGE), "/many/": page(GOOD_PAGE)}
        table["/robots.txt"] = status(404)
        table.update(extra or {})
        return table

    return build


def _garbage_robots_site(base: str) -> dict[str, Behaviour]:
    table = {"/": page(GOOD_PAGE), "/about": page(GOOD_PAGE)}
    table["/robots.txt"] = page(os.urandom(5 * MB), content_type="text/plain")
    return table


def _sitemap_site(base: str) -> dict[str, Behaviour]:
    table = {"/": page(GOOD_PAGE), "/about": page(GOOD_PAGE), "/many/": page(GOOD_PAGE)}
    table["/robots.txt"] = page(
        f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap-self.xml\n"
        f"Sitemap: {base}/sitemap-big.xml\n",
        content_type="text/plain",
    )
    all_routes = routes(base)
    table["/sitemap-self.xml"] = all_routes["/sitemap-self.xml"]
    table["/sitemap-big.xml"] = all_routes["/sitemap-big.xml"]
    return table


def _trap_site(base: str) -> dict[str, Behaviour]:
    return {"/": trap, "/page/": trap, "/calendar": trap, "/robots.txt": status(404)}


def _robots_closed(base: str) -> dict[str, Behaviour]:
    return {
        "/": page(GOOD_PAGE),
        "/robots.txt": page("User-agent: *\nDisallow: /\n", content_type="text/plain"),
    }


#: name -> (routes for a server at base, the site status expected)
SITES: dict[str, tuple[Callable[[str], dict[str, Behaviour]], str]] = {
    "loop": (_site(redirect("/loop-b"), {"/loop-b": redirect("/")}), "too_many_redirects"),
    "metadata": (_site(redirect("http://169.254.169.254/latest/meta-data/")), "blocked"),
    "drip": (_site(drip), "timeout"),
    "silent": (_site(silent), "timeout"),
    "reset": (_site(reset), "connect_error"),
    "huge": (_site(endless(declared=None)), "too_large"),
    "bomb": (_site(gzip_bomb()), "too_large"),
    "binary": (_site(page(BINARY, content_type="text/html")), "not_html"),
    "error500": (_site(status(500)), "http_error"),
    "busy503": (_site(status(503, {"Retry-After": "3600"})), "http_error"),
    "robots": (_robots_closed, "robots_disallowed"),
    "garbage-robots": (_garbage_robots_site, "ok"),
    "sitemaps": (_sitemap_site, "ok"),
    "trap": (_trap_site, "ok"),
    "deep": (_site(page(f"<html><body>{_deep(5000)}</body></html>")), "ok"),
    "refresh-self": (
        _site(page("<meta http-equiv='refresh' content='0; url=/'>" + GOOD_PAGE)),
        "ok",
    ),
    "many-links": (_site(page(f"<html><body>{GOOD_PAGE}{_links(50_000)}</body></html>")), "ok"),
}
