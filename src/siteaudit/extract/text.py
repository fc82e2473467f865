"""Text normal forms shared by the extractors and by evaluate's synonym matching."""

from __future__ import annotations

import re
from functools import lru_cache
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")


def fold(text: str) -> str:
    """The matching normal form: casefolded, ё -> е, whitespace collapsed and stripped.

    Kazakh letters (ә ғ қ ң ө ұ ү һ і) are kept as they are: they are letters of their own,
    not variants of Russian ones, so folding them would merge different words.
    Soft hyphens and zero-width characters are dropped, as a browser does not show them.
    """
    return _fold(text)[0]


def _fold(text: str) -> tuple[str, bool]:
    """fold() of the text, and whether each of its characters stands where the text's own
    stands (nothing grew, shrank or moved: offsets into one are offsets into the other)."""
    folded = text.casefold()
    aligned = len(folded) == len(text)  # casefold() only grows ("ß" -> "ss")
    folded = folded.replace("ё", "е")  # casefold() has lowered "Ё"
    if not folded.isascii() and any(ch in folded for ch in _INVISIBLE_CHARS):
        folded = _INVISIBLE.sub("", folded)
    if len(folded) > 200:
        # A page's text is whitespace-normalised already (normalise_block_text): then one
        # replace gives what split() and join() would, and isprintable() (False for every
        # whitespace character but the space) and a search prove it, in a third of the time.
        joined = folded.replace("\n", " ")
        if joined.isprintable() and "  " not in joined and joined[0] != " " != joined[-1]:
            return joined, aligned and len(joined) == len(text)
    folded = " ".join(folded.split())
    return folded, aligned and len(folded) == len(text)  # the rest only shrinks


_INVISIBLE_CHARS = "\u00ad\u200b\u200c\u200d\u2060\ufeff"


def squash(text: str) -> str:
    """Every run of whitespace (including newlines and NBSP) as one space; stripped."""
    return " ".join(text.split())


def normalise_block_text(text: str) -> str:
    """Whitespace collapsed within lines; blank lines dropped; lines joined by one newline."""
    lines = (_squash_line(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _squash_line(line: str) -> str:
    """squash() of a line without newlines. A long line that is normalised already (a
    paragraph's text usually is) is kept as it is: isprintable() is False for every
    whitespace character but the space, so with no double space and none at either end,
    split() and join() would give the line back, at about ten times the cost."""
    if len(line) > 80 and line.isprintable() and "  " not in line and line[0] != " " != line[-1]:
        return line
    return " ".join(line.split())


def snippet(text: str, start: int, end: int, context: int = 40) -> str:
    """The matched text with `context` characters on either side, whitespace squashed."""
    return squash(text[max(0, start - context) : end + context])


def folded(text: str) -> str:
    """fold() of a text; page texts are remembered, as many rules look at the same pages."""
    return _folded_page(text)[0] if len(text) > 200 else fold(text)


def lower_aligned(text: str) -> str:
    """A lower-cased form of the text with the text's own offsets, for finding where a
    string is (an address, a label): the folded text where folding moved nothing (ё is
    е there, and newlines are spaces), else str.lower(). Search it only for strings without
    "ё" and without whitespace other than single spaces."""
    if len(text) <= 200:
        return text.lower()
    version, aligned = _folded_page(text)
    return version if aligned else lowered(text)


#: From this many characters on, a text is screened through its distinct words (words_of).
WORDS_FROM = 16_000


def holds_any(text: str, needles: tuple[str, ...]) -> bool:
    """False when the text surely holds none of the needles. A long text (a page's) is
    screened through its distinct words first: a needle without whitespace can only be in
    the text inside one word, and a page repeats its words, so the words are a fraction of
    the text; each needle with whitespace must have each of its parts there, and then is
    looked for in the text itself. Substring searches cost about a nanosecond a character."""
    if len(text) < WORDS_FROM:
        return any(n in text for n in needles)
    words = words_of(text)
    for needle in needles:
        parts = needle.split()
        if len(parts) == 1 and parts[0] == needle:
            if needle in words:
                return True
        elif all(part in words for part in parts) and needle in text:
            return True
    return False


def words_of(text: str) -> str:
    """The distinct whitespace-free runs of a text, each once, joined by spaces (kept for
    page texts, like their folded forms)."""
    return _words_of_page(text) if len(text) > 200 else " ".join(dict.fromkeys(text.split()))


#: Page texts whose folded and lowered forms are kept: a site's worth, as each rule goes
#: through the site's pages in turn; evaluate() empties both when the site is done.
PAGES_KEPT = 1024


@lru_cache(maxsize=PAGES_KEPT)
def _folded_page(text: str) -> tuple[str, bool]:
    return _fold(text)


def lowered(text: str) -> str:
    """str.lower() of a text; page texts are remembered, as many rules look at the same pages."""
    return _lowered_page(text) if len(text) > 200 else text.lower()


@lru_cache(maxsize=PAGES_KEPT)
def _lowered_page(text: str) -> str:
    return text.lower()


@lru_cache(maxsize=PAGES_KEPT)
def _words_of_page(text: str) -> str:
    # split(" ") is a third cheaper than split(), and as good a screen for any text: a needle
    # without whitespace still lies inside one run without spaces, newlines or not.
    return " ".join(dict.fromkeys(text.split(" ")))


def forget_texts() -> None:
    """Drop the folded and lowered page texts (and their words) kept so far: a site's
    evaluation is over."""
    _folded_page.cache_clear()
    _lowered_page.cache_clear()
    _words_of_page.cache_clear()


#: What makes lower-casing a pattern unsafe: code escapes (\x41, \u0410, \N{...}, octal)
#: and inline flags, whose letters are not literals.
_UNSAFE_TO_LOWER = re.compile(r"\\[xuUN0]|\\[1-7][0-7]{2}|\(\?[aiLmsux-]")


def lower_pattern(pattern: str) -> str | None:
    """The pattern with its literal letters lower-cased, to run without IGNORECASE over
    lower-cased text (much faster: the regex engine can then skip ahead to a literal
    prefix); None when that would change what it matches."""
    if _UNSAFE_TO_LOWER.search(pattern) or any(
        c.lower() != c.casefold() or len(c.lower()) != 1 for c in pattern if not c.isascii()
    ):
        return None
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":  # an escape stays as it is: \W is not \w
            out.append(pattern[i : i + 2])
            i += 2
        elif pattern.startswith("(?P", i):
            out.append("(?P")
            i += 3
        else:
            out.append(pattern[i].lower())
            i += 1
    return "".join(out)


def required_literals(rx: re.Pattern[str]) -> tuple[str, ...] | None:
    """Strings one of which every match of ``rx`` contains, read off Python's own parse of
    the pattern ("права и обязанности (?:граждан|пациент)" -> ("права и обязанности ",),
    "₽|руб" -> ("₽", "руб")): a text that holds none of them (``in`` is a fast C scan) cannot
    match, so the regex need not run. None when no such strings are known, or for patterns
    that ignore case (their literals stand for more than themselves)."""
    if rx.flags & re.IGNORECASE:
        return None
    try:
        factors = _factors(sre_parse.parse(rx.pattern, rx.flags))
    except Exception:  # a parser detail of another Python version: no prefilter, no harm
        return None
    return tuple(factors) if factors else None


def _factors(sub: Any) -> list[str] | None:
    """The best set of alternative literals every match of the parsed sequence contains."""
    c = sre_constants
    best: list[str] | None = None

    def consider(candidates: list[str] | None) -> None:
        nonlocal best
        if not candidates or not all(candidates):
            return
        if best is None or _rank(candidates) > _rank(best):
            best = candidates

    run: list[str] = []
    for op, av in sub:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        consider(["".join(run)] if run else None)
        run = []
        if op is c.SUBPATTERN:
            _group, add_flags, _del_flags, inner = av
            if not add_flags & re.IGNORECASE:
                consider(_factors(inner))
        elif op is c.BRANCH:
            alternatives = [_factors(alt) for alt in av[1]]
            if alternatives and all(a is not None for a in alternatives):
                consider(_minimal({x for a in alternatives for x in a or ()}))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, _high, item = av
            if low >= 1:
                consider(_factors(item))
        elif op is c.ATOMIC_GROUP:
            consider(_factors(av))
    consider(["".join(run)] if run else None)
    return best


def _minimal(strings: set[str]) -> list[str]:
    """The strings without those that contain another ("вт" makes "вторник" needless: a
    text without "вт" has no "вторник"), sorted."""
    kept: list[str] = []
    for x in sorted(strings, key=len):
        if not any(y in x for y in kept):
            kept.append(x)
    return sorted(kept)


def _rank(candidates: list[str]) -> tuple[int, int]:
    """Longer shortest string first, then fewer strings."""
    return min(len(x) for x in candidates), -len(candidates)


#: Beyond this many digits in a text, finding them one by one costs more than a regex.
DIGITS_ONE_BY_ONE = 2000


def digit_positions(text: str, limit: int = DIGITS_ONE_BY_ONE) -> list[int] | None:
    """The sorted offsets of the ASCII digits of a text, found with ``str.count`` and
    ``str.find`` at C speed (a regex that looks for digits costs about 20 ns a character of
    Cyrillic text); None when there are more than ``limit`` (then a regex is cheaper)."""
    counts = [text.count(d) for d in "0123456789"]
    if sum(counts) > limit:
        return None
    positions: list[int] = []
    for digit, count in zip("0123456789", counts, strict=True):
        i = -1
        for _ in range(count):
            i = text.find(digit, i + 1)
            positions.append(i)
    positions.sort()
    return positions
