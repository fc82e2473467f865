"""E-mail addresses and phone numbers in page text and in mailto:/tel: links."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

import phonenumbers

from .text import digit_positions, lower_aligned

#: Runs of digits handed to the phone library per text at most, and candidates tried per run
#: (each candidate costs the library ~30 µs).
MAX_PHONE_RUNS = 200
MAX_PHONE_TRIES = 10
#: Results kept per page at most.
MAX_EMAILS = 100
MAX_PHONES = 100

# --- e-mail ----------------------------------------------------------------------------

_LOCAL = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]{1,64}(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]{1,64}){0,8}"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_OPEN = r"[\[({<«]"
_CLOSE = r"[\])}>»]"
_AT = (
    rf"(?:[ \t]{{0,3}}@[ \t]{{0,3}}"
    rf"|\s{{0,3}}{_OPEN}\s{{0,2}}(?:at|@|собака|собачка|эт)\s{{0,2}}{_CLOSE}\s{{0,3}}"
    r"|\s{1,3}(?:собака|собачка)\s{1,3})"
)
_DOT = (
    rf"(?:\.|\s{{0,3}}{_OPEN}\s{{0,2}}(?:dot|точка|\.)\s{{0,2}}{_CLOSE}\s{{0,3}}"
    r"|\s{1,3}(?:dot|точка)\s{1,3})"
)
# The look-behind makes a match start only where a local part can start, which keeps the
# scan linear on long runs of letters (no retry from every position of the run).
_EMAIL_RE = re.compile(
    rf"(?<![\w.!#$%&'*+/=?^`{{|}}~-])(?P<local>{_LOCAL}){_AT}"
    rf"(?P<domain>(?:{_LABEL}{_DOT}){{1,6}})(?P<tld>[^\W\d_]{{2,24}})(?![\w-])",
    re.IGNORECASE,
)
_DOT_RE = re.compile(_DOT, re.IGNORECASE)
_PLAIN_EMAIL_RE = re.compile(rf"{_LOCAL}@(?:{_LABEL}\.){{1,6}}[^\W\d_]{{2,24}}", re.IGNORECASE)
#: "Top-level domains" that are really file extensions: logo@2x.png, icon@3x.webp.
_FILE_EXTENSIONS_LIST = "png jpg jpeg gif svg webp bmp ico tif tiff avif css js json pdf doc docx"
_FILE_EXTENSIONS = frozenset(_FILE_EXTENSIONS_LIST.split())


def _clean_email(local: str, domain: str, tld: str) -> str | None:
    domain = _DOT_RE.sub(".", domain)
    address = f"{local}@{domain}{tld}".casefold()
    if ".." in address or local.startswith(".") or local.endswith("."):
        return None
    if tld.casefold() in _FILE_EXTENSIONS:
        return None
    return address


def _mailto_addresses(href: str) -> Iterable[str]:
    value = href.strip()
    if value[:7].lower() != "mailto:":
        return
    value = unquote(value[7:].split("?", 1)[0])
    for part in value.split(","):
        part = part.strip()
        if _PLAIN_EMAIL_RE.fullmatch(part):
            tld = part.rsplit(".", 1)[1]
            if tld.casefold() not in _FILE_EXTENSIONS and ".." not in part:
                yield part.casefold()


def find_emails(text: str, hrefs: Iterable[str] = ()) -> tuple[str, ...]:
    """E-mail addresses in mailto: links and in text, lower-cased, first seen first.

    Plain addresses and the usual obfuscations are found: ``name[at]host.ru``,
    ``name(at)host.ru``, ``name [at] host [dot] ru``, ``name(собака)host.ru``,
    ``name собака host.ru`` and ``name @ host.ru``. File names such as ``logo@2x.png`` are not
    addresses.
    """
    found: dict[str, None] = {}
    for href in hrefs:
        for address in _mailto_addresses(href):
            found.setdefault(address)
    for start, end in _email_windows(text):
        for match in _EMAIL_RE.finditer(text, start, end):
            if len(found) >= MAX_EMAILS:
                return tuple(found)[:MAX_EMAILS]
            cleaned = _clean_email(match["local"], match["domain"], match["tld"])
            if cleaned is not None:
                found.setdefault(cleaned)
    return tuple(found)[:MAX_EMAILS]


#: How far an address reaches from its "@" (or "собака", "[at]") at most: the local part
#: is at most 584 characters before it, the domain at most about 530 after.
_REACH = 600
_BRACKET_AT = re.compile(rf"{_OPEN}\s{{0,2}}(?:at|эт)\s{{0,2}}{_CLOSE}", re.IGNORECASE)


def _email_windows(text: str) -> list[tuple[int, int]]:
    """The stretches of text an address can be in: around each "@", "собака" or bracketed
    "at", merged. The e-mail regex then reads a few hundred characters a page, not the whole
    text (it costs about 20 ns a character)."""
    marks: list[int] = []
    i = text.find("@")
    while i >= 0:
        marks.append(i)
        i = text.find("@", i + 1)
    low = lower_aligned(text)
    if len(low) != len(text):  # lower-casing moved the offsets: read it all
        return [(0, len(text))]
    i = low.find("собак")
    while i >= 0:
        marks.append(i)
        i = low.find("собак", i + 1)
    for opener in "[({<«":
        i = text.find(opener)
        while i >= 0:
            if _BRACKET_AT.match(text, i):
                marks.append(i)
            i = text.find(opener, i + 1)
    return _windows(sorted(marks), _REACH, _REACH, len(text))


def _windows(marks: list[int], before: int, after: int, size: int) -> list[tuple[int, int]]:
    """(start, end) stretches from ``before`` each sorted mark to ``after`` it, merged where
    they touch, within a text of ``size`` characters."""
    windows: list[tuple[int, int]] = []
    for mark in marks:
        start, end = max(0, mark - before), min(size, mark + after)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], end))
        else:
            windows.append((start, end))
    return windows


#: String literals joined with + in inline JavaScript: 'info' + '@' + 'gkb1.ru'.
_JS_STRING = r"""(?:'[^'\n\\]{0,80}'|"[^"\n\\]{0,80}")"""
_JS_CONCAT = re.compile(rf"{_JS_STRING}(?:\s*\+\s*{_JS_STRING}){{1,12}}")
#: Text before an address that makes it the web developer's, not the organization's.
_DEVELOPER_BEFORE = re.compile(
    r"(?:разработ\w*|создан\w*|сделан\w*|поддержк\w*|продвижени\w*)\s+(?:и\s+\w+\s+)?сайт"
    r"|сайт\w*\s+(?:разработ|создан|сделан)\w*|веб-студи|web[- ]?studio|developed by|designed by"
    r"|made by|powered by|әзірлеген",
    re.IGNORECASE,
)


def script_emails(scripts: Iterable[str]) -> tuple[str, ...]:
    """Addresses assembled by inline JavaScript: document.write('info' + '@' + 'gkb1.ru')."""
    found: dict[str, None] = {}
    for script in scripts:
        if "@" not in script or "+" not in script:
            continue
        for run in _JS_CONCAT.finditer(script):
            joined = "".join(part[1:-1] for part in re.findall(_JS_STRING, run.group(0)))
            if "@" in joined:
                for address in find_emails(joined):
                    found.setdefault(address)
    return tuple(found)


def developer_emails(text: str, emails: Iterable[str]) -> frozenset[str]:
    """Addresses written right after "разработка сайта", "developed by" and the like."""
    low = lower_aligned(text)
    out = set()
    for address in emails:
        pos = low.find(address)
        if pos > 0 and _DEVELOPER_BEFORE.search(low, max(0, pos - 80), pos):
            out.add(address)
    return frozenset(out)


# --- phones ----------------------------------------------------------------------------

#: Labels of registration and bank numbers: digits right after them are not phones.
_NOT_PHONE_BEFORE = re.compile(
    r"(?<!\w)(?:ИНН|ОГРН(?:ИП)?|КПП|БИК|БИН|ИИН|ОКПО|ОКВЭД|ОКАТО|ОКТМО|ОКОГУ|СНИЛС|IBAN|ИИК|КБЕ"
    r"|р/с|к/с|л/с|сч[её]т|№|N|No\.?)[\s:.-]*$",
    re.IGNORECASE,
)
#: Digits with the separators phones are written with: +7 (727) 2 50-12-34, 8-800-200-03-89.
#: Phone numbers are written in ASCII digits: [0-9], not \d (which takes every script's).
_PHONE_RUN = re.compile(r"\+?[0-9][0-9 \t\u00a0\u202f().\-\u2010-\u2015]{5,60}[0-9]")
#: A phone run reaches at most this far from a digit in it (62 characters and a "+").
_PHONE_REACH = 64


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _tel_number(href: str, region: str) -> str | None:
    value = href.strip()
    if value[:4].lower() != "tel:":
        return None
    value = unquote(value[4:]).split(";", 1)[0].strip()
    if not value or len(value) > 40:
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number) or phonenumbers.is_possible_number(number):
        return _e164(number)
    return None


def _looks_like_other_number(text: str, start: int, raw: str) -> bool:
    """INN/OGRN/account numbers, document numbers and bare 10-digit runs are not phones."""
    if _NOT_PHONE_BEFORE.search(text, max(0, start - 16), start):
        return True
    if raw.isdigit():
        # 87015551234 is a phone; 7701234567 (10 bare digits) is more likely an INN
        return not (len(raw) == 11 and raw[0] in "78")
    return False


def _phone_spans(text: str, min_digits: int) -> Iterable[tuple[int, str]]:
    """(offset, substring) for each run of digits and separators long enough to be a phone.

    The phone library tries every run of digits it sees (dates, prices, years), which costs
    more than the rest of extract together; it is given only these runs.
    """
    for start, end in _digit_windows(text, min_digits):
        for run in _PHONE_RUN.finditer(text, start, end):
            value = run.group(0)
            if sum(ch.isdigit() for ch in value) >= min_digits:
                yield run.start(), value


def _digit_windows(text: str, min_digits: int) -> list[tuple[int, int]]:
    """The stretches of text a phone run can be in: around its digits, merged. The regex
    then reads those, not the whole text."""
    positions = digit_positions(text)
    if positions is None:
        return [(0, len(text))]
    if len(positions) < min_digits:
        return []
    return _windows(positions, 1, _PHONE_REACH, len(text))


def find_phones(text: str, hrefs: Iterable[str] = (), region: str = "RU") -> tuple[str, ...]:
    """Phone numbers in tel: links and in text, as E.164 strings, first seen first.

    Russia and Kazakhstan share the country code +7 (7xx area codes are Kazakh), so either
    region reads both countries' numbers. Dates, registration numbers (ИНН, ОГРН, БИН) and
    postal codes are not taken for phones.
    """
    found: dict[str, None] = {}
    for href in hrefs:
        phone = _tel_number(href, region)
        if phone is not None:
            found.setdefault(phone)
    min_digits = 10 if region.upper() in {"RU", "KZ"} else 7
    tries = 0
    for offset, run in _phone_spans(text, min_digits):
        matcher = phonenumbers.PhoneNumberMatcher(
            run, region, leniency=phonenumbers.Leniency.VALID, max_tries=MAX_PHONE_TRIES
        )
        for match in matcher:
            if _looks_like_other_number(text, offset + match.start, match.raw_string):
                continue
            found.setdefault(_e164(match.number))
        tries += 1
        if tries >= MAX_PHONE_RUNS or len(found) >= MAX_PHONES:
            break
    return tuple(found)[:MAX_PHONES]
