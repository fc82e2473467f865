"""Crawling one site: robots.txt, the start page, sitemaps, then breadth-first links.

The start page decides the site's status; every other page is best effort. Politeness is per
host and shared by all sites crawled with the same Fetcher: at most
``per_host_concurrency`` requests in flight and ``per_host_delay`` between them per slot.
"""

from __future__ import annotations

import asyncio
import heapq
import html as htmlmod
import re
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urljoin

from protego import Protego
from selectolax.lexbor import LexborHTMLParser

from .fetch import Fetcher, is_document_url
from .models import CrawlResult, Event, Organization, Page, PageFetched, PageKind, SiteStatus
from .settings import Settings

ROBOTS_MAX_BYTES = 512 * 1024
SITEMAP_MAX_BYTES = 2 * 1024 * 1024
SITEMAP_MAX_FILES = 5
SITEMAP_MAX_URLS = 5000
META_REFRESH_MAX_DELAY = 10.0
ROBOTS_MAX_CRAWL_DELAY = 5.0
MAX_URL_LENGTH = 2000
MAX_LINKS_PER_PAGE = 5000  # a page with 50,000 links queues its first 5,000
TRAP_DEPTHS = 4  # one URL pattern found at this many depths looks like an endless trap
_DIGITS = re.compile(r"\d+")

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_LOC = re.compile(
    r"<(?:\w+:)?loc>\s*(?:<!\[CDATA\[)?\s*(.*?)\s*(?:\]\]>)?\s*</(?:\w+:)?loc>", re.S | re.I
)
_REFRESH_URL = re.compile(r"""^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?["']?([^"']*)""", re.I)


def _site_key(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def same_site(host_a: str, host_b: str) -> bool:
    """True for the same host or its www. twin (``gkb1.ru`` and ``www.gkb1.ru``)."""
    return _site_key(host_a) == _site_key(host_b)


def host_key(url: str) -> str:
    """The key politeness goes by for a URL: its host, without port or a leading www."""
    return _site_key(_host(_split(url)[1]))


def _split(url: str) -> tuple[str, str, str]:
    """(scheme, netloc, rest) of an absolute http(s) URL, without urllib; rest starts '/'."""
    scheme, _, tail = url.partition("://")
    cut = len(tail)
    for ch in "/?#":
        pos = tail.find(ch)
        if pos != -1 and pos < cut:
            cut = pos
    rest = tail[cut:]
    return scheme.lower(), tail[:cut], rest if rest.startswith("/") else "/" + rest


def _host(netloc: str) -> str:
    """The host of a netloc (user info and port removed, IPv6 brackets kept)."""
    netloc = netloc.rpartition("@")[2].lower()
    if netloc.startswith("["):
        return netloc[: netloc.find("]") + 1]
    return netloc.partition(":")[0]


#: Query parameters that switch a page to its low-vision copy (Bitrix ``special_version=Y``
#: and the common plugins): the same content again, so the crawl does not spend its page budget
#: on them. The links themselves stay in the page facts, where the low-vision item finds them.
_VISION_COPY = re.compile(r"[?&](?:special_version|special|vision|blind|bvi)=", re.IGNORECASE)


def _key(url: str) -> str:
    """Dedup key: http and https, and a host and its www. twin, are the same page."""
    _, netloc, rest = _split(url)
    host, _, port = netloc.rpartition("@")[2].lower().partition(":")
    return f"{_site_key(host)}:{port}{rest}"


def resolve_link(href: str, base: str, origin: str) -> str | None:
    """An absolute http(s) URL without fragment for ``href``, or None to skip it.

    Absolute and root-relative links are resolved without urljoin (it dominates crawl CPU).
    """
    href = href.strip()
    if "\n" in href or "\t" in href or "\r" in href:
        href = href.replace("\n", "").replace("\t", "").replace("\r", "")
    if not href or href.startswith("#"):
        return None
    if href.startswith(("http://", "https://")):
        url = href
    elif href.startswith("//"):
        url = origin.partition("://")[0] + ":" + href
    elif href.startswith("/"):
        url = origin + href
    elif _SCHEME.match(href) and not href.lower().startswith(("http:", "https:")):
        return None  # mailto:, tel:, javascript:, data:, viber:, ...
    else:
        url = urljoin(base, href)
    url = url.partition("#")[0]
    if len(url) > MAX_URL_LENGTH or not url.lower().startswith(("http://", "https://")):
        return None
    return url


def _origin(url: str) -> str:
    scheme, netloc, _ = _split(url)
    return f"{scheme}://{netloc}"


def page_links(html: str, base_url: str) -> list[str]:
    """Crawlable URLs of a page: a[href], area[href] and iframe[src], in document order."""
    tree = LexborHTMLParser(html)
    base = base_url
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        resolved = resolve_link(base_node.attributes.get("href") or "", base_url, _origin(base_url))
        base = resolved or base_url
    origin = _origin(base)
    links: list[str] = []
    for node in tree.css("a[href], area[href], iframe[src]"):
        attr = "src" if node.tag == "iframe" else "href"
        url = resolve_link(node.attributes.get(attr) or "", base, origin)
        if url is not None:
            links.append(url)
    return links


def meta_refresh(html: str, base_url: str) -> str | None:
    """The target of an immediate ``<meta http-equiv="refresh" content="0; url=...">``."""
    if "refresh" not in html.lower():
        return None
    for node in LexborHTMLParser(html).css("meta[http-equiv]"):
        if (node.attributes.get("http-equiv") or "").strip().lower() != "refresh":
            continue
        content = node.attributes.get("content") or ""
        delay = content.split(";", 1)[0].split(",", 1)[0].strip()
        try:
            if float(delay or "0") > META_REFRESH_MAX_DELAY:
                continue
        except ValueError:
            continue
        match = _REFRESH_URL.match(content)
        target = match.group(1).strip() if match else ""
        if target:
            return resolve_link(target, base_url, _origin(base_url))
    return None


def sitemap_locs(text: str) -> tuple[bool, list[str]]:
    """(is a sitemap index, the <loc> URLs) of a sitemap or sitemap index."""
    is_index = "<sitemapindex" in text[:4096].lower()
    return is_index, [htmlmod.unescape(loc) for loc in _LOC.findall(text)]


# --- per-host politeness, shared by every site crawled with one Fetcher --------------------


class _HostGate:
    def __init__(self, concurrency: int, delay: float) -> None:
        self.concurrency = concurrency
        self.delay = delay
        self._sem = asyncio.Semaphore(concurrency)
        self._next = 0.0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._sem:
            loop = asyncio.get_running_loop()
            now = loop.time()
            wait = self._next - now
            # Request starts are spaced by delay/concurrency: each slot waits `delay`.
            self._next = max(now, self._next) + self.delay / self.concurrency
            if wait > 0:
                await asyncio.sleep(wait)
            yield


_gates: weakref.WeakKeyDictionary[Fetcher, dict[str, _HostGate]] = weakref.WeakKeyDictionary()


def _gate(fetcher: Fetcher, settings: Settings, url: str) -> _HostGate:
    gates = _gates.setdefault(fetcher, {})
    host = host_key(url)
    gate = gates.get(host)
    if gate is None:
        gate = gates[host] = _HostGate(settings.per_host_concurrency, settings.per_host_delay)
    return gate


class PageRenderer(Protocol):
    """Renders a fetched page in a browser when it needs it (``siteaudit.render``)."""

    async def maybe_render(self, page: Page) -> Page: ...


# --- one site -------------------------------------------------------------------------------


class _SiteCrawl:
    def __init__(
        self,
        org: Organization,
        fetcher: Fetcher,
        settings: Settings,
        on_event: Callable[[Event], None] | None,
        renderer: PageRenderer | None = None,
    ) -> None:
        self.org = org
        self.renderer = renderer
        self.fetcher = fetcher
        self.settings = settings
        self.on_event = on_event
        self.pages: list[Page] = []
        self.status = SiteStatus.OK
        self.detail = ""
        self.started = False  # the start page answered with HTML
        self.robots: Protego | None = None
        self.agent = settings.user_agent.split("/", 1)[0].split()[0] or "*"
        self.sites: set[str] = set()  # site keys (host without www.) of this site
        self.seen: set[str] = set()
        # Links as found (absolute URLs) already taken or turned away: most links of a page
        # are on every page (menus, footers), and their second look should cost one lookup.
        # Once the start page is read, whether a URL is taken depends on the URL alone (and
        # on the depth, tested before this).
        self.looked: set[str] = set()
        self.queue: list[tuple[int, int, str, str]] = []  # (depth, order, url, found_via)
        self.order = 0
        self.html_used = 0
        self.docs_used = 0
        self.inflight = 0
        self.wake = asyncio.Event()
        self.shapes: dict[str, set[int]] = {}  # URL pattern (digits as N) -> depths found at

    def _fail(self, status: SiteStatus, detail: str) -> None:
        self.status, self.detail = status, detail

    def _allowed(self, url: str) -> bool:
        return self.robots is None or bool(self.robots.can_fetch(url, self.agent))

    def _ours(self, url: str) -> bool:
        return _site_key(_host(_split(url)[1])) in self.sites

    def _push(self, url: str, depth: int, found_via: str) -> None:
        if depth > self.settings.max_depth or url in self.looked:
            return
        if self.started:
            self.looked.add(url)
        if not self._ours(url):
            return
        if depth > 0 and _VISION_COPY.search(url):
            return
        key = _key(url)
        if key in self.seen or not self._allowed(url):
            return
        self.seen.add(key)
        self.shapes.setdefault(_DIGITS.sub("N", _split(url)[2]), set()).add(depth)
        self.order += 1
        heapq.heappush(self.queue, (depth, self.order, url, found_via))

    async def _fetch(self, url: str, depth: int, found_via: str) -> Page:
        async with _gate(self.fetcher, self.settings, url).slot():
            page = await self.fetcher.fetch(url, depth=depth, found_via=found_via)
        if self.renderer is not None and page.html is not None and page.error is None:
            page = await self.renderer.maybe_render(page)  # same Page, rendered=True
        self.pages.append(page)
        self.seen.add(_key(page.final_url))
        if self.on_event is not None:
            self.on_event(PageFetched(self.org.id, page.url, page.status_code, page.error))
        return page

    async def _fetch_text(self, url: str, limit: int) -> tuple[int | None, str, SiteStatus | None]:
        async with _gate(self.fetcher, self.settings, url).slot():
            return await self.fetcher.fetch_text(url, limit)

    async def run(self) -> None:
        start = self.org.url.strip()
        if not start.lower().startswith(("http://", "https://")):
            start = "http://" + start
        self.sites.add(_site_key(_host(_split(start)[1])))
        if self.settings.obey_robots:
            robots_url = _origin(start) + "/robots.txt"
            # A missing or failing robots.txt allows everything; the start page decides.
            code, text, _ = await self._fetch_text(robots_url, ROBOTS_MAX_BYTES)
            if code is not None and 200 <= code < 300 and text:
                self.robots = Protego.parse(text)
                self._slow_down(start)
            if not self._allowed(start):
                self._fail(SiteStatus.ROBOTS_DISALLOWED, f"{robots_url} disallows {start}")
                return
        page = await self._start(start)
        if page is None:
            return
        self.started = True
        self._push_links(page)
        if self.settings.use_sitemaps and self.settings.max_depth >= 1:
            await self._sitemaps(_origin(page.final_url))
        async with asyncio.TaskGroup() as group:
            for _ in range(self.settings.per_host_concurrency):
                group.create_task(self._worker())

    def _slow_down(self, start: str) -> None:
        """Honour a robots.txt Crawl-delay (capped) on top of per_host_delay."""
        assert self.robots is not None
        delay = self.robots.crawl_delay(self.agent)
        if delay:
            gate = _gate(self.fetcher, self.settings, start)
            gate.delay = max(gate.delay, min(float(delay), ROBOTS_MAX_CRAWL_DELAY))

    async def _start(self, start: str) -> Page | None:
        """Fetch the start page, following meta refreshes; None (and a status) on failure."""
        self.seen.add(_key(start))
        page = await self._fetch(start, 0, "start")
        self.html_used += 1
        hops = 0
        visited = {_key(start)}
        while page.error is None and page.html is not None:
            self.sites.add(_site_key(_host(_split(page.final_url)[1])))
            target = meta_refresh(page.html, page.final_url)
            if target is None or _key(target) == _key(page.final_url):
                break
            hops += 1
            if hops > self.settings.max_redirects or _key(target) in visited:
                self._fail(SiteStatus.TOO_MANY_REDIRECTS, f"meta refresh loop at {target}")
                return None
            visited.add(_key(target))
            self.seen.add(_key(target))
            page = await self._fetch(target, 0, "start")
            self.html_used += 1
        if page.error is not None:
            self._fail(page.error, page.error_detail)
            return None
        if page.kind is not PageKind.HTML or page.html is None:
            what = page.content_type.split(";")[0] or "not HTML"
            self._fail(SiteStatus.NOT_HTML, f"the start page {page.final_url} is {what}")
            return None
        return page

    def _push_links(self, page: Page) -> None:
        if page.html is None or page.error is not None or page.depth >= self.settings.max_depth:
            return
        for url in page_links(page.html, page.final_url)[:MAX_LINKS_PER_PAGE]:
            self._push(url, page.depth + 1, "link")

    async def _sitemaps(self, origin: str) -> None:
        pending = list(self.robots.sitemaps) if self.robots is not None else []
        pending.append(origin + "/sitemap.xml")
        done: set[str] = set()
        added = 0
        while pending and len(done) < SITEMAP_MAX_FILES and added < SITEMAP_MAX_URLS:
            url = pending.pop(0)
            url = resolve_link(url, origin + "/", origin) or ""
            if not url or url in done or not self._ours(url):
                continue
            done.add(url)
            code, text, error = await self._fetch_text(url, SITEMAP_MAX_BYTES)
            if error is not None or code != 200:
                continue
            is_index, locs = sitemap_locs(text)
            if is_index:
                pending.extend(locs)
                continue
            for loc in locs[: SITEMAP_MAX_URLS - added]:
                target = resolve_link(loc, url, origin)
                if target is not None:
                    self._push(target, 1, "sitemap")
                    added += 1

    def _next(self) -> tuple[int, int, str, str] | None:
        """The shallowest queued URL that fits the page budgets."""
        cap = self.settings.max_pages
        while self.queue:
            item = heapq.heappop(self.queue)
            if is_document_url(item[2]):
                if self.docs_used < cap:
                    self.docs_used += 1
                    return item
            elif self.html_used < cap:
                self.html_used += 1
                return item
        return None

    async def _worker(self) -> None:
        while True:
            item = self._next()
            if item is None:
                if self.inflight == 0:
                    self.wake.set()
                    return
                self.wake.clear()
                await self.wake.wait()
                continue
            depth, _, url, found_via = item
            self.inflight += 1
            try:
                page = await self._fetch(url, depth, found_via)
                if page.kind is PageKind.DOCUMENT and not is_document_url(url):
                    self.html_used -= 1  # documents have their own budget
                    self.docs_used += 1
                self._push_links(page)
            finally:
                self.inflight -= 1
                self.wake.set()

    def summary(self, timed_out: bool) -> str:
        if self.status is not SiteStatus.OK:
            return self.detail
        docs = sum(1 for p in self.pages if p.kind is PageKind.DOCUMENT)
        failed = sum(1 for p in self.pages if p.error is not None)
        text = f"{len(self.pages) - docs} pages, {docs} documents, {failed} failed"
        if timed_out:
            text += f"; stopped at site_timeout ({self.settings.site_timeout:g} s)"
        trap = self._trap()
        if trap:
            text += f"; a possible crawler trap ({trap}), bounded by max_pages and max_depth"
        return text

    def _trap(self) -> str:
        """The URL pattern found at the most depths, when it looks endless (/page/N, ?month=N)."""
        deep = [(len(d), s) for s, d in self.shapes.items() if len(d) >= TRAP_DEPTHS and "N" in s]
        return max(deep)[1][:100] if deep else ""


async def crawl_site(
    org: Organization,
    fetcher: Fetcher,
    settings: Settings,
    *,
    on_event: Callable[[Event], None] | None = None,
    renderer: PageRenderer | None = None,
) -> CrawlResult:
    """Crawl one site breadth-first. Never raises for the site's own problems.

    With a ``renderer``, each HTML page it chooses is replaced by its browser-rendered DOM
    before its links are followed and its facts extracted.
    """
    started_at = datetime.now(UTC)
    crawl = _SiteCrawl(org, fetcher, settings, on_event, renderer)
    timed_out = False
    try:
        async with asyncio.timeout(settings.site_timeout):
            await crawl.run()
    except TimeoutError:
        timed_out = True
        if not crawl.started and crawl.status is SiteStatus.OK:
            crawl._fail(
                SiteStatus.TIMEOUT,
                f"the site did not answer within site_timeout ({settings.site_timeout:g} s)",
            )
    return CrawlResult(
        org=org,
        status=crawl.status,
        detail=crawl.summary(timed_out),
        pages=tuple(crawl.pages),
        started_at=started_at,
        finished_at=datetime.now(UTC),
    )
