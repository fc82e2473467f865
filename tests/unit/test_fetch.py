"""Units for siteaudit.fetch: the error taxonomy, the network guard, caps, charsets, retries."""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

import httpx
import pytest
import respx

from siteaudit.errors import InputError
from siteaudit.fetch import BlockedAddress, Fetcher, NetworkPolicy, classify
from siteaudit.fetch import client as fetch_client
from siteaudit.fetch.aio import GuardedResolver
from siteaudit.fetch.content import decode_html, is_document_url
from siteaudit.models import PageKind, SiteStatus
from siteaudit.settings import Settings

SITE = "http://clinic.test"
RUSSIAN = (
    "Главный врач больницы ведёт приём граждан по вторникам. Лицензия на медицинскую деятельность."
)


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"retries": 2, "per_host_delay": 0}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def router() -> respx.Router:
    return respx.Router(assert_all_mocked=True)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff sleeps are recorded instead of slept."""
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(fetch_client, "_sleep", fake_sleep)
    return recorded


def fetcher_for(router: respx.Router, **overrides: Any) -> Fetcher:
    return Fetcher(settings(**overrides), transport=httpx.MockTransport(router.async_handler))


def html_response(body: bytes, content_type: str = "text/html", **kw: Any) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": content_type}, **kw)


# --- NetworkPolicy --------------------------------------------------------------------------

NON_PUBLIC = [
    "127.0.0.1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.251",
    "240.0.0.1",
    "::1",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::ffff:10.0.0.1",
]


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_policy_refuses_non_public_addresses(address: str) -> None:
    assert not NetworkPolicy().permits(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "93.158.134.3", "2a02:6b8::2:242"])
def test_policy_permits_public_addresses(address: str) -> None:
    assert NetworkPolicy().permits(ipaddress.ip_address(address))


def test_policy_allowed_networks_let_in_only_themselves() -> None:
    policy = NetworkPolicy.from_settings(settings(allow_networks=("127.0.0.0/8", "10.1.0.0/16")))
    assert policy.permits(ipaddress.ip_address("127.0.0.2"))
    assert policy.permits(ipaddress.ip_address("10.1.2.3"))
    assert not policy.permits(ipaddress.ip_address("10.2.0.1"))
    assert not policy.permits(ipaddress.ip_address("169.254.169.254"))
    assert not policy.permits(ipaddress.ip_address("::1"))


# --- classify() -----------------------------------------------------------------------------


def _chained(outer: BaseException, cause: BaseException) -> BaseException:
    outer.__cause__ = cause
    return outer


CASES = [
    (httpx.ConnectError("[Errno 111] Connection refused"), SiteStatus.CONNECT_ERROR),
    (httpx.ConnectTimeout(""), SiteStatus.TIMEOUT),
    (httpx.ReadTimeout("The read operation timed out"), SiteStatus.TIMEOUT),
    (httpx.PoolTimeout(""), SiteStatus.TIMEOUT),
    (TimeoutError(), SiteStatus.TIMEOUT),
    (httpx.TooManyRedirects("Exceeded maximum allowed redirects."), SiteStatus.TOO_MANY_REDIRECTS),
    (
        httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
        SiteStatus.TLS_ERROR,
    ),
    (
        _chained(httpx.ConnectError("handshake"), ssl.SSLCertVerificationError(1, "expired")),
        SiteStatus.TLS_ERROR,
    ),
    (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), SiteStatus.TLS_ERROR),
    (httpx.ConnectError("[Errno -2] Name or service not known"), SiteStatus.DNS_ERROR),
    (
        _chained(httpx.ConnectError("lookup"), socket.gaierror(-3, "Temporary failure")),
        SiteStatus.DNS_ERROR,
    ),
    (socket.gaierror(-5, "No address associated with hostname"), SiteStatus.DNS_ERROR),
    (httpx.ReadError("[Errno 104] Connection reset by peer"), SiteStatus.CONNECT_ERROR),
    (httpx.RemoteProtocolError("Server disconnected"), SiteStatus.CONNECT_ERROR),
    (ConnectionResetError(104, "reset"), SiteStatus.CONNECT_ERROR),
    (
        httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'"),
        SiteStatus.HTTP_ERROR,
    ),
    (httpx.DecodingError("bad gzip"), SiteStatus.HTTP_ERROR),
    (BlockedAddress("meta.test", ipaddress.ip_address("169.254.169.254")), SiteStatus.BLOCKED),
    (ValueError("a bug"), SiteStatus.INTERNAL_ERROR),
]


@pytest.mark.parametrize(("exc", "expected"), CASES, ids=lambda v: type(v).__name__)
def test_classify_maps_each_error(exc: BaseException, expected: SiteStatus) -> None:
    status, detail = classify(exc)
    assert status is expected
    assert detail and len(detail) <= 300 and "\n" not in detail


def test_classify_blocked_detail_says_how_to_allow() -> None:
    _, detail = classify(BlockedAddress("169.254.169.254", ipaddress.ip_address("169.254.169.254")))
    assert detail == (
        "refused to connect to 169.254.169.254 (link-local): not allowed; "
        "pass --allow-network CIDR to allow"
    )


# --- bodies, kinds, charsets ----------------------------------------------------------------


async def test_html_page_fields(router: respx.Router) -> None:
    body = b"<html><head><title>x</title></head><body>hello</body></html>"
    router.get(f"{SITE}/").mock(return_value=html_response(body, "text/html; charset=utf-8"))
    async with fetcher_for(router) as fetcher:
        page = await fetcher.fetch(f"{SITE}/", depth=0, found_via="start")
    assert page.error is None and page.status_code == 200
    assert page.kind is PageKind.HTML and page.html is not None and "hello" in page.html
    assert page.content_hash == hashlib.sha256(body).hexdigest()
    assert page.size == len(body)
    assert page.fetched_at.tzinfo is UTC
    assert page.found_via == "start" and page.final_url == f"{SITE}/"
    sent = router.calls.last.request
    assert sent.headers["user-agent"] == settings().user_agent


async def test_charset_from_http_header(router: respx.Router) -> None:
    body = f"<html><body>{RUSSIAN}</body></html>".encode("cp1251")
    router.get(f"{SITE}/").mock(return_value=html_response(body, "text/html; charset=windows-1251"))
    async with fetcher_for(router) as fetcher:
        page = await fetcher.fetch(f"{SITE}/")
    assert page.html is not None and RUSSIAN in page.html
    assert page.encoding == "cp1251"


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="windows-1251">',
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">',
    ],
)
async def test_charset_from_meta(router: respx.Router, meta: str) -> None:
    body = f"<html><head>{meta}</head><body>{RUSSIAN}</body></html>".encode("cp1251")
    router.get(f"{SITE}/").mock(return_value=html_response(body))
    async with fetcher_for(router) as fetcher:
        page = await fetcher.fetch(f"{SITE}/")
    assert page.html is not None and RUSSIAN in page.html
    assert page.encoding == "cp1251"


async def test_cp1251_detected_without_any_declaration(router: respx.Router) -> None:
    body = f"<html><body><p>{RUSSIAN}</p><p>{RUSSIAN}</p></body></html>".encode("cp1251")
    router.get(f"{SITE}/").mock(return_value=html_response(body))
    async with fetcher_for(router) as fetcher:
        page = await fetcher.fetch(f"{SITE}/")
    assert page.html is not None and RUSSIAN in page.html
    assert page.encoding == "cp1251"


def test_decode_html_prefers_bom_then_header_then_meta() -> None:
    text, enc = decode_html(b"\xef\xbb\xbf<p>\xd0\xaf</p>", "windows-1251")
    assert (text, enc) == ("<p>Я</p>", "utf-8")
    assert decode_html("<p>Я</p>".encode(), None) == ("<p>Я</p>", "utf-8")
    assert decode_html(b'<meta charset="koi8-r"><p>\xf1</p>', None)[1] == "koi8-r"


async def test_missing_content_type_is_sniffed_as_html(router: respx.Router) -> None:
    router.get(f"{SITE}/").mock(return_value=httpx.Response(200, content=b"<!DOCTYPE html><p>ok"))
    async with fetcher_for(router) as fetcher:
        page = await fetcher.fetch(f"{SITE}/")
    assert page.kind is PageKind.HTML and page.html == "<!DOCTYPE html><p>ok"


def _counting_stream(pulled: list[int], chunk: bytes, count: int) -> AsyncIterator[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        for _ in range(count):
            pulled.append(len(chunk))
            yield chunk

    return gen()


async def test_body_cap_is_enforced_while_streaming(router: respx.Router) -> None:
    pulled: list[int] = []
    stream = _counting_stream(pulled, b"<p>" + b"x" * 1021, 10_000)  # 10 MB on offer
    router.get(f"{SITE}/big").mock(
        return_value=httpx.Response(200, headers={"content-type": "text/html"}, content=stream)
    )
    async with fetcher_for(router, max_body_bytes=8192) as fetcher:
        page = await fetcher.fetch(f"{SITE}/big")
    assert page.error is SiteStatus.TOO_LARGE and page.html is None
    assert page.status_code == 200
    assert sum(pulled) <= 8192 + 1024  # stopped right after the cap
    assert "max_body_bytes" in page.error_detail


async def test_declared_length_over_cap_is_refused_unread(router: respx.Router) -> None:
    pulled: list[int] = []
    router.get(f"{SITE}/big").mock(
        return_value=httpx.Response(
            200,
            headers={"content-type": "text/html", "content-length": str(50 * 1024 * 1024)},
            content=_counting_stream(pulled, b"x" * 1024, 10),
        )
    )
    async with fetcher_for(router, max_body_bytes=8192) as fetcher:
        page = await fetcher.fetch(f"{SITE}/big")
    assert page.error is SiteStatus.TOO_LARGE
    assert pulled == []


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/files/license.pdf", "application/pdf"),
        (
            "/files/report.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("/files/prices.xls", "application/vnd.ms-excel"),
        ("/files/scan", "image/jpeg"),
        ("/download.php?id=7", "application/zip"),
        ("/files/order.rtf", "application/octet-stream"),
    ],
)
async def test_documents_are_recorded_not_read(
    router: respx.Router, path: str, content_type: str
) -> None:
    pulled: list[int] = []
    router.get(f"{SITE}{path}").mock(
        return_value=httpx.Response(
            200,
            headers={"content-type": content_type},
            content=_counting_stream(pulled, b"%PDF" * 256, 100),
        )
    )
    async with fetcher_for(router) as fetcher:
        page = await fetcher.fetch(f"{SITE}{path}")
    assert page.kind is PageKind.DOCUMENT
    assert page.error is None and page.status_code == 200
    assert page.html is None and page.size == 0
    assert page.content_type == content_type
    assert pulled == []


async def test_document_body_hashed_when_html_only_is_false(router: respx.Router) -> None:
    router.get(f"{SITE}/a.pdf").mock(
        return_value=html_response(b"%PDF-1.4 data", "application/pdf")
    )
    async with fetcher_for(router) as fetcher:
        page = await fetcher.fetch(f"{SITE}/a.pdf", html_only=False)
    assert page.kind is PageKind.DOCUMENT and page.html is None
    assert page.content_hash == hashlib.sha256(b"%PDF-1.4 data").hexdigest()


def test_is_document_url() -> None:
    assert is_document_url("http://x.test/docs/Лицензия.PDF?download=1#p2")
    assert not is_document_url("http://x.test/pdf/")
    assert not is_document_url("http://x.test/about.php?file=a.pdf")


# --- HTTP errors, retries, redirects ---------------------------------------------------------


async def test_retries_503_honouring_retry_after(router: respx.Router, sleeps: list[float]) -> None:
    route = router.get(f"{SITE}/").mock(
        side_effect=[
            httpx.Response(503, headers={"retry-after": "2"}),
            httpx.Response(503, headers={"retry-after": "3"}),
            html_response(b"<p>back</p>"),
        ]
    )
    async with fetcher_for(router, retries=2) as fetcher:
        page = await fetcher.fetch(f"{SITE}/")
    assert route.call_count == 3
    assert sleeps == [2.0, 3.0]
    assert page.error is None and page.html == "<p>back</p>"


async def test_retry_after_is_capped_at_30_seconds(
    router: respx.Router, sleeps: list[float]
) -> None:
    router.get(f"{SITE}/").mock(
        side_effect=[httpx.Response(429, headers={"retry-after": "3600"}), html_response(b"ok")]
    )
    async with fetcher_for(router, retries=1) as fetcher:
        page = await fetcher.fetch(f"{SITE}/")
    assert sleeps == [30.0]
    assert page.error is None


async def test_persistent_5xx_gives_http_error(router: respx.Router, sleeps: list[float]) -> None:
    route = router.get(f"{SITE}/").mock(return_value=httpx.Response(500))
    async with fetcher_for(router, retries=2) as fetcher:
        page = await fetcher.fetch(f"{SITE}/")
    assert route.call_count == 3 and len(sleeps) == 2 and sleeps[0] < sleeps[1]
    assert page.error is SiteStatus.HTTP_ERROR and page.status_code == 500
    assert page.error_detail == "HTTP 500 Internal Server Error"


@pytest.mark.parametrize(
    ("code", "status"),
    [(404, SiteStatus.HTTP_ERROR), (403, SiteStatus.BLOCKED), (410, SiteStatus.HTTP_ERROR)],
)
async def test_client_errors_are_not_retried(
    router: respx.Router, sleeps: list[float], code: int, status: SiteStatus
) -> None:
    route = router.get(f"{SITE}/").mock(return_value=httpx.Response(code))
    async with fetcher_for(router) as fetcher:
        page = await fetcher.fetch(f"{SITE}/")
    assert route.call_count == 1 and sleeps == []
    assert page.error is status and page.status_code == code


async def test_timeouts_and_resets_are_retried(router: respx.Router, sleeps: list[float]) -> None:
    route = router.get(f"{SITE}/").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.ReadError("reset"), html_response(b"ok")]
    )
    async with fetcher_for(router, retries=2) as fetcher:
        page = await fetcher.fetch(f"{SITE}/")
    assert route.call_count == 3 and page.error is None


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (httpx.ConnectError("[Errno -2] Name or service not known"), SiteStatus.DNS_ERROR),
        (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] expired"), SiteStatus.TLS_ERROR),
    ],
)
async def test_dns_and_tls_errors_are_never_retried(
    router: respx.Router, sleeps: list[float], exc: Exception, status: SiteStatus
) -> None:
    route = router.get(f"{SITE}/").mock(side_effect=exc)
    async with fetcher_for(router, retries=3) as fetcher:
        page = await fetcher.fetch(f"{SITE}/")
    assert route.call_count == 1 and sleeps == []
    assert page.error is status and page.status_code is None


async def test_redirects_are_followed_by_hand(router: respx.Router) -> None:
    router.get(f"{SITE}/").mock(return_value=httpx.Response(301, headers={"location": "/ru/"}))
    router.get(f"{SITE}/ru/").mock(
        return_value=httpx.Response(302, headers={"location": "https://www.clinic.test/ru/main"})
    )
    router.get("https://www.clinic.test/ru/main").mock(return_value=html_response(b"<p>main"))
    async with fetcher_for(router) as fetcher:
        page = await fetcher.fetch(f"{SITE}/")
    assert page.url == f"{SITE}/" and page.final_url == "https://www.clinic.test/ru/main"
    assert page.html == "<p>main" and len(router.calls) == 3


async def test_redirect_loop_is_detected(router: respx.Router) -> None:
    router.get(f"{SITE}/a").mock(return_value=httpx.Response(302, headers={"location": "/b"}))
    router.get(f"{SITE}/b").mock(return_value=httpx.Response(302, headers={"location": "/a"}))
    async with fetcher_for(router, max_redirects=20) as fetcher:
        page = await fetcher.fetch(f"{SITE}/a")
    assert page.error is SiteStatus.TOO_MANY_REDIRECTS
    assert "loop" in page.error_detail
    assert len(router.calls) < 8


async def test_too_many_redirects(router: respx.Router) -> None:
    for n in range(5):
        router.get(f"{SITE}/{n}").mock(
            return_value=httpx.Response(302, headers={"location": f"/{n + 1}"})
        )
    async with fetcher_for(router, max_redirects=3) as fetcher:
        page = await fetcher.fetch(f"{SITE}/0")
    assert page.error is SiteStatus.TOO_MANY_REDIRECTS
    assert "max_redirects" in page.error_detail
    assert len(router.calls) == 4


async def test_fetch_text_for_robots_and_sitemaps(router: respx.Router) -> None:
    router.get(f"{SITE}/robots.txt").mock(return_value=httpx.Response(404))
    router.get(f"{SITE}/big.txt").mock(return_value=httpx.Response(200, content=b"a" * 5000))
    router.get(f"{SITE}/sitemap.xml.gz").mock(
        return_value=httpx.Response(
            200,
            headers={"content-type": "application/gzip"},
            content=gzip.compress(b"<urlset><url><loc>http://clinic.test/x</loc></url></urlset>"),
        )
    )
    router.get(f"{SITE}/down").mock(side_effect=httpx.ConnectError("[Errno 111] refused"))
    async with fetcher_for(router) as fetcher:
        assert await fetcher.fetch_text(f"{SITE}/robots.txt", 1024) == (
            404,
            "",
            SiteStatus.HTTP_ERROR,
        )
        code, text, error = await fetcher.fetch_text(f"{SITE}/big.txt", 1024)
        assert (code, len(text), error) == (200, 1024, None)
        code, text, error = await fetcher.fetch_text(f"{SITE}/sitemap.xml.gz", 4096)
        assert "<loc>http://clinic.test/x</loc>" in text and error is None
        assert await fetcher.fetch_text(f"{SITE}/down", 1024) == (
            None,
            "",
            SiteStatus.CONNECT_ERROR,
        )


# --- the network guard ------------------------------------------------------------------------


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every address aiohttp dials (it must dial none when blocked); each is refused."""
    import aiohappyeyeballs

    calls: list[tuple[str, int]] = []

    async def record(addr_infos: list[Any], *args: Any, **kwargs: Any) -> Any:
        calls.extend((str(info[4][0]), int(info[4][1])) for info in addr_infos)
        raise ConnectionRefusedError(111, "Connection refused (test)")

    monkeypatch.setattr(aiohappyeyeballs, "start_connection", record)
    return calls


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Host names resolved from this table; others fail like an unknown name."""
    table: dict[str, list[str]] = {}

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        out = []
        for ip in table[host]:
            family = socket.AF_INET6 if ":" in ip else socket.AF_INET
            out.append((family, socket.SOCK_STREAM, 6, "", (ip, int(port or 80))))
        return out

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.mark.parametrize(
    ("ip", "word"), [("169.254.169.254", "link-local"), ("10.0.0.1", "private")]
)
async def test_guard_refuses_before_connecting(
    connects: list[tuple[str, int]], fake_dns: dict[str, list[str]], ip: str, word: str
) -> None:
    fake_dns["intranet.test"] = [ip]
    async with Fetcher(settings(allow_networks=("127.0.0.0/8",))) as fetcher:
        page = await fetcher.fetch("http://intranet.test/latest/meta-data/")
        literal = await fetcher.fetch(f"http://{ip}/")
    assert page.error is SiteStatus.BLOCKED
    assert f"refused to connect to {ip} ({word})" in page.error_detail
    assert "--allow-network" in page.error_detail
    assert literal.error is SiteStatus.BLOCKED
    assert connects == []


async def test_guard_refuses_a_mixed_dns_answer(
    connects: list[tuple[str, int]], fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["rebind.test"] = ["93.158.134.3", "10.0.0.1"]
    async with Fetcher(settings()) as fetcher:
        page = await fetcher.fetch("http://rebind.test/")
    assert page.error is SiteStatus.BLOCKED and connects == []


async def test_guard_connects_to_the_checked_ip(
    connects: list[tuple[str, int]], fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["public.test"] = ["93.158.134.3", "93.158.134.4"]
    async with Fetcher(settings(retries=0)) as fetcher:
        page = await fetcher.fetch("http://public.test:8080/")
    # both addresses tried, by IP (never by name, so DNS cannot change between check and use)
    assert connects[0] == ("93.158.134.3", 8080)
    assert set(connects) == {("93.158.134.3", 8080), ("93.158.134.4", 8080)}
    assert page.error is SiteStatus.CONNECT_ERROR


async def test_dns_failure_through_the_real_backend(
    connects: list[tuple[str, int]], fake_dns: dict[str, list[str]], sleeps: list[float]
) -> None:
    async with Fetcher(settings(retries=2)) as fetcher:
        page = await fetcher.fetch("http://no-such-clinic.test/")
    assert page.error is SiteStatus.DNS_ERROR
    assert "no-such-clinic.test" in page.error_detail
    assert connects == [] and sleeps == []


async def test_guarded_resolver_answers_only_allowed_addresses(
    fake_dns: dict[str, list[str]],
) -> None:
    fake_dns["ok.test"] = ["127.0.0.1"]
    fake_dns["no.test"] = ["127.0.0.2"]
    resolver = GuardedResolver(NetworkPolicy((ipaddress.ip_network("127.0.0.1/32"),)))
    answer = await resolver.resolve("ok.test", 80)
    assert [(a["host"], a["port"], a["hostname"]) for a in answer] == [("127.0.0.1", 80, "ok.test")]
    with pytest.raises(BlockedAddress) as info:
        await resolver.resolve("no.test", 80)
    assert info.value.host == "no.test" and str(info.value.ip) == "127.0.0.2"
    with pytest.raises(socket.gaierror):
        await resolver.resolve("unknown.test", 80)


def test_bad_ca_bundle_is_an_input_error(tmp_path: Any) -> None:
    with pytest.raises(InputError, match="ca_bundle"):
        Fetcher(settings(ca_bundle=str(tmp_path / "missing.pem")))
