"""Read one HTML page into PageFacts: title, headings, visible text, links, contacts, dates."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from ..models import Deferred, FoundDate, Link, Page, PageFacts, PageKind
from .contacts import developer_emails, find_emails, find_phones, script_emails
from .dates import find_dates, parse_iso_date
from .text import forget_texts, normalise_block_text, squash

#: Visible text kept per page at most (characters).
MAX_TEXT = 500_000
#: Links, headings and machine-readable dates kept per page at most.
MAX_LINKS = 5000
MAX_HEADINGS = 300
MAX_META_DATES = 200
#: Characters kept of one link's text, one heading, one title.
MAX_LABEL = 500
#: JSON-LD blocks larger than this are not parsed.
MAX_JSONLD = 200_000
#: Characters of outer HTML kept per CSS match.
SNIPPET_HTML = 200

#: Elements whose content a visitor never sees as text.
_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head", "math", "iframe"})
#: Elements that start a new line of text, so words on either side do not run together.
_BLOCK_TAGS = (
    "address article aside blockquote br dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody "
    "thead tfoot tr td th caption ul option select button textarea legend"
)
_BLOCK = frozenset(_BLOCK_TAGS.split())
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")
_URL_WHITESPACE = re.compile(r"[\t\n\r]")
_KEEP_RAW_SCHEMES = ("mailto:", "tel:")
_SKIP_SCHEMES = ("javascript:", "data:", "vbscript:")
_META_DATE_PROPERTIES = ("article:published_time", "article:modified_time", "og:updated_time")
_JSONLD_KEYS = frozenset({"datePublished", "dateModified", "dateCreated"})


# --- walking the tree -------------------------------------------------------------------


def _text_of(root: LexborNode, limit: int) -> str:
    """The text under `root`, with a newline at each block boundary and invisible elements
    (_SKIP) left out; not yet whitespace-normalised.

    Iterative, so 5,000-deep nesting costs no recursion. Stops once `limit` characters of
    text other than whitespace-only runs (indentation) are read, so the caller can cut after
    normalising whitespace.
    """
    out: list[str] = []
    size = 0
    root_id = root.mem_id
    node = root.child
    while node is not None and size < limit:
        tag = node.tag
        descend = False
        if tag == "-text":
            chunk = node.text_content or ""
            if chunk.isspace():
                out.append(" ")
            else:
                out.append(chunk)
                size += len(chunk)
        elif tag is not None and tag[0] != "-" and tag not in _SKIP:
            if tag in _BLOCK:
                out.append("\n")
            descend = True
        if descend and node.child is not None:
            node = node.child
            continue
        # go to the next sibling, climbing up (and closing blocks) where there is none
        while node is not None:
            sibling = node.next
            if sibling is not None:
                node = sibling
                break
            node = node.parent
            if node is None or node.mem_id == root_id:
                node = None
                break
            if node.tag in _BLOCK:
                out.append("\n")
    return "".join(out)


def _line(node: LexborNode) -> str:
    return squash(_text_of(node, MAX_LABEL * 4))[:MAX_LABEL]


# --- links ------------------------------------------------------------------------------


class _Resolver:
    """Resolves hrefs against a base URL, without urljoin for the common cheap cases."""

    def __init__(self, base: str) -> None:
        self.base = base
        parts = urlsplit(base)
        self.scheme = parts.scheme or "https"
        self.origin = f"{self.scheme}://{parts.netloc}"
        self.page = base.split("#", 1)[0]

    def resolve(self, href: str) -> str:
        if href.startswith(("http://", "https://")):
            url = href
        elif href.startswith("//"):
            url = f"{self.scheme}:{href}"
        elif href.startswith("/"):
            url = self.origin + href
        elif href.startswith("#") or not href:
            return self.page
        else:
            try:
                url = urljoin(self.base, href)
            except ValueError:  # e.g. an invalid IPv6 host in the href
                return ""
        return url.split("#", 1)[0]


def _inner_labels(node: LexborNode) -> tuple[str, str, str]:
    """(title, aria-label, img alt) from elements inside a link: icons and images."""
    title = aria = ""
    alts: list[str] = []
    for inner in node.css("[title], [aria-label], img[alt], svg title"):
        if inner.tag == "title":
            title = title or squash(inner.text())
            continue
        attrs = inner.attributes
        if inner.tag == "img" and attrs.get("alt"):
            alts.append(squash(attrs.get("alt") or ""))
        title = title or squash(attrs.get("title") or "")
        aria = aria or squash(attrs.get("aria-label") or "")
    return title[:MAX_LABEL], aria[:MAX_LABEL], " ".join(alts)[:MAX_LABEL]


def _has_elements(node: LexborNode) -> bool:
    """False for the common <a>plain text</a>, which needs no search for inner labels."""
    child = node.child
    return child is not None and (child.tag != "-text" or child.next is not None)


def _links(tree: LexborHTMLParser, resolver: _Resolver) -> tuple[Link, ...]:
    links: list[Link] = []
    for node in tree.css("a[href], area[href], iframe[src]"):
        if len(links) >= MAX_LINKS:
            break
        attrs = node.attributes
        is_frame = node.tag == "iframe"
        raw = (attrs.get("src") if is_frame else attrs.get("href")) or ""
        href = _URL_WHITESPACE.sub("", raw.strip())
        lowered = href[:16].lower()
        if lowered.startswith(_SKIP_SCHEMES):
            continue
        if lowered.startswith(_KEEP_RAW_SCHEMES) or (
            _SCHEME.match(href) and not lowered.startswith(("http:", "https:"))
        ):
            url = href  # mailto:, tel:, viber:, ... are kept as written
        else:
            url = resolver.resolve(href)
        if not url:
            continue
        title = squash(attrs.get("title") or "")[:MAX_LABEL]
        aria = squash(attrs.get("aria-label") or "")[:MAX_LABEL]
        if is_frame:
            links.append(Link(url=url, text=title, title=title, aria_label=aria, raw_href=raw))
            continue
        alt = squash(attrs.get("alt") or "")[:MAX_LABEL]  # <area alt>
        if not _has_elements(node):  # <a>text</a>: the text node is the label
            child = node.child
            text = squash(child.text_content or "")[:MAX_LABEL] if child is not None else ""
        else:
            text = _line(node)
            inner_title, inner_aria, img_alt = _inner_labels(node)
            title = title or inner_title
            aria = aria or inner_aria
            alt = alt or img_alt
        links.append(
            Link(url=url, text=text, title=title, aria_label=aria, img_alt=alt, raw_href=raw)
        )
    return tuple(links)


# --- machine-readable dates -------------------------------------------------------------


def _jsonld_dates(data: Any) -> Iterator[tuple[str, str]]:
    """(key, value) for every datePublished/dateModified in a JSON-LD value, iteratively."""
    stack: list[Any] = [data]
    visited = 0
    while stack and visited < 10_000:
        item = stack.pop()
        visited += 1
        if isinstance(item, dict):
            for key, value in item.items():
                if key in _JSONLD_KEYS and isinstance(value, str):
                    yield key, value
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _machine_dates(tree: LexborHTMLParser) -> list[FoundDate]:
    found: list[FoundDate] = []
    for node in tree.css("time[datetime]"):
        raw = node.attributes.get("datetime") or ""
        value = parse_iso_date(raw)
        if value is not None:
            found.append(FoundDate(value, squash(node.text() or raw)[:200], source="time"))
    for node in tree.css("meta[property], meta[name], meta[itemprop]"):
        attrs = node.attributes
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or ""
        if key in _META_DATE_PROPERTIES or key in _JSONLD_KEYS:
            raw = attrs.get("content") or ""
            value = parse_iso_date(raw)
            if value is not None:
                found.append(FoundDate(value, f"{key}: {raw}"[:200], source="meta"))
    for node in tree.css('script[type="application/ld+json"]'):
        raw = node.text() or ""
        if len(raw) > MAX_JSONLD:
            continue
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        for key, raw_value in _jsonld_dates(data):
            value = parse_iso_date(raw_value)
            if value is not None:
                found.append(FoundDate(value, f"{key}: {raw_value}"[:200], source="jsonld"))
    return found[:MAX_META_DATES]


# --- the page ---------------------------------------------------------------------------


def _author_emails(tree: LexborHTMLParser) -> frozenset[str]:
    """Addresses in <meta name=author>, author_email and the like: the site's developer."""
    out: set[str] = set()
    for node in tree.css("meta[name]"):
        attrs = node.attributes
        name = (attrs.get("name") or "").lower()
        if "author" in name or name in ("designer", "developer", "generator", "copyright"):
            out.update(find_emails(attrs.get("content") or ""))
    return frozenset(out)


def _title(tree: LexborHTMLParser) -> str:
    node = tree.css_first("head title") or tree.css_first("title")
    return squash(node.text())[:MAX_LABEL] if node is not None else ""


def _drop_hidden(tree: LexborHTMLParser) -> None:
    """Detach elements hidden with the `hidden` attribute or an inline display/visibility."""
    for node in tree.css("[hidden], [style]"):
        attrs = node.attributes
        if "hidden" in attrs or _HIDDEN_STYLE.search(attrs.get("style") or ""):
            node.decompose()


def _base_url(tree: LexborHTMLParser, final_url: str) -> str:
    base = tree.css_first("base[href]")
    href = (base.attributes.get("href") or "").strip() if base is not None else ""
    if not href:
        return final_url
    try:
        return urljoin(final_url, _URL_WHITESPACE.sub("", href))
    except ValueError:
        return final_url


def extract(page: Page) -> PageFacts:
    """What one fetched page says: the facts every checklist rule is evaluated against.

    Documents (PDF, DOC, ...) and pages without HTML give facts with no content.
    """
    if page.kind is not PageKind.HTML or page.html is None:
        return PageFacts(
            url=page.final_url,
            fetched_at=page.fetched_at,
            status_code=page.status_code,
            kind=page.kind,
            depth=page.depth,
            rendered=page.rendered,
        )
    html = page.html.replace("\x00", "") if "\x00" in page.html else page.html
    tree = LexborHTMLParser(html)
    root = tree.root
    lang = ((root.attributes.get("lang") or "") if root is not None else "").strip().lower()
    title = _title(tree)
    links = _links(tree, _Resolver(_base_url(tree, page.final_url)))
    heads = [(node.tag, _line(node)) for node in tree.css("h1, h2, h3")[:MAX_HEADINGS]]
    machine_dates = _machine_dates(tree)
    # two more walks of the tree, only when the page could need them
    has_at = "@" in html
    scripted = (
        script_emails(node.text() or "" for node in tree.css("script:not([src])"))
        if has_at and "<script" in html
        else ()
    )
    authors = _author_emails(tree) if has_at and "author" in html else frozenset()

    _drop_hidden(tree)
    body = tree.body
    text = normalise_block_text(_text_of(body, MAX_TEXT))[:MAX_TEXT] if body is not None else ""
    return PageFacts(
        url=page.final_url,
        fetched_at=page.fetched_at,
        status_code=page.status_code,
        kind=page.kind,
        title=title,
        h1=tuple(text for tag, text in heads if tag == "h1" and text),
        headings=tuple(text for _, text in heads if text),
        text=text,
        links=links,
        # Read from the text when a rule first asks: most pages are never asked.
        emails=Deferred(_read_emails, (scripted, authors)),
        phones=Deferred(_read_phones),
        dates=Deferred(_read_dates, (tuple(machine_dates),)),
        lang=lang,
        html=page.html,
        depth=page.depth,
        rendered=page.rendered,
    )


def _contact_hrefs(facts: PageFacts) -> list[str]:
    return [link.url for link in facts.links if link.url[:4].lower() in ("mail", "tel:")]


def _read_emails(
    facts: PageFacts, scripted: tuple[str, ...], authors: frozenset[str]
) -> tuple[str, ...]:
    """The page's addresses: in its text and mailto: links, and assembled by its scripts;
    not its authors' (rel=author, "author" meta) nor the site developer's."""
    emails = find_emails(facts.text, _contact_hrefs(facts)) + scripted
    skip = authors | developer_emails(facts.text, emails)
    return tuple(dict.fromkeys(e for e in emails if e not in skip))


def _read_phones(facts: PageFacts) -> tuple[str, ...]:
    return find_phones(facts.text, _contact_hrefs(facts))


def _read_dates(facts: PageFacts, machine: tuple[FoundDate, ...]) -> tuple[FoundDate, ...]:
    return (*find_dates(facts.text), *machine)


# --- CSS selectors ----------------------------------------------------------------------


@lru_cache(maxsize=64)
def _parsed(html: str) -> LexborHTMLParser:
    """One parse per page when several CSS rules look at the same pages (never mutated):
    each rule goes through a site's pages in turn, so the cache holds a site's worth (about
    0.3 MB a page); evaluate() empties it when the site is done (forget_pages)."""
    return LexborHTMLParser(html.replace("\x00", "") if "\x00" in html else html)


def forget_pages() -> None:
    """Free what was kept of a site's pages for its rules (its evaluation is over): the
    pages parsed for CSS rules, and the folded and lowered texts."""
    _parsed.cache_clear()
    _held.cache_clear()
    forget_texts()


#: Attributes whose values CSS matches case-sensitively in HTML (not ``type``, ``lang``,
#: ``rel`` and the others HTML lists as case-insensitive), and data-* ones.
_EXACT_ATTRIBUTES = frozenset({"src", "href", "class", "id", "itemprop", "itemtype"})
_ATTRIBUTE = re.compile(r"""\[([\w-]+)(?:([*^$~|]?=)(?:"([^"]*)"|'([^']*)'|([\w-]+)))?\]""")
_SIMPLE_PART = re.compile(rf"""\s*[\w-]*(?:{_ATTRIBUTE.pattern})*\s*""")
_PARTS = re.compile(r"""(?:[^,"']|"[^"]*"|'[^']*')+""")
_ALNUM = re.compile(r"[A-Za-z0-9]+")


@lru_cache(maxsize=256)
def _selector_screen(selector: str) -> tuple[tuple[str, ...], ...] | None:
    """For a selector list of simple parts (``tag[attr*="value"]...``, joined by commas):
    per part, strings the raw HTML must hold for the part to match anything (the runs of
    letters and digits of each case-sensitive attribute value it asks for). None when
    a part is not that simple or asks for no such value: then no screen."""
    screen: list[tuple[str, ...]] = []
    for part in _PARTS.findall(selector):
        if not _SIMPLE_PART.fullmatch(part):
            return None
        needs = []
        for m in _ATTRIBUTE.finditer(part):
            name, operator = m.group(1).lower(), m.group(2)
            value = next((g for g in m.groups()[2:] if g is not None), "")
            exact = name in _EXACT_ATTRIBUTES or name.startswith("data-")
            if operator and exact:
                needs += _ALNUM.findall(value)
        if not needs:
            return None
        screen.append(tuple(dict.fromkeys(needs)))
    return tuple(screen) or None


def _may_match(html: str, selector: str) -> bool:
    """False when the selector surely matches nothing in the page: no simple part has every
    string it needs in the raw HTML. Entities are why only letters and digits are looked
    for: a named entity never stands for one, and a page with numeric ones (&#...) is
    always parsed."""
    screen = _selector_screen(selector)
    if screen is None:
        return True
    held = _held(html)  # each string is looked for once per page, whichever rule asks
    if "&#" not in held:
        held["&#"] = "&#" in html
    if held["&#"]:
        return True
    for part in screen:
        for need in part:
            found = held.get(need)
            if found is None:
                found = held[need] = need in html
            if not found:
                break
        else:
            return True
    return False


@lru_cache(maxsize=64)
def _held(html: str) -> dict[str, bool]:
    """Whether a page's raw HTML holds each string the CSS screens have looked for so far."""
    return {}


def css_matches(html: str, selector: str, limit: int = 5) -> tuple[int, tuple[str, ...]]:
    """How many elements match a CSS selector and the outer HTML of the first `limit` of them.

    Each snippet is cut to 200 characters. An invalid selector matches nothing: (0, ()).
    A page that cannot match (_may_match) is not parsed.
    """
    if not _may_match(html, selector):
        return 0, ()
    try:
        nodes = _parsed(html).css(selector)
    except (SelectolaxError, ValueError, TypeError):
        return 0, ()
    snippets = tuple((node.html or "")[:SNIPPET_HTML] for node in nodes[: max(limit, 0)])
    return len(nodes), snippets
