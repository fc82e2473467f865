"""extract: read fetched pages into PageFacts (pure: no I/O).

One parse per page gives the title, headings, visible text, links with every label a person
or a screen reader would see, e-mail addresses, phone numbers and dates.
"""

from __future__ import annotations

from .contacts import find_emails, find_phones
from .dates import find_dates
from .html import css_matches, extract, forget_pages
from .text import fold

__all__ = [
    "css_matches",
    "extract",
    "find_dates",
    "find_emails",
    "find_phones",
    "fold",
    "forget_pages",
]
