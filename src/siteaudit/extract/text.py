"""Text normal forms shared by the extractors and by evaluate's synonym matching."""

from __future__ import annotations

import re

_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")


def fold(text: str) -> str:
    """The matching normal form: casefolded, ё -> е, whitespace collapsed and stripped.

    Kazakh letters (ә ғ қ ң ө ұ ү һ і) are kept as they are: they are letters of their own,
    not variants of Russian ones, so folding them would merge different words.
    Soft hyphens and zero-width characters are dropped, as a browser does not show them.
    """
    folded = text.casefold().replace("ё", "е")  # casefold() has lowered "Ё"
    if not folded.isascii():
        folded = _INVISIBLE.sub("", folded)
    return " ".join(folded.split())


def squash(text: str) -> str:
    """Every run of whitespace (including newlines and NBSP) as one space; stripped."""
    return " ".join(text.split())


def normalise_block_text(text: str) -> str:
    """Whitespace collapsed within lines; blank lines dropped; lines joined by one newline."""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def snippet(text: str, start: int, end: int, context: int = 40) -> str:
    """The matched text with `context` characters on either side, whitespace squashed."""
    return squash(text[max(0, start - context) : end + context])
