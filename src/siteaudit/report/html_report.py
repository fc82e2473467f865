"""index.html and orgs/<id>.html: the reports people read.

Jinja2 with autoescape and StrictUndefined; the templates get plain view objects built
here, so all formatting (dates, numbers, labels in the report language) happens in one
place. Organization pages are written while the results stream; the index keeps one small
row per organization.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined

from .. import __version__
from ..checklist import Checklist, Item
from ..models import Finding, RunInfo, SiteResult, SiteStatus
from . import i18n
from .common import atomic_text, org_filename, shown_scores

ORGS_DIR = "orgs"
_LINKABLE = ("http", "https", "mailto", "tel")


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("siteaudit", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def safe_href(url: str) -> str:
    """The URL when a browser may follow it safely (no javascript: and the like), else ""."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return ""
    return url.strip() if scheme in _LINKABLE else ""


# --- view objects ------------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class Status:
    value: str
    label: str
    hint: str
    detail: str
    reachable: bool


@dataclass(frozen=True, slots=True)
class News:
    iso: str  # for data-sort / <time datetime>
    text: str
    href: str


@dataclass(frozen=True, slots=True)
class IndexRow:
    href: str
    name: str
    region: str
    country: str
    status: Status
    completeness: Score
    freshness: Score
    news: News


@dataclass(frozen=True, slots=True)
class EvidenceView:
    href: str
    url: str
    snippet: str
    fetched_at: str


@dataclass(frozen=True, slots=True)
class CitationView:
    document: str
    clause: str
    href: str


@dataclass(frozen=True, slots=True)
class ItemView:
    id: str
    title: str
    outcome: str
    outcome_label: str
    reason: str
    evidence: tuple[EvidenceView, ...]
    citation: CitationView | None


@dataclass(frozen=True, slots=True)
class SectionView:
    id: str
    title: str
    items: tuple[ItemView, ...]


@dataclass(frozen=True, slots=True)
class UnreachableGroup:
    status: Status
    count: int


def _status(result: SiteResult, lang: str) -> Status:
    return Status(
        value=result.status.value,
        label=i18n.status_label(result.status, lang),
        hint=i18n.status_hint(result.status, lang),
        detail=result.status_detail,
        reachable=result.status.reachable,
    )


def _score(value: float | None, lang: str) -> Score:
    return Score(value, i18n.format_number(value, lang))


def _news(result: SiteResult, lang: str) -> News:
    day: date | None = result.scores.newest_news
    return News(
        iso=day.isoformat() if day else "",
        text=i18n.format_date(day, lang),
        href=safe_href(result.scores.newest_news_url),
    )


def _item_view(finding: Finding, item: Item | None, lang: str) -> ItemView:
    citation = None
    if item is not None:
        cited = item.citation
        citation = CitationView(cited.document, cited.clause, safe_href(cited.url))
    return ItemView(
        id=finding.item_id,
        title=item.title.get(lang) if item is not None else finding.item_id,
        outcome=finding.outcome.value,
        outcome_label=i18n.outcome_label(finding.outcome, lang),
        reason=finding.reason,
        evidence=tuple(
            EvidenceView(
                href=safe_href(e.url),
                url=e.url,
                snippet=e.snippet,
                fetched_at=i18n.format_datetime(e.fetched_at, lang),
            )
            for e in finding.evidence
        ),
        citation=citation,
    )


def sections(
    findings: Iterable[Finding], checklist: Checklist | None, lang: str
) -> list[SectionView]:
    """Findings grouped by section in checklist order; findings the checklist lacks go last."""
    by_item = {finding.item_id: finding for finding in findings}
    views: list[SectionView] = []
    if checklist is not None:
        for section_id, title in checklist.sections.items():
            items = tuple(
                _item_view(by_item.pop(item.id), item, lang)
                for item in checklist.items
                if item.section == section_id and item.id in by_item
            )
            if items:
                views.append(SectionView(section_id, title.get(lang), items))
    if by_item:
        rest = tuple(_item_view(finding, None, lang) for finding in by_item.values())
        views.append(SectionView("other", i18n.catalogue(lang)["other_items"], rest))
    return views


# --- the writer --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HtmlWriter:
    def write(
        self,
        out: Path,
        run: RunInfo,
        results: Iterable[SiteResult],
        checklists: Mapping[str, Checklist],
        lang: str,
    ) -> list[Path]:
        env = environment()
        org_template = env.get_template("org.html")
        common = {
            "lang": lang,
            "t": i18n.catalogue(lang),
            "run": run,
            "as_of": i18n.format_date(run.as_of, lang),
            "state_key": f"state_{run.state.value}",
            "version": __version__,
        }
        (out / ORGS_DIR).mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        rows: list[IndexRow] = []
        for result in results:
            filename = org_filename(result.org.id)
            checklist = checklists.get(result.checklist_id)
            completeness, freshness = shown_scores(result)
            row = IndexRow(
                href=f"{ORGS_DIR}/{quote(filename)}",
                name=result.org.name,
                region=result.org.region,
                country=result.org.country,
                status=_status(result, lang),
                completeness=_score(completeness, lang),
                freshness=_score(freshness, lang),
                news=_news(result, lang),
            )
            page = out / ORGS_DIR / filename
            with atomic_text(page) as handle:
                handle.write(
                    org_template.render(
                        common,
                        org=result.org,
                        org_href=safe_href(result.org.url),
                        row=row,
                        result=result,
                        checklist_title=checklist.title.get(lang) if checklist else "",
                        sections=sections(result.findings, checklist, lang),
                    )
                )
            written.append(page)
            rows.append(row)
        index = out / "index.html"
        with atomic_text(index) as handle:
            handle.write(env.get_template("index.html").render(common, **_summary(rows, lang)))
        return [index, *written]


def _summary(rows: list[IndexRow], lang: str) -> dict[str, object]:
    reachable = [row for row in rows if row.status.reachable]
    scored = [row.completeness.value for row in reachable if row.completeness.value is not None]
    mean = sum(scored) / len(scored) if scored else None
    counts = Counter(row.status.value for row in rows if not row.status.reachable)
    groups = [
        UnreachableGroup(
            Status(
                value=status.value,
                label=i18n.status_label(status, lang),
                hint=i18n.status_hint(status, lang),
                detail="",
                reachable=False,
            ),
            counts[status.value],
        )
        for status in SiteStatus
        if counts[status.value]
    ]
    return {
        "rows": rows,
        "scanned": len(rows),
        "reachable": len(reachable),
        "unreachable": len(rows) - len(reachable),
        "groups": groups,
        "mean_completeness": _score(mean, lang),
    }
