"""Matching helpers and the small values the evaluate rules pass around."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from urllib.parse import unquote, urlsplit

from ..extract.text import (
    fold,
    folded,
    holds_any,
    lower_pattern,
    lowered,
    required_literals,
)
from ..models import Evidence, Link, Outcome, PageFacts

SNIPPET_CHARS = 200
NEAR_CHARS = 150
PATTERN_CHARS = 60  # of a regex or selector quoted in a reason
LISTED = 5  # synonyms, slugs or patterns named in a reason
MAX_EVIDENCE = 3
MAX_MATCHES = 100  # matches of a text rule counted per page at most
DOCUMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".rtf", ".odt")
NEWS_URL_HINTS = ("news", "novost", "zhanal")
KAZAKH_LETTERS = frozenset("әғқңөұүһі")
KAZAKH_MIN_RATE = 0.02  # on pages marked Kazakh
KAZAKH_STRONG_RATE = 0.05  # on pages not marked
#: Region -> accepted E.164 prefixes (None or an unlisted region accepts every number).
PHONE_PREFIXES: dict[str, tuple[str, ...]] = {"RU": ("+7",), "KZ": ("+7",)}
#: Template and developer addresses that are nobody's contact address.
JUNK_EMAIL = re.compile(
    r"^(test|example|user|name|your|yourname|email|e-mail|login|username)@"
    r"|@(example|domain|site|yoursite|yourdomain|mysite|email|test)\.|no-?reply|donotreply"
    r"|@sentry\.|wixpress\.com$",
    re.IGNORECASE,
)
#: Text that stands in for content that is not there yet.
PLACEHOLDER = re.compile(
    r"(?:lorem ipsum|(?<!\w)text here|(?<!\w)(?:your|some) text here|здесь (?:будет|может быть) "
    r"(?:текст|размещ|информац)|(?:раздел|страница|сайт)\w* (?:находится )?в (?:стадии )?"
    r"разработк|(?:раздел|страница)\w* (?:наполняется|в процессе наполнения)"
    r"|информаци\w* (?:будет|появится) (?:размещена |опубликована )?(?:позже|в ближайшее время)"
    r"|(?:бөлім|бет)\w* (?:әзірлену|әзірленуде|толтырылуда)|coming soon|under construction)"
    r"\w*(?:\.{2,}|…)?",
    re.IGNORECASE,
)
#: Letters and digits of its own (besides its heading and the lines it shares with other
#: pages) an HTML page needs not to count as empty.
MIN_OWN_LETTERS = 5
#: A placeholder phrase on a page with more of its own text than this is just a sentence.
PLACEHOLDER_MAX_CHARS = 600
WORD = re.compile(r"\w+")

P, A, U = Outcome.PRESENT, Outcome.ABSENT, Outcome.UNKNOWN


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    reason: str
    evidence: tuple[Evidence, ...] = ()
    found: tuple[str, ...] = ()  # URLs of the pages this rule found (for ``on:`` scopes)


@dataclass(frozen=True, slots=True)
class Scope:
    pages: tuple[PageFacts, ...]
    label: str  # "23 pages", "the home page", "the contacts.page page(s)"
    missing: tuple[str, ...] = ()  # found URLs that could not be read
    empty: Result | None = None  # set when there is nothing to look at
    boilerplate: frozenset[str] = frozenset()  # lines several pages share (menus, footers)


def ok(facts: PageFacts) -> bool:
    return facts.status_code is None or facts.status_code < 400


VISION_COPY_PARAM = re.compile(r"(?:special_version|special|vision|blind|bvi)=", re.IGNORECASE)


@lru_cache(maxsize=8192)
def key(url: str) -> str:
    """A URL reduced for comparison: no scheme, no www., no index file, no trailing slash."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().rsplit("@", 1)[-1].removeprefix("www.")
    host = host.removesuffix(":80").removesuffix(":443")
    path = re.sub(r"/index\.(?:html?|php|aspx?)$", "/", parts.path or "/").rstrip("/") or "/"
    # A page's low-vision copy (?special_version=Y and the like) is the same page: the crawler
    # does not fetch those copies, so they are looked up as the page they copy.
    query = "&".join(p for p in parts.query.split("&") if p and not VISION_COPY_PARAM.match(p))
    return f"{host}{path}" + (f"?{query}" if query else "")


@lru_cache(maxsize=8192)
def url_path(url: str) -> str:
    """The URL's path, percent-decoded and lower-cased."""
    return unquote(urlsplit(url).path).lower()


def is_document(url: str) -> bool:
    return url_path(url).endswith(DOCUMENT_EXTENSIONS)


def news_url(url: str) -> bool:
    path = url_path(url)
    return any(hint in path for hint in NEWS_URL_HINTS) or "жаңалық" in path


def match_synonym(label: str, synonyms: Sequence[str]) -> str | None:
    """The first synonym the folded label contains, whole or by word stems.

    A whole synonym must start at a word start ("смо" is not in "рассмотрения").
    A synonym matches by stems when each of its words starts a word of the label with its
    first max(4, len - 2) letters; words of under 4 letters must be whole words.
    """
    for synonym in synonyms:
        if whole(synonym, label):
            return synonym
    words = WORD.findall(label)
    for synonym in synonyms:
        parts = WORD.findall(synonym)
        if parts and all(any(stem_match(part, word) for word in words) for part in parts):
            return synonym
    return None


@lru_cache(maxsize=4096)
def _whole_rx(synonym: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(synonym)}")


def whole(synonym: str, label: str) -> bool:
    """True when ``synonym`` occurs in ``label`` starting at a word start."""
    return synonym in label and _whole_rx(synonym).search(label) is not None


def stem_match(part: str, word: str) -> bool:
    if len(part) < 4:
        return word == part
    return word.startswith(part[: max(4, len(part) - 2)])


class SynonymMatcher:
    """match_synonym() for many labels: one compiled regex screens, then the exact answer."""

    def __init__(self, synonyms: Sequence[str]) -> None:
        self.synonyms = tuple(synonyms)
        self.screen = _synonym_screen(self.synonyms)
        self.cache: dict[str, str | None] = {}

    def __call__(self, label: str) -> str | None:
        if not label or self.screen is None:
            return None
        if label not in self.cache:
            hit = self.screen.search(label) is not None
            self.cache[label] = match_synonym(label, self.synonyms) if hit else None
        return self.cache[label]


@lru_cache(maxsize=1024)
def _synonym_screen(synonyms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex that finds whether a label may match any synonym (built once per rule)."""
    alternatives = []
    for synonym in synonyms:
        looks = "".join(
            rf"(?=.*?(?<!\w){re.escape(part[: max(4, len(part) - 2)])}"
            + (r"(?!\w))" if len(part) < 4 else ")")
            for part in WORD.findall(synonym)
        )
        alternatives.append(rf"(?<!\w){re.escape(synonym)}" + (f"|^{looks}" if looks else ""))
    return re.compile("|".join(alternatives), re.DOTALL) if alternatives else None


@lru_cache(maxsize=1024)
def folded_synonyms(synonyms: tuple[str, ...]) -> tuple[str, ...]:
    """A rule's synonyms folded, empty and repeated ones left out (once per rule)."""
    return tuple(dict.fromkeys(s for s in (fold(x) for x in synonyms) if s))


@lru_cache(maxsize=256)
def _slug_screen(slugs: tuple[str, ...]) -> re.Pattern[str]:
    """One regex that finds whether any slug starts a word of a path (the loop then says which)."""
    alternatives = "|".join(re.escape(s) for s in slugs if s) or r"(?!)"
    return re.compile(rf"(?<![^\W_])(?:{alternatives})")


def match_slug(url: str, slugs: Sequence[str]) -> str | None:
    """The first slug that starts a word of a path segment: "kontakty" in /o-nas/kontakty.html
    or /nashi_kontakty/, but "platn" not in /besplatnaya-pomoshch/."""
    if not slugs:
        return None
    path = url_path(url)
    if _slug_screen(tuple(slugs)).search(path) is None:
        return None
    for slug in slugs:
        if slug and re.search(rf"(?<![^\W_]){re.escape(slug)}", path):
            return slug
    return None


_CYRILLIC_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя" + "".join(sorted(KAZAKH_LETTERS))
_DROP_CYRILLIC = dict.fromkeys(map(ord, _CYRILLIC_LETTERS + _CYRILLIC_LETTERS.upper()))
_KAZAKH_CASES = "".join(sorted(KAZAKH_LETTERS)) + "".join(sorted(KAZAKH_LETTERS)).upper()


def letter_counts(text: str) -> tuple[int, int]:
    """(Cyrillic letters, of which Kazakh-specific) in a text."""
    cyrillic = len(text) - len(text.translate(_DROP_CYRILLIC))
    return cyrillic, (sum(text.count(ch) for ch in _KAZAKH_CASES) if cyrillic else 0)


@dataclass(frozen=True, slots=True)
class TextPattern:
    """A case-insensitive pattern prepared for page texts.

    ``folded`` runs over folded text (ё written е); ``lowered`` over the text lower-cased,
    whose offsets are the text's own (for snippets). ``lines``: the pattern is about line
    structure (``\\n``), which folded text has lost, so the text as it is is searched too.
    Other patterns match folded text wherever they match the text as it is (folding only
    lowers, merges ё into е, joins whitespace and drops invisible characters), so one pass
    over the folded text decides."""

    rx: re.Pattern[str]
    folded: re.Pattern[str]
    lowered: re.Pattern[str] | None  # None: lower-casing is unsafe; use rx on the text
    lines: bool
    # Strings one of which every match of ``folded`` (``lowered``) contains: a text without
    # any of them needs no regex (None: no such strings are known).
    folded_needles: tuple[str, ...] | None = None
    lowered_needles: tuple[str, ...] | None = None
    # ``lowered_needles`` as they read in folded text (ё as е; None: some have whitespace
    # other than single spaces, which folding may change): a page whose folded text has
    # none of them need not be lower-cased at all.
    lowered_needles_folded: tuple[str, ...] | None = None

    def maybe_folded(self, text: str) -> bool:
        return self.folded_needles is None or holds_any(text, self.folded_needles)

    def maybe_lowered(self, text: str) -> bool:
        return self.lowered_needles is None or any(n in text for n in self.lowered_needles)

    def maybe_lowered_in_folded(self, version: str) -> bool:
        """False when the folded text proves the lowered text has none of the needles."""
        needles = self.lowered_needles_folded
        return needles is None or holds_any(version, needles)


@lru_cache(maxsize=1024)
def text_pattern(rx: re.Pattern[str]) -> TextPattern:
    lines = "\\n" in rx.pattern or "\n" in rx.pattern
    low = lower_pattern(rx.pattern) if rx.flags & re.IGNORECASE else None
    if low is not None:
        flags = rx.flags & ~re.IGNORECASE
        folded_rx = re.compile(low.replace("ё", "е"), flags)
        lowered_rx = re.compile(low, flags)
        raw_needles = required_literals(lowered_rx)
        return TextPattern(
            rx,
            folded_rx,
            lowered_rx,
            lines,
            required_literals(folded_rx),
            raw_needles,
            _as_folded(raw_needles),
        )
    pattern = rx.pattern.replace("ё", "е").replace("Ё", "Е")
    folded_rx = rx if pattern == rx.pattern else re.compile(pattern, rx.flags)
    return TextPattern(rx, folded_rx, None, lines)


def _as_folded(needles: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if needles is None or any("  " in n or (not n.isprintable() and n != " ") for n in needles):
        return None
    return tuple(n.replace("ё", "е") for n in needles)


def _raw_search(
    tp: TextPattern, text: str, pos: int = 0, *, screen: bool = True
) -> tuple[int, int] | None:
    """The span of the first match in the text as it is, at or after ``pos`` (``screen``
    False: a match is known to be there, so the needles need no search)."""
    if tp.lowered is not None:
        low = lowered(text)
        if len(low) == len(text):
            m = tp.lowered.search(low, pos) if not screen or tp.maybe_lowered(low) else None
            return m.span() if m else None
    m = tp.rx.search(text, pos)
    return m.span() if m else None


def search(rx: re.Pattern[str], text: str) -> bool:
    """True when ``rx`` matches the text (folded; as it is too for line patterns)."""
    if not text:
        return False
    tp = text_pattern(rx)
    version = folded(text)
    if tp.maybe_folded(version) and tp.folded.search(version) is not None:
        return True
    return tp.lines and tp.maybe_lowered_in_folded(version) and _raw_search(tp, text) is not None


def matches(rx: re.Pattern[str], text: str, limit: int = MAX_MATCHES) -> tuple[int, str]:
    """How often ``rx`` matches the text, counted up to ``limit`` (folded; for line patterns
    also as it is, the larger), and a snippet around the first match, taken from the text
    as it is where the pattern finds it there."""
    if not text:
        return 0, ""
    tp = text_pattern(rx)
    version = folded(text)
    spans = []
    if tp.maybe_folded(version):
        spans = [m.span() for m in islice(tp.folded.finditer(version), limit)]
    if tp.lines and len(spans) < limit and tp.maybe_lowered_in_folded(version):
        pattern = tp.lowered if tp.lowered is not None else tp.rx
        source = lowered(text) if tp.lowered is not None else text
        raw = []
        if tp.lowered is None or tp.maybe_lowered(source):
            raw = [m.span() for m in islice(pattern.finditer(source), limit)]
        if len(raw) >= len(spans) and raw and len(source) == len(text):
            return len(raw), around(text, *raw[0])
    if not spans:
        return 0, ""
    # The same words in their own case, for the snippet: folding only shortens the text
    # (but for rare letters like ß), so the match is at or a little after the folded one.
    first = _raw_search(tp, text, max(0, spans[0][0] - 100), screen=False) or _raw_search(
        tp, text, screen=False
    )
    if first is not None:
        return len(spans), around(text, *first)
    return len(spans), around(version, *spans[0])


def around(text: str, start: int, end: int) -> str:
    pad = max(0, (SNIPPET_CHARS - (end - start)) // 2)
    return clip(text[max(0, start - pad) : end + pad].strip())


def clip(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def listing(items: Iterable[str]) -> str:
    """'a, b, c' naming at most LISTED items: '... (+7 more)'."""
    shown = list(items)
    more = f" (+{len(shown) - LISTED} more)" if len(shown) > LISTED else ""
    return ", ".join(shown[:LISTED]) + more


def label_of(link: Link) -> str:
    """A link's label as reasons show it: each distinct text once."""
    parts = (link.text, link.title, link.aria_label, link.img_alt)
    return " ".join(dict.fromkeys(" ".join(p.split()) for p in parts if p.strip()))
