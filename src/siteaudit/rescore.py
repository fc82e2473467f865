"""Rescore: re-evaluate a stored run with a (changed) checklist or date, without crawling.

The pages of a scan are stored with their HTML (compressed), so a new checklist can be tried on
last week's crawl: each site's pages are rebuilt, then extract -> evaluate -> score run again
exactly as in a scan. The result is a NEW finished run of the same registry, noted "rescore of
run N", so the history keeps both verdicts. A rescored run points at the run holding the pages
(``pages_from``), so it can itself be rescored.

Sites are spread over worker processes (``jobs``); each worker opens the store for reading.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from multiprocessing import get_context
from pathlib import Path

from .checklist import COUNTRY_CHECKLISTS
from .errors import ScanError
from .models import CrawlResult, Organization, RunInfo, RunState, SiteResult
from .scan import AUTO, ChecklistResolver, site_result
from .store import Store

__all__ = ["rescore_run"]

#: Sites per batch: one transaction in the store, one task for a worker process.
BATCH = 250

Progress = Callable[[int], None]


def _ignore(_: int) -> None:
    return None


_worker_resolver: ChecklistResolver | None = None


def _init_worker(resolver: ChecklistResolver) -> None:
    global _worker_resolver
    _worker_resolver = resolver


def _rescore_batch(
    db: Path,
    source: int,
    pages_run: int,
    org_ids: Sequence[str],
    as_of: date,
    resolver: ChecklistResolver | None = None,
) -> list[SiteResult]:
    """Rescore some sites of a run (in a worker process, or inline when jobs == 1)."""
    resolver = resolver or _worker_resolver
    assert resolver is not None
    with Store(db) as store:
        return [
            _rescore_site(store, result, pages_run, resolver, as_of)
            for result in store.iter_results_of(source, org_ids)
        ]


def _rescore_site(
    store: Store, stored: SiteResult, pages_run: int, resolver: ChecklistResolver, as_of: date
) -> SiteResult:
    org = stored.org
    pages = tuple(store.stored_pages(pages_run, org.id))
    crawl = CrawlResult(
        org=org,
        status=stored.status,
        detail=stored.status_detail,
        pages=pages,
        started_at=stored.started_at,
        finished_at=stored.finished_at,
    )
    return site_result(org, crawl, resolver.for_org(org), as_of)


def _batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def rescore_run(
    store: Store,
    run_id: int | None = None,
    *,
    checklist: str | None = None,
    as_of: date | None = None,
    jobs: int = 1,
    on_progress: Progress = _ignore,
) -> RunInfo:
    """Rescore a finished run into a new finished run; returns the new run.

    ``checklist`` defaults to the run's own ("auto" or a checklist id/path), ``as_of`` to the
    run's date. ``jobs`` > 1 spreads the sites over that many processes. ``on_progress``
    receives the number of sites done so far.
    """
    source = store.run(run_id) if run_id is not None else store.latest_run()
    if source is None:
        raise ScanError(f"{store.path}: the store holds no finished run to rescore")
    if source.state is not RunState.FINISHED:
        raise ScanError(
            f"{store.path}: run {source.id} is {source.state.value}; finish it with "
            "'siteaudit scan ... --resume' before rescoring it"
        )
    pages_run = source.pages_from if source.pages_from is not None else source.id
    if source.done and not store.has_bodies(pages_run):
        raise ScanError(
            f"{store.path}: run {source.id} was stored without page bodies (before schema 2); "
            "scan the registry again to rescore it"
        )
    ref = checklist if checklist is not None else source.checklist
    # Loaded once here (an InputError now, not in a worker) and handed to the workers, which
    # then never read the YAML again.
    resolver = ChecklistResolver(ref)
    if ref == AUTO:
        for country in COUNTRY_CHECKLISTS:
            resolver.for_org(Organization(id="", name="", url="", country=country))
    day = as_of if as_of is not None else source.as_of
    org_ids = store.org_ids(source.id)
    what = f"rescore of run {source.id}"
    if ref != source.checklist:
        what += f" with checklist {ref}"
    if day != source.as_of:
        what += f" as of {day.isoformat()}"
    run = store.start_run(
        registry=source.registry,
        registry_hash=source.registry_hash,
        checklist=ref,
        as_of=day,
        total=source.total,
        settings=store.run_settings(source.id),
        shard=source.shard,
        note=what,
        pages_from=pages_run,
    )
    batches = list(_batches(org_ids, BATCH))
    done = 0
    try:
        if jobs <= 1 or len(batches) <= 1:
            for batch in batches:
                results = _rescore_batch(store.path, source.id, pages_run, batch, day, resolver)
                store.save_sites(run.id, ((r, ()) for r in results))
                done += len(results)
                on_progress(done)
        else:
            context = get_context("spawn")  # no fork() of a process that may hold threads
            workers = min(jobs, os.cpu_count() or 1, len(batches))
            with ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context,
                initializer=_init_worker,
                initargs=(resolver,),
            ) as pool:
                futures = [
                    pool.submit(_rescore_batch, store.path, source.id, pages_run, b, day)
                    for b in batches
                ]
                for future in futures:
                    results = future.result()
                    store.save_sites(run.id, ((r, ()) for r in results))
                    done += len(results)
                    on_progress(done)
    except BaseException:
        store.delete_run(run.id)  # a half-written rescore must not look resumable
        raise
    return store.finish_run(run.id)
