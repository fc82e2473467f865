"""Evaluate a checklist against the facts extracted from one site's pages (pure, no I/O).

Every item of the checklist in force on ``as_of`` gets a Finding: present, absent or
unknown (could not determine), with a one-line reason and the evidence it rests on.
Unknown is never a guess at absent: it means a page that mattered could not be read.

Rule semantics (the YAML schema is in checklist.py):

- ``page``: a candidate is a web link (on any read page, to any host) whose folded label
  (text, title, aria-label, image alt) contains a synonym, or whose URL path has a segment
  containing a slug; or a read page whose <title>/<h1> contains a synonym or whose URL has a
  slug. Synonyms are stem-tolerant: a synonym also matches when each of its words starts a
  word of the label with its first max(4, len - 2) letters ("Отделение" finds "Отделения");
  words under 4 letters must match whole. A document (.pdf, .doc, ... or a DOCUMENT page)
  counts when ``documents`` is true, without ``require`` (its text is not read). Otherwise,
  with ``require`` the target must have been read and its text must match: absent when it
  does not (a placeholder), unknown when it was not read. A target that answered an HTTP
  error does not count. The item "finds" the targets that count and those not read.
- Scopes (``on``): ``any`` = every read HTML page; ``home`` = the start page; an item id =
  the read pages that item found. Found pages that were not read make an otherwise absent
  result unknown; an item that found nothing makes the rule absent.
- ``text``: the pattern over the page text as it is and over its folded form (either counts;
  every pattern is case-insensitive). Items other than ``page`` "find" the pages they
  matched on.
- ``email``: addresses on the pages, minus template/developer ones; ``near`` must match within
  150 characters of the address, in its mailto label, or in the page's title/h1.
- ``phone``: E.164 numbers on the pages, filtered by region (+7 for RU and KZ).
- ``css`` / ``link``: a selector matching at least ``min_count`` times on one page / a link
  whose absolute URL matches a pattern.
- ``news_date``: the newest date on the news pages (the scope item's pages and the pages
  below them; or pages with news/novosti/zhanalyq in the URL when the item found nothing),
  ignoring dates after as_of + 1 day. Present when no older than ``freshness.fresh_days``.
- ``language``: letters of Cyrillic text in the language. Kazakh text is a page whose
  Cyrillic letters are at least 2 % Kazakh-specific (әғқңөұүһі) and that is marked Kazakh
  (lang="kk...", /kz/ or /kk/ in the URL), or at least 5 % without a mark; Russian text is
  a page under 2 %.
- ``any`` / ``all``: present if any / all children are; unknown beats absent in ``any``,
  absent beats unknown in ``all``.

An item with ``annual: true`` (a state-guarantee programme, a price list) that is present
but whose evidence, found pages (title, headings, document links) and URLs do not name the
as-of year stays present (completeness counts it) and is flagged: ``Finding.stale`` is
true and the reason ends with "stale: names 2024, not 2026" (or "names no year").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..checklist import Checklist, Item
from ..extract import forget_pages
from ..models import Evaluation, Finding, PageFacts, SiteStatus
from .annual import staleness
from .match import MAX_EVIDENCE, P, U
from .site import Site, thorough_items

__all__ = ["evaluate"]


_PREPARED: dict[tuple[int, date], tuple[Checklist, Checklist, frozenset[str]]] = {}


def _prepared(checklist: Checklist, as_of: date) -> tuple[Checklist, frozenset[str]]:
    """checklist.as_of(as_of) and its thorough items, the same objects for every site of a
    scan (the rules' caches then hold across sites)."""
    hit = _PREPARED.get((id(checklist), as_of))
    if hit is None or hit[0] is not checklist:
        dated = checklist.as_of(as_of)
        hit = _PREPARED[id(checklist), as_of] = (checklist, dated, thorough_items(dated))
        if len(_PREPARED) > 64:
            _PREPARED.pop(next(iter(_PREPARED)))
    return hit[1], hit[2]


def evaluate(
    checklist: Checklist,
    facts: Sequence[PageFacts],
    *,
    status: SiteStatus,
    home_url: str,
    as_of: date,
    region: str | None = None,
) -> Evaluation:
    """Decide every checklist item in force on ``as_of`` from one site's page facts."""
    items = checklist.items_as_of(as_of)
    if not status.reachable:
        reason = f"site could not be checked: {status.value}"
        return Evaluation(
            findings=tuple(
                Finding(item.id, U, reason, weight=item.weight, section=item.section)
                for item in items
            )
        )
    dated, thorough = _prepared(checklist, as_of)
    site = Site(dated, facts, home_url=home_url, as_of=as_of, region=region, thorough=thorough)
    try:
        findings = [_finding(site, item, as_of) for item in items]
    finally:
        forget_pages()
    newest, newest_url = site.newest if site.newest else (None, "")
    return Evaluation(findings=tuple(findings), newest_news=newest, newest_news_url=newest_url)


def _finding(site: Site, item: Item, as_of: date) -> Finding:
    result = site.result(item.id)
    stale = None
    if item.annual and result.outcome is P:
        stale = staleness(result, site.by_key, as_of.year)
    return Finding(
        item_id=item.id,
        outcome=result.outcome,
        reason=result.reason if stale is None else f"{result.reason}; {stale}",
        evidence=result.evidence[:MAX_EVIDENCE],
        weight=item.weight,
        section=item.section,
        stale=stale is not None,
    )
