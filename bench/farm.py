"""The site farm: siteaudit vs Scrapy vs the server's raw ceiling, on loopback, in one run.

    .venv/bin/python bench/farm.py [--sites 200] [--pages 50] [--min-kb 30] [--max-kb 80]
                                   [--concurrency 16] [--scrapy-concurrency 16] [--repeat 1]
                                   [--no-scrapy] [--no-wrk] [--render never|auto] [--profile 20]

Generates S sites x P pages of Russian HTML (30-80 KB each) into a temporary folder, serves
them from nginx (Debian's package, started here with our own config, each site on its own
127.0.1.x address; ``--server python`` or no nginx: siteaudit.serve) and measures:

- siteaudit: a full scan (every check of ru-118n on) with per-host delay 0 and 2 requests per
  host, 16 hosts at once (``--concurrency``): pages/s, CPU ms/page (the scan's process and
  its worker processes, each shown: with ``--render never`` the workers crawl and evaluate,
  with ``--render auto`` the scan's process crawls and they evaluate), peak RSS.
  ``--render never`` (the default) leaves a11y.axe unknown, as with no Chromium;
  ``--render auto`` adds axe-core in Chromium on each site's key pages, seconds of browser
  time per site;
- Scrapy (``pip install scrapy``; the ``bench`` extra) with equivalent settings: robots.txt
  obeyed, 2 requests per host, no delay, depth <= 4, same-host links only, links found with
  selectolax, CONCURRENT_REQUESTS twice the sites at once: pages/s, CPU ms/page;
- the server's raw ceiling: ``wrk`` on one page.

Then the ratios, and (``--profile N``) a cProfile of siteaudit scanning N sites: the top
functions by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import date
from pathlib import Path

from siteaudit.scan import plan_scan, run_scan
from siteaudit.serve import serve_sites
from siteaudit.settings import load_settings
from siteaudit.store import Store

WORDS = [
    "поликлиника",
    "отделение",
    "врач",
    "пациент",
    "приём",
    "запись",
    "услуги",
    "лечение",
    "диагностика",
    "больница",
    "терапевт",
    "педиатр",
    "хирург",
    "кардиолог",
    "невролог",
    "лаборатория",
    "исследование",
    "программа",
    "государственных",
    "гарантий",
    "бесплатного",
    "оказания",
    "медицинской",
    "помощи",
    "граждан",
]
MENU = [
    ("Контакты", "kontakty"),
    ("Структура и органы управления", "struktura"),
    ("Новости", "novosti"),
    ("Врачи", "vrachi"),
    ("Платные услуги", "platnye-uslugi"),
    ("Обращения граждан", "obrashcheniya"),
    ("Права и обязанности пациентов", "prava-pacientov"),
    ("Лицензии", "licenzii"),
    ("Версия для слабовидящих", "special"),
]
PORT = 8089


def _page(rng: random.Random, title: str, pages: int, size: int) -> str:
    menu = "".join(f'<li><a href="/{slug}/">{label}</a></li>' for label, slug in MENU)
    links = "".join(
        f'<li><a href="/p{rng.randrange(pages)}/">{rng.choice(WORDS)} {rng.choice(WORDS)}</a></li>'
        for _ in range(30)
    )
    paras: list[str] = []
    total = 0
    while total < size:
        para = " ".join(rng.choice(WORDS) for _ in range(70)).capitalize() + "."
        paras.append(f"<p>{para}</p>")
        total += len(para.encode()) + 7
    day = rng.randrange(1, 28)
    return (
        '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8">'
        f"<title>{title} — ГБУЗ «Больница»</title></head><body>"
        f'<header><a href="/">ГБУЗ «Больница»</a> Тел.: +7 (831) 245-10-{rng.randrange(10, 99)} '
        '<a href="mailto:info@clinic.example.ru">info@clinic.example.ru</a></header>'
        f'<nav><ul>{menu}</ul></nav><main><h1>{title}</h1><time datetime="2026-11-{day:02d}">'
        f"{day:02d}.11.2026</time>{''.join(paras)}<ul>{links}</ul></main>"
        "<footer>603011, г. Нижний Новгород, ул. Лесная, д. 1. Режим работы: пн-пт 8:00-20:00"
        "</footer></body></html>"
    )


def make_farm(root: Path, sites: int, pages: int, min_kb: int, max_kb: int) -> list[Path]:
    rng = random.Random(6)
    out = []
    inner = max(pages - len(MENU) - 1, 1)
    for s in range(sites):
        site = root / f"site{s:03d}"
        entries = [("", "Главная")] + [(slug + "/", label) for label, slug in MENU]
        entries += [(f"p{p}/", f"Страница {p}") for p in range(inner)]
        for path, title in entries[:pages]:
            folder = site / path
            folder.mkdir(parents=True, exist_ok=True)
            size = rng.randrange(min_kb, max_kb + 1) * 1024
            (folder / "index.html").write_text(_page(rng, title, inner, size), "utf-8")
        (site / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\n", "utf-8")
        out.append(site)
    return out


# --- servers -------------------------------------------------------------------------------


def _host(i: int) -> str:
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


def start_nginx(tmp: Path, sites: list[Path]) -> subprocess.Popen[bytes]:
    servers = "\n".join(
        f"server {{ listen {_host(i)}:{PORT}; root {site}; }}" for i, site in enumerate(sites)
    )
    user = "user root;" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(
        textwrap.dedent(
            f"""\
            {user}
            worker_processes 1;
            daemon off;
            pid {tmp}/nginx.pid;
            error_log {tmp}/nginx-error.log warn;
            events {{ worker_connections 4096; }}
            http {{
              access_log off;
              default_type text/html;
              types {{ text/html html; text/plain txt; }}
              charset utf-8;
              sendfile on; tcp_nopush on; keepalive_requests 100000;
              client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
              fastcgi_temp_path {tmp}/fcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
            """
        )
        + servers
        + "\n}\n",
        "utf-8",
    )
    proc = subprocess.Popen(["nginx", "-p", str(tmp), "-c", str(conf)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    import socket

    while time.monotonic() < deadline:
        try:
            socket.create_connection((_host(len(sites) - 1), PORT), timeout=0.2).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                assert proc.stderr is not None
                raise SystemExit(f"nginx failed: {proc.stderr.read().decode()}") from None
            time.sleep(0.05)
    raise SystemExit("nginx did not start in 10 s")


# --- the measured crawlers -----------------------------------------------------------------


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_siteaudit(
    registry: Path,
    db: Path,
    pages: int,
    concurrency: int,
    render: str = "never",
    workers: int | None = None,
) -> tuple[int, float, float, float]:
    """(pages, wall s, CPU s of the scan's process, CPU s of its worker processes and browser)."""
    settings = load_settings(
        None,
        allow_networks=("127.0.0.0/8",),
        per_host_delay=0.0,
        per_host_concurrency=2,
        concurrency=concurrency,
        max_pages=pages + 5,
        render=render,
        workers=workers,
    )
    plan = plan_scan(registry, "ru-118n", skip_invalid=False)
    cpu0, kids0, t0 = time.process_time(), _children_cpu(), time.perf_counter()
    with Store(db) as store:
        run = run_scan(plan, store, settings, checklist="ru-118n", as_of=date(2026, 11, 23))
        fetched = sum(r.pages_fetched for r in store.iter_results(run.id))
    wall = time.perf_counter() - t0
    return fetched, wall, time.process_time() - cpu0, _children_cpu() - kids0


SCRAPY_SPIDER = """
import sys
from urllib.parse import urlsplit
import scrapy
from scrapy.crawler import CrawlerProcess
from selectolax.lexbor import LexborHTMLParser

starts = [line.strip() for line in open(sys.argv[1]) if line.strip()]
concurrency = int(sys.argv[2])
count = 0

class Farm(scrapy.Spider):
    name = "farm"
    start_urls = starts

    def parse(self, response):
        global count
        count += 1
        host = urlsplit(response.url).netloc
        tree = LexborHTMLParser(response.text)
        for node in tree.css("a[href]"):
            url = response.urljoin(node.attributes.get("href") or "")
            if urlsplit(url).netloc == host:
                yield scrapy.Request(url, callback=self.parse)

process = CrawlerProcess(settings={
    "LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": True, "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": concurrency * 2, "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "DEPTH_LIMIT": 4, "TELNETCONSOLE_ENABLED": False,
    "RETRY_TIMES": 2, "COOKIES_ENABLED": False, "HTTPCACHE_ENABLED": False,
})
process.crawl(Farm)
process.start()
print("PAGES", count)
"""


def run_scrapy(starts: list[str], tmp: Path, concurrency: int) -> tuple[int, float, float] | str:
    try:
        import scrapy  # noqa: F401
    except ImportError:
        return "not installed (pip install -e '.[bench]')"
    (tmp / "starts.txt").write_text("\n".join(starts) + "\n", "utf-8")
    (tmp / "spider.py").write_text(SCRAPY_SPIDER, "utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(tmp / "spider.py"), str(tmp / "starts.txt"), str(concurrency)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    lines = [line for line in done.stdout.splitlines() if line.startswith("PAGES")]
    if not lines:
        return f"failed: {done.stderr.strip()[-300:]}"
    return int(lines[-1].split()[1]), wall, cpu


def run_wrk(url: str) -> str:
    if shutil.which("wrk") is None:
        return "wrk not installed (apt-get install wrk)"
    done = subprocess.run(
        ["wrk", "-t2", "-c64", "-d5s", url], capture_output=True, text=True, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("Requests/sec"):
            return line.split(":")[1].strip()
    return f"failed: {done.stderr.strip()}"


def profile_siteaudit(registry: Path, db: Path, pages: int, top: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run_siteaudit(registry, db, pages, 16, workers=0)  # all in this process: profiled
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return text.getvalue()


def _measure_siteaudit(args: argparse.Namespace, registry: Path, db: Path, *, first: bool) -> float:
    """One full scan of the farm: prints its figures, returns its pages/s."""
    pages, wall, cpu, kids = run_siteaudit(registry, db, args.pages, args.concurrency, args.render)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the largest child so far: only the first round's is the workers' (Scrapy's comes later)
    kids_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"siteaudit: {pages} pages in {wall:.1f} s = {pages / wall:.1f} pages/s, "
        f"{(cpu + kids) * 1000 / pages:.1f} ms CPU/page (the scan's process "
        f"{cpu * 1000 / pages:.1f}, child processes {kids * 1000 / pages:.1f}: the workers, "
        "and Chromium with --render auto), "
        f"peak RSS {rss:.0f} MB"
        + (f", the largest child {kids_rss:.0f} MB" if first else "")
        + f" (every check on; --render {args.render})"
    )
    return pages / wall


def _registry(path: Path, urls: list[str]) -> None:
    rows = [f"site{i:03d},Больница {i},{url},RU" for i, url in enumerate(urls)]
    path.write_text("id,name,url,country\n" + "\n".join(rows) + "\n", "utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--pages", type=int, default=50)
    ap.add_argument("--min-kb", type=int, default=30)
    ap.add_argument("--max-kb", type=int, default=80)
    ap.add_argument(
        "--concurrency", type=int, default=16, help="sites siteaudit crawls at once (its default)"
    )
    ap.add_argument(
        "--scrapy-concurrency",
        type=int,
        default=None,
        help="Scrapy's CONCURRENT_REQUESTS / 2 (default: the same as --concurrency)",
    )
    ap.add_argument("--server", choices=("nginx", "python"), default="nginx")
    ap.add_argument(
        "--render",
        choices=("never", "auto"),
        default="never",
        help="auto adds axe-core in Chromium on each site's key pages (seconds per site)",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of siteaudit then Scrapy, alternating; the median ratio is printed",
    )
    ap.add_argument("--no-scrapy", action="store_true")
    ap.add_argument("--no-wrk", action="store_true")
    ap.add_argument("--profile", type=int, default=0, help="profile siteaudit on N sites")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.perf_counter()
        sites = make_farm(tmp / "farm", args.sites, args.pages, args.min_kb, args.max_kb)
        size = sum(f.stat().st_size for f in (tmp / "farm").rglob("*.html")) / 1e6
        print(
            f"farm: {args.sites} sites x {args.pages} pages, {size:.0f} MB of HTML "
            f"({args.min_kb}-{args.max_kb} KB a page), written in {time.perf_counter() - t0:.0f} s"
        )
        use_nginx = args.server == "nginx" and shutil.which("nginx") is not None
        nginx = None
        stack = None
        if use_nginx:
            nginx = start_nginx(tmp, sites)
            urls = [f"http://{_host(i)}:{PORT}/" for i in range(len(sites))]
            print("server: nginx (1 worker) on 127.0.x.y")
        else:
            stack = serve_sites({s.name: s for s in sites})
            served = stack.__enter__()
            urls = [served[s.name].url for s in sites]
            print("server: siteaudit.serve (threaded Python)")
        try:
            registry = tmp / "registry.csv"
            _registry(registry, urls)
            ratios: list[float] = []
            for round_ in range(args.repeat):
                # alternate the two, so that a slower spell of a shared machine hits both
                ours = _measure_siteaudit(args, registry, tmp / f"a{round_}.db", first=round_ == 0)
                if args.no_scrapy:
                    continue
                scrapy = run_scrapy(urls, tmp, args.scrapy_concurrency or args.concurrency)
                if isinstance(scrapy, str):
                    print(f"scrapy: {scrapy}")
                    continue
                s_pages, s_wall, s_cpu = scrapy
                theirs = s_pages / s_wall
                print(
                    f"scrapy: {s_pages} pages in {s_wall:.1f} s = {theirs:.1f} pages/s, "
                    f"{s_cpu * 1000 / max(s_pages, 1):.1f} ms CPU/page (links only, no checks)"
                )
                ratios.append(ours / theirs)
                print(f"ratio siteaudit/scrapy: {ratios[-1]:.2f}x (target >= 3x)")
            if not args.no_wrk:
                print(f"server ceiling (wrk, one page, 64 connections): {run_wrk(urls[0] + 'p1/')}")
            if len(ratios) > 1:
                shown = ", ".join(f"{r:.2f}" for r in ratios)
                print(
                    f"ratio over {len(ratios)} alternating rounds: median "
                    f"{statistics.median(ratios):.2f}x ({shown}; target >= 3x)"
                )
            if args.profile:
                _registry(registry, urls[: args.profile])
                print(f"\nprofile of siteaudit on {args.profile} sites:")
                print(profile_siteaudit(registry, tmp / "p.db", args.pages))
        finally:
            if nginx is not None:
                nginx.send_signal(signal.SIGQUIT)
                nginx.wait(timeout=10)
            if stack is not None:
                stack.__exit__(None, None, None)


if __name__ == "__main__":
    main()
