"""The pipeline: registry -> crawl -> extract -> evaluate -> score -> store, for many sites at once.

The core of ``siteaudit scan`` and ``siteaudit check``, free of any front end: progress goes to
an ``on_event`` listener, errors are raised as SiteauditError subclasses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from .checklist import Checklist, checklist_for_country, load_checklist
from .crawl import crawl_site
from .errors import InputError, ScanError
from .evaluate import evaluate
from .extract import extract
from .fetch import Fetcher
from .models import (
    CrawlResult,
    Evaluation,
    Event,
    Organization,
    PageFacts,
    RunInfo,
    SiteFinished,
    SiteResult,
    SiteSkipped,
    SiteStarted,
    SiteStatus,
)
from .procs import scan_in_processes
from .registry import Registry, load_registry, parse_shard
from .registry import shard as shard_orgs
from .render.audit import apply_browser, key_pages
from .render.browser import find_browser
from .render.session import BrowserCheck, BrowserSession
from .score import score
from .settings import Settings
from .store import Store
from .workers import Evaluator, default_workers

log = logging.getLogger(__name__)

Listener = Callable[[Event], None]
AUTO = "auto"


def _ignore(_: Event) -> None:
    return None


class ChecklistResolver:
    """Chooses the checklist of each organization: one for all, or ``auto`` by country."""

    def __init__(self, ref: str) -> None:
        self.ref = ref
        self._cache: dict[str, Checklist] = {}
        self._fixed = None if ref == AUTO else load_checklist(ref)

    def for_org(self, org: Organization) -> Checklist:
        if self._fixed is not None:
            return self._fixed
        name = checklist_for_country(org.country)
        if name not in self._cache:
            self._cache[name] = load_checklist(name)
        return self._cache[name]

    def problem(self, org: Organization, registry: Path) -> str | None:
        """A one-line problem when no checklist fits this row, else None."""
        if self._fixed is not None:
            return None
        try:
            checklist_for_country(org.country)
        except InputError as exc:
            return f'{registry}:{org.row}: column "country": {exc.message}'
        return None

    def all_for(self, orgs: Iterable[Organization]) -> tuple[Checklist, ...]:
        """Every checklist the organizations need, each once, loaded now."""
        found: dict[int, Checklist] = {}
        for org in orgs:
            checklist = self.for_org(org)
            found.setdefault(id(checklist), checklist)
        return tuple(found.values())

    @property
    def used(self) -> dict[str, Checklist]:
        if self._fixed is not None:
            return {self._fixed.id: self._fixed}
        return dict(self._cache)


def checklists_for_results(results: Iterable[SiteResult], hint: str = AUTO) -> dict[str, Checklist]:
    """Load the checklists named by stored results (for re-rendering reports)."""
    found: dict[str, Checklist] = {}
    fixed: Checklist | None = None
    if hint != AUTO:
        try:
            fixed = load_checklist(hint)
        except InputError:
            fixed = None
    for result in results:
        cid = result.checklist_id
        if cid in found:
            continue
        if fixed is not None and fixed.id == cid:
            found[cid] = fixed
            continue
        try:
            found[cid] = load_checklist(cid)
        except InputError as exc:
            raise ScanError(
                f"the stored run used checklist {cid!r}, which cannot be loaded ({exc.message})"
            ) from None
    return found


@dataclass(frozen=True, slots=True)
class SiteEvaluation:
    """A site's page facts and their evaluation, before the browser's checks are applied."""

    facts: tuple[PageFacts, ...]
    evaluation: Evaluation
    # The crawl's page bodies as the store keeps them (compressed where the CPU is spare,
    # in a worker process); None: the store compresses them itself.
    bodies: tuple[bytes | None, ...] | None = None


@dataclass(frozen=True, slots=True)
class CheckedSite:
    """What check_site brings back: the scored result, and what the store keeps of the crawl."""

    result: SiteResult
    crawl: CrawlResult | None = None  # None when siteaudit itself failed on the site
    bodies: tuple[bytes | None, ...] | None = None


def evaluate_site(
    org: Organization, crawl: CrawlResult, checklist: Checklist, as_of: date
) -> SiteEvaluation:
    """Pure: extract every page once and evaluate the checklist over the facts."""
    facts = tuple(extract(page) for page in crawl.pages if page.error is None)
    home = crawl.html_pages[0].final_url if crawl.html_pages else org.url
    evaluation = evaluate(
        checklist,
        facts,
        status=crawl.status,
        home_url=home,
        as_of=as_of,
        region=org.country or None,
    )
    return SiteEvaluation(facts, evaluation)


def finish_site(
    org: Organization,
    crawl: CrawlResult,
    checklist: Checklist,
    as_of: date,
    evaluated: SiteEvaluation,
    browser: BrowserCheck | None = None,
) -> SiteResult:
    """Pure: apply the browser's checks (if any) to an evaluation and score it."""
    if browser is not None:
        evaluation = apply_browser(
            evaluated.evaluation,
            evaluated.facts,
            browser.audit,
            key_urls=browser.key_urls,
            why_not=browser.why_not,
        )
    else:
        evaluation = apply_browser(evaluated.evaluation, evaluated.facts, None)
    reachable = crawl.status is SiteStatus.OK
    scores = score(evaluation, checklist, as_of=as_of, reachable=reachable)
    return SiteResult(
        org=org,
        checklist_id=checklist.id,
        status=crawl.status,
        status_detail=crawl.detail,
        findings=evaluation.findings,
        scores=scores,
        pages_fetched=sum(1 for p in crawl.pages if p.error is None),
        pages_failed=sum(1 for p in crawl.pages if p.error is not None),
        started_at=crawl.started_at,
        finished_at=crawl.finished_at,
        as_of=as_of,
    )


def site_result(
    org: Organization,
    crawl: CrawlResult,
    checklist: Checklist,
    as_of: date,
    browser: BrowserCheck | None = None,
) -> SiteResult:
    """Pure: turn what the crawler (and the browser's checks) brought back into a scored result."""
    evaluated = evaluate_site(org, crawl, checklist, as_of)
    return finish_site(org, crawl, checklist, as_of, evaluated, browser)


def _internal_failure(
    org: Organization, checklist: Checklist, as_of: date, exc: BaseException
) -> SiteResult:
    now = datetime.now(UTC)
    crawl = CrawlResult(
        org=org,
        status=SiteStatus.INTERNAL_ERROR,
        detail=f"{type(exc).__name__}: {exc}"[:300],
        pages=(),
        started_at=now,
        finished_at=now,
    )
    return site_result(org, crawl, checklist, as_of)


async def check_site(
    org: Organization,
    checklist: Checklist,
    fetcher: Fetcher,
    settings: Settings,
    *,
    as_of: date,
    on_event: Listener = _ignore,
    debug: bool = False,
    browser: BrowserSession | None = None,
    evaluator: Evaluator | None = None,
) -> CheckedSite:
    """Crawl and evaluate one site. Never raises for the site's own problems.

    With a ``browser``, script-built pages are rendered while crawling, and the key pages
    get axe-core and the low-vision check. Evaluation is CPU work: the ``evaluator`` runs
    it in worker processes (default: a thread), so the event loop keeps other sites'
    connections alive meanwhile (a page with 50,000 links takes seconds to evaluate)."""
    crawl = await crawl_part(
        org,
        checklist,
        fetcher,
        settings,
        as_of=as_of,
        on_event=on_event,
        debug=debug,
        browser=browser,
    )
    if isinstance(crawl, CheckedSite):
        return crawl
    return await settle_part(
        org,
        checklist,
        crawl,
        settings,
        as_of=as_of,
        debug=debug,
        browser=browser,
        evaluator=evaluator,
    )


async def crawl_part(
    org: Organization,
    checklist: Checklist,
    fetcher: Fetcher,
    settings: Settings,
    *,
    as_of: date,
    on_event: Listener = _ignore,
    debug: bool = False,
    browser: BrowserSession | None = None,
) -> CrawlResult | CheckedSite:
    """check_site's first half: the crawl (a CheckedSite when siteaudit itself failed)."""
    on_event(SiteStarted(org))
    try:
        return await crawl_site(org, fetcher, settings, on_event=on_event, renderer=browser)
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise
    except Exception as exc:
        return _failed_site(org, checklist, as_of, exc, debug)


async def settle_part(
    org: Organization,
    checklist: Checklist,
    crawl: CrawlResult,
    settings: Settings,
    *,
    as_of: date,
    debug: bool = False,
    browser: BrowserSession | None = None,
    evaluator: Evaluator | None = None,
) -> CheckedSite:
    """check_site's second half: evaluate the crawl, add the browser's checks, score."""
    if evaluator is None:
        evaluator = Evaluator(0, settings.a11y_pages)
    try:
        evaluated = await evaluator(org, crawl, checklist, as_of)
        result = finish_site(org, crawl, checklist, as_of, evaluated)
        if browser is not None and crawl.status is SiteStatus.OK and crawl.html_pages:
            # The browser's checks go on top of the same evaluation: nothing is extracted twice.
            home = crawl.html_pages[0].final_url
            urls = key_pages(result.findings, home, settings.a11y_pages)
            checked = await browser.check(org.id, urls)
            result = finish_site(org, crawl, checklist, as_of, evaluated, checked)
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise
    except Exception as exc:
        return _failed_site(org, checklist, as_of, exc, debug)
    return CheckedSite(result, crawl, evaluated.bodies)


def _failed_site(
    org: Organization, checklist: Checklist, as_of: date, exc: Exception, debug: bool
) -> CheckedSite:
    if debug:
        raise exc
    log.exception("siteaudit failed on %s (%s)", org.id, org.url)
    return CheckedSite(_internal_failure(org, checklist, as_of, exc))


@dataclass(frozen=True, slots=True)
class ScanPlan:
    """What a scan will do: the registry read, the checklists chosen, the run to write into."""

    registry: Registry
    organizations: tuple[Organization, ...]
    skipped_rows: tuple[str, ...]  # problems of rows left out with --skip-invalid
    resolver: ChecklistResolver
    shard: str = ""  # "K/N" when only that shard of the registry is scanned


def plan_scan(
    registry_path: Path, checklist: str, *, skip_invalid: bool, shard: str | None = None
) -> ScanPlan:
    """Read and validate the registry; refuse it when it has errors, unless skip_invalid.

    ``shard="K/N"`` keeps only the organizations of shard K (by a hash of the id, so every
    machine given the same registry and N splits it the same way)."""
    registry = load_registry(registry_path)
    resolver = ChecklistResolver(checklist)
    problems = [str(p) for p in registry.errors]
    bad_rows = {p.line for p in registry.errors}
    orgs: list[Organization] = []
    for org in registry.organizations:
        problem = resolver.problem(org, registry_path)
        if problem is not None:
            problems.append(problem)
            bad_rows.add(org.row)
        elif org.row not in bad_rows:
            orgs.append(org)
    if problems and not skip_invalid:
        raise InputError(
            f"{problems[0]} ({len(problems)} problem(s) in all; fix them, or pass --skip-invalid "
            "to scan the valid rows only)",
            problems=tuple(problems),
        )
    shard_text = ""
    if shard is not None:
        k, n = parse_shard(shard)
        orgs = list(shard_orgs(orgs, k, n))
        shard_text = f"{k}/{n}"
    if not orgs and not shard_text:  # an empty shard is fine: its run has no sites
        raise InputError(f"{registry_path}: no organization to scan")
    return ScanPlan(registry, tuple(orgs), tuple(problems), resolver, shard_text)


def open_run(
    store: Store,
    plan: ScanPlan,
    *,
    checklist: str,
    as_of: date,
    resume: bool,
    settings: Settings,
) -> tuple[RunInfo, set[str]]:
    """Start a new run, or find the unfinished one to resume and what it already holds."""
    if resume:
        run = store.unfinished_run(plan.registry.sha256, plan.shard)
        if run is None:
            raise ScanError(
                f"nothing to resume: no unfinished run of {plan.registry.path} in the store; "
                "run the scan without --resume"
            )
        return run, store.finished_org_ids(run.id)
    run = store.start_run(
        registry=str(plan.registry.path),
        registry_hash=plan.registry.sha256,
        checklist=checklist,
        as_of=as_of,
        total=len(plan.organizations),
        settings=settings.model_dump(mode="json"),
        shard=plan.shard,
    )
    return run, set()


async def _scan(
    orgs: Iterator[Organization],
    resolver: ChecklistResolver,
    settings: Settings,
    store: Store,
    run: RunInfo,
    on_event: Listener,
    debug: bool,
    evaluator: Evaluator,
) -> None:
    """``settings.concurrency`` crawls at once; each crawled site is handed on to be
    evaluated, scored and stored while its crawl slot takes the next organization."""
    # Sites held from the start of their crawl to the end of their evaluation: every crawl,
    # and up to 2n+2 crawled sites queued for n workers (more would only hold pages in
    # memory while the workers are the bottleneck). The semaphore wakes one waiting crawl
    # per evaluated site, so crawls start staggered and the workers are fed evenly. Crawls
    # that waited for their own evaluation, released all at once, came in waves that left
    # the cores idle between them (a tenth of the time, on the farm).
    held = asyncio.Semaphore(settings.concurrency + evaluator.queue)

    def record(checked: CheckedSite) -> None:
        pages = checked.crawl.pages if checked.crawl is not None else ()
        store.save_site(run.id, checked.result, pages, checked.bodies)
        on_event(SiteFinished(checked.result))

    async def settle(
        org: Organization,
        checklist: Checklist,
        crawl: CrawlResult,
        browser: BrowserSession | None,
    ) -> None:
        try:
            record(
                await settle_part(
                    org,
                    checklist,
                    crawl,
                    settings,
                    as_of=run.as_of,
                    debug=debug,
                    browser=browser,
                    evaluator=evaluator,
                )
            )
        finally:
            held.release()

    async def crawler(
        fetcher: Fetcher, browser: BrowserSession | None, group: asyncio.TaskGroup
    ) -> None:
        for org in orgs:  # a shared iterator: each crawler pulls the next organization
            checklist = resolver.for_org(org)
            await held.acquire()
            handed_on = False
            try:
                crawl = await crawl_part(
                    org,
                    checklist,
                    fetcher,
                    settings,
                    as_of=run.as_of,
                    on_event=on_event,
                    debug=debug,
                    browser=browser,
                )
                if isinstance(crawl, CheckedSite):  # siteaudit itself failed on the site
                    record(crawl)
                else:
                    group.create_task(settle(org, checklist, crawl, browser))
                    handed_on = True  # settle() releases its place
            finally:
                if not handed_on:
                    held.release()

    try:
        async with (
            Fetcher(settings) as fetcher,
            BrowserSession.open(settings) as browser,
            asyncio.TaskGroup() as group,
        ):
            for _ in range(settings.concurrency):
                group.create_task(crawler(fetcher, browser, group))
    except BaseExceptionGroup as failed:  # a store error, or any error with --debug
        raise _first(failed) from None


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first exception of a task group's, looking into nested groups."""
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


def run_scan(
    plan: ScanPlan,
    store: Store,
    settings: Settings,
    *,
    checklist: str,
    as_of: date,
    resume: bool = False,
    on_event: Listener = _ignore,
    debug: bool = False,
) -> RunInfo:
    """Scan every organization of the plan into the store; returns the finished run.

    Results are saved per site as they finish; on Ctrl-C the run is marked interrupted and
    ``resume=True`` continues it later without refetching finished sites. With workers and
    no browser in use (``render = never``, or no Chromium found), the sites are crawled and
    evaluated in worker processes (``siteaudit.procs``); with a browser this process crawls
    and keeps it, and the workers evaluate.
    """
    run, done = open_run(
        store, plan, checklist=checklist, as_of=as_of, resume=resume, settings=settings
    )
    for org_id in done:
        on_event(SiteSkipped(org_id))
    todo = [org for org in plan.organizations if org.id not in done]
    workers = settings.workers if settings.workers is not None else default_workers()
    try:
        checklists = plan.resolver.all_for(todo)
        if workers and len(todo) > 1 and not _browser_in_use(settings):
            # No browser to share: each worker process crawls and evaluates its own sites.
            scan_in_processes(
                iter(todo),
                checklists,
                plan.resolver.for_org,
                settings,
                store,
                run,
                on_event,
                processes=min(workers, len(todo)),
                debug=debug,
                fail=lambda org, checklist, detail: _internal_failure(
                    org, checklist, run.as_of, ScanError(detail)
                ),
            )
            return store.finish_run(run.id)
        with Evaluator(
            workers if len(todo) > 1 else 0, settings.a11y_pages, checklists
        ).start() as evaluator:
            asyncio.run(
                _scan(iter(todo), plan.resolver, settings, store, run, on_event, debug, evaluator)
            )
    except KeyboardInterrupt:
        store.mark_interrupted(run.id)
        raise
    return store.finish_run(run.id)


def _browser_in_use(settings: Settings) -> bool:
    """Whether a scan will launch a browser: a render mode other than never, and a browser
    found (without one, the browser's checks are unknown whichever process asks)."""
    if settings.render == "never":
        return False
    try:
        return find_browser(settings.browser_path) is not None
    except FileNotFoundError:  # a --browser-path that does not exist: said per site
        return False


def check_one(
    url: str,
    checklist_ref: str,
    settings: Settings,
    *,
    as_of: date,
    country: str = "",
    on_event: Listener = _ignore,
    debug: bool = False,
) -> tuple[SiteResult, Checklist]:
    """``siteaudit check``: one site, no store."""
    from .registry import normalize_url

    normalized, _warning = normalize_url(url)
    if normalized is None:
        raise InputError(f"{url!r} is not a URL; write it as https://example.ru/")
    org = Organization(id="site", name=normalized, url=normalized, country=country.upper())
    resolver = ChecklistResolver(checklist_ref)
    if checklist_ref == AUTO and not org.country:
        raise InputError(
            "--checklist auto needs --country RU or KZ for one site; or name a checklist"
        )
    checklist = resolver.for_org(org)

    async def go() -> SiteResult:
        async with Fetcher(settings) as fetcher, BrowserSession.open(settings) as browser:
            checked = await check_site(
                org,
                checklist,
                fetcher,
                settings,
                as_of=as_of,
                on_event=on_event,
                debug=debug,
                browser=browser,
            )
            return checked.result

    return asyncio.run(go()), checklist
