"""Dates written in page text (Russian, Kazakh, English, numeric) and in machine-readable form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from ..models import FoundDate
from .text import digit_positions, snippet

#: Dates read per text at most (long tables of certificates can hold thousands).
MAX_DATES = 1000
#: Runs of digits looked at per text at most (a date starts at one).
MAX_DIGIT_RUNS = 20_000

_RU_MONTHS = {
    "янв": 1,
    "фев": 2,
    "мар": 3,
    "апр": 4,
    "май": 5,
    "мая": 5,
    "июн": 6,
    "июл": 7,
    "авг": 8,
    "сен": 9,
    "окт": 10,
    "ноя": 11,
    "дек": 12,
}
_KZ_MONTHS = {
    "қаңтар": 1,
    "ақпан": 2,
    "наурыз": 3,
    "сәуір": 4,
    "мамыр": 5,
    "маусым": 6,
    "шілде": 7,
    "тамыз": 8,
    "қыркүйек": 9,
    "қазан": 10,
    "қараша": 11,
    "желтоқсан": 12,
}
_EN_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}

_YEAR = r"(?:19|20)\d\d"
_END = r"(?!\d|[.,/]\d)"  # not 14.10.2025.1 nor 14.10.20251
_RU_MONTH = r"(?i:(?P<ru>янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек)[а-яё]*)\.?"
_KZ_STEMS = "|".join(_KZ_MONTHS)
_KZ_SUFFIX = r"[а-яёәғқңөұүһі]*"  # case suffixes: қазанда, наурыздағы, шілдедегі
_EN_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)

# Every form but "October 14, 2025" starts with a number: find_dates tries this regex at the
# start of each run of digits only (a scan for digits is fast; trying every position is not).
_DATE_RE = re.compile(
    rf"""
    (?P<d>\d\d?)(?:
        (?P<sep>[./-])(?P<m>\d\d?)(?P=sep)(?P<y>{_YEAR}){_END}           # 14.10.2025 14/10/2025
      | \.(?P<m2>\d\d)\.(?P<y2>\d\d){_END}                              # 14.10.25
      | \s*{_RU_MONTH}\s*(?P<y3>{_YEAR})(?!\d)                          # 14 окт. 2025 г.
      | \s*(?i:(?P<kz>{_KZ_STEMS}){_KZ_SUFFIX})\s+(?P<y4>{_YEAR})(?!\d)  # 14 қазан 2025 ж.
      | (?:st|nd|rd|th)?\s+(?i:(?P<en>{_EN_MONTH}))\b\.?,?\s+(?P<y5>{_YEAR})(?!\d)  # 14 Oct 2025
    )
  | (?P<iy>{_YEAR})(?:
        -(?P<im>\d\d)-(?P<id>\d\d)(?!\d)                                # 2025-10-14
      | \s*(?i:жылғы|жылы|ж\.)\s*(?P<kd>\d\d?)\s*-?\s*         # 2025 жылғы 14 қазанда
        (?i:(?P<kzm>{_KZ_STEMS}){_KZ_SUFFIX})
    )
    """,
    re.VERBOSE,
)
_DIGITS = re.compile(r"[0-9]+")  # dates are written in ASCII digits
# October 14, 2025 / Oct. 14th 2025: the month before the digits, then the rest from them.
_EN_MONTH_BEFORE = re.compile(rf"(?<![^\W\d_])(?i:(?P<en>{_EN_MONTH}))\.?\s+$")
_EN_TAIL = re.compile(rf"(?P<d>\d\d?)(?:st|nd|rd|th)?,?\s+(?P<y>{_YEAR})(?!\d)")

# Law citations: "от 21.11.2011 № 323-ФЗ", "Приказ № 5 от 14.10.2025", "(в ред. от 28.12.2024)".
_CITATION_BEFORE = re.compile(
    r"(?:(?<!\w)(?:от|від|dated|from|of)"
    r"|(?P<act>№\s*[\w./-]{1,20}\s+от|(?<!\w)ред(?:акции|\.)?\s*от))\s*$",
    re.I,
)
_ACT_AFTER = re.compile(
    r"№|(?<!\w)(?:N|No)\.?\s*\d|ФКЗ|ФЗ|ҚРЗ|закон|приказ|постановлени|распоряжени|указ|решени"
    r"|кодекс|бұйрық|қаулы|шешім|law|order|decree|resolution",
    re.I,
)
_NUMBER_RIGHT_AFTER = re.compile(
    r"\s*(?:г\.|года?|ж\.|жылғы|р\.|року)?\s*(?:№|N\s*\d|No\.?\s*\d)", re.I
)


def _value(g: dict[str, Any]) -> date | None:
    """The calendar date named by the groups of a match; None when impossible."""
    try:
        if g.get("iy"):
            year = int(g["iy"])
            if g["im"]:
                return date(year, int(g["im"]), int(g["id"]))
            return date(year, _KZ_MONTHS[g["kzm"].lower()], int(g["kd"]))
        day = int(g["d"])
        if g.get("sep"):
            return date(int(g["y"]), int(g["m"]), day)
        if g.get("m2"):
            if len(g["d"]) != 2:
                return None  # 1.10.25 is too loose to be a date
            short = int(g["y2"])
            return date(short + (2000 if short < 70 else 1900), int(g["m2"]), day)
        if g.get("ru"):
            return date(int(g["y3"]), _RU_MONTHS[g["ru"].lower()[:3]], day)
        if g.get("kz"):
            return date(int(g["y4"]), _KZ_MONTHS[g["kz"].lower()], day)
        return date(int(g.get("y5") or g["y"]), _EN_MONTHS[g["en"].lower()[:3]], day)
    except (ValueError, KeyError):
        return None


def _glued(text: str, start: int) -> bool:
    """True when a match continues a number or a word: 114.10.2025, 1.14.10.2025, Summar 5."""
    if start == 0:
        return False
    before = text[start - 1]
    if before.isalnum():
        return True
    return before in "./" and start >= 2 and text[start - 2].isdigit()


# Validity dates of certificates and licences: "действителен до 31.12.2026", "срок действия:
# с 01.02.2024 по 01.02.2029", "годен до", "2029 жылғы 1 ақпанға дейін".
_VALIDITY_BEFORE = re.compile(
    r"(?:действител\w*|срок\w*\s+действия|годн\w*|годен|действует|действ\.|valid|expir\w*"
    r"|жарамды|қолданылу\s+мерзімі)[^.\n]{0,30}$|(?<!\w)(?:до|по|until|till)\s*$",
    re.I,
)
_VALIDITY_AFTER = re.compile(r"\s*(?:г\.|года?|ж\.|жыл\w*)?\s*-?\s*(?:\w+)?\s*дейін", re.I)


def _is_validity(text: str, start: int, end: int) -> bool:
    """A date a certificate or a licence is valid until (or from): not a publication date."""
    if _VALIDITY_BEFORE.search(text[max(0, start - 40) : start]):
        return True
    return _VALIDITY_AFTER.match(text, end, end + 24) is not None


def _is_citation(text: str, start: int, end: int) -> bool:
    """A date that dates a law or an order, not the page: "от 21.11.2011 № 323-ФЗ"."""
    if _NUMBER_RIGHT_AFTER.match(text, end, end + 12):
        return True
    before = _CITATION_BEFORE.search(text[max(0, start - 30) : start])
    if before is None:
        return False
    # "Приказ № 5 от 14.10.2025", "в ред. от 28.12.2024": the act came first.
    return bool(before["act"]) or _ACT_AFTER.search(text, end, end + 25) is not None


def _digit_run_starts(text: str) -> Iterator[int]:
    """Where each run of digits starts: this regex is tried there only (a scan for digits is
    fast; trying every position is not)."""
    positions = digit_positions(text)
    if positions is None:
        return (run.start() for run in _DIGITS.finditer(text))
    return (p for i, p in enumerate(positions) if i == 0 or positions[i - 1] != p - 1)


def find_dates(text: str) -> tuple[FoundDate, ...]:
    """Calendar dates written in text, in text order, with the text around each.

    Numeric (14.10.2025, 14.10.25, 2025-10-14), Russian (14 октября 2025 г., 14 окт. 2025),
    Kazakh (2025 жылғы 14 қазанда, 14 қазан 2025 ж.) and English (October 14, 2025) forms are
    read. Dates of cited acts ("от 21.11.2011 № 323-ФЗ") and impossible dates are left out.
    """
    found: list[FoundDate] = []
    seen: set[tuple[date, str]] = set()
    taken = 0  # end of the last match: matches do not overlap
    matched = 0
    for count, start in enumerate(_digit_run_starts(text)):
        if count >= MAX_DIGIT_RUNS:
            break
        if start < taken or _glued(text, start):
            continue
        match = _DATE_RE.match(text, start)
        if match is not None:
            value, end = _value(match.groupdict()), match.end()
        else:
            tail = _EN_TAIL.match(text, start)
            head = tail and _EN_MONTH_BEFORE.search(text, max(taken, start - 12), start)
            if not tail or not head:
                continue
            value, start, end = (
                _value({**tail.groupdict(), "en": head["en"]}),
                head.start(),
                tail.end(),
            )
        if value is None:
            continue
        taken = end
        matched += 1
        if matched > MAX_DATES:
            break
        if _is_citation(text, start, end) or _is_validity(text, start, end):
            continue
        item = FoundDate(value=value, snippet=snippet(text, start, end), source="text")
        if (value, item.snippet) not in seen:
            seen.add((value, item.snippet))
            found.append(item)
    return tuple(found)


_ISO_PREFIX = re.compile(r"\s*((?:19|20)\d\d)-([01]\d)-([0-3]\d)")


def parse_iso_date(value: str) -> date | None:
    """The date part of an ISO 8601 string ("2025-10-14T10:00:00+05:00"), or None."""
    match = _ISO_PREFIX.match(value)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
