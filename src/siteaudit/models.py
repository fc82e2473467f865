"""The shared vocabulary of siteaudit: immutable values passed between the stages.

registry -> Organization; crawl -> CrawlResult(Page...); extract -> PageFacts;
evaluate -> Finding; score -> Scores; together -> SiteResult.

This module imports nothing from the package, so every other module may import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class SiteStatus(StrEnum):
    """What happened when the scanner tried to reach a site (or one page of it)."""

    OK = "ok"
    DNS_ERROR = "dns_error"
    CONNECT_ERROR = "connect_error"
    TIMEOUT = "timeout"
    TLS_ERROR = "tls_error"
    HTTP_ERROR = "http_error"
    BLOCKED = "blocked"
    ROBOTS_DISALLOWED = "robots_disallowed"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TOO_LARGE = "too_large"
    NOT_HTML = "not_html"
    INTERNAL_ERROR = "internal_error"  # siteaudit itself failed on this site (a bug)

    @property
    def reachable(self) -> bool:
        """True when the site answered with something we could evaluate."""
        return self is SiteStatus.OK


#: One hint per status, written for the site owner (shown in reports).
STATUS_HINTS: dict[SiteStatus, str] = {
    SiteStatus.OK: "",
    SiteStatus.DNS_ERROR: "The domain name does not resolve: check the DNS records of the domain.",
    SiteStatus.CONNECT_ERROR: "The server refused or dropped the connection: check that the web "
    "server is running and reachable on ports 80/443.",
    SiteStatus.TIMEOUT: "The server did not answer in time: check the hosting's load and uptime.",
    SiteStatus.TLS_ERROR: "The HTTPS certificate could not be verified: renew it or install the "
    "full certificate chain.",
    SiteStatus.HTTP_ERROR: "The home page answered with an HTTP error: fix the page or the server "
    "configuration.",
    SiteStatus.BLOCKED: "The scanner was refused (403/429 or a network policy): allow ordinary "
    "visitors and well-behaved robots to read the public pages.",
    SiteStatus.ROBOTS_DISALLOWED: "robots.txt forbids robots to read the home page: allow public "
    "pages in robots.txt.",
    SiteStatus.TOO_MANY_REDIRECTS: "The address redirects in a loop or too many times: fix the "
    "redirect rules.",
    SiteStatus.TOO_LARGE: "The page is larger than the scanner's limit: serve ordinary-size pages.",
    SiteStatus.NOT_HTML: "The address does not serve an HTML page: point it at the site's home "
    "page.",
    SiteStatus.INTERNAL_ERROR: "siteaudit failed on this site (not the site's fault): run with "
    "--debug and report the traceback.",
}


class Outcome(StrEnum):
    """The verdict on one checklist item for one site."""

    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


class PageKind(StrEnum):
    HTML = "html"
    DOCUMENT = "document"  # PDF, DOC(X), XLS(X), ...: recorded, not downloaded whole
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Organization:
    """One row of the registry."""

    id: str
    name: str
    url: str
    region: str = ""
    country: str = ""
    type: str = ""
    extra: tuple[tuple[str, str], ...] = ()
    row: int = 0  # line number in the registry file (1-based, header is line 1)


@dataclass(frozen=True, slots=True)
class Page:
    """One fetched resource of a site."""

    url: str  # the URL that was asked for
    final_url: str  # after redirects
    status_code: int | None  # None when no HTTP answer came
    fetched_at: datetime
    depth: int
    kind: PageKind = PageKind.HTML
    content_type: str = ""
    html: str | None = None  # decoded text, HTML pages only
    encoding: str | None = None
    content_hash: str = ""  # sha256 of the body bytes read
    size: int = 0
    error: SiteStatus | None = None  # set when this page failed
    error_detail: str = ""
    rendered: bool = False  # True when the DOM came from a browser
    found_via: str = ""  # "start", "link", "sitemap"


@dataclass(frozen=True, slots=True)
class CrawlResult:
    """Everything the crawler brought back from one site."""

    org: Organization
    status: SiteStatus
    detail: str
    pages: tuple[Page, ...]
    started_at: datetime
    finished_at: datetime

    @property
    def html_pages(self) -> tuple[Page, ...]:
        return tuple(p for p in self.pages if p.kind is PageKind.HTML and p.html is not None)


@dataclass(frozen=True, slots=True)
class Link:
    """A hyperlink with every text a human or a screen reader would see for it."""

    url: str  # absolute, fragment removed
    text: str = ""
    title: str = ""
    aria_label: str = ""
    img_alt: str = ""
    raw_href: str = ""

    @property
    def label(self) -> str:
        """All human-visible labels joined, for matching."""
        return " ".join(s for s in (self.text, self.title, self.aria_label, self.img_alt) if s)


@dataclass(frozen=True, slots=True)
class FoundDate:
    """A date found in a page, with the text around it."""

    value: date
    snippet: str
    source: str = "text"  # text | time | meta | jsonld


@dataclass(frozen=True, slots=True)
class Deferred(Generic[T]):
    """A PageFacts value that extract() leaves to be read when first asked for:
    ``read(facts, *args)``. Most rules stop looking after a few pages, so most pages are
    never searched for phones, e-mails or dates, and need not be. ``read`` must be a
    module-level function, so that facts still pickle."""

    read: Callable[..., T]
    args: tuple[Any, ...] = ()


class _ReadOnce(Generic[T]):
    """A PageFacts field that holds its value or a Deferred, read on first access and kept.

    A data descriptor: the dataclass's __init__ (and a copy's) sets it through __set__;
    pickling carries the instance __dict__, so a value not yet read travels as its Deferred."""

    def __init__(self, default: T) -> None:
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> T: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> T:
        if obj is None:
            return self.default  # what the dataclass takes as the field's default
        value = obj.__dict__.get(self.name, self.default)
        if isinstance(value, Deferred):
            value = value.read(obj, *value.args)
            obj.__dict__[self.name] = value
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: object, value: T | Deferred[T]) -> None:
        obj.__dict__[self.name] = value


@dataclass(frozen=True)
class PageFacts:
    """What extract() read from one page. Documents have facts too (url, kind, status).

    ``emails``, ``phones`` and ``dates`` may be given as a Deferred: read from the page's
    text when a rule first asks for them."""

    url: str  # final URL
    fetched_at: datetime
    status_code: int | None
    kind: PageKind
    title: str = ""
    h1: tuple[str, ...] = ()
    headings: tuple[str, ...] = ()
    text: str = ""  # visible text, whitespace-normalised
    links: tuple[Link, ...] = ()
    emails: _ReadOnce[tuple[str, ...]] = _ReadOnce(())
    phones: _ReadOnce[tuple[str, ...]] = _ReadOnce(())
    dates: _ReadOnce[tuple[FoundDate, ...]] = _ReadOnce(())
    lang: str = ""  # <html lang>
    html: str = ""  # kept for CSS-selector rules
    depth: int = 0
    rendered: bool = False


@dataclass(frozen=True, slots=True)
class Evidence:
    url: str
    snippet: str = ""
    fetched_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    item_id: str
    outcome: Outcome
    reason: str  # why: the rule that fired, or what was searched and not found
    evidence: tuple[Evidence, ...] = ()
    weight: float = 1.0
    section: str = ""
    stale: bool = False  # an annual document that does not name the as-of year


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What evaluate() decided for one site: the findings and the newest dated news item."""

    findings: tuple[Finding, ...]
    newest_news: date | None = None
    newest_news_url: str = ""


@dataclass(frozen=True, slots=True)
class Scores:
    completeness: float | None  # 0-100, None when nothing could be determined
    freshness: float | None  # 0-100, None when the site was unreachable
    newest_news: date | None = None
    newest_news_url: str = ""
    present: int = 0
    absent: int = 0
    unknown: int = 0


@dataclass(frozen=True, slots=True)
class SiteResult:
    """The result for one organization: what the store keeps and the reports show."""

    org: Organization
    checklist_id: str
    status: SiteStatus
    status_detail: str
    findings: tuple[Finding, ...]
    scores: Scores
    pages_fetched: int
    pages_failed: int
    started_at: datetime
    finished_at: datetime
    as_of: date = field(default_factory=date.today)

    @property
    def hint(self) -> str:
        return STATUS_HINTS[self.status]


# --- progress events (the console listens; the core never prints) ---------------------


@dataclass(frozen=True, slots=True)
class SiteStarted:
    org: Organization


@dataclass(frozen=True, slots=True)
class PageFetched:
    org_id: str
    url: str
    status_code: int | None
    error: SiteStatus | None


@dataclass(frozen=True, slots=True)
class SiteFinished:
    result: SiteResult


@dataclass(frozen=True, slots=True)
class SiteSkipped:
    """A site already finished in the run being resumed."""

    org_id: str


Event = SiteStarted | PageFetched | SiteFinished | SiteSkipped


class RunState(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One scan run as the store keeps it."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    registry: str  # path of the registry file as given
    registry_hash: str  # sha256 of the registry bytes: resume only continues the same registry
    checklist: str  # "auto" or a checklist id/path
    as_of: date
    total: int  # organizations in the run
    done: int  # organizations with a stored result
    state: RunState
    note: str = ""  # what made the run besides a scan: "rescore of run 3", "merge of ..."
    shard: str = ""  # "K/N" when the run scanned one shard of the registry
    pages_from: int | None = None  # the run whose stored pages this run was computed from
