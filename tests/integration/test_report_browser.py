"""The demo report in a real Chromium, as a person uses it: sort, filter, follow every link,
and axe-core finds no serious or critical accessibility violation."""

from __future__ import annotations

import importlib.resources
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    for candidate in (
        os.environ.get("SITEAUDIT_BROWSER_PATH"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        shutil.which("google-chrome"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _axe_source() -> str:
    try:
        axe = importlib.resources.files("axe_playwright_python").joinpath("axe.min.js")
    except ModuleNotFoundError:
        pytest.skip("axe-playwright-python (which ships axe.min.js) is not installed")
    return axe.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from siteaudit.demo import run_demo

    out = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SITEAUDIT_RENDER", "never")  # the report is under test, not the crawler
        index = run_demo(out, lang="ru", quiet=True)
    assert index.is_file()
    return out


@pytest.fixture(scope="module")
def page(report: Path) -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium found (install Debian's chromium or set SITEAUDIT_BROWSER_PATH)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900})
        finally:
            browser.close()


def _column(page: Any, index: int) -> list[str]:
    values: list[str] = page.eval_on_selector_all(
        "#orgs tbody tr:not([hidden])",
        f"rows => rows.map(r => r.cells[{index}].getAttribute('data-sort'))",
    )
    return values


def test_sorting_by_a_column_header(page: Any, report: Path) -> None:
    page.goto((report / "index.html").as_uri())
    headers = page.locator("#orgs thead th")
    completeness = headers.nth(4)
    completeness.locator("button").click()
    assert completeness.get_attribute("aria-sort") == "ascending"
    values = [float(v) for v in _column(page, 4) if v]
    assert values == sorted(values) and len(values) >= 3
    completeness.locator("button").click()
    assert completeness.get_attribute("aria-sort") == "descending"
    assert [float(v) for v in _column(page, 4) if v] == sorted(values, reverse=True)
    headers.nth(0).locator("button").click()
    names = _column(page, 0)
    collator = page.evaluate("(xs) => xs.slice().sort((a, b) => a.localeCompare(b, 'ru'))", names)
    assert names == collator
    assert completeness.get_attribute("aria-sort") is None


def test_filters_narrow_the_table(page: Any, report: Path) -> None:
    page.goto((report / "index.html").as_uri())
    assert page.locator("#filters").is_visible()
    total = page.locator("#orgs tbody tr").count()
    regions = page.eval_on_selector_all("#f-region option", "os => os.map(o => o.value)")[1:]
    page.select_option("#f-region", regions[0])
    shown = page.locator("#orgs tbody tr:not([hidden])")
    assert 1 <= shown.count() < total
    assert all(
        shown.nth(i).get_attribute("data-region") == regions[0] for i in range(shown.count())
    )
    assert page.locator("#f-count").inner_text().endswith(f"{shown.count()} из {total}")
    page.select_option("#f-region", "")
    page.fill("#f-below", "50")
    below = [float(v) for v in _column(page, 4)]
    assert below and all(v < 50 for v in below)
    page.fill("#f-below", "")
    first = page.locator("#orgs tbody tr th a").first.inner_text()
    page.fill("#f-text", first[-12:].lower())
    assert page.locator("#orgs tbody tr:not([hidden])").count() >= 1
    assert first in page.locator("#orgs tbody tr:not([hidden])").first.inner_text()
    page.fill("#f-text", "нет такой организации")
    assert page.locator("#orgs tbody tr:not([hidden])").count() == 0


def test_every_link_resolves(page: Any, report: Path) -> None:
    pages = sorted(report.rglob("*.html"))
    assert len(list((report / "items").iterdir())) > 10
    checked = 0
    for html in pages:
        page.goto(html.as_uri())
        hrefs: list[str] = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
        for href in hrefs:
            parts = urlsplit(href)
            if parts.scheme != "file":
                continue
            target = Path(unquote(parts.path))
            assert target.is_file(), f"{html.name}: broken link {href}"
            if parts.fragment:
                found = page.evaluate(
                    "([url, id]) => url === location.href.split('#')[0]"
                    " ? !!document.getElementById(id) : null",
                    [href.split("#")[0], unquote(parts.fragment)],
                )
                if found is None:
                    text = target.read_text("utf-8")
                    found = f'id="{unquote(parts.fragment)}"' in text
                assert found, f"{html.name}: no anchor for {href}"
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("width", [1280, 390])
def test_pages_fit_the_viewport(page: Any, report: Path, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    org = sorted((report / "orgs").iterdir())[0]
    item = sorted((report / "items").iterdir())[0]
    for html in (report / "index.html", org, item):
        page.goto(html.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= width, html.name
    page.set_viewport_size({"width": 1280, "height": 900})


def test_axe_finds_no_serious_violations(page: Any, report: Path) -> None:
    source = _axe_source()
    org = sorted((report / "orgs").iterdir())[0]
    item = sorted((report / "items").iterdir())[0]
    for html in (report / "index.html", org, item):
        page.goto(html.as_uri())
        page.add_script_tag(content=source)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])}: {v['nodes'][0]['target']})"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], f"{html.name}: {serious}"
