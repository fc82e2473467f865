"""One site's facts, indexed, and the rules that need the whole site.

page, ``on:`` scopes, news_date, any/all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from functools import cached_property, lru_cache
from itertools import islice
from typing import NamedTuple
from urllib.parse import urlsplit

from ..checklist import (
    AllRule,
    AnyRule,
    Checklist,
    CssRule,
    EmailRule,
    LanguageRule,
    LicenceRule,
    LinkRule,
    NewsDateRule,
    PageRule,
    PhoneRule,
    RegIdRule,
    Rule,
    TextRule,
    rule_scopes,
)
from ..extract import fold
from ..models import Evidence, Link, Outcome, PageFacts, PageKind
from .match import (
    MAX_EVIDENCE,
    MIN_OWN_LETTERS,
    NEWS_URL_HINTS,
    PATTERN_CHARS,
    PLACEHOLDER,
    PLACEHOLDER_MAX_CHARS,
    WORD,
    A,
    P,
    Result,
    Scope,
    SynonymMatcher,
    U,
    clip,
    folded_synonyms,
    is_document,
    key,
    label_of,
    listing,
    match_slug,
    news_url,
    ok,
    plural,
    search,
    url_path,
    whole,
)
from .rules import (
    check_css,
    check_email,
    check_language,
    check_licence,
    check_link,
    check_phone,
    check_regid,
    check_text,
)

ALNUM = re.compile(r"[^\W_]")
PATH_WORD = re.compile(r"[^\W_]+")
LANGUAGE_ROOT = re.compile(r"/*(?:(?:ru|kz|kk|en|rus|kaz|qaz)(?:/index\.\w+)?)?/*", re.I)
MEDIA_TAGS = ("<img", "<iframe", "<embed", "<object", "<table", "<video")


@lru_cache(maxsize=1024)
def _index_keys(
    synonyms: tuple[str, ...], slugs: tuple[str, ...]
) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]] | None:
    """What Site.link_candidates looks up for a rule: each synonym's words cut to four
    letters, each slug's first path word cut to four; None when one of them has no word
    (then every link is a candidate)."""
    parts = tuple(tuple(w[:4] for w in WORD.findall(synonym)) for synonym in synonyms)
    heads = tuple(PATH_WORD.match(slug) for slug in slugs)
    if not all(parts) or not all(heads):
        return None
    return parts, tuple(h.group(0)[:4] for h in heads if h is not None)


@lru_cache(maxsize=1024)
def _about_news(synonyms: tuple[str, ...]) -> bool:
    return any(news_url("/" + x.replace(" ", "-")) or "новост" in x for x in synonyms)


def thorough_items(checklist: Checklist) -> frozenset[str]:
    """Items whose every found page matters: the scopes of other items (``on:``, ``also:``)
    and annual documents (their years are read off the found pages)."""
    scopes = {scope for item in checklist.items for scope in rule_scopes(item.rule)}
    annual = {item.id for item in checklist.items if item.annual}
    return frozenset((scopes - {"any", "home"}) | annual)


#: Word prefix -> positions, for texts; path word prefix -> positions, for URLs.
_Index = tuple[dict[str, set[int]], dict[str, set[int]]]


def _index(by_text: dict[str, list[int]], by_url: dict[str, list[int]]) -> _Index:
    """Which positions have a word of their (folded) text, or a path word of their URL, that
    starts with each 1-4 letter prefix; each distinct text and URL is read once."""
    words: dict[str, set[int]] = {}
    paths: dict[str, set[int]] = {}
    for table, found, pattern, read in (
        (words, by_text, WORD, lambda t: t),
        (paths, by_url, PATH_WORD, url_path),
    ):
        for source, positions in found.items():
            heads = {
                w[:k] for w in pattern.findall(read(source)) for k in range(1, min(4, len(w)) + 1)
            }
            for head in heads:
                table.setdefault(head, set()).update(positions)
    return words, paths


def _chosen(
    index: _Index, keys: tuple[tuple[tuple[str, ...], ...], tuple[str, ...]] | None
) -> list[int] | None:
    """The positions (sorted) that may match the keys of _index_keys; None: all may."""
    if keys is None:
        return None
    words, paths = index
    chosen: set[int] = set()
    empty: set[int] = set()
    for parts in keys[0]:
        hits = [words.get(part, empty) for part in parts]
        chosen |= set.intersection(*sorted(hits, key=len))
    for head in keys[1]:
        chosen |= paths.get(head, empty)
    return sorted(chosen)


class SiteLink(NamedTuple):
    """A distinct link of the site, where it was first seen, with its folded label."""

    page: PageFacts
    link: Link
    label: str
    host: str  # its target's host, without www.
    news_story: bool  # a story below a news section: /news/2026/day-of-doctors
    document: bool


class Site:
    """One site's facts, indexed, with the results of the items decided so far."""

    def __init__(
        self,
        checklist: Checklist,
        facts: Sequence[PageFacts],
        *,
        home_url: str,
        as_of: date,
        region: str | None,
        thorough: frozenset[str] | None = None,
    ) -> None:
        """``thorough``: thorough_items(checklist), when the caller keeps it across sites."""
        self.checklist = checklist
        self.facts = tuple(facts)
        self.pages = tuple(f for f in self.facts if f.kind is PageKind.HTML and ok(f))
        self._readable = {id(f) for f in self.pages}  # identity: comparing facts is costly
        self.by_key: dict[str, PageFacts] = {}
        for f in self.facts:
            self.by_key.setdefault(key(f.url), f)
        home = self.by_key.get(key(home_url))
        self.home = home if home is not None and self.readable(home) else None
        if self.home is None and self.pages and home is None:
            self.home = self.pages[0]
        self.as_of = as_of
        self.region = region
        self.newest: tuple[date, str] | None = None
        self._results: dict[str, Result] = {}
        self._running: set[str] = set()
        # Items whose every found page matters look at every page; the others stop looking
        # once they have enough evidence.
        self._thorough_items = thorough if thorough is not None else thorough_items(checklist)
        self.enough: int | None = None  # found pages that settle a rule; None: look at all
        self._placeholders: dict[int, str | None] = {}

    def readable(self, facts: PageFacts) -> bool:
        """True for a read HTML page (one of ``self.pages``)."""
        return id(facts) in self._readable

    @cached_property
    def links(self) -> tuple[SiteLink, ...]:
        """Every distinct web link of the read pages (by folded label and URL, where first
        seen), with what the page rules ask of each worked out once."""
        out: dict[tuple[str, str], SiteLink] = {}
        labels: dict[str, str] = {}  # label -> folded: menus repeat on every page
        targets: dict[str, tuple[str, bool, bool]] = {}  # url -> host, news story, document
        for page in self.pages:
            for link in page.links:
                raw = link.raw_href.strip().lower()
                if raw in ("", "#") or raw.startswith("javascript:"):
                    continue  # a menu heading or a script button: it leads nowhere
                url = link.url
                if not url[:8].lower().startswith(("http://", "https://")):
                    continue
                shown = link.label
                label = labels.get(shown)
                if label is None:
                    label = labels[shown] = fold(shown)
                if (label, url) in out:
                    continue
                target = targets.get(url)
                if target is None:
                    story = news_url(url) and url_path(url).strip("/").count("/") > 0
                    target = targets[url] = (key(url).split("/", 1)[0], story, is_document(url))
                out[label, url] = SiteLink(page, link, label, *target)
        return tuple(out.values())

    @cached_property
    def _link_index(self) -> _Index:
        """Which links (by position in ``links``) have a label word, or a path word on the
        site's own hosts, that starts with each 1-4 letter prefix."""
        by_label: dict[str, list[int]] = {}
        by_url: dict[str, list[int]] = {}
        for i, entry in enumerate(self.links):
            by_label.setdefault(entry.label, []).append(i)
            if entry.host in self.hosts:
                by_url.setdefault(entry.link.url, []).append(i)
        return _index(by_label, by_url)

    @cached_property
    def _page_index(self) -> _Index:
        """The same for the facts (by position in ``facts``): words of their title, h1 and
        h2/h3 headings, and of their URL's path."""
        by_text: dict[str, list[int]] = {}
        by_url: dict[str, list[int]] = {}
        for i, f in enumerate(self.facts):
            texts = {folded for _, _, folded in self.headings[id(f)]}
            texts.update(fold(h) for h in f.headings)
            for text in texts:
                by_text.setdefault(text, []).append(i)
            by_url.setdefault(f.url, []).append(i)
        return _index(by_text, by_url)

    def link_candidates(self, synonyms: Sequence[str], slugs: Sequence[str]) -> list[SiteLink]:
        """The links a page rule's synonyms or slugs may match, in ``links`` order: a label
        can only match a synonym if each of its words starts a word of the label with its
        first four letters (or is a whole short word), and a path can only match a slug if
        a path word starts with the slug's first letters. The rest need no look."""
        chosen = _chosen(self._link_index, _index_keys(tuple(synonyms), tuple(slugs)))
        return list(self.links) if chosen is None else [self.links[i] for i in chosen]

    def page_candidates_of(self, synonyms: Sequence[str], slugs: Sequence[str]) -> list[PageFacts]:
        """The facts whose headings or URL a page rule may match (as link_candidates)."""
        chosen = _chosen(self._page_index, _index_keys(tuple(synonyms), tuple(slugs)))
        return list(self.facts) if chosen is None else [self.facts[i] for i in chosen]

    @cached_property
    def headings(self) -> dict[int, tuple[tuple[str, str, str], ...]]:
        """Per page (by id): its (kind, text, folded text) of the title and h1s."""
        return {
            id(f): tuple(
                (kind, t, fold(t)) for kind, t in (("title", f.title), *(("h1", h) for h in f.h1))
            )
            for f in self.facts
        }

    @cached_property
    def hosts(self) -> frozenset[str]:
        """The site's own hosts (without www.): the start page's and every read page's."""
        out = {key(f.url).split("/", 1)[0] for f in self.pages}
        if self.home is not None:
            out.add(key(self.home.url).split("/", 1)[0])
        return frozenset(out)

    @cached_property
    def boilerplate(self) -> frozenset[str]:
        """Lines of text that several pages share: menus, headers, footers."""
        counts: dict[str, int] = {}
        for page in self.pages:
            for line in set(page.text.split("\n")):
                counts[line] = counts.get(line, 0) + 1
        need = 2 if len(self.pages) <= 3 else 3
        return frozenset(line for line, n in counts.items() if n >= need)

    def placeholder(self, page: PageFacts) -> str | None:
        """Why a read page does not count as content ("placeholder: 'Text here....'"), or None."""
        if id(page) not in self._placeholders:
            self._placeholders[id(page)] = self._placeholder(page)
        return self._placeholders[id(page)]

    def _placeholder(self, page: PageFacts) -> str | None:
        if page is self.home or not page.text:  # no text at all: unrendered, not empty
            return None
        own = "\n".join(x for x in page.text.split("\n") if x not in self.boilerplate)
        if len(self.pages) < 2:
            own = page.text
        if len(own) <= PLACEHOLDER_MAX_CHARS and (m := PLACEHOLDER.search(own)):
            return f"placeholder: '{clip(m.group(0), 40)}'"
        headings = {page.title, *page.h1}
        body = "\n".join(x for x in own.split("\n") if x not in headings)
        some = next(islice(ALNUM.finditer(body), MIN_OWN_LETTERS - 1, None), None)
        if len(self.pages) >= 2 and some is None and not self.has_media(page):
            return "placeholder: an empty page (no text besides its heading and the site's menus)"
        return None

    def content(self, scope: Scope) -> Scope:
        """The scope without placeholder pages: their heading alone is not the content."""
        pages = tuple(p for p in scope.pages if not self.is_placeholder(p))
        return scope if len(pages) == len(scope.pages) else replace(scope, pages=pages)

    def is_placeholder(self, page: PageFacts) -> bool:
        return self.placeholder(page) is not None

    @cached_property
    def media_floor(self) -> dict[str, int]:
        """The fewest <img>, <iframe>, ... any read page has: what the site's layout holds."""
        return {
            tag: min((p.html.lower().count(tag) for p in self.pages), default=0)
            for tag in MEDIA_TAGS
        }

    def has_media(self, page: PageFacts) -> bool:
        """Documents, frames, tables or scans of its own on a page: content even without text."""
        if any(is_document(link.url) for link in page.links):
            return True
        lowered = page.html.lower()
        return any(lowered.count(tag) > floor for tag, floor in self.media_floor.items())

    # --- items and scopes ---------------------------------------------------------------

    def result(self, item_id: str) -> Result:
        if item_id not in self._results:
            if item_id in self._running:
                return Result(U, f"item {item_id} refers to itself through 'on:'")
            self._running.add(item_id)
            outer = self.enough
            self.enough = None if item_id in self._thorough_items else MAX_EVIDENCE
            try:
                self._results[item_id] = self.run(self.checklist.item(item_id).rule)
            finally:
                self._running.discard(item_id)
                self.enough = outer
        return self._results[item_id]

    def scope(self, on: str) -> Scope:
        if on == "any":
            if not self.pages:
                return Scope((), "0 pages", empty=Result(U, "no page of the site could be read"))
            return Scope(self.pages, plural(len(self.pages), "page"), boilerplate=self.boilerplate)
        if on == "home":
            if self.home is None:
                return Scope((), "", empty=Result(U, "the home page could not be read"))
            return Scope((self.home,), "the home page", boilerplate=self.boilerplate)
        source = self.result(on)
        found = source.found
        if not found and source.outcome is U:
            return Scope((), "", empty=Result(U, f"{on} is unknown: {source.reason}"))
        if not found:
            return Scope((), "", empty=Result(A, f"no {on} page found"))
        pages, missing = self.read(found)
        label = f"the {on} page" + ("s" if len(found) > 1 else "")
        if not pages:
            reason = f"{label} could not be read: {', '.join(missing[:MAX_EVIDENCE])}"
            return Scope((), label, missing, empty=Result(U, reason))
        return Scope(pages, label, missing, boilerplate=self.boilerplate)

    def read(self, urls: Iterable[str]) -> tuple[tuple[PageFacts, ...], tuple[str, ...]]:
        """The read HTML pages among ``urls``, and the URLs that were not read."""
        pages: list[PageFacts] = []
        missing: list[str] = []
        for url in urls:
            f = self.by_key.get(key(url))
            if f is not None and self.readable(f):
                if all(f is not p for p in pages):
                    pages.append(f)
            elif url not in missing:
                missing.append(url)
        return tuple(pages), tuple(missing)

    def scoped(self, on: str, check: Callable[[Scope], Result]) -> Result:
        scope = self.scope(on)
        if scope.empty is not None:
            return scope.empty
        result = check(scope)
        if result.outcome is A and scope.missing:
            unread = ", ".join(scope.missing[:MAX_EVIDENCE])
            return Result(U, f"{result.reason}; not read: {unread}", result.evidence)
        return result

    # --- rules ----------------------------------------------------------------------------

    def run(self, rule: Rule) -> Result:
        if isinstance(rule, PageRule):
            return self.page(rule)
        enough = self.enough
        if isinstance(rule, TextRule):
            return self.scoped(rule.on, lambda s: check_text(rule, self.content(s), enough))
        if isinstance(rule, EmailRule):
            return self.scoped(rule.on, lambda s: check_email(rule, s, enough))
        if isinstance(rule, PhoneRule):
            region = rule.region or self.region or self.checklist.country
            return self.scoped(rule.on, lambda s: check_phone(s, region))
        if isinstance(rule, CssRule):
            return self.scoped(rule.on, lambda s: check_css(rule, s, enough))
        if isinstance(rule, LinkRule):
            return self.scoped(rule.on, lambda s: check_link(rule, s))
        if isinstance(rule, NewsDateRule):
            return self.news_date(rule)
        if isinstance(rule, LanguageRule):
            if not self.pages:
                return check_language(rule, self.pages)
            content = self.content(Scope(self.pages, "")).pages
            return check_language(rule, content, self.boilerplate)
        if isinstance(rule, RegIdRule):
            return self.scoped(rule.on, lambda s: check_regid(rule, s, enough))
        if isinstance(rule, LicenceRule):
            return self.scoped(rule.on, lambda s: check_licence(s, enough))
        return self.combine(rule)

    def combine(self, rule: AnyRule | AllRule) -> Result:
        results: list[Result] = []
        for child in rule.rules:
            results.append(self.run(child))
            if self.enough is not None and isinstance(rule, AnyRule) and results[-1].outcome is P:
                break  # settled: the other ways need not be tried
        by = {o: [r for r in results if r.outcome is o] for o in Outcome}
        order = (P, U, A) if isinstance(rule, AnyRule) else (A, U, P)
        outcome = next(o for o in order if by[o])
        chosen = by[outcome] if outcome is not U else by[U] + by[A]
        if isinstance(rule, AllRule) and outcome is P:
            chosen = results
        reason = "; ".join(r.reason for r in chosen)
        if len(results) > 1:
            reason = f"{rule.kind} of {len(results)}: {reason}"
        found = tuple(dict.fromkeys(u for r in chosen for u in r.found))
        evidence = tuple(dict.fromkeys(e for r in chosen for e in r.evidence))
        return Result(outcome, reason, evidence, found)

    def page(self, rule: PageRule) -> Result:
        synonyms = folded_synonyms(rule.synonyms)
        slugs = tuple(s.lower() for s in rule.slugs)
        candidates = self.page_candidates(rule, synonyms, slugs)
        if not candidates:
            searched = " or ".join(
                x
                for x in (
                    listing(f'"{s}"' for s in synonyms),
                    ("slug " + listing(f'"{s}"' for s in slugs)) if slugs else "",
                )
                if x
            )
            pages = plural(len(self.pages), "page")
            if not rule.documents and self.page_candidates(
                rule.model_copy(update={"documents": True}), synonyms, slugs
            ):
                return Result(A, "page: only document links matched, and documents do not count")
            return Result(A, f"page: no link, title or URL matched {searched} on {pages}")
        require = re.compile(rule.require, re.IGNORECASE) if rule.require else None
        required = clip(rule.require or "", PATTERN_CHARS)
        good: list[tuple[str, str, Evidence]] = []
        unread: list[tuple[str, str]] = []
        failed: list[tuple[str, str, str]] = []  # target, how, why not
        for target, how, evidence in candidates:
            f = self.by_key.get(key(target))
            if f is not None and not ok(f):
                failed.append((target, how, f" answered HTTP {f.status_code}"))
            elif is_document(target) or (f is not None and f.kind is PageKind.DOCUMENT):
                good.append((target, f"{how} (a document)", evidence))
            elif f is None or f.kind is not PageKind.HTML:
                if require is None:  # presence needs no reading; a required text does
                    good.append((target, how, evidence))
                else:
                    unread.append((target, how))
            elif (why_not := self.placeholder(f)) is not None:
                failed.append((target, how, f", but it is a {why_not}"))
            elif require is None or search(require, f.text):
                good.append((target, how, evidence))
            else:
                failed.append((target, how, f", but its text does not match /{required}/"))
        if good:
            target, how, _ = good[0]
            found = tuple(dict.fromkeys([t for t, _, _ in good] + [t for t, _ in unread]))
            more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
            return Result(
                P,
                f"page: {how} -> {self.show(target)}{more}",
                tuple(e for _, _, e in good),
                found,
            )
        if unread:
            target, how = unread[0]
            return Result(
                U,
                f"page: {how} -> {self.show(target)}, but that page was not read"
                + (f", so /{required}/ could not be checked" if rule.require else ""),
                found=tuple(dict.fromkeys(t for t, _ in unread)),
            )
        target, how, why = failed[0]
        return Result(A, f"page: {how} -> {self.show(target)}{why}")

    def page_candidates(
        self, rule: PageRule, synonyms: tuple[str, ...], slugs: tuple[str, ...]
    ) -> list[tuple[str, str, Evidence]]:
        """(target URL, how it was found, evidence) for every distinct target, best first.

        Best: a whole synonym before a stem match before a slug; then the shorter label
        (menu items are short), then the order of the pages (the home page first).
        """
        out: dict[str, tuple[tuple[int, int, int], str, str, Evidence]] = {}

        exclude = re.compile(rule.exclude, re.IGNORECASE) if rule.exclude else None

        def add(rank: int, target: str, how: str, label: str, seen_on: PageFacts) -> None:
            if not rule.documents and is_document(target):
                return
            if exclude is not None and (
                search(exclude, label) or search(exclude, url_path(target))
            ):
                return
            order = (rank, len(label), len(out))
            k = key(target)
            if k not in out or order[:2] < out[k][0][:2]:
                evidence = Evidence(target, clip(label or target), seen_on.fetched_at)
                out[k] = (order, target, how, evidence)

        matcher = SynonymMatcher(synonyms)
        about_news = _about_news(synonyms)
        for entry in self.link_candidates(synonyms, slugs):
            if not about_news and entry.news_story:
                continue  # a news story ("День медицинского работника") is not the section
            link, label = entry.link, entry.label
            if synonym := matcher(label):
                exact = whole(synonym, label)
                long_label = len(WORD.findall(label)) > len(WORD.findall(synonym)) + 2
                if not exact and long_label and not entry.document:
                    continue  # word stems in a sentence are not a menu label (a document's are)
                shown = label_of(link)
                how = f'link text "{clip(shown, 60)}"'
                add(0 if exact else 1, link.url, how, shown, entry.page)
            elif slugs and entry.host in self.hosts and (slug := match_slug(link.url, slugs)):
                add(2, link.url, f'slug "{slug}" in link', label_of(link), entry.page)
        for f in self.page_candidates_of(synonyms, slugs):
            if f.kind is PageKind.DOCUMENT and not rule.documents:
                continue
            if f.kind is PageKind.HTML and not self.readable(f):
                continue
            if not about_news and news_url(f.url) and url_path(f.url).strip("/").count("/"):
                continue
            for kind, text, folded_text in self.headings[id(f)]:
                if synonym := matcher(folded_text):
                    rank = 0 if whole(synonym, folded_text) else 1
                    if rank and len(WORD.findall(text)) > len(WORD.findall(synonym)) + 2:
                        continue
                    add(rank, f.url, f'{kind} "{clip(text, 60)}"', text, f)
                    break
            else:
                if slug := match_slug(f.url, slugs):
                    add(2, f.url, f'slug "{slug}" in URL', f.title, f)
                elif heading := self.section_heading(f, matcher):
                    add(3, f.url, f'heading "{clip(heading, 60)}"', heading, f)
        return [(t, how, e) for _, t, how, e in sorted(out.values(), key=lambda c: c[0])]

    def section_heading(self, f: PageFacts, matcher: SynonymMatcher) -> str | None:
        """An h2/h3 of a page other than the home page that is a whole synonym and not part
        of the site's menus: a section of a page ("Госпитализация" on the patients' page)."""
        if f is self.home or f.kind is not PageKind.HTML:
            return None
        for heading in f.headings:
            if heading in f.h1 or heading in self.boilerplate or len(heading) > 120:
                continue
            folded_heading = fold(heading)
            synonym = matcher(folded_heading)
            if synonym and whole(synonym, folded_heading):
                return heading
        return None

    def news_date(self, rule: NewsDateRule) -> Result:
        scope = self.scope(rule.on)
        if scope.empty is not None and scope.empty.outcome is A:
            hinted = tuple(p for p in self.pages if news_url(p.url))
            if not hinted:
                return Result(
                    A,
                    f"news_date: {scope.empty.reason}, and no page URL contains "
                    + "/".join(NEWS_URL_HINTS),
                )
            scope = Scope(hinted, plural(len(hinted), "news page"))
        if scope.empty is not None:
            return scope.empty
        pages = list(scope.pages)
        if rule.on not in ("any", "home"):  # the section's own pages: /news/ -> /news/123
            pages = self.below(pages)
        for other in rule.also:  # e.g. the director's blog: its posts are dated news too
            extra = self.scope(other)
            if extra.empty is None:
                seen = {id(p) for p in pages}
                pages += [p for p in self.below(list(extra.pages)) if id(p) not in seen]
        limit = self.as_of + timedelta(days=1)
        dated = [(d, p) for p in pages for d in p.dates if d.value <= limit]
        if not dated:
            reason = f"news_date: no dated item on {plural(len(pages), 'news page')}"
            return Result(U if scope.missing else A, reason)
        found, page = max(dated, key=lambda dp: dp[0].value)
        if self.newest is None or found.value > self.newest[0]:
            self.newest = (found.value, page.url)
        age = (self.as_of - found.value).days
        limit_days = self.checklist.freshness.fresh_days
        evidence = (Evidence(page.url, clip(found.snippet), page.fetched_at),)
        where = f"newest dated item {found.value.isoformat()} on {self.show(page.url)}"
        if age <= limit_days:
            return Result(P, f"news_date: {where}, {age} days old", evidence, (page.url,))
        reason = f"news_date: {where} is {age} days old (limit {limit_days})"
        return Result(U if scope.missing else A, reason, evidence)

    def below(self, sections: list[PageFacts]) -> list[PageFacts]:
        """The section pages and the read pages below them: /news/123, /news/page/2/, and
        the listing's later pages (/news/?PAGEN_1=2). The home page and a language's home
        (/ru/, /kz/) count with their own dates only: their h1 may be a news block."""
        heads = frozenset(
            key(p.url).split("?", 1)[0]
            for p in sections
            if p is not self.home and not LANGUAGE_ROOT.fullmatch(urlsplit(p.url).path)
        )
        roots = tuple(k.rstrip("/") + "/" for k in heads)
        seen = {id(p) for p in sections}
        return sections + [
            p
            for p in self.pages
            if id(p) not in seen
            and (key(p.url).startswith(roots) or key(p.url).split("?", 1)[0] in heads)
        ]

    def show(self, url: str) -> str:
        """A URL as reasons show it: the path on the site's own host, else in full."""
        parts = urlsplit(url)
        home = urlsplit(self.home.url if self.home else "")
        if parts.netloc.lower() == home.netloc.lower() and parts.netloc:
            return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return url
