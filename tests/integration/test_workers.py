"""Evaluation in worker processes: the same verdicts as in a thread, and a dead worker loses
no site."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import date
from pathlib import Path

import pytest

from siteaudit.crawl import crawl_site
from siteaudit.fetch import Fetcher
from siteaudit.models import Organization, SiteStatus
from siteaudit.scan import ChecklistResolver, evaluate_site, plan_scan, run_scan
from siteaudit.settings import load_settings
from siteaudit.store import Store
from siteaudit.workers import Evaluator, evaluate_for_scan

pytestmark = pytest.mark.integration
AS_OF = date(2026, 11, 23)


@pytest.fixture
def registry(example_registry: Path) -> Path:
    return example_registry


def _verdicts(db: Path, workers: int, registry: Path) -> dict[str, list[tuple[str, str, str]]]:
    # One request per host at a time: the pages come in the same order in both runs.
    settings = load_settings(
        None,
        allow_networks=("127.0.0.0/8",),
        per_host_delay=0.0,
        per_host_concurrency=1,
        workers=workers,
    )
    plan = plan_scan(registry, "auto", skip_invalid=False)
    with Store(db) as store:
        run = run_scan(plan, store, settings, checklist="auto", as_of=AS_OF)
        return {
            r.org.id: [(f.item_id, f.outcome.value, f.reason) for f in r.findings]
            for r in store.iter_results(run.id)
        }


def test_workers_give_the_verdicts_of_a_thread(registry: Path, tmp_path: Path) -> None:
    in_processes = _verdicts(tmp_path / "p.db", 2, registry)
    in_thread = _verdicts(tmp_path / "t.db", 0, registry)
    assert len(in_processes) == 5
    assert in_processes == in_thread


def _crawl(url: str) -> tuple[Organization, object]:
    settings = load_settings(None, allow_networks=("127.0.0.0/8",), per_host_delay=0.0)
    org = Organization(id="a", name="A", url=url, country="RU")

    async def go():  # type: ignore[no-untyped-def]
        async with Fetcher(settings) as fetcher:
            return await crawl_site(org, fetcher, settings)

    return org, asyncio.run(go())


def test_only_the_key_pages_facts_come_back(examples_dir: Path, serve) -> None:  # type: ignore[no-untyped-def]
    site = serve({"ok": examples_dir / "sites" / "ru-gkb1"})["ok"]
    org, crawl = _crawl(site.url)
    checklist = ChecklistResolver("ru-118n").for_org(org)
    full = evaluate_site(org, crawl, checklist, AS_OF)  # type: ignore[arg-type]
    trimmed = evaluate_for_scan(org, crawl, checklist, AS_OF, ("home", "contacts.page"))  # type: ignore[arg-type]
    assert trimmed.evaluation == full.evaluation
    assert 1 < len(trimmed.facts) <= 2 < len(full.facts)
    assert trimmed.facts[0] == full.facts[0]


def test_a_dead_worker_loses_no_site(examples_dir: Path, serve) -> None:  # type: ignore[no-untyped-def]
    site = serve({"ok": examples_dir / "sites" / "ru-gkb1"})["ok"]
    org, crawl = _crawl(site.url)
    checklist = ChecklistResolver("ru-118n").for_org(org)
    expected = evaluate_site(org, crawl, checklist, AS_OF).evaluation  # type: ignore[arg-type]

    async def go() -> None:
        with Evaluator(1) as evaluator:
            first = await evaluator(org, crawl, checklist, AS_OF)  # type: ignore[arg-type]
            assert first.evaluation == expected
            pool = evaluator._pool
            assert pool is not None
            for pid in list(pool._processes):  # the worker is killed as the OOM killer would
                os.kill(pid, signal.SIGKILL)
            again = await evaluator(org, crawl, checklist, AS_OF)  # type: ignore[arg-type]
            assert again.evaluation == expected  # evaluated here instead
            third = await evaluator(org, crawl, checklist, AS_OF)  # type: ignore[arg-type]
            assert third.evaluation == expected  # and a new pool takes the next site
            assert evaluator._pool is not None and evaluator._pool is not pool

    asyncio.run(go())
    assert crawl.status is SiteStatus.OK  # type: ignore[attr-defined]


def test_crawls_go_on_while_sites_are_evaluated_and_stop_at_the_bound(
    registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crawl slot takes the next organization while its last site is evaluated; with the
    evaluation stalled, no more than concurrency + the evaluator's queue sites are held."""
    import threading
    import time

    from siteaudit import workers
    from siteaudit.models import Event, SiteStarted

    started: list[str] = []
    release = threading.Event()
    seen_when_released: list[int] = []
    real = workers.evaluate_for_scan

    first = threading.Lock()

    def stalled(*args, **kwargs):  # type: ignore[no-untyped-def]
        with first:  # evaluations run in threads: the others wait for the first
            if not release.is_set():
                deadline = time.monotonic() + 10
                while len(started) < 3 and time.monotonic() < deadline:
                    time.sleep(0.01)
                time.sleep(0.5)  # a fourth crawl would start now, were it allowed
                seen_when_released.append(len(started))
                release.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(workers, "evaluate_for_scan", stalled)

    def on_event(event: Event) -> None:
        if isinstance(event, SiteStarted):
            started.append(event.org.id)

    settings = load_settings(
        None,
        allow_networks=("127.0.0.0/8",),
        per_host_delay=0.0,
        concurrency=1,
        workers=0,
    )
    plan = plan_scan(registry, "auto", skip_invalid=False)
    with Store(tmp_path / "s.db") as store:
        run = run_scan(plan, store, settings, checklist="auto", as_of=AS_OF, on_event=on_event)
        results = list(store.iter_results(run.id))
    # One crawl at a time, and 2 sites queued for the thread: the first site's evaluation
    # was still stalled when the second and third crawls had started, and a fourth had not.
    assert seen_when_released == [1 + Evaluator(0).queue]
    assert len(started) == len(results) == 5
    assert all(r.status is SiteStatus.OK for r in results)


def test_a_store_error_mid_scan_is_raised_as_itself(
    registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipeline's task group does not wrap a store failure: the scan raises the one-line
    ScanError the command line prints, and the sites stored before it stay stored."""
    from siteaudit.errors import ScanError

    real = Store.save_site
    saved: list[str] = []

    def failing(self, run_id, result, *args, **kwargs):  # type: ignore[no-untyped-def]
        if saved:
            raise ScanError(f"{self.path}: database error (disk is full); free some space")
        real(self, run_id, result, *args, **kwargs)
        saved.append(result.org.id)

    monkeypatch.setattr(Store, "save_site", failing)
    settings = load_settings(None, allow_networks=("127.0.0.0/8",), per_host_delay=0.0, workers=2)
    plan = plan_scan(registry, "auto", skip_invalid=False)
    with Store(tmp_path / "s.db") as store:
        with pytest.raises(ScanError, match="disk is full"):
            run_scan(plan, store, settings, checklist="auto", as_of=AS_OF)
        run = store.unfinished_run(plan.registry.sha256, "")
        assert run is not None
        assert store.finished_org_ids(run.id) == set(saved)


def test_inline_evaluation_stops_at_its_size(  # type: ignore[no-untyped-def]
    examples_dir: Path, serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``inline_chars``: a site up to that much HTML is evaluated in the event loop's own
    thread (a scan process's way); a larger one in a thread, so the loop keeps going."""
    import threading
    from typing import cast

    from siteaudit import workers
    from siteaudit.models import CrawlResult

    site = serve({"ok": examples_dir / "sites" / "ru-gkb1"})["ok"]
    org, crawled = _crawl(site.url)
    crawl = cast(CrawlResult, crawled)
    checklist = ChecklistResolver("ru-118n").for_org(org)
    size = sum(len(p.html or "") for p in crawl.pages)
    threads: list[int] = []
    real = workers.evaluate_for_scan

    def recorded(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(workers, "evaluate_for_scan", recorded)
    expected = evaluate_site(org, crawl, checklist, AS_OF).evaluation

    async def go(limit: int) -> int:
        evaluated = await Evaluator(0, inline_chars=limit)(org, crawl, checklist, AS_OF)
        assert evaluated.evaluation == expected
        return threading.get_ident()

    loop_thread = asyncio.run(go(size))
    assert threads[-1] == loop_thread  # inline
    loop_thread = asyncio.run(go(size - 1))
    assert threads[-1] != loop_thread  # one character more than allowed: a thread
