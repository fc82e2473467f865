"""Annual documents: a state-guarantee programme or a price list that names other years but
not the as-of year is stale ("stale: names 2024, not 2026"). One that names no year at all is
not flagged: nothing on the page says which year it is for. Planning-period years ("на 2024 год
и на плановый период 2025 и 2026 годов") and the years of calendar dates (an act's date) do
not count."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..models import PageFacts
from .match import Result, is_document, key, label_of

#: A year, or a span of years ("2026–2028", "2026-2028 гг.").
_YEARS = re.compile(r"(?<!\d)(20[1-4]\d)(?:\s*[-–—]\s*(20[1-4]\d))?(?!\d)")
#: "на 2024 год и на плановый период 2025 и 2026 годов": the programme is the 2024 one.
_PLANNING = re.compile(
    r"планов\w*\s+период\w*\s+20\d\d(?:\s*(?:и|[-–—])\s*20\d\d)?|жоспарлы\s+кезең\w*\s+20\d\d"
    r"(?:\s*(?:және|[-–—])\s*20\d\d)?",
    re.IGNORECASE,
)
#: Dates whose year dates an act, not the period the document covers: "от 29.12.2025".
_DATES = re.compile(
    r"(?<!\d)\d{1,2}[./]\d{1,2}[./](?:20)?\d\d(?!\d)|(?<!\d)20\d\d-\d\d-\d\d"
    r"|(?<!\d)\d{1,2}\s+[а-яёәғқңөұүһі]+\s+20\d\d(?!\d)",
    re.IGNORECASE,
)

#: Words that name an annual document in a link to it (not the other documents of a page).
ANNUAL_WORDS = re.compile(
    r"программ|гарант|тпгг|pgg|tpgg|прейскурант|прайс|price|preiskurant|prejskurant|цен[аыу]|"
    r"стоимост|платн|бағдарлам|кепілд|тегін|ақылы|бағалар|тариф",
    re.IGNORECASE,
)


def years_named(texts: Iterable[str]) -> set[int]:
    """The years the texts name, spans expanded; calendar dates left out."""
    out: set[int] = set()
    for text in texts:
        for m in _YEARS.finditer(_DATES.sub(" ", _PLANNING.sub(" ", text))):
            first = int(m[1])
            last = int(m[2]) if m[2] else first
            if first <= last <= first + 5:
                out.update(range(first, last + 1))
            else:
                out.update((first, last))
    return out


def annual_texts(result: Result, pages: dict[str, PageFacts]) -> list[str]:
    """What names the document's year: the evidence (link labels, snippets), the found
    URLs, and on each found page its title, headings and its links to annual documents."""
    texts = [e.snippet for e in result.evidence] + [e.url for e in result.evidence]
    for url in result.found:
        texts.append(url)
        page = pages.get(key(url))
        if page is None:
            continue
        texts += [page.title, *page.headings]
        texts += [
            text
            for link in page.links
            if is_document(link.url) and ANNUAL_WORDS.search(text := f"{label_of(link)} {link.url}")
        ]
    return texts


def staleness(result: Result, pages: dict[str, PageFacts], year: int) -> str | None:
    """Why the document is stale (it names years, none of them ``year``), or None."""
    named = years_named(annual_texts(result, pages))
    if year in named or not named:  # no year named: nothing says which year it is
        return None
    shown = ", ".join(str(y) for y in sorted(named, reverse=True)[:3])
    return f"stale: names {shown}, not {year}"
