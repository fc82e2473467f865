"""What a response is (HTML, document, other) and how to decode it."""

from __future__ import annotations

import codecs
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import charset_normalizer

from ..models import PageKind

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_DOCUMENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/msword",
        "application/rtf",
        "text/rtf",
        "application/zip",
        "application/x-zip-compressed",
        "application/x-rar-compressed",
        "application/vnd.rar",
        "application/x-7z-compressed",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
    }
)
_DOCUMENT_TYPE_PREFIXES = ("image/", "application/vnd.openxmlformats", "application/vnd.oasis")
DOCUMENT_EXTENSIONS = (
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".rtf", ".odt", ".ods", ".odp",
    ".zip", ".rar", ".7z", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff",
    ".svg",
)  # fmt: skip
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_RETRY_AFTER_CAP = 30.0
SNIFF_BYTES = 512
_META_SCAN_BYTES = 4096
_BINARY_BYTES = frozenset([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_BINARY_BYTE = re.compile(
    b"[" + b"".join(re.escape(bytes([b])) for b in sorted(_BINARY_BYTES)) + b"]"
)
_DETECT_BYTES = 256 * 1024
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_ALIASES = {
    # WHATWG reads these labels as windows-1252; Python's latin-1 differs in 0x80-0x9F.
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "win-1251": "cp1251",
    "x-cp1251": "cp1251",
    "windows1251": "cp1251",
}


def is_document_url(url: str) -> bool:
    """True when the URL's path ends in a document extension (.pdf, .docx, .jpg, ...)."""
    path = url.split("#", 1)[0].split("?", 1)[0].lower()
    return path.endswith(DOCUMENT_EXTENSIONS)


def mime(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def page_kind(mime: str, url: str) -> PageKind | None:
    """The page kind from its MIME type; None when it must be sniffed from the body."""
    if mime in _HTML_TYPES:
        return PageKind.HTML
    if mime in _DOCUMENT_TYPES or mime.startswith(_DOCUMENT_TYPE_PREFIXES):
        return PageKind.DOCUMENT
    if mime in ("", "application/octet-stream", "binary/octet-stream"):
        return PageKind.DOCUMENT if is_document_url(url) else None
    return PageKind.OTHER


def looks_like_html(head: bytes) -> bool:
    sample = head[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return sample.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--")) or (
        b"<html" in sample or b"<body" in sample
    )


def codec(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None when unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def looks_binary(head: bytes) -> bool:
    """True when the first bytes hold control bytes no text has (WHATWG "binary data bytes")."""
    if head.startswith(tuple(bom for bom, _ in _BOMS)):
        return False
    return _BINARY_BYTE.search(head, 0, SNIFF_BYTES) is not None


def decode_html(body: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """Decode an HTML body: BOM, HTTP charset, <meta> charset in the first 4 KB, detection.

    A body declared UTF-8 that is mostly not (cp1251 behind a wrong header) is detected
    instead; NUL characters become U+FFFD, as HTML parsers do.
    """
    text, encoding = _decode(body, header_charset)
    if "\0" in text:
        text = text.replace("\0", "\ufffd")
    return text, encoding


def _mostly_not_utf8(body: bytes) -> bool:
    """True when over a quarter of the non-ASCII bytes do not form valid UTF-8."""
    sample = body[:_DETECT_BYTES]
    non_ascii = len(sample) - len(sample.decode("ascii", errors="ignore"))
    invalid = sample.decode("utf-8", errors="replace").count("\ufffd")
    return invalid * 4 > non_ascii


def _decode(body: bytes, header_charset: str | None) -> tuple[str, str]:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, errors="replace"), name
    encoding = codec(header_charset)
    if encoding is None:
        match = _META_CHARSET.search(body[:_META_SCAN_BYTES])
        encoding = codec(match.group(1).decode("ascii")) if match else None
        if encoding is not None and encoding.startswith("utf-16"):
            encoding = "utf-8"  # a <meta> read as ASCII cannot really be UTF-16
    if encoding == "utf-8":
        try:
            return body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            if _mostly_not_utf8(body):
                encoding = None  # a false declaration: detect instead
    if encoding is not None:
        return body.decode(encoding, errors="replace"), encoding
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(body[:_DETECT_BYTES]).best()
    encoding = codec(best.encoding) if best is not None else None
    encoding = encoding or "utf-8"
    return body.decode(encoding, errors="replace"), encoding


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds or HTTP date), capped at 30 s."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), _RETRY_AFTER_CAP)
