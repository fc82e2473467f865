"""The view objects the HTML templates render, and the index roll-ups built while streaming.

All formatting (numbers, dates, labels in the report language) happens here; templates only
lay the values out.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import quote, urlsplit

from markupsafe import Markup

from ..checklist import Checklist, Item
from ..history import History, OrgChange
from ..models import Finding, Outcome, SiteResult, SiteStatus
from ..render.audit import NEEDS_BROWSER
from . import i18n, svg
from .common import org_filename, shown_scores

_LINKABLE = ("http", "https", "mailto", "tel")
TOP_MISSING = 5


def safe_href(url: str) -> str:
    """The URL when a browser may follow it safely (no javascript: and the like), else ""."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return ""
    return url.strip() if scheme in _LINKABLE else ""


def _(lang: str, message: str) -> str:
    return i18n.gettext_for(lang, message)


@dataclass(frozen=True, slots=True)
class Score:
    value: float | None
    text: str  # formatted in the report language, "" when not scored

    @property
    def sort(self) -> str:
        return "" if self.value is None else f"{self.value:.3f}"

    @property
    def width(self) -> int:
        return 0 if self.value is None else max(0, min(100, round(self.value)))


def score(value: float | None, lang: str) -> Score:
    return Score(value, i18n.format_number(value, lang))


@dataclass(frozen=True, slots=True)
class Status:
    value: str
    label: str
    hint: str
    detail: str
    reachable: bool


def status_view(status: SiteStatus, lang: str, detail: str = "") -> Status:
    return Status(
        status.value,
        i18n.status_label(status, lang),
        i18n.status_hint(status, lang),
        crawl_summary(detail, lang) if status is SiteStatus.OK else detail,
        status.reachable,
    )


#: The crawler's summary of a reachable site (crawl.py, _Crawl.summary).
_SUMMARY = re.compile(
    r"(?P<pages>\d+) pages, (?P<docs>\d+) documents, (?P<failed>\d+) failed"
    r"(?:; stopped at site_timeout \((?P<timeout>[\d.]+) s\))?"
    r"(?:; a possible crawler trap \((?P<trap>.*)\), bounded by max_pages and max_depth)?"
)


def crawl_summary(detail: str, lang: str) -> str:
    """The crawler's summary of a reachable site in the reader's language ("18 страниц,
    3 документа, 0 с ошибкой"); any other text as it is."""
    found = _SUMMARY.fullmatch(detail)
    if found is None:
        return detail
    catalog = i18n.translations(lang)

    def count(singular: str, plural: str, key: str) -> str:
        n = int(found[key])
        return catalog.ngettext(singular, plural, n) % {"num": n}

    parts = [
        ", ".join(
            (
                count("%(num)d page", "%(num)d pages", "pages"),
                count("%(num)d document", "%(num)d documents", "docs"),
                count("%(num)d failed", "%(num)d failed", "failed"),
            )
        )
    ]
    if found["timeout"]:
        parts.append(
            _(lang, "stopped at the site's time limit (%(seconds)s s)")
            % {"seconds": found["timeout"]}
        )
    if found["trap"]:
        parts.append(
            _(lang, "a possible crawler trap (%(pattern)s), bounded by the page and depth limits")
            % {"pattern": found["trap"]}
        )
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class News:
    iso: str  # for data-sort / <time datetime>
    text: str
    href: str


@dataclass(frozen=True, slots=True)
class Delta:
    value: float | None
    text: str  # "+2,5", "−1,0", "" when not comparable
    label: str  # "new", "" ...

    @property
    def sort(self) -> str:
        return "" if self.value is None else f"{self.value:.3f}"

    @property
    def direction(self) -> str:
        if self.value is None or self.value == 0:
            return "same"
        return "up" if self.value > 0 else "down"


@dataclass(frozen=True, slots=True)
class SiteView:
    """One organization as the index row and the org page header show it."""

    href: str
    id: str
    name: str
    region: str
    country: str
    type: str
    status: Status
    completeness: Score
    freshness: Score
    news: News
    delta: Delta | None = None


def checklist_label(ref: str, checklists: Mapping[str, Checklist], lang: str) -> str:
    """The checklists a run used, by title and id; with ``auto``, said to be chosen by each
    organization's country (the reference itself when none is known)."""
    used = "; ".join(f"{c.title.get(lang)} ({c.id})" for c in checklists.values())
    if ref == "auto" and used:
        return _(lang, "chosen by each organization's country: %(checklists)s") % {
            "checklists": used
        }
    return used or ref


def site_view(result: SiteResult, lang: str, *, href: str) -> SiteView:
    completeness, freshness = shown_scores(result)
    day: date | None = result.scores.newest_news
    return SiteView(
        href=href,
        id=result.org.id,
        name=result.org.name,
        region=result.org.region,
        country=result.org.country,
        type=result.org.type,
        status=status_view(result.status, lang, result.status_detail),
        completeness=score(completeness, lang),
        freshness=score(freshness, lang),
        news=News(
            iso=day.isoformat() if day else "",
            text=i18n.format_date(day, lang),
            href=safe_href(result.scores.newest_news_url),
        ),
    )


# --- organization page ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvidenceView:
    href: str
    url: str
    snippet: str
    fetched_at: str
    fetched_iso: str


@dataclass(frozen=True, slots=True)
class CitationView:
    document: str
    clause: str
    href: str


@dataclass(frozen=True, slots=True)
class ItemView:
    id: str
    title: str
    href: str  # the item's page, relative to an org page
    outcome: str
    outcome_label: str
    reason: str
    evidence: tuple[EvidenceView, ...]
    citation: CitationView | None
    stale: bool = False  # an annual document that names a past year
    pages: int = 0  # web pages the evidence is on (the plain-language "found on N pages")
    needs_browser: bool = False  # unknown because no browser checked it


@dataclass(frozen=True, slots=True)
class SectionView:
    id: str
    title: str
    items: tuple[ItemView, ...]


def citation_view(item: Item | None) -> CitationView | None:
    if item is None:
        return None
    cited = item.citation
    return CitationView(cited.document, cited.clause, safe_href(cited.url))


def _evidence_pages(finding: Finding) -> int:
    """The web pages a finding's evidence is on (screenshots and the like not counted)."""
    return len({e.url for e in finding.evidence if e.url.startswith(("http://", "https://"))})


def _needs_browser(finding: Finding) -> bool:
    return finding.outcome is Outcome.UNKNOWN and finding.reason.startswith(NEEDS_BROWSER)


def _item_view(finding: Finding, item: Item | None, lang: str, items_dir: str) -> ItemView:
    return ItemView(
        id=finding.item_id,
        title=item.title.get(lang) if item is not None else finding.item_id,
        href=f"../{items_dir}/{quote(org_filename(finding.item_id))}",
        outcome=finding.outcome.value,
        outcome_label=i18n.outcome_label(finding.outcome, lang),
        reason=finding.reason,
        pages=_evidence_pages(finding),
        needs_browser=_needs_browser(finding),
        evidence=tuple(
            EvidenceView(
                href=safe_href(e.url),
                url=e.url,
                snippet=e.snippet,
                fetched_at=i18n.format_datetime(e.fetched_at, lang),
                fetched_iso=e.fetched_at.isoformat() if e.fetched_at else "",
            )
            for e in finding.evidence
        ),
        citation=citation_view(item),
        stale=finding.stale,
    )


def sections(
    findings: Iterable[Finding], checklist: Checklist | None, lang: str, items_dir: str = "items"
) -> list[SectionView]:
    """Findings grouped by section in checklist order; findings the checklist lacks go last."""
    by_item = {finding.item_id: finding for finding in findings}
    views: list[SectionView] = []
    if checklist is not None:
        for section_id, title in checklist.sections.items():
            items = tuple(
                _item_view(by_item.pop(item.id), item, lang, items_dir)
                for item in checklist.items
                if item.section == section_id and item.id in by_item
            )
            if items:
                views.append(SectionView(section_id, title.get(lang), items))
    if by_item:
        rest = tuple(_item_view(f, None, lang, items_dir) for f in by_item.values())
        views.append(SectionView("other", _(lang, "Other items"), rest))
    return views


@dataclass(frozen=True, slots=True)
class ItemRef:
    id: str
    title: str
    href: str


@dataclass(frozen=True, slots=True)
class ChangeView:
    """What changed for one organization since the previous run."""

    is_new: bool
    before: Score
    after: Score
    delta: Delta
    status_before: Status | None
    status_after: Status
    status_changed: bool
    newly_missing: tuple[ItemRef, ...]
    newly_present: tuple[ItemRef, ...]
    href: str = ""
    name: str = ""
    region: str = ""

    @property
    def anything(self) -> bool:
        return bool(
            self.is_new
            or self.status_changed
            or self.newly_missing
            or self.newly_present
            or self.delta.direction != "same"
        )


def _delta(change: OrgChange | None, lang: str) -> Delta:
    if change is None:
        return Delta(None, "", "")
    if change.is_new:
        return Delta(None, "", _(lang, "new"))
    return Delta(change.delta, i18n.format_signed(change.delta, lang), "")


def org_change_view(
    change: OrgChange | None,
    title: Callable[[str], str],
    lang: str,
    *,
    prefix: str = "../",
    href: str = "",
) -> ChangeView | None:
    if change is None:
        return None

    def refs(ids: Iterable[str]) -> tuple[ItemRef, ...]:
        return tuple(ItemRef(i, title(i), f"{prefix}items/{quote(org_filename(i))}") for i in ids)

    before = status_view(change.status_before, lang) if change.status_before else None
    return ChangeView(
        is_new=change.is_new,
        before=score(change.completeness_before, lang),
        after=score(change.completeness_after, lang),
        delta=_delta(change, lang),
        status_before=before,
        status_after=status_view(change.status_after, lang),
        status_changed=before is not None and change.status_before != change.status_after,
        newly_missing=refs(change.newly_missing),
        newly_present=refs(change.newly_present),
        href=href,
        name=change.name,
        region=change.region,
    )


# --- index roll-ups -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stat:
    mean: Score
    median: Score
    count: int


def stat(values: list[float], lang: str) -> Stat:
    if not values:
        return Stat(score(None, lang), score(None, lang), 0)
    return Stat(
        score(statistics.fmean(values), lang),
        score(statistics.median(values), lang),
        len(values),
    )


@dataclass(frozen=True, slots=True)
class UnreachableGroup:
    status: Status
    count: int
    sites: tuple[SiteView, ...]


@dataclass(frozen=True, slots=True)
class GroupRow:
    """A region or an organization type: its organizations and scores, ranked."""

    rank: int | None  # None when nothing is scored
    name: str
    organizations: int
    unreachable: int
    completeness: Stat
    freshness: Stat
    trend: Markup | None = None
    trend_text: str = ""


@dataclass(frozen=True, slots=True)
class MissingItem:
    id: str
    title: str
    href: str
    absent: int
    determined: int
    share: Score  # absent / determined, in percent


@dataclass(frozen=True, slots=True)
class LackingOrg:
    name: str
    href: str  # relative to an item page
    reason: str
    outcome: str
    outcome_label: str
    needs_browser: bool = False


@dataclass(frozen=True, slots=True)
class RegionLack:
    region: str
    absent: int
    present: int
    unknown: int
    lacking: tuple[LackingOrg, ...]


@dataclass(frozen=True, slots=True)
class ItemPage:
    id: str
    title: str
    section: str
    citation: CitationView | None
    present: int
    absent: int
    unknown: int
    regions: tuple[RegionLack, ...]


@dataclass
class _Tally:
    completeness: list[float] = field(default_factory=list)
    freshness: list[float] = field(default_factory=list)
    organizations: int = 0
    unreachable: int = 0


@dataclass
class _ItemTally:
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    by_region: dict[str, Counter[Outcome]] = field(default_factory=lambda: defaultdict(Counter))
    lacking: dict[str, list[LackingOrg]] = field(default_factory=lambda: defaultdict(list))


@dataclass(frozen=True, slots=True)
class Summary:
    values: dict[str, object]
    items: tuple[ItemPage, ...]

    def context(self) -> dict[str, object]:
        return self.values


class IndexBuilder:
    """Collects, while the results stream, what index.html and the item pages need."""

    def __init__(
        self, lang: str, checklists: Mapping[str, Checklist], *, history: History | None = None
    ) -> None:
        self.lang = lang
        self.history = history
        self.rows: list[SiteView] = []
        self._items: dict[str, Item] = {}
        for checklist in checklists.values():
            for item in checklist.items:
                self._items.setdefault(item.id, item)
        self._sections: dict[str, str] = {}
        for checklist in checklists.values():
            for sid, text in checklist.sections.items():
                self._sections.setdefault(sid, text.get(lang))
        self._regions: dict[str, _Tally] = defaultdict(_Tally)
        self._types: dict[str, _Tally] = defaultdict(_Tally)
        self._unreachable: dict[SiteStatus, list[SiteView]] = defaultdict(list)
        self._item_tally: dict[str, _ItemTally] = defaultdict(_ItemTally)
        self._completeness: list[float] = []
        self._freshness: list[float] = []

    def item_title(self, item_id: str) -> str:
        item = self._items.get(item_id)
        return item.title.get(self.lang) if item is not None else item_id

    def add(self, result: SiteResult, site: SiteView) -> None:
        diff = self.history.diff if self.history is not None else None
        if diff is not None and diff.previous is not None:
            site = _with_delta(site, _delta(diff.for_org(result.org.id), self.lang))
        self.rows.append(site)
        tallies = [self._regions[result.org.region]]
        if result.org.type:
            tallies.append(self._types[result.org.type])
        for tally in tallies:
            tally.organizations += 1
            if not result.status.reachable:
                tally.unreachable += 1
            if site.completeness.value is not None:
                tally.completeness.append(site.completeness.value)
            if site.freshness.value is not None:
                tally.freshness.append(site.freshness.value)
        if not result.status.reachable:
            self._unreachable[result.status].append(site)
            return
        if site.completeness.value is not None:
            self._completeness.append(site.completeness.value)
        if site.freshness.value is not None:
            self._freshness.append(site.freshness.value)
        href = f"../{site.href}"
        for finding in result.findings:
            counts = self._item_tally[finding.item_id]
            counts.outcomes[finding.outcome] += 1
            counts.by_region[result.org.region][finding.outcome] += 1
            if finding.outcome is not Outcome.PRESENT:
                counts.lacking[result.org.region].append(
                    LackingOrg(
                        result.org.name,
                        href,
                        finding.reason,
                        finding.outcome.value,
                        i18n.outcome_label(finding.outcome, self.lang),
                        _needs_browser(finding),
                    )
                )

    # --- building ------------------------------------------------------------------------

    def _groups(
        self, tallies: Mapping[str, _Tally], *, trends: bool, types: bool = False
    ) -> list[GroupRow]:
        lang = self.lang
        rows = []
        for name, tally in tallies.items():
            trend: Markup | None = None
            trend_text = ""
            if trends and self.history is not None:
                found = self.history.trend(name)
                if found is not None and len(found.points) >= 2:
                    values = [p.mean_completeness for p in found.points]
                    words = ", ".join(
                        f"{i18n.format_date(p.as_of, lang)}: "
                        f"{i18n.format_number(p.mean_completeness, lang) or '—'}"
                        for p in found.points
                    )
                    trend_text = words
                    trend = svg.sparkline(
                        values, _(lang, "Mean completeness over the last runs") + f" — {words}"
                    )
            rows.append(
                GroupRow(
                    None,
                    i18n.org_type_label(name, lang) if types else name,
                    tally.organizations,
                    tally.unreachable,
                    stat(tally.completeness, lang),
                    stat(tally.freshness, lang),
                    trend,
                    trend_text,
                )
            )
        rows.sort(
            key=lambda r: (
                r.completeness.mean.value is None,
                -(r.completeness.mean.value or 0.0),
                r.name,
            )
        )
        ranked: list[GroupRow] = []
        rank = 0
        for row in rows:
            if row.completeness.mean.value is not None:
                rank += 1
                row = replace(row, rank=rank)
            ranked.append(row)
        return ranked

    def _item_pages(self) -> list[ItemPage]:
        pages = []
        order = {item_id: n for n, item_id in enumerate(self._items)}
        for item_id in sorted(self._item_tally, key=lambda i: (order.get(i, len(order)), i)):
            tally = self._item_tally[item_id]
            item = self._items.get(item_id)
            regions = tuple(
                RegionLack(
                    region,
                    counts[Outcome.ABSENT],
                    counts[Outcome.PRESENT],
                    counts[Outcome.UNKNOWN],
                    tuple(
                        sorted(
                            tally.lacking.get(region, ()),
                            key=lambda o: (o.outcome != Outcome.ABSENT.value, o.name),
                        )
                    ),
                )
                for region, counts in sorted(
                    tally.by_region.items(), key=lambda kv: (-kv[1][Outcome.ABSENT], kv[0])
                )
            )
            pages.append(
                ItemPage(
                    id=item_id,
                    title=self.item_title(item_id),
                    section=self._sections.get(item.section, item.section) if item else "",
                    citation=citation_view(item),
                    present=tally.outcomes[Outcome.PRESENT],
                    absent=tally.outcomes[Outcome.ABSENT],
                    unknown=tally.outcomes[Outcome.UNKNOWN],
                    regions=regions,
                )
            )
        return pages

    def build(self) -> Summary:
        lang = self.lang
        items = self._item_pages()
        missing = sorted(
            (
                MissingItem(
                    p.id,
                    p.title,
                    f"items/{quote(org_filename(p.id))}",
                    p.absent,
                    p.absent + p.present,
                    score(100 * p.absent / (p.absent + p.present), lang),
                )
                for p in items
                if p.absent
            ),
            key=lambda m: (-m.absent, m.id),
        )
        groups = [
            UnreachableGroup(status_view(status, lang), len(sites), tuple(sites))
            for status in SiteStatus
            if (sites := self._unreachable.get(status))
        ]
        bars = [
            svg.Bar(f"{i * 10}–{i * 10 + 10}", n)
            for i, n in enumerate(svg.bin_counts(self._completeness))
        ]
        unreachable = sum(g.count for g in groups)
        diff = self.history.diff if self.history is not None else None
        changes: list[ChangeView] = []
        if diff is not None and diff.previous is not None:
            hrefs = {row.id: row.href for row in self.rows}
            for change in diff.changed:
                view = org_change_view(
                    change, self.item_title, lang, prefix="", href=hrefs.get(change.org_id, "")
                )
                if view is not None:
                    changes.append(view)
        improved = sum(1 for c in changes if c.delta.direction == "up")
        declined = sum(1 for c in changes if c.delta.direction == "down")
        newly_missing = sum(len(c.newly_missing) for c in changes)
        values: dict[str, object] = {
            "rows": self.rows,
            "scanned": len(self.rows),
            "reachable": len(self.rows) - unreachable,
            "unreachable": unreachable,
            "groups": groups,
            "completeness": stat(self._completeness, lang),
            "freshness": stat(self._freshness, lang),
            "top_missing": missing[:TOP_MISSING],
            "regions": (regions := self._groups(self._regions, trends=True)),
            "has_trends": any(r.trend is not None for r in regions),
            "types": self._groups(self._types, trends=False, types=True) if self._types else [],
            "histogram": svg.histogram(
                bars,
                _(lang, "Organizations by completeness, %"),
                edges=[str(10 * i) for i in range(len(bars) + 1)],
            )
            if self._completeness
            else None,
            "bars": bars,
            "region_names": sorted({row.region for row in self.rows if row.region}),
            "statuses": [
                status_view(s, lang)
                for s in SiteStatus
                if any(r.status.value == s.value for r in self.rows)
            ],
            "changes": changes,
            "improved": improved,
            "declined": declined,
            "newly_missing": newly_missing,
            "removed": diff.removed if diff is not None and diff.previous is not None else (),
            "has_delta": diff is not None and diff.previous is not None,
            "items": [ItemRef(p.id, p.title, f"items/{quote(org_filename(p.id))}") for p in items],
        }
        return Summary(values, tuple(items))


def _with_delta(site: SiteView, delta: Delta) -> SiteView:
    return replace(site, delta=delta)
