"""Evaluation off the event loop: in worker processes, so that it runs on every core.

This is the way of a scan with a browser, which the crawl's process keeps; without one
(``render = never``) the workers crawl as well as evaluate (``siteaudit.procs``), and evaluate
inline (``inline_chars``).

Extracting and evaluating a site is pure CPU work (tens of milliseconds a page). In a thread
it would hold the GIL against the event loop that keeps every other site's connections
moving; in worker processes it runs beside the crawl, one site per task. With ``workers=0``
(or one site to scan) it runs in a thread of this process instead, as a library user or a
test that patches the evaluation expects.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from types import TracebackType
from typing import TYPE_CHECKING, Self

from .checklist import Checklist
from .models import CrawlResult, Organization
from .render.audit import key_pages
from .store import compress_body

if TYPE_CHECKING:
    from .scan import SiteEvaluation

log = logging.getLogger(__name__)


def default_workers() -> int:
    """One worker process per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def start_method() -> str:
    """fork where there is one: workers start at once, share the loaded code, and need no
    ``if __name__ == "__main__":`` guard in a script that runs a scan (spawn re-imports the
    script in each worker); spawn elsewhere."""
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _ready() -> None:
    return None


#: The scan's checklists, handed to each worker once when it starts: a task names its
#: checklist by position here instead of carrying a copy (unpickling a checklist for every
#: site cost more than evaluating a small site, and defeated the caches kept per checklist).
_checklists: tuple[Checklist, ...] = ()


def _init_worker(checklists: tuple[Checklist, ...]) -> None:
    global _checklists
    _checklists = checklists
    # Ctrl-C reaches the whole process group: the scan itself stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _evaluate_in_worker(
    org: Organization,
    crawl: CrawlResult,
    checklist: Checklist | int,
    as_of: date,
    key_roles: Sequence[str],
) -> SiteEvaluation:
    if isinstance(checklist, int):
        checklist = _checklists[checklist]
    return evaluate_for_scan(org, crawl, checklist, as_of, key_roles)


def evaluate_for_scan(
    org: Organization,
    crawl: CrawlResult,
    checklist: Checklist,
    as_of: date,
    key_roles: Sequence[str],
) -> SiteEvaluation:
    """evaluate_site, keeping only the page facts the browser's checks may need (the first
    page and the key pages): the rest need not travel back from a worker process; and the
    page bodies compressed for the store, which is work done here, not in the crawl's
    process."""
    from .scan import SiteEvaluation, evaluate_site  # scan imports this module

    evaluated = evaluate_site(org, crawl, checklist, as_of)
    bodies = tuple(compress_body(page.html) for page in crawl.pages)
    if not evaluated.facts:
        return SiteEvaluation(evaluated.facts, evaluated.evaluation, bodies)
    home = crawl.html_pages[0].final_url if crawl.html_pages else org.url
    keep = set(key_pages(evaluated.evaluation.findings, home, key_roles))
    facts = tuple(f for i, f in enumerate(evaluated.facts) if i == 0 or f.url in keep)
    return SiteEvaluation(facts, evaluated.evaluation, bodies)


class Evaluator:
    """Runs ``evaluate_for_scan`` for the scan's sites; use as ``with Evaluator(n) as e:``."""

    def __init__(
        self,
        workers: int,
        key_roles: Sequence[str] = (),
        checklists: Sequence[Checklist] = (),
        *,
        inline_chars: int = 0,
    ) -> None:
        """``checklists``: those the scan will use (known to each worker from its start;
        another one is sent along with its site). ``inline_chars`` (with ``workers=0``): a
        site whose HTML has at most this many characters is evaluated in the calling thread,
        blocking its event loop for that while (tenths of a second for 50 pages), where a
        thread would cost more in handing the GIL back and forth with the event loop."""
        self.workers = max(0, workers)
        self.inline_chars = inline_chars
        self.key_roles = tuple(key_roles)
        self._checklists = tuple(checklists)
        self._index = {id(c): i for i, c in enumerate(self._checklists)}
        self._pool: ProcessPoolExecutor | None = None
        # Crawled sites that may wait for the workers (the scan holds no more): while the
        # workers are the bottleneck, crawling further ahead only holds more pages in memory.
        self.queue = 2 * self.workers + 2

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def start(self) -> Self:
        """Start the worker processes now: before the event loop and its threads exist, as
        forking a process with threads can leave a lock held in the child."""
        if self.workers:
            self._executor().submit(_ready).result()
        return self

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context(start_method()),
                initializer=_init_worker,
                initargs=(self._checklists,),
            )
        return self._pool

    async def __call__(
        self, org: Organization, crawl: CrawlResult, checklist: Checklist, as_of: date
    ) -> SiteEvaluation:
        args = (org, crawl, checklist, as_of, self.key_roles)
        if self.workers == 0:
            if sum(len(page.html or "") for page in crawl.pages) <= self.inline_chars:
                return evaluate_for_scan(*args)
            return await asyncio.to_thread(evaluate_for_scan, *args)
        loop = asyncio.get_running_loop()
        ref: Checklist | int = self._index.get(id(checklist), checklist)
        try:
            return await loop.run_in_executor(
                self._executor(), _evaluate_in_worker, org, crawl, ref, as_of, self.key_roles
            )
        except BrokenProcessPool:
            # A worker died (killed, out of memory): start a new pool for the next sites and
            # evaluate this one here, so that no site is lost to another site's crash.
            log.warning("an evaluation worker died; starting new ones (site %s)", org.id)
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            return await asyncio.to_thread(evaluate_for_scan, *args)
