"""History: what changed between a run and the previous run of the same registry, the trend
per region over the last runs, a baseline of accepted gaps, and the CI gate.

Everything here is pure over ``SiteResult`` streams except the two ``*_from_store`` helpers,
which read the store. The CLI turns a ``GateResult`` into an exit code; the HTML report
shows ``RunDiff`` and ``RegionTrend``.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from .errors import InputError
from .models import Outcome, RunInfo, SiteResult, SiteStatus
from .store import Store

#: An accepted gap: (organization id, checklist item id). Item "*" accepts every item.
Gap = tuple[str, str]
ANY_ITEM = "*"
DEFAULT_TREND_RUNS = 8


# --- the difference between two runs -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one run said about one organization, small enough to keep for a whole registry."""

    org_id: str
    name: str
    region: str
    status: SiteStatus
    completeness: float | None  # None when unreachable or nothing determined
    freshness: float | None
    outcomes: Mapping[str, Outcome]

    @classmethod
    def of(cls, result: SiteResult) -> Snapshot:
        reachable = result.status.reachable
        return cls(
            org_id=result.org.id,
            name=result.org.name,
            region=result.org.region,
            status=result.status,
            completeness=result.scores.completeness if reachable else None,
            freshness=result.scores.freshness if reachable else None,
            outcomes={f.item_id: f.outcome for f in result.findings},
        )


@dataclass(frozen=True, slots=True)
class OrgChange:
    """One organization between the previous run (``before``) and this one (``after``)."""

    org_id: str
    name: str
    region: str
    status_before: SiteStatus | None  # None: the organization is new in this run
    status_after: SiteStatus
    completeness_before: float | None
    completeness_after: float | None
    newly_missing: tuple[str, ...] = ()  # present before, absent now
    newly_present: tuple[str, ...] = ()  # absent before, present now

    @property
    def is_new(self) -> bool:
        return self.status_before is None

    @property
    def delta(self) -> float | None:
        if self.completeness_before is None or self.completeness_after is None:
            return None
        return round(self.completeness_after - self.completeness_before, 1)

    @property
    def became_unreachable(self) -> bool:
        return (
            self.status_before is not None
            and self.status_before.reachable
            and not self.status_after.reachable
        )

    @property
    def became_reachable(self) -> bool:
        return (
            self.status_before is not None
            and not self.status_before.reachable
            and self.status_after.reachable
        )

    @property
    def changed(self) -> bool:
        return bool(
            self.is_new
            or self.newly_missing
            or self.newly_present
            or self.status_before != self.status_after
            or (self.delta is not None and self.delta != 0)
        )


@dataclass(frozen=True, slots=True)
class RunDiff:
    """Every organization of ``run`` compared with ``previous`` (None: the first run)."""

    run: RunInfo
    previous: RunInfo | None
    changes: tuple[OrgChange, ...]
    removed: tuple[str, ...] = ()  # organization ids in the previous run only
    _by_org: dict[str, OrgChange] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_org.update((c.org_id, c) for c in self.changes)

    def for_org(self, org_id: str) -> OrgChange | None:
        return self._by_org.get(org_id)

    @property
    def changed(self) -> tuple[OrgChange, ...]:
        return tuple(c for c in self.changes if c.changed)

    def newly_missing(self) -> Iterator[Gap]:
        for change in self.changes:
            for item in change.newly_missing:
                yield change.org_id, item


def diff_results(
    current: Iterable[SiteResult], previous: Iterable[SiteResult]
) -> tuple[tuple[OrgChange, ...], tuple[str, ...]]:
    """Compare two runs' results (streams); returns (changes in current order, removed ids)."""
    before = {r.org.id: Snapshot.of(r) for r in previous}
    changes: list[OrgChange] = []
    for result in current:
        now = Snapshot.of(result)
        old = before.pop(now.org_id, None)
        changes.append(_change(now, old))
    return tuple(changes), tuple(before)


def _change(now: Snapshot, old: Snapshot | None) -> OrgChange:
    if old is None:
        return OrgChange(now.org_id, now.name, now.region, None, now.status, None, now.completeness)
    missing: list[str] = []
    present: list[str] = []
    # Only determined outcomes on both sides count: unknown is "could not check", not a change.
    for item, outcome in now.outcomes.items():
        was = old.outcomes.get(item)
        if outcome is Outcome.ABSENT and was is Outcome.PRESENT:
            missing.append(item)
        elif outcome is Outcome.PRESENT and was is Outcome.ABSENT:
            present.append(item)
    return OrgChange(
        now.org_id,
        now.name,
        now.region,
        old.status,
        now.status,
        old.completeness,
        now.completeness,
        tuple(missing),
        tuple(present),
    )


def diff_from_store(store: Store, run: RunInfo, previous: RunInfo | None = None) -> RunDiff:
    """``run`` against ``previous`` (default: the previous finished run of the same registry)."""
    if previous is None:
        previous = store.previous_run(run.id, finished=True)
    if previous is None:
        changes, removed = diff_results(store.iter_results(run.id), ())
        return RunDiff(run, None, changes, removed)
    changes, removed = diff_results(store.iter_results(run.id), store.iter_results(previous.id))
    return RunDiff(run, previous, changes, removed)


# --- trends per region -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrendPoint:
    run_id: int
    as_of: date
    mean_completeness: float | None
    organizations: int  # scored organizations in the region in that run


@dataclass(frozen=True, slots=True)
class RegionTrend:
    region: str
    points: tuple[TrendPoint, ...]  # oldest first

    @property
    def change(self) -> float | None:
        """Last scored mean minus the first scored mean; None with fewer than two."""
        scored = [p.mean_completeness for p in self.points if p.mean_completeness is not None]
        return round(scored[-1] - scored[0], 1) if len(scored) >= 2 else None


def region_means(results: Iterable[SiteResult]) -> dict[str, tuple[float | None, int]]:
    """Mean completeness of the reachable, scored organizations, per region."""
    scores: dict[str, list[float]] = defaultdict(list)
    regions: dict[str, None] = {}
    for result in results:
        regions.setdefault(result.org.region, None)
        if result.status.reachable and result.scores.completeness is not None:
            scores[result.org.region].append(result.scores.completeness)
    return {
        region: (
            (round(statistics.fmean(scores[region]), 1), len(scores[region]))
            if scores[region]
            else (None, 0)
        )
        for region in regions
    }


def region_trends(
    runs: Iterable[tuple[RunInfo, Iterable[SiteResult]]],
) -> tuple[RegionTrend, ...]:
    """Per-region trend over ``runs`` (oldest first); regions of the newest run only."""
    per_run = [(run, region_means(results)) for run, results in runs]
    if not per_run:
        return ()
    newest = per_run[-1][1]
    return tuple(
        RegionTrend(
            region,
            tuple(
                TrendPoint(run.id, run.as_of, *means.get(region, (None, 0)))
                for run, means in per_run
            ),
        )
        for region in newest
    )


def history_runs(store: Store, run: RunInfo, last: int = DEFAULT_TREND_RUNS) -> list[RunInfo]:
    """``run`` and up to ``last - 1`` finished runs of the same registry before it, oldest first."""
    chain = [run]
    while len(chain) < last:
        before = store.previous_run(chain[-1].id, finished=True)
        if before is None:
            break
        chain.append(before)
    return chain[::-1]


def trends_from_store(
    store: Store, run: RunInfo, last: int = DEFAULT_TREND_RUNS
) -> tuple[RegionTrend, ...]:
    return region_trends((r, store.iter_results(r.id)) for r in history_runs(store, run, last))


# --- baseline of accepted gaps -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Baseline:
    """Gaps a team has accepted for now: they do not fail CI; every other gap does."""

    gaps: frozenset[Gap] = frozenset()
    source: str = ""

    def accepts(self, org_id: str, item_id: str) -> bool:
        return (org_id, item_id) in self.gaps or (org_id, ANY_ITEM) in self.gaps

    def __len__(self) -> int:
        return len(self.gaps)


def load_baseline(path: Path) -> Baseline:
    """Read accepted gaps from YAML or CSV.

    YAML: a mapping ``org id: [item id, ...]`` (``"*"`` for every item), or a list of
    ``{org: ..., item: ...}``. CSV: a header with ``org`` and ``item`` columns (``org_id`` /
    ``item_id`` too). Raises InputError naming the file, line or key and the fix.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(
            f"{path}: no such baseline file; give the path of a YAML or CSV file"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the baseline ({exc}); save it as UTF-8") from None
    if path.suffix.lower() == ".csv":
        return Baseline(frozenset(_csv_gaps(path, text)), str(path))
    return Baseline(frozenset(_yaml_gaps(path, text)), str(path))


def _csv_gaps(path: Path, text: str) -> Iterator[Gap]:
    dialect = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=dialect) if text.strip() else None
    if reader is None:
        return
    names = {(n or "").strip().lower(): n for n in reader.fieldnames or ()}
    org_col = names.get("org") or names.get("org_id")
    item_col = names.get("item") or names.get("item_id")
    if org_col is None or item_col is None:
        raise InputError(
            f"{path}:1: the header needs the columns 'org' and 'item' "
            f"(found: {', '.join(names) or 'none'}); write it as org,item"
        )
    for row in reader:
        org = (row.get(org_col) or "").strip()
        item = (row.get(item_col) or "").strip()
        if not org or not item:
            raise InputError(
                f"{path}:{reader.line_num}: both 'org' and 'item' are needed; "
                "fill them in or delete the row"
            )
        yield org, item


def _yaml_gaps(path: Path, text: str) -> Iterator[Gap]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}{where}: not valid YAML; fix the syntax") from None
    if data is None:
        return
    if isinstance(data, dict) and set(data) == {"accepted"}:
        data = data["accepted"]
    if isinstance(data, dict):
        for org, items in data.items():
            if isinstance(items, str):
                items = [items]
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise InputError(
                    f"{path}: key {org!r}: expected a list of item ids, e.g. "
                    f"{org}: [contacts.phone, news.fresh]"
                )
            for item in items:
                yield str(org), item
        return
    if isinstance(data, list):
        for number, entry in enumerate(data, 1):
            if not (isinstance(entry, dict) and entry.get("org") and entry.get("item")):
                raise InputError(
                    f"{path}: entry {number}: expected a mapping with 'org' and 'item', "
                    "e.g. - {org: gkb1, item: contacts.phone}"
                )
            yield str(entry["org"]), str(entry["item"])
        return
    raise InputError(
        f"{path}: expected a mapping 'org id: [item ids]' or a list of {{org, item}} entries"
    )


def baseline_text(results: Iterable[SiteResult]) -> str:
    """The YAML baseline that accepts every gap of ``results`` (to start from)."""
    lines = ["# Accepted gaps: organization id -> checklist item ids (siteaudit --baseline)"]
    for result in results:
        absent = [f.item_id for f in result.findings if f.outcome is Outcome.ABSENT]
        if absent:
            lines.append(f"{_yaml_key(result.org.id)}: [{', '.join(absent)}]")
    return "\n".join(lines) + "\n"


def _yaml_key(value: str) -> str:
    dumped: str = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True)
    return dumped.strip().removesuffix("...").strip()


# --- the CI gate -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GateFailure:
    org_id: str
    reason: str

    def __str__(self) -> str:
        return f"{self.org_id}: {self.reason}"


@dataclass(frozen=True, slots=True)
class GateResult:
    failures: tuple[GateFailure, ...]
    accepted: int  # gaps the baseline accepted
    checked: int  # organizations checked

    @property
    def passed(self) -> bool:
        return not self.failures


def gate(
    results: Iterable[SiteResult],
    *,
    fail_under: float | None = None,
    strict: bool = False,
    baseline: Baseline | None = None,
    diff: RunDiff | None = None,
) -> GateResult:
    """Decide whether a run passes.

    - ``fail_under``: a reachable organization whose completeness is below fails.
    - ``baseline``: every absent item not in the baseline fails (accepted gaps do not).
    - ``diff``: every item newly missing since the previous run fails, unless the baseline
      accepts it.
    - A site the scanner could not reach fails only when ``strict``.
    """
    failures: list[GateFailure] = []
    accepted = checked = 0
    for result in results:
        checked += 1
        org = result.org.id
        if not result.status.reachable:
            if strict:
                failures.append(GateFailure(org, f"site unreachable ({result.status.value})"))
            continue
        score = result.scores.completeness
        if fail_under is not None and score is not None and score < fail_under:
            failures.append(GateFailure(org, f"completeness {score:.1f} < {fail_under:g}"))
        if baseline is not None:
            for finding in result.findings:
                if finding.outcome is not Outcome.ABSENT:
                    continue
                if baseline.accepts(org, finding.item_id):
                    accepted += 1
                else:
                    failures.append(GateFailure(org, f"{finding.item_id} absent (not in baseline)"))
    if diff is not None:
        since = f"since run {diff.previous.id}" if diff.previous is not None else ""
        seen = {(f.org_id, f.reason.split(" ", 1)[0]) for f in failures}
        for org, item in diff.newly_missing():
            if baseline is not None and baseline.accepts(org, item):
                continue
            if (org, item) not in seen:
                failures.append(
                    GateFailure(
                        org,
                        f"{item} newly absent {since}".strip(),
                    )
                )
        if strict:
            for change in diff.changes:
                if change.became_unreachable and not any(
                    f.org_id == change.org_id for f in failures
                ):
                    failures.append(GateFailure(change.org_id, "became unreachable"))
    return GateResult(tuple(failures), accepted, checked)


# --- what the report shows ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class History:
    """The history a report shows: the diff with the previous run and the region trends."""

    diff: RunDiff | None = None
    trends: tuple[RegionTrend, ...] = ()

    def trend(self, region: str) -> RegionTrend | None:
        return next((t for t in self.trends if t.region == region), None)


def history_from_store(store: Store, run: RunInfo, last: int = DEFAULT_TREND_RUNS) -> History:
    return History(diff_from_store(store, run), trends_from_store(store, run, last))


def gate_run(
    store: Store,
    run: RunInfo,
    *,
    fail_under: float | None = None,
    strict: bool = False,
    baseline: Baseline | None = None,
    fail_on_regression: bool = False,
) -> GateResult:
    """The gate over a stored run (the diff with the previous run only when asked for)."""
    diff = diff_from_store(store, run) if fail_on_regression else None
    return gate(
        store.iter_results(run.id),
        fail_under=fail_under,
        strict=strict,
        baseline=baseline,
        diff=diff,
    )


def diff_lines(diff: RunDiff, trends: Iterable[RegionTrend] = ()) -> list[str]:
    """The diff as plain lines for a terminal or a CI log."""
    if diff.previous is None:
        return [f"run {diff.run.id} ({diff.run.as_of}): no earlier finished run of this registry"]
    lines = [
        f"run {diff.run.id} ({diff.run.as_of}) against run {diff.previous.id} "
        f"({diff.previous.as_of}): {len(diff.changed)} of {len(diff.changes)} organizations changed"
    ]
    for change in diff.changed:
        parts: list[str] = []
        if change.is_new:
            parts.append("new in the registry")
        elif change.status_before != change.status_after:
            assert change.status_before is not None
            parts.append(f"status {change.status_before.value} -> {change.status_after.value}")
        if change.delta is not None and change.delta != 0:
            parts.append(
                f"completeness {change.completeness_before:.1f} -> "
                f"{change.completeness_after:.1f} ({change.delta:+.1f})"
            )
        if change.newly_missing:
            parts.append("newly missing: " + ", ".join(change.newly_missing))
        if change.newly_present:
            parts.append("newly present: " + ", ".join(change.newly_present))
        lines.append(f"  {change.org_id}: " + "; ".join(parts))
    for org_id in diff.removed:
        lines.append(f"  {org_id}: no longer in the registry")
    for trend in trends:
        values = " -> ".join(
            "—" if p.mean_completeness is None else f"{p.mean_completeness:.1f}"
            for p in trend.points
        )
        lines.append(f"  region {trend.region or '(not given)'}: {values}")
    return lines
