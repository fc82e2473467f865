"""Rich front end: the scan progress listener and the terminal tables (core never imports it)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from types import TracebackType

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from .checklist import Checklist
from .history import history_from_store
from .models import (
    STATUS_HINTS,
    Event,
    Outcome,
    PageFetched,
    RunInfo,
    SiteFinished,
    SiteResult,
    SiteSkipped,
    SiteStarted,
    SiteStatus,
)
from .report import ReportFormat, write_reports
from .scan import ScanPlan, checklists_for_results, run_scan
from .settings import Settings
from .store import Store

OUTCOME_STYLE = {Outcome.PRESENT: "green", Outcome.ABSENT: "red", Outcome.UNKNOWN: "yellow"}


class ScanProgress:
    """Listens to scan events and shows a progress bar over sites (on stderr)."""

    def __init__(self, console: Console, total: int, *, enabled: bool = True) -> None:
        self.console = console
        self.pages = 0
        self.page_failures = 0
        self.unreachable = 0
        self.in_flight: set[str] = set()
        self._progress = Progress(
            TextColumn("[bold]Scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("sites · {task.fields[pages]} pages · {task.fields[failed]} unreachable"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            disable=not enabled,
        )
        self._task: TaskID = self._progress.add_task("scan", total=total, pages=0, failed=0)

    def __enter__(self) -> ScanProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def __call__(self, event: Event) -> None:
        if isinstance(event, SiteStarted):
            self.in_flight.add(event.org.id)
        elif isinstance(event, PageFetched):
            self.pages += 1
            if event.error is not None:
                self.page_failures += 1
        elif isinstance(event, SiteFinished):
            self.in_flight.discard(event.result.org.id)
            if not event.result.status.reachable:
                self.unreachable += 1
            self._progress.advance(self._task)
        elif isinstance(event, SiteSkipped):
            self._progress.advance(self._task)
        self._progress.update(self._task, pages=self.pages, failed=self.unreachable)


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def summary_table(results: Iterable[SiteResult], *, limit: int = 40) -> tuple[Table, list[str]]:
    """A table of organizations (first ``limit``) and summary lines for the whole run."""
    table = Table(title="siteaudit results", show_lines=False, box=box.SIMPLE_HEAD, pad_edge=False)
    # Scores first in width: on an 80-column terminal the names give way, never the numbers.
    table.add_column("id", no_wrap=True, overflow="ellipsis", max_width=16)
    table.add_column("organization", no_wrap=True, overflow="ellipsis", max_width=16)
    table.add_column("status", no_wrap=True, overflow="ellipsis", max_width=12)
    table.add_column("complete", justify="right", no_wrap=True, min_width=8)
    table.add_column("fresh", justify="right", no_wrap=True, min_width=5)
    table.add_column("last news", no_wrap=True, min_width=10, overflow="fold")
    statuses: Counter[SiteStatus] = Counter()
    comp: list[float] = []
    fresh: list[float] = []
    shown = 0
    for result in results:
        statuses[result.status] += 1
        if result.scores.completeness is not None:
            comp.append(result.scores.completeness)
        if result.scores.freshness is not None and result.status.reachable:
            fresh.append(result.scores.freshness)
        if shown < limit:
            shown += 1
            style = "" if result.status.reachable else "yellow"
            table.add_row(
                result.org.id,
                result.org.name[:60],
                f"[{style}]{result.status.value}[/]" if style else result.status.value,
                _num(result.scores.completeness),
                _num(result.scores.freshness) if result.status.reachable else "—",
                result.scores.newest_news.isoformat() if result.scores.newest_news else "—",
            )
    total = sum(statuses.values())
    lines = [f"{total} organizations scanned; {statuses[SiteStatus.OK]} reachable."]
    for status, count in sorted(statuses.items()):
        if status is not SiteStatus.OK:
            lines.append(f"  {count} × {status.value}: {STATUS_HINTS[status]}")
    if comp:
        lines.append(
            f"Completeness: mean {statistics.fmean(comp):.1f}, median {statistics.median(comp):.1f}"
        )
    if fresh:
        lines.append(
            f"Freshness: mean {statistics.fmean(fresh):.1f}, median {statistics.median(fresh):.1f}"
        )
    if total > limit:
        lines.append(f"(the table shows the first {limit}; the report has all {total})")
    return table, lines


def findings_table(result: SiteResult, checklist: Checklist, lang: str = "en") -> Table:
    """One site's findings, grouped by section, for ``siteaudit check``."""
    table = Table(title=f"{result.org.url} — {checklist.title.get(lang)}", show_lines=False)
    table.add_column("section")
    table.add_column("item")
    table.add_column("outcome")
    table.add_column("why / evidence", overflow="fold")
    for finding in result.findings:
        item = checklist.item(finding.item_id)
        section = checklist.sections[item.section].get(lang)
        style = OUTCOME_STYLE[finding.outcome]
        evidence = finding.evidence[0].url if finding.evidence else ""
        why = finding.reason + (f"\n{evidence}" if evidence else "")
        table.add_row(
            section,
            f"{item.title.get(lang)}\n[dim]{finding.item_id}[/]",
            f"[{style}]{finding.outcome.value}[/]",
            why,
        )
    return table


def default_lang(countries: Iterable[str]) -> str:
    """The report language for a registry: Kazakh where most rows are KZ, else Russian."""
    counts = Counter(countries)
    return "kk" if counts and counts.most_common(1)[0][0] == "KZ" else "ru"


def scan_and_report(
    plan: ScanPlan,
    store: Store,
    settings: Settings,
    out_dir: Path | None,
    *,
    console: Console,
    checklist: str,
    as_of: date,
    resume: bool = False,
    lang: str | None = None,
    csv_delimiter: str = ",",
    quiet: bool = False,
    debug: bool = False,
) -> Path:
    """Scan with a progress bar, write every report, print the summary; returns index.html.

    The one flow that ``siteaudit scan`` and ``siteaudit demo`` share.
    """
    with ScanProgress(console, len(plan.organizations), enabled=not quiet) as progress:
        run = run_scan(
            plan,
            store,
            settings,
            checklist=checklist,
            as_of=as_of,
            resume=resume,
            on_event=progress,
            debug=debug,
        )
    target = out_dir or Path("reports") / run.as_of.isoformat()
    write_run_reports(
        store,
        run,
        target,
        lang=lang or default_lang(o.country for o in plan.organizations),
        csv_delimiter=csv_delimiter,
    )
    if not quiet:
        table, lines = summary_table(store.iter_results(run.id))
        console.print(table)
        for line in lines:
            console.print(line)
    return target / "index.html"


def write_run_reports(
    store: Store, run: RunInfo, out_dir: Path, *, lang: str, csv_delimiter: str = ","
) -> Path:
    """Render every report format of a stored run; returns index.html."""
    checklists = checklists_for_results(store.iter_results(run.id), run.checklist)
    write_reports(
        out_dir,
        run,
        lambda: store.iter_results(run.id),
        checklists,
        lang=lang,
        csv_delimiter=csv_delimiter,
        formats=tuple(ReportFormat),
        history=history_from_store(store, run),
    )
    return out_dir / "index.html"
