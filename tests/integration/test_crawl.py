"""Crawling real HTTP servers on 127.0.0.x: robots, sitemaps, caps, twins, charsets, failures."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from siteaudit.crawl import crawl_site, same_site
from siteaudit.fetch import Fetcher
from siteaudit.models import CrawlResult, Event, Organization, PageFetched, PageKind, SiteStatus
from siteaudit.settings import Settings

pytestmark = pytest.mark.integration

Special = Callable[[SimpleHTTPRequestHandler], None]


class _Handler(SimpleHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        with self.server.lock:
            self.server.hits.append((self.headers.get("Host", ""), path))
        special = self.server.special.get(path)
        if special is not None:
            special(self)
        else:
            super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, host: str, root: Path, special: dict[str, Special]) -> None:
        super().__init__((host, 0), partial(_Handler, directory=str(root)))
        self.special = special
        self.hits: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.port}"

    def paths(self) -> list[str]:
        with self.lock:
            return [path for _, path in self.hits]


Serve = Callable[..., _Server]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    """``serve(host, special={path: handler}, root=...) -> server``; stopped at teardown."""
    servers: list[_Server] = []

    def start(
        host: str = "127.0.0.1",
        special: dict[str, Special] | None = None,
        root: Path | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> _Server:
        folder = root or tmp_path / f"site{len(servers)}"
        folder.mkdir(parents=True, exist_ok=True)
        server = _Server(host, folder, special or {})
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)


def page(title: str, *links: str, extra: str = "") -> str:
    anchors = "".join(f'<a href="{href}">{href}</a>\n' for href in links)
    head = f"<!DOCTYPE html><html><head><title>{title}</title></head>"
    return f"{head}<body>{extra}{anchors}</body></html>"


def redirect(location: str, code: int = 302) -> Special:
    def handle(h: SimpleHTTPRequestHandler) -> None:
        h.send_response(code)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return handle


def slow(seconds: float, body: bytes = b"<p>late</p>") -> Special:
    def handle(h: SimpleHTTPRequestHandler) -> None:
        time.sleep(seconds)
        try:
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except OSError:
            pass  # the client gave up, as it should

    return handle


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "allow_networks": ("127.0.0.0/8",),
        "per_host_delay": 0,
        "retries": 0,
        "connect_timeout": 2,
        "read_timeout": 2,
        "page_timeout": 5,
        "site_timeout": 30,
    }
    values.update(overrides)
    return Settings(**values)


async def crawl(url: str, events: list[Event] | None = None, **overrides: Any) -> CrawlResult:
    s = settings(**overrides)
    org = Organization(id="org1", name="ГКБ №1", url=url)
    async with Fetcher(s) as fetcher:
        return await crawl_site(org, fetcher, s, on_event=None if events is None else events.append)


CP1251_PAGE = (
    '<html><head><meta charset="windows-1251"><title>Руководство</title></head>'
    "<body><p>Главный врач: Иванов Иван Иванович</p></body></html>"
).encode("cp1251")


@pytest.fixture
def clinic(serve: Serve, tmp_path: Path) -> _Server:
    """A small site: robots with a private folder, a sitemap index, documents, a cp1251 page."""
    root = tmp_path / "clinic"
    server = serve("127.0.0.1", root=root)
    base = server.url
    write(
        root,
        {
            "robots.txt": f"User-agent: *\nDisallow: /private/\nSitemap: {base}/sitemap.xml\n",
            "sitemap.xml": (
                '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                f'sitemap/0.9"><sitemap><loc>{base}/sitemaps/pages.xml</loc></sitemap>'
                "</sitemapindex>"
            ),
            "sitemaps/pages.xml": (
                '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<url><loc>{base}/only-in-sitemap.html</loc></url>"
                f"<url><loc>{base}/private/in-sitemap.html</loc></url>"
                "<url><loc>http://elsewhere.test/x.html</loc></url></urlset>"
            ),
            "index.html": page(
                "Главная",
                "/about.html",
                "news/",
                "/private/secret.html",
                "/docs/license.pdf",
                "mailto:info@clinic.test",
                "tel:+74950000000",
                "javascript:void(0)",
                "#top",
                "/about.html#team",
                "http://127.0.0.99:9/external.html",
                "/leader.html",
                extra='<iframe src="/docs/prices.pdf"></iframe>',
            ),
            "about.html": page("О нас", "/deep/level2.html"),
            "news/index.html": page("Новости", "/news/1.html"),
            "news/1.html": page("Новость 1"),
            "deep/level2.html": page("L2", "/deep/level3.html"),
            "deep/level3.html": page("L3", "/deep/level4.html"),
            "deep/level4.html": page("L4"),
            "private/secret.html": page("secret"),
            "private/in-sitemap.html": page("secret too"),
            "only-in-sitemap.html": page("Только в карте сайта"),
            "leader.html": CP1251_PAGE,
            "docs/license.pdf": b"%PDF-1.4 license",
            "docs/prices.pdf": b"%PDF-1.4 prices",
        },
    )
    return server


async def test_breadth_first_crawl_with_robots_sitemaps_and_documents(clinic: _Server) -> None:
    events: list[Event] = []
    result = await crawl(clinic.url + "/", events, per_host_concurrency=1)
    assert result.status is SiteStatus.OK, result.detail
    urls = [p.final_url.removeprefix(clinic.url) for p in result.pages]
    assert urls[0] == "/" and result.pages[0].found_via == "start"
    # breadth first: depths never decrease in fetch order (one request at a time here)
    depths = [p.depth for p in result.pages]
    assert depths == sorted(depths)
    # robots.txt obeyed for links and sitemap entries alike
    assert not any(path.startswith("/private/") for path in clinic.paths())
    # the sitemap index was followed; the sitemap-only page came at depth 1
    by_url = {p.final_url.removeprefix(clinic.url): p for p in result.pages}
    assert by_url["/only-in-sitemap.html"].found_via == "sitemap"
    assert by_url["/only-in-sitemap.html"].depth == 1
    # documents (linked and in an iframe) recorded, not read
    for doc in ("/docs/license.pdf", "/docs/prices.pdf"):
        assert by_url[doc].kind is PageKind.DOCUMENT and by_url[doc].size == 0
    # a cp1251 page with only <meta charset> is decoded correctly
    leader = by_url["/leader.html"]
    assert leader.html is not None and "Главный врач: Иванов Иван Иванович" in leader.html
    assert leader.encoding == "cp1251"
    # each page once, fragments stripped, nothing off-site
    assert len(urls) == len(set(urls))
    assert clinic.paths().count("/about.html") == 1
    assert "/deep/level4.html" in urls and "/news/1.html" in urls
    assert all(p.final_url.startswith(clinic.url) for p in result.pages)
    # one event per page, in fetch order
    fetched = [e for e in events if isinstance(e, PageFetched)]
    assert [e.url for e in fetched] == [p.url for p in result.pages]
    assert "documents" in result.detail


async def test_depth_cap(clinic: _Server) -> None:
    result = await crawl(clinic.url + "/", max_depth=1)
    assert result.status is SiteStatus.OK
    assert max(p.depth for p in result.pages) == 1
    assert "/deep/level2.html" not in clinic.paths()
    assert "/about.html" in clinic.paths()


async def test_page_cap_counts_html_pages(clinic: _Server) -> None:
    result = await crawl(clinic.url + "/", max_pages=3, per_host_concurrency=2)
    html = [p for p in result.pages if p.kind is not PageKind.DOCUMENT]
    assert len(html) == 3
    assert result.pages[0].found_via == "start"


async def test_sitemaps_can_be_switched_off(clinic: _Server) -> None:
    result = await crawl(clinic.url + "/", use_sitemaps=False)
    assert result.status is SiteStatus.OK
    assert "/only-in-sitemap.html" not in clinic.paths()
    assert "/sitemap.xml" not in clinic.paths()


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Resolve chosen test host names to loopback addresses; others resolve as usual."""
    table: dict[str, str] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host in table:
            return real(table[host], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


async def test_www_twin_is_the_same_site(
    serve: Serve, tmp_path: Path, fake_dns: dict[str, str]
) -> None:
    root = tmp_path / "twin"
    server = serve("127.0.0.3", root=root)
    fake_dns.update(
        {"twin.test": "127.0.0.3", "www.twin.test": "127.0.0.3", "other.test": "127.0.0.3"}
    )
    port = server.port
    write(
        root,
        {
            "index.html": page(
                "twin",
                f"http://www.twin.test:{port}/about.html",
                f"//www.twin.test:{port}/contacts.html",
                f"http://other.test:{port}/other.html",
            ),
            "about.html": page("about", f"http://twin.test:{port}/about.html"),
            "contacts.html": page("contacts"),
            "other.html": page("other"),
        },
    )
    result = await crawl(f"http://twin.test:{port}/")
    assert result.status is SiteStatus.OK, result.detail
    hosts_paths = set(server.hits)
    assert (f"www.twin.test:{port}", "/about.html") in hosts_paths
    assert (f"www.twin.test:{port}", "/contacts.html") in hosts_paths
    assert "/other.html" not in server.paths()
    assert server.paths().count("/about.html") == 1  # the twin's link back is the same page
    assert same_site("www.twin.test", "twin.test") and not same_site("twin.test", "other.test")


async def test_meta_refresh_on_the_start_page(serve: Serve, tmp_path: Path) -> None:
    root = tmp_path / "refresh"
    server = serve("127.0.0.4", root=root)
    write(
        root,
        {
            "index.html": '<html><head><meta http-equiv="refresh" content="0; URL=\'/ru/\'">',
            "ru/index.html": page("Главная", "/ru/about.html"),
            "ru/about.html": page("О нас"),
        },
    )
    result = await crawl(server.url + "/")
    assert result.status is SiteStatus.OK
    assert [p.final_url.removeprefix(server.url) for p in result.pages[:2]] == ["/", "/ru/"]
    assert result.pages[1].depth == 0 and result.pages[1].found_via == "start"
    assert "/ru/about.html" in server.paths()


async def test_robots_disallowing_the_start_page(serve: Serve, tmp_path: Path) -> None:
    root = tmp_path / "closed"
    server = serve("127.0.0.1", root=root)
    write(root, {"robots.txt": "User-agent: *\nDisallow: /\n", "index.html": page("x")})
    result = await crawl(server.url + "/")
    assert result.status is SiteStatus.ROBOTS_DISALLOWED
    assert "robots.txt" in result.detail and result.pages == ()
    assert server.paths() == ["/robots.txt"]


async def test_redirect_loop_on_the_start_page(serve: Serve) -> None:
    server = serve("127.0.0.1", special={"/a": redirect("/b"), "/b": redirect("/a")})
    result = await crawl(server.url + "/a")
    assert result.status is SiteStatus.TOO_MANY_REDIRECTS
    assert "loop" in result.detail


async def test_404_start_page(serve: Serve) -> None:
    server = serve("127.0.0.1")
    result = await crawl(server.url + "/missing.html")
    assert result.status is SiteStatus.HTTP_ERROR
    assert result.pages[0].status_code == 404 and "404" in result.detail


async def test_closed_port_is_a_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await crawl(f"http://127.0.0.1:{port}/")
    assert result.status is SiteStatus.CONNECT_ERROR
    assert "refused" in result.detail


async def test_slow_server_is_a_timeout(serve: Serve) -> None:
    server = serve("127.0.0.1", special={"/": slow(1.5)})
    result = await crawl(server.url + "/", read_timeout=0.3, page_timeout=0.6, obey_robots=False)
    assert result.status is SiteStatus.TIMEOUT  # the 1.5 s answer was not waited for


async def test_site_timeout_keeps_what_was_fetched(serve: Serve, tmp_path: Path) -> None:
    root = tmp_path / "slowsite"
    links = [f"/slow{n}" for n in range(20)]
    server = serve("127.0.0.1", root=root, special={p: slow(0.3) for p in links})
    write(root, {"index.html": page("start", *links)})
    result = await crawl(server.url + "/", site_timeout=1.0, obey_robots=False, use_sitemaps=False)
    assert result.status is SiteStatus.OK
    assert "site_timeout" in result.detail
    assert 2 <= len(result.pages) < 21


async def test_not_html_start_page(serve: Serve, tmp_path: Path) -> None:
    root = tmp_path / "pdf"
    server = serve("127.0.0.1", root=root)
    write(root, {"home.pdf": b"%PDF-1.4"})
    result = await crawl(server.url + "/home.pdf")
    assert result.status is SiteStatus.NOT_HTML
    assert "application/pdf" in result.detail


# --- the network guard against real servers ----------------------------------------------


async def test_redirect_to_a_disallowed_loopback_address_is_refused(serve: Serve) -> None:
    target = serve("127.0.0.2", special={"/inside": slow(0)})
    entry = serve("127.0.0.1", special={"/": redirect(target.url + "/inside")})
    s = settings(allow_networks=("127.0.0.1/32",))
    async with Fetcher(s) as fetcher:
        page_ = await fetcher.fetch(entry.url + "/")
        direct = await fetcher.fetch(target.url + "/inside")
    assert entry.paths() == ["/"]
    assert page_.error is SiteStatus.BLOCKED
    assert "refused to connect to 127.0.0.2 (loopback)" in page_.error_detail
    assert direct.error is SiteStatus.BLOCKED
    assert target.hits == []


async def test_loopback_is_refused_without_allow_networks(serve: Serve) -> None:
    server = serve("127.0.0.1")
    s = Settings(per_host_delay=0, retries=0)
    async with Fetcher(s) as fetcher:
        result = await crawl_site(Organization("o", "o", server.url + "/"), fetcher, s)
    assert result.status is SiteStatus.BLOCKED and server.hits == []


# --- TLS: SNI and verification use the host name while the guard connects by IP -------------


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=tls.test",
         "-addext", "subjectAltName=DNS:tls.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_tls_uses_host_name_and_ca_bundle(
    serve: Serve, tmp_path: Path, fake_dns: dict[str, str], certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    root = tmp_path / "tls"
    server = serve("127.0.0.5", root=root, tls=context)
    write(root, {"index.html": page("secure")})
    fake_dns["tls.test"] = "127.0.0.5"
    url = f"https://tls.test:{server.port}/"

    untrusted = await crawl(url, obey_robots=False, use_sitemaps=False)
    assert untrusted.status is SiteStatus.TLS_ERROR
    assert "certificate" in untrusted.detail.lower()

    trusted = await crawl(url, obey_robots=False, use_sitemaps=False, ca_bundle=str(cert))
    assert trusted.status is SiteStatus.OK, trusted.detail
    assert trusted.pages[0].html is not None and "secure" in trusted.pages[0].html
