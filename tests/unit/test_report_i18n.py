"""Report languages: the Babel catalogues cover every string, in Russian and Kazakh, and
dates and numbers follow the locale."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, date, datetime
from fnmatch import fnmatch
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from siteaudit.models import STATUS_HINTS
from siteaudit.report import i18n

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "siteaudit"
TRANSLATED = ("ru", "kk")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%")


def _template_ids() -> set[str | tuple[str, str]]:
    ids: set[str | tuple[str, str]] = set()
    for template in sorted((PACKAGE / "templates").glob("*.html")):
        with template.open("rb") as handle:
            for _line, _func, message, _comments in babel_extract(
                handle, ("_", "gettext", "ngettext"), [], {"extensions": "jinja2.ext.i18n"}
            ):
                if isinstance(message, str):
                    ids.add(message)
                else:
                    parts = [m for m in message if m]
                    ids.add(parts[0] if len(parts) == 1 else (parts[0], parts[1]))
    return ids


def _code_ids() -> set[str | tuple[str, str]]:
    views = (PACKAGE / "report" / "views.py").read_text(encoding="utf-8")
    ids: set[str | tuple[str, str]] = set(re.findall(r'_\(lang, "([^"]+)"\)', views))
    ids |= set(i18n.STATUS_LABELS.values()) | set(i18n.OUTCOME_LABELS.values())
    ids |= set(i18n.ORG_TYPE_LABELS.values())
    ids |= set(re.findall(r'count\(\s*"([^"]+)",\s*"([^"]+)"', views))  # ngettext pairs
    ids |= {hint for hint in STATUS_HINTS.values() if hint}
    return ids


def _catalog(lang: str) -> dict[str | tuple[str, str], str | tuple[str, ...]]:
    with i18n.po_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    assert not any(m.fuzzy for m in catalog if m.id), f"{lang}: fuzzy entries"
    return {m.id: m.string for m in catalog if m.id}  # type: ignore[misc]


def test_templates_mark_strings_and_code_strings_are_found() -> None:
    ids = _template_ids()
    assert "Organizations scanned" in ids
    assert ("missing at %(num)d organization", "missing at %(num)d organizations") in ids
    assert len(ids) > 60


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_string_is_translated_with_its_placeholders(lang: str) -> None:
    catalog = _catalog(lang)
    wanted = _template_ids() | _code_ids()
    assert wanted - set(catalog) == set(), "strings missing from the catalogue"
    assert set(catalog) - wanted == set(), "catalogue entries no template uses"
    for msgid, text in catalog.items():
        forms = text if isinstance(text, tuple) else (text,)
        source = msgid[0] if isinstance(msgid, tuple) else msgid
        assert all(forms), f"{lang}: {msgid!r} is not translated"
        for form in forms:
            assert sorted(set(PLACEHOLDER.findall(form))) == sorted(
                set(PLACEHOLDER.findall(source))
            ), f"{lang}: placeholders differ in {msgid!r}"


def test_plural_forms_follow_the_language() -> None:
    ru = i18n.translations("ru")
    one, few, many = (ru.ngettext("%(num)d declined", "%(num)d declined", n) for n in (1, 3, 5))
    assert (one, few, many) == ("%(num)d ухудшила", "%(num)d ухудшили", "%(num)d ухудшили")
    phrase = "missing at %(num)d organization"
    plural = "missing at %(num)d organizations"
    assert ru.ngettext(phrase, plural, 21) == "нет у %(num)d организации"
    assert ru.ngettext(phrase, plural, 11) == "нет у %(num)d организаций"
    assert i18n.translations("kk").ngettext(phrase, plural, 2) == "%(num)d ұйымда жоқ"
    assert i18n.translations("en").ngettext(phrase, plural, 2) == plural


def test_catalogues_ship_with_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["siteaudit"]
    assert "babel" in " ".join(project["project"]["dependencies"])
    for lang in TRANSLATED:
        relative = i18n.po_path(lang).relative_to(PACKAGE).as_posix()
        assert any(fnmatch(relative, pattern) for pattern in patterns), relative


def test_dates_and_numbers_follow_the_locale() -> None:
    day = date(2026, 3, 1)
    assert [i18n.format_date(day, lang) for lang in ("ru", "kk", "en")] == [
        "01.03.2026",
        "01.03.2026",
        "1 Mar 2026",
    ]
    stamp = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)
    assert i18n.format_datetime(stamp, "ru") == "23.11.2026 09:05 UTC"
    assert i18n.format_number(12345.678, "ru") == "12\xa0345,7"
    assert i18n.format_number(12345.678, "en") == "12,345.7"
    assert i18n.format_number(None, "kk") == ""
    assert i18n.format_signed(-2.04, "ru") == "\u22122,0"
    assert i18n.format_signed(1.5, "en") == "+1.5"
    assert i18n.format_signed(0.01, "en") == "0.0"
