"""Scan speed on a generated farm of sites served on loopback: pages/s, CPU ms/page, peak RSS.

    .venv/bin/python bench/scan_speed.py [--sites 40] [--pages 30] [--concurrency 16]

Every check of the bundled ru-118n checklist is on. The farm is written to a temporary folder
and served by siteaudit.serve (a threaded Python server, so the server's own ceiling is low:
issue 6's farm benchmark compares against nginx and Scrapy).
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
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
    "прием",
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
]
MENU = [
    ("Контакты", "contacts"),
    ("Структура", "structure"),
    ("Новости", "news"),
    ("Врачи", "doctors"),
    ("Платные услуги", "prices"),
    ("Обратная связь", "feedback"),
    ("Права пациентов", "rights"),
    ("Лицензии", "license"),
]


def _page(rng: random.Random, title: str, n_links: int, pages: int, kb: int) -> str:
    menu = "".join(f'<li><a href="/{slug}/">{label}</a></li>' for label, slug in MENU)
    links = "".join(
        f'<a href="/p{rng.randrange(pages)}/">{rng.choice(WORDS)}</a> ' for _ in range(n_links)
    )
    paras = []
    size = 0
    while size < kb * 1024:
        para = " ".join(rng.choice(WORDS) for _ in range(60))
        paras.append(f"<p>{para}</p>")
        size += len(para.encode())
    day = rng.randrange(1, 28)
    return (
        f"<!doctype html><html lang=ru><head><meta charset=utf-8><title>{title}</title></head>"
        f"<body><header>Тел. +7 (831) 245-10-0{rng.randrange(10)} info@clinic.example</header>"
        f"<nav><ul>{menu}</ul></nav><main><h1>{title}</h1><p>{day:02d}.10.2026</p>"
        f"{''.join(paras)}<div>{links}</div></main><footer>603011, г. Город, ул. Лесная, "
        "д. 1</footer></body></html>"
    )


def make_farm(root: Path, sites: int, pages: int, kb: int) -> dict[str, Path]:
    rng = random.Random(42)
    out = {}
    for s in range(sites):
        site = root / f"site{s}"
        for label, slug in MENU:
            (site / slug).mkdir(parents=True, exist_ok=True)
            (site / slug / "index.html").write_text(_page(rng, label, 20, pages, kb), "utf-8")
        for p in range(pages - len(MENU)):
            (site / f"p{p}").mkdir(parents=True, exist_ok=True)
            html = _page(rng, f"Страница {p}", 20, pages - len(MENU), kb)
            (site / f"p{p}" / "index.html").write_text(html, "utf-8")
        (site / "index.html").write_text(_page(rng, "Главная", 20, pages - len(MENU), kb), "utf-8")
        out[f"site{s}"] = site
    return out


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=40)
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--kb", type=int, default=40, help="approximate KB of text per page")
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        farm = make_farm(root / "farm", args.sites, args.pages, args.kb)
        with serve_sites(farm) as served:
            reg = root / "registry.csv"
            rows = [f"{slug},{slug},{site.url},RU" for slug, site in served.items()]
            reg.write_text("id,name,url,country\n" + "\n".join(rows) + "\n", "utf-8")
            settings = load_settings(
                None,
                allow_networks=("127.0.0.0/8",),
                per_host_delay=0.0,
                concurrency=args.concurrency,
                max_pages=args.pages + 5,
                render="never",
            )
            plan = plan_scan(reg, "auto", skip_invalid=False)
            cpu0 = time.process_time()
            kids0 = _children_cpu()
            t0 = time.perf_counter()
            with Store(root / "bench.db") as store:
                run = run_scan(plan, store, settings, checklist="auto", as_of=date(2026, 11, 23))
                pages = sum(r.pages_fetched for r in store.iter_results(run.id))
            wall = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
            kids = _children_cpu() - kids0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"sites={args.sites} pages/site={args.pages} ~{args.kb} KB/page, all ru-118n checks on")
    print(f"pages fetched: {pages}")
    print(f"wall: {wall:.2f} s  ->  {pages / wall:.1f} pages/s")
    print(
        f"CPU: scanner process (includes the in-process server) {cpu * 1000 / pages:.2f} ms/page, "
        f"worker processes (crawling and evaluating) {kids * 1000 / pages:.2f} ms/page"
    )
    print(f"peak RSS: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
