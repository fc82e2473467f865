"""Low-vision copies of pages (?special_version=Y and the like) are not crawled again."""

from __future__ import annotations

from pathlib import Path

import pytest

from siteaudit.crawl import crawl_site
from siteaudit.evaluate.match import key
from siteaudit.fetch import Fetcher
from siteaudit.models import Organization, SiteStatus
from siteaudit.settings import load_settings

pytestmark = pytest.mark.integration


def test_a_low_vision_copy_is_the_same_page() -> None:
    assert key("http://a.ru/contacts/?special_version=Y") == key("http://a.ru/contacts/")
    assert key("http://a.ru/x/?id=3&special=Y") == key("http://a.ru/x/?id=3")
    assert key("http://a.ru/x/?id=3") != key("http://a.ru/x/?id=4")


async def test_crawler_skips_low_vision_copies(
    examples_dir: Path,
    serve,  # type: ignore[no-untyped-def]
) -> None:
    served = serve({"gkb1": examples_dir / "sites" / "ru-gkb1"})
    settings = load_settings(None, allow_networks=("127.0.0.0/8",), per_host_delay=0.0)
    org = Organization(id="gkb1", name="gkb1", url=served["gkb1"].url, country="RU")
    async with Fetcher(settings) as fetcher:
        result = await crawl_site(org, fetcher, settings)
    assert result.status is SiteStatus.OK
    urls = [p.final_url for p in result.pages]
    assert len(urls) > 5
    assert not [u for u in urls if "special_version" in u]
    html = (examples_dir / "sites" / "ru-gkb1" / "index.html").read_text("utf-8")
    assert "special_version=Y" in html  # the site does link its low-vision copies
