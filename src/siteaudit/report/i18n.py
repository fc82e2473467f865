"""Report languages: gettext message catalogues (Babel .po files) and locale formats.

The templates mark every string with ``_()`` / ``ngettext()`` (Jinja2's i18n extension);
the English text is the message id. ``locale/<lang>/LC_MESSAGES/messages.po`` holds the
Russian and Kazakh translations; they are compiled in memory on first use with Babel, so a
fresh ``pip install -e .`` needs no build step and no .mo file is committed. Dates and
numbers are formatted for the locale with Babel.

To update the catalogues after editing templates::

    pybabel extract -F src/siteaudit/report/babel.cfg -o /tmp/messages.pot src/siteaudit
    pybabel update -i /tmp/messages.pot -d src/siteaudit/report/locale
"""

from __future__ import annotations

import gettext
import io
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from ..errors import InputError
from ..models import STATUS_HINTS, Outcome, SiteStatus

LANGUAGES = ("ru", "kk", "en")
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"

#: Date patterns per language: Russian and Kazakh officials write 01.03.2026.
_DATE_FORMAT = {"ru": "dd.MM.y", "kk": "dd.MM.y", "en": "d MMM y"}
_TIME_FORMAT = "HH:mm"

STATUS_LABELS: dict[SiteStatus, str] = {
    SiteStatus.OK: "Reachable",
    SiteStatus.DNS_ERROR: "Domain not found (DNS)",
    SiteStatus.CONNECT_ERROR: "Connection failed",
    SiteStatus.TIMEOUT: "Timed out",
    SiteStatus.TLS_ERROR: "HTTPS certificate error",
    SiteStatus.HTTP_ERROR: "HTTP error",
    SiteStatus.BLOCKED: "Access blocked",
    SiteStatus.ROBOTS_DISALLOWED: "Disallowed by robots.txt",
    SiteStatus.TOO_MANY_REDIRECTS: "Too many redirects",
    SiteStatus.TOO_LARGE: "Page too large",
    SiteStatus.NOT_HTML: "Not an HTML page",
    SiteStatus.INTERNAL_ERROR: "siteaudit internal error",
}
#: Registry ``type`` values the reports name in the reader's language (case and spaces
#: ignored); any other value is shown as the registry writes it.
ORG_TYPE_LABELS: dict[str, str] = {
    "hospital": "Hospital",
    "children's hospital": "Children's hospital",
    "children_hospital": "Children's hospital",
    "polyclinic": "Polyclinic",
    "children's polyclinic": "Children's polyclinic",
    "children_polyclinic": "Children's polyclinic",
    "outpatient": "Outpatient clinic",
    "dental": "Dental clinic",
    "maternity": "Maternity hospital",
    "dispensary": "Dispensary",
    "ambulance": "Ambulance station",
    "sanatorium": "Sanatorium",
    "fap": "Feldsher-midwife station",
    "medical centre": "Medical centre",
    "medical center": "Medical centre",
}
OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.PRESENT: "Present",
    Outcome.ABSENT: "Absent",
    Outcome.UNKNOWN: "Unknown",
}


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise InputError(
            f"report language {lang!r} is not supported; use one of: {', '.join(LANGUAGES)}"
        )
    return lang


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (English: the message ids themselves)."""
    check_lang(lang)
    path = po_path(lang)
    if lang == "en" or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def status_label(status: SiteStatus, lang: str) -> str:
    return gettext_for(lang, STATUS_LABELS[status])


def status_hint(status: SiteStatus, lang: str) -> str:
    hint = STATUS_HINTS[status]
    return gettext_for(lang, hint) if hint else ""


def outcome_label(outcome: Outcome, lang: str) -> str:
    return gettext_for(lang, OUTCOME_LABELS[outcome])


def org_type_label(value: str, lang: str) -> str:
    """A registry ``type`` in the reader's language when it is one of ORG_TYPE_LABELS."""
    known = ORG_TYPE_LABELS.get(" ".join(value.lower().split()))
    return gettext_for(lang, known) if known else value


def locale(lang: str) -> Locale:
    return Locale.parse(check_lang(lang))


def format_date(value: date | None, lang: str) -> str:
    """The date as people of ``lang`` write it (01.03.2026; 1 Mar 2026); "" for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return babel_date(value, _DATE_FORMAT[lang], locale=lang)


def format_datetime(value: datetime | None, lang: str) -> str:
    """Date and time (24-hour clock) in the value's own time zone, with its name."""
    if value is None:
        return ""
    stamp = babel_datetime(value, _TIME_FORMAT, tzinfo=value.tzinfo, locale=lang)
    zone = value.strftime("%Z")
    return f"{format_date(value, lang)} {stamp}" + (f" {zone}" if zone else "")


def format_number(value: float | None, lang: str, digits: int = 1) -> str:
    """A number with ``digits`` decimals and the locale's marks; "" for None."""
    if value is None:
        return ""
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, pattern, locale=lang)


def format_signed(value: float | None, lang: str) -> str:
    """+1,5 / −2,0 / 0,0 (a real minus sign)."""
    if value is None:
        return ""
    text = format_number(abs(value), lang)
    if round(value, 1) > 0:
        return "+" + text
    if round(value, 1) < 0:
        return "\u2212" + text
    return text
