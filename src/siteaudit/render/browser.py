"""A real Chromium, driven by Playwright, for the pages where HTTP alone is not enough.

Finding the browser: ``--browser-path``, then ``SITEAUDIT_BROWSER``, then Playwright's own
download, then the system Chromium (``chromium``, ``chromium-browser``, ``google-chrome``).

One browser per scan with a fixed pool of contexts (``browser_contexts``, default 2): each
job gets a fresh context (no cookies carried between pages), a per-page timeout, heavy
resources (media, fonts) blocked, and requests to addresses the network policy refuses
aborted. When the browser crashes it is restarted and the page that was being rendered is
reported as failed; the scan goes on. ``close()`` (also on Ctrl-C) ends the browser process.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..fetch.guard import NetworkPolicy, literal_ip
from ..models import Page

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Playwright, Route
    from playwright.async_api import Page as PWPage

log = logging.getLogger(__name__)

ENV_BROWSER = "SITEAUDIT_BROWSER"
SYSTEM_BROWSERS = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")

#: Flags for a closed network: no background traffic, no updates, no first-run dialogs.
LAUNCH_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
BLOCKED_RESOURCES = frozenset({"media", "font"})
VIEWPORT = {"width": 1280, "height": 900}


class BrowserError(Exception):
    """The browser could not be started or crashed beyond recovery."""


def _playwright_download() -> str | None:
    """The Chromium that ``playwright install`` put in place, if it is there."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dependency
        return None
    try:
        with sync_playwright() as p:
            path = p.chromium.executable_path
    except Exception:  # no driver, or called inside a running event loop
        return None
    return path if path and Path(path).is_file() else None


@cache
def _warn_missing(env: str) -> None:
    """Once per value, in a scan's processes too: a scan looks for its browser before it
    forks its workers, and each worker looks again."""
    log.warning("%s=%s does not exist; looking for another browser", ENV_BROWSER, env)


def find_browser(explicit: str | None = None) -> str | None:
    """The path of a Chromium to use, or None when there is none on this machine.

    ``explicit`` (``--browser-path`` / the ``browser_path`` setting) wins; a path that does
    not exist raises ``FileNotFoundError`` so the user learns of the typo.
    """
    if explicit:
        found = shutil.which(explicit) or (explicit if Path(explicit).is_file() else None)
        if found is None:
            raise FileNotFoundError(explicit)
        return found
    env = os.environ.get(ENV_BROWSER, "").strip()
    if env:
        found = shutil.which(env) or (env if Path(env).is_file() else None)
        if found is not None:
            return found
        _warn_missing(env)
    own = _playwright_download()
    if own is not None:
        return own
    for name in SYSTEM_BROWSERS:
        found = shutil.which(name)
        if found is not None:
            return found
    return None


@dataclass(frozen=True, slots=True)
class RenderStats:
    rendered: int
    failed: int
    restarts: int


class _Guard:
    """Aborts browser requests to addresses the network policy refuses (resolved, cached)."""

    def __init__(self, policy: NetworkPolicy) -> None:
        self.policy = policy
        self._cache: dict[str, bool] = {}

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return True
        if parts.scheme not in ("http", "https", "ws", "wss"):
            return False
        host = (parts.hostname or "").lower()
        if host in self._cache:
            return self._cache[host]
        ip = literal_ip(host)
        if ip is not None:
            ok = self.policy.permits(ip)
        else:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, None, type=socket.SOCK_STREAM
                )
                ips = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
                ok = bool(ips) and all(self.policy.permits(a) for a in ips)
            except (OSError, ValueError):
                ok = False
        self._cache[host] = ok
        return ok


class Renderer:
    """One Chromium and a bounded pool of contexts. Use as ``async with Renderer(...)``."""

    def __init__(
        self,
        executable: str,
        *,
        contexts: int = 2,
        page_timeout: float = 30.0,
        policy: NetworkPolicy | None = None,
        user_agent: str | None = None,
        block_heavy: bool = True,
    ) -> None:
        self.executable = executable
        self.contexts = max(1, contexts)
        self.page_timeout = page_timeout
        self.user_agent = user_agent
        self.block_heavy = block_heavy
        self._guard = _Guard(policy or NetworkPolicy())
        self._slots = asyncio.Semaphore(self.contexts)
        self._restart_lock = asyncio.Lock()
        self._pw: Playwright | None = None
        self._browser: Browser | None = None
        self._generation = 0
        self.rendered = 0
        self.failed = 0
        self.restarts = 0

    # --- lifecycle --------------------------------------------------------------------

    async def __aenter__(self) -> Renderer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        from playwright.async_api import async_playwright

        self._pw = await async_playwright().start()
        try:
            await self._launch()
        except BaseException:
            await self.close()
            raise

    async def _launch(self) -> None:
        assert self._pw is not None
        try:
            self._browser = await self._pw.chromium.launch(
                executable_path=self.executable,
                args=list(LAUNCH_ARGS),
                headless=True,
                handle_sigint=False,
                handle_sigterm=False,
                handle_sighup=False,
            )
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BrowserError(f"cannot start the browser {self.executable}: {first}") from None
        self._generation += 1

    async def close(self) -> None:
        browser, self._browser = self._browser, None
        if browser is not None:
            with contextlib.suppress(Exception):
                await browser.close()
        pw, self._pw = self._pw, None
        if pw is not None:
            with contextlib.suppress(Exception):
                await pw.stop()

    async def _restart(self, generation: int) -> None:
        async with self._restart_lock:
            if generation != self._generation:
                return  # another job restarted it already
            log.warning("the browser crashed; restarting it")
            self.restarts += 1
            old, self._browser = self._browser, None
            if old is not None:
                with contextlib.suppress(Exception):
                    await old.close()
            await self._launch()

    @property
    def stats(self) -> RenderStats:
        return RenderStats(self.rendered, self.failed, self.restarts)

    # --- jobs -------------------------------------------------------------------------

    async def _route(self, route: Route) -> None:
        request = route.request
        if self.block_heavy and request.resource_type in BLOCKED_RESOURCES:
            await route.abort("blockedbyclient")
            return
        if not await self._guard.allowed(request.url):
            await route.abort("blockedbyclient")
            return
        await route.continue_()

    @asynccontextmanager
    async def page(self, url: str) -> AsyncIterator[PWPage]:
        """A loaded page in a fresh context of the pool; raises on timeout or crash."""
        async with self._slots:
            if self._browser is None or not self._browser.is_connected():
                await self._restart(self._generation)
            assert self._browser is not None
            generation = self._generation
            try:
                context: BrowserContext = await self._browser.new_context(
                    viewport=VIEWPORT,  # type: ignore[arg-type]
                    user_agent=self.user_agent,
                    service_workers="block",
                    java_script_enabled=True,
                )
            except Exception:
                await self._restart(generation)
                raise
            try:
                context.set_default_timeout(self.page_timeout * 1000)
                await context.route("**/*", self._route)
                tab = await context.new_page()
                quiet = _Quiet(tab)
                await tab.goto(url, wait_until="load", timeout=self.page_timeout * 1000)
                await quiet.wait()  # scripts that build the page after 'load' (XHR, fetch)
                yield tab
            except Exception:
                if self._browser is None or not self._browser.is_connected():
                    await self._restart(generation)
                raise
            finally:
                with contextlib.suppress(Exception):
                    await context.close()

    async def render(self, page: Page) -> Page:
        """The same page with the browser's DOM as its HTML (``rendered=True``).

        On a timeout or a crash the fetched page is returned unchanged with
        ``error_detail`` noting why, so the HTTP version is still evaluated.
        """
        try:
            async with asyncio.timeout(self.page_timeout + 5):
                async with self.page(page.final_url) as tab:
                    html = await tab.content()
                    final_url = tab.url
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as exc:
            self.failed += 1
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            log.info("rendering %s failed: %s", page.final_url, first)
            note = f"rendering failed: {first}"
            detail = f"{page.error_detail}; {note}" if page.error_detail else note
            return replace(page, error_detail=detail)
        self.rendered += 1
        return replace(
            page,
            html=html,
            final_url=final_url or page.final_url,
            rendered=True,
            fetched_at=datetime.now(UTC),
        )


class _Quiet:
    """Waits until a tab has had no request in flight for ``QUIET`` seconds (at most ``CAP``).

    Playwright's 'networkidle' always costs 500 ms; most pages are quiet much sooner."""

    QUIET = 0.15
    CAP = 2.0

    def __init__(self, tab: PWPage) -> None:
        self.inflight = 0
        self.last = asyncio.get_running_loop().time()
        tab.on("request", self._start)
        tab.on("requestfinished", self._end)
        tab.on("requestfailed", self._end)

    def _start(self, _: object) -> None:
        self.inflight += 1

    def _end(self, _: object) -> None:
        self.inflight = max(0, self.inflight - 1)
        self.last = asyncio.get_running_loop().time()

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.CAP
        while loop.time() < deadline:
            if self.inflight == 0 and loop.time() - self.last >= self.QUIET:
                return
            await asyncio.sleep(0.05)
