"""The browser where it matters, in a real Chromium: a JavaScript-only site, an icon-only
low-vision toggle, known axe-core violations, crash recovery and no leaked processes.

Skipped with a reason where no Chromium is found (install Debian's ``chromium``, or set
SITEAUDIT_BROWSER). Kept few: each test starts one browser.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import signal
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from procfs import descendants
from siteaudit.crawl import crawl_site
from siteaudit.fetch import Fetcher
from siteaudit.fetch.guard import NetworkPolicy
from siteaudit.models import Organization, Outcome, Page
from siteaudit.render import BrowserSession, Renderer, find_browser
from siteaudit.render.axe import run_axe
from siteaudit.render.lowvision import FULL, PARTIAL, check_low_vision
from siteaudit.scan import check_one
from siteaudit.settings import load_settings

SITES = Path(__file__).resolve().parents[1] / "data" / "browser_sites"
AS_OF = date(2026, 11, 23)
LOOPBACK = NetworkPolicy((ipaddress.ip_network("127.0.0.0/8"),))

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture(scope="module")
def browser_path() -> str:
    path = find_browser()
    if path is None:
        pytest.skip(
            "no Chromium found: install Debian's chromium (scripts/setup.sh) or set "
            "SITEAUDIT_BROWSER=/path/to/chrome"
        )
    return path


@pytest.fixture
def sites(serve):  # type: ignore[no-untyped-def]
    return serve({p.name: p for p in sorted(SITES.iterdir()) if p.is_dir()})


def test_js_only_site_items_are_found_only_with_rendering(
    browser_path: str, sites, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    url = sites["js-only"].url
    base = {"allow_networks": ("127.0.0.0/8",), "browser_path": browser_path, "per_host_delay": 0}

    never, _ = check_one(url, "ru-118n", load_settings(**base, render="never"), as_of=AS_OF)
    by_item = {f.item_id: f for f in never.findings}
    assert by_item["contacts.phone"].outcome is Outcome.ABSENT
    assert by_item["a11y.axe"].outcome is Outcome.UNKNOWN
    assert "--render never" in by_item["a11y.axe"].reason

    shots = tmp_path / "report" / "screenshots"
    settings = load_settings(**base, render="auto", screenshots_dir=str(shots))
    auto, _ = check_one(url, "ru-118n", settings, as_of=AS_OF)
    by_item = {f.item_id: f for f in auto.findings}
    for item in ("contacts.page", "contacts.phone", "contacts.address", "contacts.email"):
        assert by_item[item].outcome is Outcome.PRESENT, (item, by_item[item].reason)
    axe = by_item["a11y.axe"]
    assert axe.outcome is not Outcome.UNKNOWN
    assert "axe-core 4." in axe.reason and "critical" in axe.reason
    pngs = sorted(p.name for p in shots.rglob("*.png"))
    assert pngs, "the key pages' screenshots are kept"
    assert any(e.url.startswith("screenshots/site/") for e in axe.evidence)


def test_auto_renders_only_the_script_built_pages(browser_path: str, sites) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(
        allow_networks=("127.0.0.0/8",), browser_path=browser_path, per_host_delay=0
    )
    org = Organization(id="js", name="js", url=sites["js-only"].url)
    lv = Organization(id="lv", name="lv", url=sites["low-vision"].url)

    async def go() -> tuple[list[Page], list[Page], int]:
        async with Fetcher(settings) as fetcher, BrowserSession.open(settings) as browser:
            js = await crawl_site(org, fetcher, settings, renderer=browser)
            plain = await crawl_site(lv, fetcher, settings, renderer=browser)
            return list(js.html_pages), list(plain.html_pages), browser.pages_rendered

    js_pages, plain_pages, rendered = asyncio.run(go())
    assert {p.final_url.rsplit("/", 2)[-2] for p in js_pages if p.rendered} >= {"contacts"}
    assert all(p.rendered for p in js_pages)
    assert not any(p.rendered for p in plain_pages)
    assert rendered == len(js_pages)


def test_low_vision_icon_toggle_full_and_partial(browser_path: str, sites, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def go() -> list[tuple[str, tuple[str, ...], str, str]]:
        out = []
        async with Renderer(browser_path, policy=LOOPBACK) as renderer:
            for url in (sites["low-vision"].url, sites["low-vision"].url + "partial/"):
                async with renderer.page(url) as tab:
                    lv = await check_low_vision(tab, shots=tmp_path / url[-8:].strip("/"))
                out.append((lv.verdict, lv.changes, lv.reason, lv.after_png))
        return out

    (full, full_changes, _, after), (partial, partial_changes, reason, _) = asyncio.run(go())
    assert full == FULL
    assert {"font size", "colours", "images hidden"} <= set(full_changes)
    assert Path(after).is_file()
    assert partial == PARTIAL
    assert partial_changes == ("font size",)
    assert reason.startswith("partial: only font size changed")


def test_axe_counts_the_known_violations(browser_path: str, sites) -> None:  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with (
            Renderer(browser_path, policy=LOOPBACK) as renderer,
            renderer.page(sites["axe-violations"].url) as tab,
        ):
            return await run_axe(tab)

    result = asyncio.run(go())
    counts = {v.rule: (v.impact, v.count) for v in result.violations}
    assert counts == {
        "image-alt": ("critical", 2),
        "label": ("critical", 1),
        "html-has-lang": ("serious", 1),
        "link-name": ("serious", 1),
    }
    assert result.by_impact() == {"critical": 2, "serious": 2, "moderate": 0, "minor": 0}
    assert result.score == 70
    image = next(v for v in result.violations if v.rule == "image-alt")
    assert image.nodes[0].selector.startswith("img") and "<img" in image.nodes[0].snippet


def test_the_browser_is_restarted_after_a_crash_and_nothing_leaks(browser_path: str, sites) -> None:  # type: ignore[no-untyped-def]
    before = descendants()
    url = sites["js-only"].url + "contacts/"
    page = Page(url=url, final_url=url, status_code=200, fetched_at=datetime.now(UTC), depth=0)

    async def go() -> tuple[Page, Page, int]:
        async with Renderer(browser_path, policy=LOOPBACK, page_timeout=10) as renderer:
            await renderer.render(page)
            for pid in descendants() - before:  # the driver and the browser: kill the browser
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"--disable-component-update" in cmdline and b"--type=" not in cmdline:
                    os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(0.5)
            crashed = await renderer.render(page)
            again = await renderer.render(page)
            return crashed, again, renderer.restarts

    crashed, again, restarts = asyncio.run(go())
    # Killed between two pages, the browser is restarted before the next; killed during one,
    # that page keeps its HTTP HTML and says why.
    assert crashed.rendered or "rendering failed" in crashed.error_detail
    assert again.rendered and "Телефон" in (again.html or "")
    assert restarts == 1
    leaked = descendants() - before
    assert not leaked, f"processes left after close: {sorted(leaked)}"
