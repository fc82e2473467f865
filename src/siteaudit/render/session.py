"""One browser per scan: found once, launched on first use, shared by every site, closed at the end.

``BrowserSession.open(settings)`` never fails the scan: with ``render = never``, without a
browser on the machine, or when it cannot start, ``why_not`` says so and the browser-only
items become ``unknown`` with that reason.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from ..fetch.guard import NetworkPolicy
from ..models import Page
from ..settings import Settings
from .audit import NEEDS_BROWSER, BrowserAudit, RenderMode, audit_site
from .browser import BrowserError, Renderer, find_browser

log = logging.getLogger(__name__)

NO_BROWSER = (
    f"{NEEDS_BROWSER}: none found (install Debian's chromium, or pass --browser-path / "
    "set SITEAUDIT_BROWSER)"
)
RENDER_NEVER = f"{NEEDS_BROWSER}: not checked with --render never"


@dataclass(frozen=True, slots=True)
class BrowserCheck:
    """What the browser did for one site, for ``apply_browser``."""

    audit: BrowserAudit | None
    key_urls: tuple[str, ...] = ()
    why_not: str = NO_BROWSER


class BrowserSession:
    """The scan's browser: found at open, launched lazily, restarted on crashes."""

    def __init__(self, settings: Settings, executable: str | None, why_not: str) -> None:
        self.settings = settings
        self.mode = RenderMode(settings.render)
        self.executable = executable
        self.why_not = why_not
        self._renderer: Renderer | None = None
        self._lock = asyncio.Lock()
        self.pages_seen = 0
        self.pages_rendered = 0

    @classmethod
    @asynccontextmanager
    async def open(cls, settings: Settings) -> AsyncIterator[BrowserSession]:
        executable: str | None = None
        why_not = ""
        if settings.render == RenderMode.NEVER.value:
            why_not = RENDER_NEVER
        else:
            try:
                executable = find_browser(settings.browser_path)
            except FileNotFoundError:
                why_not = f"{NEEDS_BROWSER}: --browser-path {settings.browser_path} does not exist"
            if executable is None and not why_not:
                why_not = NO_BROWSER
        session = cls(settings, executable, why_not)
        try:
            yield session
        finally:
            await session.close()

    @property
    def available(self) -> bool:
        return self.executable is not None and not self.why_not

    async def renderer(self) -> Renderer | None:
        """The running browser, launched on first use; None when there is none."""
        if not self.available:
            return None
        async with self._lock:
            if self._renderer is None and self.available:
                assert self.executable is not None
                renderer = Renderer(
                    self.executable,
                    contexts=self.settings.browser_contexts,
                    page_timeout=self.settings.render_timeout,
                    policy=NetworkPolicy.from_settings(self.settings),
                    user_agent=self.settings.user_agent,
                )
                try:
                    await renderer.start()
                except BrowserError as exc:
                    log.warning("%s; continuing without a browser", exc)
                    self.why_not = f"{NEEDS_BROWSER}: {exc}"
                    return None
                self._renderer = renderer
            return self._renderer

    async def close(self) -> None:
        renderer, self._renderer = self._renderer, None
        if renderer is not None:
            await asyncio.shield(renderer.close())

    async def maybe_render(self, page: Page) -> Page:
        """The crawler's hook (``crawl.PageRenderer``): render when the mode says so."""
        if self.mode is RenderMode.NEVER or page.html is None:
            return page
        from .heuristic import render_reason

        self.pages_seen += 1
        if self.mode is RenderMode.AUTO and render_reason(page.html) is None:
            return page
        renderer = await self.renderer()
        if renderer is None:
            return page
        result = await renderer.render(page)
        if result.rendered:
            self.pages_rendered += 1
        return result

    async def check(self, org_id: str, key_urls: Sequence[str]) -> BrowserCheck:
        """axe-core and the low-vision toggle on the key pages of one site."""
        urls = tuple(key_urls)
        renderer = await self.renderer() if urls else None
        if renderer is None:
            return BrowserCheck(None, urls, self.why_not or "the home page could not be read")
        shots: Path | None = None
        base: Path | None = None
        if self.settings.screenshots_dir:
            base = Path(self.settings.screenshots_dir)
            shots = base / (re.sub(r"[^\w.-]+", "_", org_id).strip("._") or "site")
        audit = await audit_site(renderer, urls, shots=shots)
        if base is not None:
            audit = _relative(audit, base.parent)
        return BrowserCheck(audit, urls, "")


def _relative(audit: BrowserAudit, root: Path) -> BrowserAudit:
    """Screenshot paths relative to the report folder (the parent of screenshots_dir)."""

    def rel(path: str) -> str:
        try:
            return Path(path).relative_to(root).as_posix()
        except ValueError:
            return path

    lv = audit.low_vision
    if lv is not None:
        lv = replace(lv, before_png=rel(lv.before_png), after_png=rel(lv.after_png))
    shots = tuple((url, rel(path)) for url, path in audit.screenshots)
    return replace(audit, low_vision=lv, screenshots=shots)
