"""The rules that look at a set of pages (a scope): text, email, phone, css, link, language."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from urllib.parse import urlsplit

from ..checklist import CssRule, EmailRule, LanguageRule, LinkRule, RegIdRule, TextRule
from ..extract import css_matches
from ..extract.text import lower_aligned
from ..models import Evidence, PageFacts
from ..validate import find_licences, find_regids
from .match import (
    JUNK_EMAIL,
    KAZAKH_MIN_RATE,
    KAZAKH_STRONG_RATE,
    MAX_EVIDENCE,
    NEAR_CHARS,
    PATTERN_CHARS,
    PHONE_PREFIXES,
    A,
    P,
    Result,
    Scope,
    U,
    around,
    clip,
    letter_counts,
    listing,
    matches,
    plural,
    search,
)


class Looking:
    """A scope's pages one at a time, until the rule has found ``enough`` distinct pages and
    is ``satisfied`` (``enough`` None: every page); then ``stopped`` is set, and reasons
    say "3+ pages"."""

    def __init__(self, scope: Scope, enough: int | None) -> None:
        self.scope = scope
        self.enough = enough
        self.stopped = False

    def pages(
        self, found: Sequence[str], satisfied: Callable[[], bool] = lambda: True
    ) -> Iterator[PageFacts]:
        for page in self.scope.pages:
            if self.enough is not None and satisfied() and len(set(found)) >= self.enough:
                self.stopped = True
                return
            yield page

    def found_on(self, found: Sequence[str]) -> str:
        """'3 pages', or '3+ pages' when the rule stopped looking once it had enough."""
        n = len(set(found))
        return f"{n}+ pages" if self.stopped else plural(n, "page")


def check_text(rule: TextRule, scope: Scope, enough: int | None = None) -> Result:
    """The pattern on the scope's pages. Each page is searched until it gives what the rule
    needs (its first match; ``min_matches`` of them at most), not to its end; with
    ``enough``, no more pages once that many matched and the rule is satisfied."""
    rx = re.compile(rule.pattern, re.IGNORECASE)
    need = rule.min_matches
    total = 0
    evidence: list[Evidence] = []
    found: list[str] = []
    looking = Looking(scope, enough)
    # The lambda reads ``total`` as it grows: late binding is the point here.
    for page in looking.pages(found, lambda: total >= need):  # noqa: B023
        count, snippet = matches(rx, page.text, need)
        if count:
            total += count
            found.append(page.url)
            evidence.append(Evidence(page.url, snippet, page.fetched_at))
    what = f"text: /{clip(rule.pattern, PATTERN_CHARS)}/"
    if total >= need:
        many = f" ({need}+ matches)" if need > 1 else ""
        return Result(
            P, f"{what} found on {looking.found_on(found)}{many}", tuple(evidence), tuple(found)
        )
    if total:  # every page counted in full: each had fewer than ``need``
        return Result(A, f"{what} matched {plural(total, 'time')} on {scope.label}, need {need}")
    return Result(A, f"{what} not found on {scope.label}")


def check_email(rule: EmailRule, scope: Scope, enough: int | None = None) -> Result:
    near = re.compile(rule.near, re.IGNORECASE) if rule.near else None
    evidence: list[Evidence] = []
    hits: list[str] = []
    found: list[str] = []
    seen: list[str] = []
    looking = Looking(scope, enough)
    for page in looking.pages(found):
        for address in page.emails:
            if JUNK_EMAIL.search(address):
                continue
            seen.append(address)
            context = (
                address if near is None else near_context(page, address, near, scope.boilerplate)
            )
            if context is not None:
                evidence.append(Evidence(page.url, clip(context), page.fetched_at))
                hits.append(address)
                found.append(page.url)
    if evidence:
        where = "" if near is None else f" near /{clip(rule.near or '', PATTERN_CHARS)}/"
        return Result(
            P,
            f"email: {hits[0]}{where} on {looking.found_on(found)}",
            tuple(evidence),
            tuple(dict.fromkeys(found)),
        )
    if seen and near is not None:
        shown = ", ".join(dict.fromkeys(seen[:MAX_EVIDENCE]))
        pattern = clip(rule.near or "", PATTERN_CHARS)
        return Result(A, f"email: {shown} found on {scope.label}, none near /{pattern}/")
    return Result(A, f"email: no address on {scope.label}")


def near_context(
    page: PageFacts, address: str, near: re.Pattern[str], boilerplate: frozenset[str] = frozenset()
) -> str | None:
    """Where ``near`` matches around ``address``: the text that labels it, its mailto label,
    or the page's title or h1 (not for an address that only the site-wide footer shows)."""
    text = page.text
    low = lower_aligned(text)
    local = address.split("@", 1)[0].lower()
    positions = [m.start() for m in re.finditer(re.escape(address.lower()), low)]
    if not positions:  # obfuscated in the text: "info [at] x.ru", "info(собака)x.ru"
        positions = [m.start() for m in re.finditer(rf"\b{re.escape(local)}\b", low)]
    for pos in positions[:20]:
        if search(near, address_line(text, pos, len(address))):
            return around(text, pos, pos + len(address))
    for link in page.links:
        href = (link.raw_href or link.url).lower()
        if href.startswith("mailto:") and address.lower() in href and search(near, link.label):
            return f"{link.label} ({address})"
    heading = next((h for h in (page.title, *page.h1) if h and search(near, h)), None)
    if heading is None:
        return None
    own = any(
        address in line.lower() or re.search(rf"\b{re.escape(local)}\b", line.lower())
        for line in text.split("\n")
        if line not in boilerplate
    )
    return f"{heading}: {address}" if own else None


def address_line(text: str, pos: int, length: int) -> str:
    """The text that labels an address at ``pos``: its own line (a paragraph, a list item,
    a table cell), at most NEAR_CHARS either side; and the line before when the address
    stands alone on its line (a table cell after its label cell)."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos + length)
    end = len(text) if end < 0 else end
    start, end = max(start, pos - NEAR_CHARS), min(end, pos + length + NEAR_CHARS)
    line = text[start:end]
    rest = line[: pos - start] + line[pos - start + length :]
    if sum(ch.isalpha() for ch in rest) < 3 and start > 0:
        before = text.rfind("\n", 0, start - 1) + 1
        line = text[max(before, start - 1 - NEAR_CHARS) : end]
    return line


def check_phone(scope: Scope, region: str | None) -> Result:
    prefixes = PHONE_PREFIXES.get((region or "").upper())
    evidence: list[Evidence] = []
    found: list[str] = []
    others: list[str] = []
    for page in scope.pages:
        for number in page.phones:
            if prefixes is None or number.startswith(prefixes):
                evidence.append(Evidence(page.url, number, page.fetched_at))
                found.append(page.url)
            else:
                others.append(number)
    if evidence:
        return Result(
            P,
            f"phone: {evidence[0].snippet} on {plural(len(set(found)), 'page')}",
            tuple(evidence),
            tuple(dict.fromkeys(found)),
        )
    if others:
        return Result(A, f"phone: only numbers outside {region} ({others[0]}) on {scope.label}")
    return Result(A, f"phone: no phone number on {scope.label}")


def check_css(rule: CssRule, scope: Scope, enough: int | None = None) -> Result:
    best = 0
    evidence: list[Evidence] = []
    found: list[str] = []
    looking = Looking(scope, enough)
    for page in looking.pages(found):
        if not page.html:
            continue
        count, snippets = css_matches(page.html, rule.selector)
        best = max(best, count)
        if count >= rule.min_count:
            found.append(page.url)
            snippet = snippets[0] if snippets else rule.selector
            evidence.append(Evidence(page.url, clip(snippet), page.fetched_at))
    what = f'css: "{clip(rule.selector, PATTERN_CHARS)}"'
    if evidence:
        return Result(
            P, f"{what} matched on {looking.found_on(found)}", tuple(evidence), tuple(found)
        )
    if best:
        return Result(A, f"{what} matched at most {best} times on a page, need {rule.min_count}")
    return Result(A, f"{what} matched nothing on {scope.label}")


@lru_cache(maxsize=256)
def _any_of(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regex matching where any of the patterns matches (one search per link)."""
    return re.compile("|".join(f"(?:{p})" for p in patterns) or "(?!)", re.IGNORECASE)


def check_link(rule: LinkRule, scope: Scope) -> Result:
    pattern = _any_of(rule.href)
    evidence: list[Evidence] = []
    found: list[str] = []
    for page in scope.pages:
        for link in page.links:
            if pattern.search(link.url):
                snippet = f"{link.label}: {link.url}" if link.label else link.url
                evidence.append(Evidence(link.url, clip(snippet), page.fetched_at))
                found.append(page.url)
    shown = listing(rule.href)
    if evidence:
        return Result(
            P,
            f"link: {evidence[0].url} on {plural(len(set(found)), 'page')}",
            tuple(evidence),
            tuple(dict.fromkeys(found)),
        )
    return Result(A, f"link: no link matching {shown} on {scope.label}")


def check_language(
    rule: LanguageRule, pages: Sequence[PageFacts], boilerplate: frozenset[str] = frozenset()
) -> Result:
    """Letters of text in the language on the pages; menus and footers (``boilerplate``, the
    lines several pages share) count once, not on every page, and make no page count: a
    language switch and a translated menu are not a language version."""
    name = {"kk": "Kazakh", "ru": "Russian"}[rule.lang]
    letters = 0
    shared: set[str] = set()
    counted: list[PageFacts] = []
    if not pages:
        return Result(U, "no page of the site could be read")
    for page in pages:
        own = "\n".join(x for x in page.text.split("\n") if x not in boilerplate)
        cyrillic, kazakh = letter_counts(own)
        if not cyrillic:
            continue
        rate = kazakh / cyrillic
        if rule.lang == "kk":
            path = urlsplit(page.url).path.lower() + "/"
            marked = page.lang.lower().startswith("kk") or any(m in path for m in ("/kz/", "/kk/"))
            ok = rate >= (KAZAKH_MIN_RATE if marked else KAZAKH_STRONG_RATE)
        else:
            ok = rate < KAZAKH_MIN_RATE
        if ok:
            letters += cyrillic
            counted.append(page)
            if letters >= rule.min_chars:
                break  # enough: the other pages need not be counted
            shared.update(x for x in page.text.split("\n") if x in boilerplate)
    else:
        for line in shared:  # menus and footers of the language's pages count once
            cyrillic, kazakh = letter_counts(line)
            if (kazakh > 0) == (rule.lang == "kk"):
                letters += cyrillic
    evidence = tuple(Evidence(p.url, clip(p.title or p.text), p.fetched_at) for p in counted)
    amount = f"{letters} letters of {name} text on {plural(len(counted), 'page')}"
    if letters >= rule.min_chars:
        return Result(P, f"language: {amount}", evidence, tuple(p.url for p in counted))
    hint = ' (Kazakh pages: lang="kk", /kz/ or /kk/ in the URL)' if rule.lang == "kk" else ""
    return Result(
        A,
        f"language: only {amount} (menus counted once, placeholders not), "
        f"need {rule.min_chars}{hint}",
    )


REGID_NAMES = {"ogrn": "ОГРН", "ogrnip": "ОГРНИП", "inn": "ИНН", "bin": "БИН"}


def check_regid(rule: RegIdRule, scope: Scope, enough: int | None = None) -> Result:
    """A labelled registration id whose length and check digit are right."""
    names = "/".join(REGID_NAMES[t] for t in rule.types)
    evidence: list[Evidence] = []
    found: list[str] = []
    shown: list[str] = []
    invalid: list[str] = []
    looking = Looking(scope, enough)
    for page in looking.pages(found):
        for regid in find_regids(page.text, rule.types):
            name = f"{REGID_NAMES[regid.type]} {regid.value}"
            if regid.valid or not rule.valid:
                evidence.append(
                    Evidence(page.url, around(page.text, regid.start, regid.end), page.fetched_at)
                )
                found.append(page.url)
                shown.append(name)
            elif name not in invalid:
                invalid.append(name)
    if evidence:
        check = " with a valid check digit" if rule.valid else ""
        return Result(
            P,
            f"regid: {shown[0]}{check} on {looking.found_on(found)}",
            tuple(evidence),
            tuple(dict.fromkeys(found)),
        )
    if invalid:
        bad = ", ".join(invalid[:MAX_EVIDENCE])
        return Result(
            A, f"regid: {bad}: wrong length or check digit; no valid {names} on {scope.label}"
        )
    return Result(A, f"regid: no labelled {names} on {scope.label}")


def check_licence(scope: Scope, enough: int | None = None) -> Result:
    """A licence number in the old (ЛО-77-01-012345) or registry (Л041-01137-77/00123456) form."""
    evidence: list[Evidence] = []
    found: list[str] = []
    numbers: list[str] = []
    looking = Looking(scope, enough)
    for page in looking.pages(found):
        for number in find_licences(page.text):
            evidence.append(Evidence(page.url, number, page.fetched_at))
            found.append(page.url)
            numbers.append(number)
    if evidence:
        return Result(
            P,
            f"licence: {numbers[0]} on {looking.found_on(found)}",
            tuple(evidence),
            tuple(dict.fromkeys(found)),
        )
    return Result(
        A, f"licence: no number like ЛО-77-01-012345 or Л041-01137-77/00123456 on {scope.label}"
    )
