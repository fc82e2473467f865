"""Every labelled site under tests/sites/ scanned over real HTTP; each label is one test.

The labels (tests/sites/<slug>/LABELS.yaml) are what a careful auditor says from reading the
HTML. Where siteaudit disagrees today, the case is listed in KNOWN_MISSES and runs as a strict
xfail: fixing detection makes it pass, which fails the suite until the entry is removed here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from siteaudit.fetch import Fetcher
from siteaudit.models import Organization, Outcome, SiteResult
from siteaudit.scan import ChecklistResolver, check_site
from siteaudit.serve import serve_sites
from siteaudit.settings import load_settings

pytestmark = pytest.mark.integration

SITES = Path(__file__).resolve().parents[1] / "sites"
AS_OF = date(2026, 11, 23)

# Core item ids per country (shared/domain/CATALOGUE.md; "yes" and "optional" both count).
COMMON_CORE = frozenset(
    {
        "contacts.page",
        "contacts.phone",
        "contacts.address",
        "contacts.email",
        "structure.departments",
        "feedback.channel",
        "feedback.email",
        "blog.director",
        "a11y.low_vision",
        "news.section",
        "news.fresh",
        "social.links",
        "org.license",
        "org.details",
        "org.schedule",
        "staff.doctors",
        "services.prices",
        "patients.rights",
        "guarantees.program",
        "oversight.contacts",
        "quality.survey",
        "lang.russian",
    }
)
CORE_IDS = {"RU": COMMON_CORE, "KZ": COMMON_CORE | {"lang.kazakh", "callcenter.1414"}}

# (site, item) -> why siteaudit gets it wrong today; "news" as the item is the newest news date.
KNOWN_MISSES: dict[tuple[str, str], str] = {}


@dataclass(frozen=True, slots=True)
class Labelled:
    slug: str
    folder: Path
    data: dict[str, Any]

    @property
    def country(self) -> str:
        return str(self.data["country"]).upper()

    @property
    def items(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.data["items"].items()}


def _load() -> list[Labelled]:
    sites = []
    for labels in sorted(SITES.glob("*/LABELS.yaml")):
        data = yaml.safe_load(labels.read_text(encoding="utf-8"))
        sites.append(Labelled(labels.parent.name, labels.parent, data))
    return sites


LABELLED = _load()


def _case(slug: str, item: str, *values: object) -> Any:
    reason = KNOWN_MISSES.get((slug, item))
    marks = [pytest.mark.xfail(strict=True, reason=f"detection: {reason}")] if reason else []
    return pytest.param(slug, item, *values, id=f"{slug}:{item}", marks=marks)


ITEM_CASES = [_case(s.slug, item, value) for s in LABELLED for item, value in s.items.items()]
NEWS_CASES = [_case(s.slug, "news", s.data.get("newest_news")) for s in LABELLED]


async def _scan_all(urls: dict[str, str]) -> dict[str, SiteResult]:
    settings = load_settings(None, allow_networks=("127.0.0.0/8",), per_host_delay=0.0)
    resolver = ChecklistResolver("auto")
    by_slug = {s.slug: s for s in LABELLED}
    results: dict[str, SiteResult] = {}
    async with Fetcher(settings) as fetcher:

        async def one(slug: str) -> None:
            site = by_slug[slug]
            org = Organization(
                id=slug, name=str(site.data["org"]), url=urls[slug], country=site.country
            )
            checked = await check_site(org, resolver.for_org(org), fetcher, settings, as_of=AS_OF)
            result = checked.result
            results[slug] = result

        await asyncio.gather(*(one(slug) for slug in urls))
    return results


@pytest.fixture(scope="module")
def scanned() -> Iterator[dict[str, SiteResult]]:
    """Every labelled site served on its own 127.0.0.x address and scanned once."""
    with serve_sites({s.slug: s.folder for s in LABELLED}, first=120) as served:
        urls = {
            s.slug: served[s.slug].url.rstrip("/") + str(s.data.get("start") or "/")
            for s in LABELLED
        }
        yield asyncio.run(_scan_all(urls))


def test_there_are_enough_labelled_sites() -> None:
    assert len(LABELLED) >= 14
    countries = {s.country for s in LABELLED}
    assert countries == {"RU", "KZ"}
    for site in LABELLED:
        pages = list(site.folder.rglob("*.html"))
        assert 6 <= len(pages) <= 20, site.slug


@pytest.mark.parametrize("site", LABELLED, ids=lambda s: s.slug)
def test_labels_cover_every_core_item(site: Labelled) -> None:
    missing = CORE_IDS[site.country] - set(site.items)
    assert not missing, f"{site.slug}: LABELS.yaml lacks {sorted(missing)}"
    assert set(site.items.values()) <= {"present", "absent"}, site.slug
    assert site.data.get("newest_news") is None or isinstance(site.data["newest_news"], date)


def test_every_core_item_is_present_and_absent_on_several_sites() -> None:
    for item in sorted(CORE_IDS["KZ"]):
        values = [s.items.get(item) for s in LABELLED]
        assert values.count("present") >= 2, item
        assert values.count("absent") >= 2, item


@pytest.mark.parametrize(("slug", "item", "expected"), ITEM_CASES)
def test_label(scanned: dict[str, SiteResult], slug: str, item: str, expected: str) -> None:
    result = scanned[slug]
    findings = {f.item_id: f for f in result.findings}
    assert item in findings, f"{slug}: the checklist has no item {item}"
    finding = findings[item]
    got = str(Outcome(finding.outcome))
    assert got == expected, f"{slug} {item}: expected {expected}, got {got}: {finding.reason}"


@pytest.mark.parametrize(("slug", "item", "expected"), NEWS_CASES)
def test_newest_news_date(
    scanned: dict[str, SiteResult], slug: str, item: str, expected: date | None
) -> None:
    assert scanned[slug].scores.newest_news == expected, f"{slug}: {item}"
