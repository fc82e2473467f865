"""The registry: a CSV file of organizations, read into ``Organization`` values.

Columns
-------
Required: ``id``, ``name``, ``url``. Optional: ``region``, ``country``, ``type``. Any other
column is kept, in file order, as ``Organization.extra`` ((column, value) pairs) and shown in
the reports. Header names are matched case-insensitively, surrounding spaces stripped. These
aliases are accepted too (an alias is used only when the canonical name is absent; otherwise
the aliased column is kept as an extra column):

- id: идентификатор, ид, код
- name: наименование, название, организация, наименование организации, атауы
- url: сайт, адрес сайта, официальный сайт, веб-сайт, site, website
- region: регион, субъект, область, өңір, аймақ
- country: страна, ел
- type: тип, вид, түрі

A header cell left empty (Excel's trailing ``;``) names no column and its cells are ignored.

File format
-----------
- Encoding: UTF-8 (with or without a BOM), else windows-1251. Nothing else is guessed.
- Delimiter: ``,`` or ``;`` (Excel in Russian and Kazakh locales saves with ``;``), chosen by
  counting both outside quotes in the header line.
- Blank lines (and lines of empty cells) are skipped. Line numbers are physical lines of the
  file; the header is line 1 (a row whose quoted cell spans lines is numbered by its first).
- Cell values are trimmed and runs of white space (line breaks too) become one space.

Checks
------
Errors (the row is left out): a missing required column, a duplicated column name, a row with
more or fewer cells than the header, an empty id or name, an id used twice, an empty or
malformed url (spaces, no dot in the host unless it is an IP address or localhost, a scheme
other than http/https). Warnings (the row is kept): a url without a scheme (https:// is added),
a country other than Russia/Kazakhstan (kept upper-cased).

URLs are normalised: lower-case scheme and host, path ``/`` when empty, fragment dropped.
Internationalised hosts (кириллица.рф) keep their Unicode form. Countries are normalised to
ISO 3166 alpha-2: RU/RUS/Россия/Russia/РФ -> RU; KZ/KAZ/Казахстан/Kazakhstan/Қазақстан -> KZ.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from .errors import InputError
from .models import Organization

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

REQUIRED: tuple[str, ...] = ("id", "name", "url")
OPTIONAL: tuple[str, ...] = ("region", "country", "type")
CANONICAL: tuple[str, ...] = REQUIRED + OPTIONAL

_ALIASES_BY_COLUMN: dict[str, str] = {
    "id": "идентификатор|ид|код",
    "name": "наименование|название|организация|наименование организации|атауы",
    "url": "сайт|адрес сайта|официальный сайт|веб-сайт|site|website",
    "region": "регион|субъект|область|өңір|аймақ",
    "country": "страна|ел",
    "type": "тип|вид|түрі",
}
#: Header alias (case-folded) -> canonical column name.
ALIASES: dict[str, str] = {
    alias: column for column, names in _ALIASES_BY_COLUMN.items() for alias in names.split("|")
}

_COUNTRY_NAMES: dict[str, str] = {
    "RU": "ru|rus|россия|russia|рф|российская федерация|russian federation",
    "KZ": "kz|kaz|казахстан|kazakhstan|қазақстан|республика казахстан|republic of kazakhstan"
    "|қазақстан республикасы",
}
#: Country name (case-folded, dots removed) -> ISO 3166 alpha-2 code.
COUNTRIES: dict[str, str] = {
    name: code for code, names in _COUNTRY_NAMES.items() for name in names.split("|")
}

URL_EXAMPLE = "https://gkb1.ru/"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class RegistryProblem:
    """One problem of a registry file; ``str()`` gives the one-line message people read."""

    path: str
    line: int  # physical line, header is 1; 0 = the whole file
    column: str | None
    message: str  # what is wrong; the fix
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:" if self.line else f"{self.path}:"
        column = f' column "{self.column}":' if self.column is not None else ""
        return f"{where}{column} {self.message}"


@dataclass(frozen=True, slots=True)
class Registry:
    path: Path
    organizations: tuple[Organization, ...]
    problems: tuple[RegistryProblem, ...]
    columns: tuple[str, ...]  # the header as written (stripped)
    extra_columns: tuple[str, ...]  # columns kept as Organization.extra, in file order
    encoding: str  # "utf-8", "utf-8-sig" (with BOM) or "cp1251"
    delimiter: str
    sha256: str  # of the file's bytes

    @property
    def errors(self) -> tuple[RegistryProblem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[RegistryProblem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)


# --- values -----------------------------------------------------------------------------


def _q(value: str, limit: int = 80) -> str:
    """A cell value quoted for a message, cut when long."""
    return '"' + (value if len(value) <= limit else value[: limit - 1] + "…") + '"'


def normalize_country(raw: str) -> tuple[str, bool]:
    """(ISO-2 code, or the value upper-cased; False when a non-empty value is not RU or KZ)."""
    key = " ".join(raw.replace(".", "").split()).casefold()
    if key in COUNTRIES:
        return COUNTRIES[key], True
    return raw.strip().upper(), not key


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_IPV4_LIKE = re.compile(r"^[\d.]+$")
_SPACE = re.compile(r"\s")
_ASCII_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


def _valid_host(host: str) -> bool:
    if host == "localhost":
        return True
    if ":" in host or _IPV4_LIKE.match(host):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return False
        return True
    labels = host.split(".")
    if len(labels) < 2 or not all(labels) or labels[-1].isdigit():
        return False
    for label in labels:
        if label.isascii():
            if not _ASCII_LABEL.match(label):
                return False
            continue
        if not all(ch.isalnum() or ch == "-" for ch in label):
            return False
        try:
            label.encode("idna")
        except UnicodeError:
            return False
    return True


def _check_url(text: str) -> str | None:
    """The normalised URL, or None when ``text`` (with a scheme) is not a web address."""
    if _SPACE.search(text) or "\\" in text:
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    host = (parts.hostname or "").rstrip(".")
    if not host or not _valid_host(host):
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def _has_scheme(text: str) -> bool:
    """True when ``text`` starts with a scheme; ``host:port`` is not one."""
    match = _SCHEME.match(text)
    if match is None:
        return False
    rest = text[match.end() :]
    return not rest[:1].isdigit()


def _suggest(text: str) -> str | None:
    """A guess at the web address someone meant, or None."""
    body = text.strip()
    match = _SCHEME.match(body)
    if match is not None and _has_scheme(body):
        body = body[match.end() :]
    body = re.sub(r"[\s,]+", ".", body.lstrip("/")).replace("\\", "/").strip(".")
    return _check_url(f"https://{body}") if body else None


def normalize_url(raw: str) -> tuple[str | None, str | None]:
    """Check and normalise one address.

    Returns ``(url, warning)`` when it is usable (warning is None or says what was changed)
    and ``(None, error)`` when it is not; both messages end with what to do.
    """
    text = raw.strip()
    if not text:
        return None, f"is empty; write the site's address, e.g. {URL_EXAMPLE}"
    added = False
    candidate = text
    if text.startswith("//"):
        candidate, added = "https:" + text, True
    elif not _has_scheme(text):
        candidate, added = "https://" + text, True
    url = _check_url(candidate)
    if url is not None:
        return url, (f"{_q(text)} has no scheme; using {url}" if added else None)
    suggestion = _suggest(text)
    fix = (
        f"write it as {suggestion}" if suggestion else f"write the full address, e.g. {URL_EXAMPLE}"
    )
    scheme = urlsplit(candidate).scheme.lower() if _has_scheme(candidate) else ""
    if scheme and scheme not in ("http", "https"):
        return (
            None,
            f"{_q(text)} is not a web address (it must start with http:// or https://); {fix}",
        )
    return None, f"{_q(text)} is not a URL; {fix}"


# --- reading the file -------------------------------------------------------------------

_CHUNK = 1 << 16
_MAGIC: dict[bytes, str] = {
    b"PK\x03\x04": "a ZIP archive (an .xlsx or .ods workbook?)",
    b"\xd0\xcf\x11\xe0": "an Excel .xls workbook",
    b"%PDF": "a PDF document",
}
_SAVE_AS = "save the registry as CSV UTF-8 (Excel: File > Save As > CSV UTF-8)"


def _probe(path: Path) -> tuple[str, str]:
    """Read the file once, streaming: (sha256, encoding). InputError when it is not text."""
    name = str(path)
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    is_utf8, cp1251_bad, offset, head = True, -1, 0, b""
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                if not head:
                    head = chunk
                    for magic, what in _MAGIC.items():
                        if head.startswith(magic):
                            raise InputError(f"{name}: this is {what}, not a CSV file; {_SAVE_AS}")
                    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                        raise InputError(f"{name}: the file is UTF-16 text; {_SAVE_AS}")
                if b"\x00" in chunk:
                    raise InputError(f"{name}: binary data (NUL bytes), not a CSV file; {_SAVE_AS}")
                digest.update(chunk)
                if is_utf8:
                    try:
                        utf8.decode(chunk)
                    except UnicodeDecodeError:
                        is_utf8 = False
                if cp1251_bad < 0:
                    try:
                        chunk.decode("cp1251")
                    except UnicodeDecodeError as exc:
                        cp1251_bad = offset + exc.start
                offset += len(chunk)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory; give the registry CSV file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror}); check the file") from None
    if is_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    if is_utf8:
        return digest.hexdigest(), "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    if cp1251_bad < 0:
        return digest.hexdigest(), "cp1251"
    raise InputError(
        f"{name}: the text is neither UTF-8 nor windows-1251 (byte {cp1251_bad}); {_SAVE_AS}"
    )


def _sniff_delimiter(line: str) -> str:
    """``;`` when the header line has more semicolons than commas outside quotes, else ``,``."""
    counts = {",": 0, ";": 0}
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return ";" if counts[";"] > counts[","] else ","


@dataclass(slots=True)
class _Layout:
    """Where each known field and each extra column sits in a row."""

    width: int
    fields: dict[str, int]
    extras: list[tuple[str, int]] = field(default_factory=list)


class _Reader:
    """One pass over a registry file; the header facts are set once the header is read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        self.sha256, self.encoding = _probe(path)
        self.delimiter = ","
        self.columns: tuple[str, ...] = ()
        self.extra_columns: tuple[str, ...] = ()

    def _problem(
        self, line: int, column: str | None, message: str, severity: Severity = Severity.ERROR
    ) -> RegistryProblem:
        return RegistryProblem(self.name, line, column, message, severity)

    def __iter__(self) -> Iterator[Organization | RegistryProblem]:
        codec = "cp1251" if self.encoding == "cp1251" else "utf-8-sig"
        with self.path.open(encoding=codec, newline="") as fh:
            self.delimiter = _sniff_delimiter(self._first_line(fh))
            fh.seek(0)
            yield from self._rows(csv.reader(fh, delimiter=self.delimiter))

    @staticmethod
    def _first_line(fh: IO[str]) -> str:
        for line in fh:
            if line.strip(" \t\r\n,;"):
                return line
        return ""

    def _rows(self, reader: CsvReader) -> Iterator[Organization | RegistryProblem]:
        layout: _Layout | None = None
        seen: dict[str, int] = {}
        end = 0
        try:
            for cells in reader:
                start, end = end + 1, reader.line_num
                if not any(cell.strip() for cell in cells):
                    continue
                if layout is None:
                    layout, problems = self._header(cells, start)
                    yield from problems
                    if layout is None:
                        return
                    continue
                yield from self._row(cells, start, end, layout, seen)
        except csv.Error as exc:
            yield self._problem(
                end + 1,
                None,
                f'cannot be read as CSV ({exc}); a quote (") is probably not closed: close it, '
                'or write a quote inside a cell as ""',
            )
            return
        if layout is None:
            yield self._problem(
                0,
                None,
                "the file is empty; write a header line id,name,url and one row per organization",
            )

    def _header(self, cells: list[str], line: int) -> tuple[_Layout | None, list[RegistryProblem]]:
        names = [cell.strip() for cell in cells]
        keys = [" ".join(name.split()).casefold() for name in names]
        self.columns = tuple(names)
        fields: dict[str, int] = {}
        problems: list[RegistryProblem] = []
        for i, key in enumerate(keys):
            if key not in CANONICAL:
                continue
            if key in fields:
                problems.append(
                    self._problem(
                        line,
                        names[i],
                        f"appears twice (columns {fields[key] + 1} and {i + 1}); "
                        "remove or rename one",
                    )
                )
            else:
                fields[key] = i
        for i, key in enumerate(keys):
            canonical = ALIASES.get(key)
            if canonical is not None and canonical not in fields:
                fields[canonical] = i
        taken = set(fields.values())
        extras: list[tuple[str, int]] = []
        extra_keys: dict[str, int] = {}
        for i, (name, key) in enumerate(zip(names, keys, strict=True)):
            if i in taken or not name or key in CANONICAL:
                continue
            if key in extra_keys:
                problems.append(
                    self._problem(
                        line,
                        name,
                        f"appears twice (columns {extra_keys[key] + 1} and {i + 1}); rename one",
                    )
                )
                continue
            extra_keys[key] = i
            extras.append((name, i))
        found = ", ".join(_q(n) for n in names if n) or "none"
        hint = ""
        if len(names) == 1 and "\t" in names[0]:
            hint = " (the file looks tab-separated; save it with , or ; between cells)"
        for column in REQUIRED:
            if column not in fields:
                problems.append(
                    self._problem(
                        line,
                        column,
                        f"required column is missing; found columns {found}{hint}; "
                        f'add a column named "{column}"',
                    )
                )
        if problems:
            return None, problems
        self.extra_columns = tuple(name for name, _ in extras)
        return _Layout(len(cells), fields, extras), []

    def _row(
        self, cells: list[str], start: int, end: int, layout: _Layout, seen: dict[str, int]
    ) -> Iterator[Organization | RegistryProblem]:
        if len(cells) != layout.width:
            spans = ""
            if end > start:
                spans = f" (it runs on to line {end}: is a quote left open?)"
            yield self._problem(
                start,
                None,
                f"the row has {len(cells)} cells but the header has {layout.width}{spans}; "
                f'put cells that contain "{self.delimiter}" in double quotes, or fix the row',
            )
            return
        values = [" ".join(cell.split()) for cell in cells]  # one line each, trimmed

        def get(column: str) -> str:
            index = layout.fields.get(column)
            return "" if index is None else values[index]

        problems: list[RegistryProblem] = []
        ident, name = get("id"), get("name")
        if not ident:
            problems.append(
                self._problem(start, "id", "is empty; give every organization a unique id")
            )
        elif ident in seen:
            problems.append(
                self._problem(
                    start,
                    "id",
                    f"{_q(ident)} is already used on line {seen[ident]}; give every "
                    "organization a unique id",
                )
            )
        else:
            seen[ident] = start
        if not name:
            problems.append(self._problem(start, "name", "is empty; write the organization's name"))
        url, note = normalize_url(get("url"))
        if note is not None:
            severity = Severity.ERROR if url is None else Severity.WARNING
            problems.append(self._problem(start, "url", note, severity))
        country, known = normalize_country(get("country"))
        if not known:
            problems.append(
                self._problem(
                    start,
                    "country",
                    f"{_q(get('country'))} is not Russia (RU) or Kazakhstan "
                    f"(KZ); kept as {_q(country)}; write RU or KZ if it is one of them",
                    Severity.WARNING,
                )
            )
        yield from problems
        if url is None or any(p.severity is Severity.ERROR for p in problems):
            return
        yield Organization(
            id=ident,
            name=name,
            url=url,
            region=get("region"),
            country=country,
            type=get("type"),
            extra=tuple((column, values[index]) for column, index in layout.extras),
            row=start,
        )


def iter_organizations(path: Path) -> Iterator[Organization | RegistryProblem]:
    """Stream a registry: each valid row as an Organization, each problem as it is found.

    The file is read twice, both times streaming (once for its encoding and hash, once for
    the rows); only the ids seen so far are kept. Raises InputError at once, before the first
    item, when the file cannot be read at all.
    """
    return iter(_Reader(path))


def load_registry(path: Path) -> Registry:
    """Read a whole registry. Raises InputError only when the file cannot be read at all;
    every problem of the header or of a row is in ``Registry.problems``."""
    reader = _Reader(path)
    organizations: list[Organization] = []
    problems: list[RegistryProblem] = []
    for item in reader:
        if isinstance(item, Organization):
            organizations.append(item)
        else:
            problems.append(item)
    return Registry(
        path=path,
        organizations=tuple(organizations),
        problems=tuple(problems),
        columns=reader.columns,
        extra_columns=reader.extra_columns,
        encoding=reader.encoding,
        delimiter=reader.delimiter,
        sha256=reader.sha256,
    )


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4); InputError naming the value otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if match is None or not 1 <= int(match[1]) <= int(match[2]):
        raise InputError(f"shard {text!r} is not K/N with 1 <= K <= N; write it like 2/4")
    return int(match[1]), int(match[2])


def shard_of(org_id: str, n: int) -> int:
    """The 1-based shard (of ``n``) an organization id belongs to; stable across runs."""
    digest = hashlib.sha1(org_id.encode("utf-8"), usedforsecurity=False).digest()
    return int.from_bytes(digest, "big") % n + 1


def shard(orgs: Iterable[Organization], k: int, n: int) -> Iterator[Organization]:
    """The organizations of shard ``k`` of ``n`` (1-based): those with sha1(id) % n == k - 1."""
    if not 1 <= k <= n:
        raise ValueError(f"shard {k} of {n}: K must be between 1 and N")
    return (org for org in orgs if shard_of(org.id, n) == k)
