"""The browser's costs and the reach of ``--render auto``: prints figures, asserts nothing.

    .venv/bin/python bench/render.py [--pages 30] [--contexts 2]

1. Share of pages ``auto`` would render: the example sites, the public corpus
   (../shared/corpus/real, when present) and the JavaScript-only test site are crawled over
   HTTP on loopback, and each fetched HTML page is judged by the same heuristic the crawler uses.
   Target: under 10 % on ordinary server-rendered sites, every page on the JavaScript-only site.
2. Items found on the JavaScript-only site with ``--render never`` and ``auto``.
3. Pages rendered per minute with the pool, seconds per axe-core run, peak memory of the
   browser's processes (RSS summed over the process tree, sampled).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from siteaudit.crawl import crawl_site  # noqa: E402
from siteaudit.fetch import Fetcher  # noqa: E402
from siteaudit.fetch.guard import NetworkPolicy  # noqa: E402
from siteaudit.models import Organization, Outcome, Page  # noqa: E402
from siteaudit.render import Renderer, find_browser, render_reason  # noqa: E402
from siteaudit.render.axe import run_axe  # noqa: E402
from siteaudit.scan import check_one  # noqa: E402
from siteaudit.serve import serve_sites  # noqa: E402
from siteaudit.settings import Settings, load_settings  # noqa: E402

EXAMPLES = ROOT / "examples" / "sites"
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
JS_SITE = ROOT / "tests" / "data" / "browser_sites" / "js-only"
AS_OF = date(2026, 11, 23)


def _folders(root: Path) -> dict[str, Path]:
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir()}


async def _auto_share(sites: dict[str, str], settings: Settings) -> tuple[int, int, list[str]]:
    """(pages, pages auto would render, reasons) over HTTP crawls of the sites."""
    pages = flagged = 0
    reasons: list[str] = []
    async with Fetcher(settings) as fetcher:
        for slug, url in sites.items():
            org = Organization(id=slug, name=slug, url=url)
            crawl = await crawl_site(org, fetcher, settings)
            for page in crawl.html_pages:
                pages += 1
                why = render_reason(page.html or "")
                if why is not None:
                    flagged += 1
                    reasons.append(f"{slug} {page.final_url}: {why}")
    return pages, flagged, reasons


def _tree_rss_mb() -> float:
    """RSS of every descendant of this process (the Playwright driver and the browser)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            pages = int((entry / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents[int(entry.name)] = int(fields[1])
        rss[int(entry.name)] = pages * os.sysconf("SC_PAGE_SIZE")
    found: set[int] = set()
    frontier = {os.getpid()}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return sum(rss[p] for p in found) / 1e6


async def _browser_costs(
    executable: str, urls: list[str], n_pages: int, contexts: int
) -> tuple[float, float, float]:
    """(pages rendered per minute, seconds per axe run, peak browser RSS in MB)."""
    policy = NetworkPolicy((ipaddress.ip_network("127.0.0.0/8"),))
    peak = 0.0
    async with Renderer(executable, contexts=contexts, policy=policy) as renderer:
        stop = asyncio.Event()

        async def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, _tree_rss_mb())
                await asyncio.sleep(0.2)

        sampler = asyncio.create_task(sample())
        jobs = [urls[i % len(urls)] for i in range(n_pages)]
        now = datetime.now(UTC)
        start = time.perf_counter()
        await asyncio.gather(
            *(
                renderer.render(Page(url=u, final_url=u, status_code=200, fetched_at=now, depth=0))
                for u in jobs
            )
        )
        per_minute = n_pages / (time.perf_counter() - start) * 60
        axe_times = []
        for url in urls[:5]:
            async with renderer.page(url) as tab:
                t = time.perf_counter()
                await run_axe(tab)
                axe_times.append(time.perf_counter() - t)
        stop.set()
        await sampler
    return per_minute, sum(axe_times) / max(1, len(axe_times)), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=30, help="pages to render for the rate")
    parser.add_argument("--contexts", type=int, default=2, help="browser contexts in the pool")
    args = parser.parse_args()
    settings = load_settings(
        allow_networks=("127.0.0.0/8",), per_host_delay=0, obey_robots=False, render="never"
    )
    folders = {f"ex/{k}": v for k, v in _folders(EXAMPLES).items()}
    folders |= {f"corpus/{k}": v for k, v in _folders(CORPUS).items()}
    folders["js-only"] = JS_SITE
    with serve_sites(folders) as served:
        urls = {slug: site.url for slug, site in served.items()}
        print("== share of pages --render auto renders (HTTP crawl + the heuristic) ==")
        for group in ("ex/", "corpus/", "js-only"):
            chosen = {s: u for s, u in urls.items() if s.startswith(group)}
            if not chosen:
                print(f"{group:8} absent, skipped")
                continue
            pages, flagged, reasons = asyncio.run(_auto_share(chosen, settings))
            share = 100 * flagged / max(1, pages)
            line = f"{group:8} {len(chosen):2} sites {pages:4} pages, {flagged:3} rendered"
            print(f"{line}: {share:.1f} %")
            for why in reasons[:5]:
                print(f"    {why}")

        executable = find_browser()
        if executable is None:
            print("no Chromium found: browser figures skipped")
            return
        print(f"\n== browser: {executable} ==")
        js = urls["js-only"]
        base = {"allow_networks": ("127.0.0.0/8",), "per_host_delay": 0}
        for mode in ("never", "auto"):
            t = time.perf_counter()
            result, _ = check_one(js, "ru-118n", load_settings(**base, render=mode), as_of=AS_OF)
            found = sorted(
                f.item_id
                for f in result.findings
                if f.outcome is Outcome.PRESENT and f.item_id.startswith("contacts.")
            )
            took = time.perf_counter() - t
            print(f"js-only --render {mode:6}: {took:5.1f} s, contacts items present: {found}")
        pages = [u for s, u in urls.items() if s.startswith("ex/")] or [js]
        per_minute, axe_s, peak = asyncio.run(
            _browser_costs(executable, pages, args.pages, args.contexts)
        )
        print(
            f"rendering: {per_minute:.0f} pages/min with {args.contexts} contexts; "
            f"axe-core: {axe_s:.2f} s a run; browser peak RSS {peak:.0f} MB "
            f"(load average {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    main()
