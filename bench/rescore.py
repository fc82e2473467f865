"""Rescore speed: a generated store of N sites (3 small pages each) rescored without crawling.

    .venv/bin/python bench/rescore.py [--sites 10000] [--jobs 2] [--db /tmp/rescore.db]

Target (issue 6): 10,000 stored sites rescored in <= 60 s. Prints the time to build the store
(not part of the target), the rescore time, sites/s and pages/s, and the store's size.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from siteaudit.checklist import load_checklist
from siteaudit.models import CrawlResult, Organization, Page, SiteStatus
from siteaudit.rescore import rescore_run
from siteaudit.scan import site_result
from siteaudit.store import Store

AS_OF = date(2026, 11, 23)
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
MENU = (
    '<nav><a href="/kontakty/">Контакты</a> <a href="/novosti/">Новости</a> '
    '<a href="/vrachi/">Врачи</a> <a href="/uslugi/">Платные услуги</a> '
    '<a href="/obrashcheniya/">Обращения граждан</a> '
    '<a href="/?special=Y">Версия для слабовидящих</a></nav>'
)
WORDS = ["поликлиника", "отделение", "врач", "пациент", "приём", "запись", "услуги", "лечение"]


def _html(title: str, body: str, rng: random.Random) -> str:
    filler = " ".join(rng.choice(WORDS) for _ in range(150))
    return (
        f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><header>{MENU}</header><main><h1>{title}</h1>{body}<p>{filler}</p>"
        "</main><footer>© 2026</footer></body></html>"
    )


def _site_pages(i: int, rng: random.Random) -> tuple[Page, ...]:
    base = f"http://site{i}.test/"
    day = 1 + i % 28
    bodies = {
        "": ("Главная", f"<p>Больница № {i}. Новость от {day:02d}.11.2026: открыт кабинет.</p>"),
        "kontakty/": (
            "Контакты",
            f"<p>Адрес: г. Город, ул. Ленина, д. {i % 200}. Телефон: +7 (495) 123-{i % 100:02d}-67."
            f' E-mail: <a href="mailto:info@site{i}.ru">info@site{i}.ru</a></p>',
        ),
        "novosti/": ("Новости", f"<ul><li>{day:02d}.11.2026 День открытых дверей</li></ul>"),
    }
    return tuple(
        Page(
            url=base + path,
            final_url=base + path,
            status_code=200,
            fetched_at=T0,
            depth=0 if not path else 1,
            content_type="text/html; charset=utf-8",
            html=_html(title, body, rng),
            encoding="utf-8",
            found_via="start" if not path else "link",
        )
        for path, (title, body) in bodies.items()
    )


def build(db: Path, sites: int) -> None:
    rng = random.Random(6)
    checklist = load_checklist("ru-118n")
    template_org = Organization(id="t", name="t", url="http://t.test/", country="RU", row=2)
    template_pages = _site_pages(0, rng)
    crawl = CrawlResult(template_org, SiteStatus.OK, "", template_pages, T0, T0)
    template = site_result(template_org, crawl, checklist, AS_OF)  # stored placeholder verdicts
    with Store(db) as store:
        run = store.start_run(
            registry="bench.csv", registry_hash="b" * 64, checklist="ru-118n", as_of=AS_OF,
            total=sites, settings={},
        )  # fmt: skip
        batch = []
        for i in range(sites):
            org = Organization(
                id=f"org{i:05d}", name=f"Больница {i}", url=f"http://site{i}.test/",
                country="RU", row=i + 2,
            )  # fmt: skip
            batch.append((dataclasses.replace(template, org=org), _site_pages(i, rng)))
            if len(batch) == 500:
                store.save_sites(run.id, batch)
                batch = []
        store.save_sites(run.id, batch)
        store.finish_run(run.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "rescore.db"
        if db.exists():
            db.unlink()
        t = time.perf_counter()
        build(db, args.sites)
        built = time.perf_counter() - t
        size = db.stat().st_size / 1e6
        print(f"store: {args.sites} sites x 3 pages, {size:.1f} MB, built in {built:.1f} s")
        with Store(db) as store:
            t = time.perf_counter()
            cpu = time.process_time()
            run = rescore_run(store, 1, jobs=args.jobs)
            wall = time.perf_counter() - t
        print(
            f"rescore (jobs={args.jobs}): {run.done} sites in {wall:.1f} s "
            f"({run.done / wall:.0f} sites/s, {3 * run.done / wall:.0f} pages/s; "
            f"main process CPU {time.process_time() - cpu:.1f} s); target <= 60 s for 10,000"
        )


if __name__ == "__main__":
    main()
