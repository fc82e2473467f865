"""A scan spread over processes that each crawl and evaluate their own sites.

Without a browser (``--render never``) a scan of many sites runs in ``workers`` child
processes. Each has its own event loop and HTTP client, crawls the sites it is handed and
evaluates each one in the same process as soon as its crawl ends: no page is pickled from one
process to another, and no thread hands the GIL back and forth with the event loop. On the
benchmark farm that is about an eighth less CPU a page than crawling here and evaluating in
worker processes (4.3–4.6 against 3.8–4.0 ms, ``bench/farm.py``).

This process hands out the organizations and is the store's only writer: a child sends back
each site's result with its pages' metadata, titles and compressed bodies, and the site is
stored before its place goes to the next one, so ``scan --resume`` after ``kill -9`` loses
nothing.

- **Politeness.** Sites whose registry URLs share a host (``www.`` or not, any port) are
  handed to the child that is crawling that host already, so its per-host limits hold for
  the whole scan.
- **A child that dies** (killed, out of memory) is replaced, and its sites in flight are
  crawled again by the new one, each alone: a site whose child dies while crawling it alone
  is stored as internal_error, and the sites that were only beside it are not blamed.
- **When this process dies** its children are killed by the kernel (``PR_SET_PDEATHSIG`` on
  Linux), or find their inbox closed, or notice within a second that their parent is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from .checklist import Checklist
from .crawl import host_key
from .errors import ScanError
from .models import (
    Event,
    Organization,
    Page,
    PageFetched,
    RunInfo,
    SiteFinished,
    SiteResult,
    SiteStarted,
)
from .settings import Settings
from .store import Store, compress_body, page_title
from .workers import Evaluator, start_method

log = logging.getLogger(__name__)

#: A site whose HTML is larger than this (characters) is evaluated in a thread of its child,
#: so that the child's other crawls keep their connections moving meanwhile.
INLINE_CHARS = 8_000_000
#: Sites taken ahead from the registry while waiting for the child that owns their host.
LOOKAHEAD_PER_CHILD = 64
#: Seconds between two batches of a child's progress events.
EVENTS_EVERY = 0.25


# --- the children -------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (prctl PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return


@dataclass(frozen=True, slots=True)
class _Job:
    """What a child is told when it starts."""

    settings: Settings
    checklists: tuple[Checklist, ...]  # a site's checklist is named by its position here
    as_of: date
    debug: bool
    slots: int  # sites crawled at once


def _child_main(
    inbox: Connection, conn: Connection, inherited: Sequence[Connection], job: _Job
) -> None:
    """A child's life: sites come in on ``inbox``, results and events go out on ``conn``."""
    parent = os.getppid()
    _die_with_parent()
    for end in inherited:  # the parent's ends of the pipes, inherited by a fork
        end.close()
    # Ctrl-C reaches the whole process group: the scan itself stops its children.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        asyncio.run(_child_scan(inbox, conn, parent, job))
    except BaseException as exc:
        while isinstance(exc, BaseExceptionGroup):  # the crawlers' task group
            exc = exc.exceptions[0]
        with contextlib.suppress(OSError, ValueError):
            conn.send(("error", _sendable(exc)))
        os._exit(1)


def _sendable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling, else a ScanError saying what it was."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return ScanError(f"a scan process failed: {type(exc).__name__}: {exc}")
    return exc


async def _child_scan(inbox: Connection, conn: Connection, parent: int, job: _Job) -> None:
    from .fetch import Fetcher
    from .render.session import BrowserSession
    from .scan import check_site

    settings, slots = job.settings, job.slots
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[Organization, int] | None] = asyncio.Queue()

    def receive() -> None:
        """In a thread (a pipe cannot be watched by every event loop: Windows' cannot)."""
        try:
            while (message := inbox.recv()) is not None:
                loop.call_soon_threadsafe(queue.put_nowait, message)
        except (EOFError, OSError):
            os._exit(0)  # the parent is gone, and with it the store: nothing left to do
        for _ in range(slots):  # no more sites: each crawler ends after its own
            loop.call_soon_threadsafe(queue.put_nowait, None)

    async def watch_parent() -> None:
        while True:
            await asyncio.sleep(1)
            if os.getppid() != parent:
                os._exit(0)

    # Progress events go to the parent in batches, a few times a second: a message per page
    # would wake the parent, and take a core from the children, thousands of times a minute.
    events: list[Event] = []

    def forward(event: Event) -> None:
        if isinstance(event, SiteStarted | PageFetched):
            events.append(event)

    def flush() -> None:
        if events:
            conn.send(("events", events.copy()))
            events.clear()

    async def flush_often() -> None:
        while True:
            await asyncio.sleep(EVENTS_EVERY)
            flush()

    evaluator = Evaluator(0, settings.a11y_pages, inline_chars=INLINE_CHARS)

    async def crawler(fetcher: Fetcher, browser: BrowserSession | None) -> None:
        while (item := await queue.get()) is not None:
            org, index = item
            checked = await check_site(
                org,
                job.checklists[index],
                fetcher,
                settings,
                as_of=job.as_of,
                on_event=forward,
                debug=job.debug,
                browser=browser,
                evaluator=evaluator,
            )
            pages: tuple[Page, ...] = ()
            bodies: tuple[bytes | None, ...] = ()
            titles: tuple[str, ...] = ()
            if checked.crawl is not None:
                pages = checked.crawl.pages
                bodies = checked.bodies or tuple(compress_body(p.html) for p in pages)
                titles = tuple(page_title(p.html) for p in pages)
                pages = tuple(replace(p, html=None) for p in pages)  # the bodies carry them
            flush()
            conn.send(("site", org.id, checked.result, pages, bodies, titles))

    threading.Thread(target=receive, name="siteaudit-inbox", daemon=True).start()
    watcher = asyncio.create_task(watch_parent())
    flusher = asyncio.create_task(flush_often())
    try:
        async with (
            Fetcher(settings) as fetcher,
            BrowserSession.open(settings) as browser,  # never launched with --render never
            asyncio.TaskGroup() as group,
        ):
            for _ in range(slots):
                group.create_task(crawler(fetcher, browser))
    finally:
        watcher.cancel()
        flusher.cancel()
    conn.send(("done",))


def _stop(child: _Child) -> None:
    """Tell a child there are no more sites and wait for it to close its client and end."""
    try:
        child.inbox.send(None)
        while (message := child.conn.recv())[0] != "done":
            if message[0] == "error":
                raise message[1]
    except (EOFError, OSError):  # it died with nothing left to do
        return
    child.process.join(timeout=10)


# --- handing out the sites ----------------------------------------------------------------


@dataclass
class _Child:
    index: int
    process: BaseProcess
    inbox: Connection  # sites go to the child here
    conn: Connection  # its results and events come back here
    sites: dict[str, Organization] = field(default_factory=dict)  # in flight, by id
    alone: bool = False  # crawling one site that was in flight when a child died


class _Dispatch:
    """Which child crawls which site: any child for a host nobody crawls, else the one that
    crawls it (sites waiting for their child are kept here, a bounded look-ahead)."""

    def __init__(self, orgs: Iterator[Organization], children: int) -> None:
        self.orgs = orgs
        self.waiting: list[deque[Organization]] = [deque() for _ in range(children)]
        self.hosts: dict[str, list[int]] = {}  # host -> [child, sites in flight or waiting]
        self.limit = LOOKAHEAD_PER_CHILD * children
        self.exhausted = False

    def next_for(self, child: int) -> Organization | None:
        if self.waiting[child]:
            return self.waiting[child].popleft()
        while not self.exhausted and sum(map(len, self.waiting)) < self.limit:
            org = next(self.orgs, None)
            if org is None:
                self.exhausted = True
                break
            owner = self._claim(org, child)
            if owner == child:
                return org
            self.waiting[owner].append(org)
        return None

    def _claim(self, org: Organization, child: int) -> int:
        host = host_key(org.url)
        claim = self.hosts.setdefault(host, [child, 0])
        claim[1] += 1
        return claim[0]

    def again(self, org: Organization, child: int) -> None:
        """A site to crawl again (its child died): first in line for the child's successor."""
        self.waiting[child].appendleft(org)

    def finished(self, org: Organization) -> None:
        host = host_key(org.url)
        claim = self.hosts.get(host)
        if claim is not None:
            claim[1] -= 1
            if claim[1] <= 0:
                del self.hosts[host]

    @property
    def idle(self) -> bool:
        return self.exhausted and not any(self.waiting)


def scan_in_processes(
    orgs: Iterator[Organization],
    checklists: Sequence[Checklist],
    checklist_of: Callable[[Organization], Checklist],
    settings: Settings,
    store: Store,
    run: RunInfo,
    on_event: Callable[[Event], None],
    *,
    processes: int,
    debug: bool = False,
    fail: Callable[[Organization, Checklist, str], SiteResult],
) -> None:
    """Scan the organizations in ``processes`` children, storing each site as it comes back.

    ``fail(org, checklist, detail)`` builds the internal_error result of a site whose
    children died."""
    checklists = tuple(checklists)
    index = {id(c): i for i, c in enumerate(checklists)}
    processes = max(1, min(processes, settings.concurrency))
    # the sites crawled at once, shared out: child i crawls slots[i] of them
    slots = [
        settings.concurrency // processes + (i < settings.concurrency % processes)
        for i in range(processes)
    ]
    context: Any = multiprocessing.get_context(start_method())
    children: list[_Child] = []
    dispatch = _Dispatch(orgs, processes)
    suspects: set[str] = set()  # sites in flight when a child died: crawled again, alone

    def start(i: int) -> _Child:
        their_inbox, inbox = context.Pipe(duplex=False)
        conn, their_conn = context.Pipe(duplex=False)
        # A forked child inherits this process's ends of every pipe, its own and the other
        # children's: it closes them, or it would not see its inbox close when this process
        # dies (nor would the others). A spawned child inherits none.
        forked = context.get_start_method() == "fork"
        inherited = (
            [end for c in children if c.index != i for end in (c.inbox, c.conn)] + [inbox, conn]
            if forked
            else []
        )
        process = context.Process(
            target=_child_main,
            args=(
                their_inbox,
                their_conn,
                inherited,
                _Job(settings, checklists, run.as_of, debug, slots[i]),
            ),
            name=f"siteaudit-scan-{i}",
            daemon=True,
        )
        process.start()
        their_inbox.close()
        their_conn.close()
        return _Child(i, process, inbox, conn)

    def top_up(child: _Child) -> None:
        while len(child.sites) < slots[child.index] and not child.alone:
            org = dispatch.next_for(child.index)
            if org is None:
                return
            if org.id in suspects:
                if child.sites:  # it waits until the child has nothing else in flight
                    dispatch.again(org, child.index)
                    return
                child.alone = True
            child.sites[org.id] = org
            try:
                child.inbox.send((org, index[id(checklist_of(org))]))
            except OSError:
                return  # it died: its sites come back when its pipe is read

    def replace_dead(child: _Child) -> _Child:
        child.process.join(timeout=5)
        code = child.process.exitcode
        log.warning("scan process %d died (exit code %s); starting a new one", child.index, code)
        child.inbox.close()
        child.conn.close()
        for org in child.sites.values():
            if child.alone:  # it died crawling this site and nothing else
                detail = f"the scan process crawling this site alone died (exit code {code})"
                result = fail(org, checklist_of(org), detail)
                store.save_site(run.id, result)
                suspects.discard(org.id)
                dispatch.finished(org)
                on_event(SiteFinished(result))
            else:
                suspects.add(org.id)
                dispatch.again(org, child.index)
        fresh = start(child.index)
        children[child.index] = fresh
        return fresh

    def receive(child: _Child) -> None:
        try:
            message = child.conn.recv()
        except (EOFError, OSError):
            replace_dead(child)
            return
        kind = message[0]
        if kind == "events":
            for event in message[1]:
                on_event(event)
        elif kind == "site":
            _, org_id, result, pages, bodies, titles = message
            store.save_site(run.id, result, pages, bodies, titles)
            dispatch.finished(child.sites.pop(org_id))
            suspects.discard(org_id)
            child.alone = False
            on_event(SiteFinished(result))
        elif kind == "error":
            raise message[1]

    try:
        for i in range(processes):
            children.append(start(i))
        while True:
            for child in list(children):
                top_up(child)
            busy = [c for c in children if c.sites]
            if not busy:
                if dispatch.idle:
                    break
                continue
            by_conn = {id(c.conn): c for c in busy}
            for conn in wait([c.conn for c in busy]):
                receive(by_conn[id(conn)])
        for child in children:
            _stop(child)
    finally:
        for child in children:
            if child.process.is_alive():
                child.process.kill()
            child.process.join(timeout=5)
            child.inbox.close()
            child.conn.close()
