"""The browser's pure parts: which pages look script-built, finding a browser, what the
low-vision comparison and axe-core results turn into, and 'unknown, never absent' without one."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from siteaudit.models import Evaluation, Finding, Outcome, PageFacts, PageKind
from siteaudit.render import BrowserAudit, apply_browser, axe_version, find_browser, render_reason
from siteaudit.render.axe import AXE_LICENSE, parse_results
from siteaudit.render.browser import ENV_BROWSER
from siteaudit.render.lowvision import FULL, NONE, PARTIAL, LowVisionResult, StyleSnapshot, compare

REPO = Path(__file__).resolve().parents[2]
BROWSER_SITES = REPO / "tests" / "data" / "browser_sites"


def _html(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "replace")


# --- needs_render ----------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["js-only/index.html", "js-only/contacts/index.html"])
def test_script_built_pages_need_rendering(page: str) -> None:
    assert render_reason(_html(BROWSER_SITES / page)) is not None


@pytest.mark.parametrize(
    ("html", "why"),
    [
        ('<body><div id="root"></div><script src="/main.js"></script></body>', "little visible"),
        (
            '<body><div id="app"><p>Загрузка…</p></div><p>' + "Текст " * 80 + "</p>"
            "<script>1</script></body>",
            "application root",
        ),
        (
            "<body><p>"
            + "Больница " * 40
            + "</p><script>var m=['/a/','/b/','/c/'];</script></body>",
            "links only in scripts",
        ),
    ],
)
def test_each_sign_of_a_script_built_page(html: str, why: str) -> None:
    reason = render_reason(html)
    assert reason is not None and why in reason


def test_server_rendered_example_sites_need_no_rendering() -> None:
    pages = sorted((REPO / "examples" / "sites").rglob("*.html"))
    assert pages
    flagged = [p for p in pages if render_reason(_html(p)) is not None]
    assert flagged == []


def test_a_short_page_without_scripts_is_not_rendered() -> None:
    assert render_reason("<html><body><p>Страница в разработке</p></body></html>") is None


# --- finding a browser -----------------------------------------------------------------------


def test_an_explicit_browser_path_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        find_browser(str(tmp_path / "no-chrome"))


def test_the_environment_browser_comes_before_the_installed_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "my-chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv(ENV_BROWSER, str(fake))
    assert find_browser() == str(fake)
    assert find_browser(str(fake)) == str(fake)


# --- the low-vision comparison ---------------------------------------------------------------


def _snap(font: float = 16, colors: str = "black on white", images: int = 2) -> StyleSnapshot:
    return StyleSnapshot(font, (colors,), images, (0.0, 0.0, 1.2), "white")


@pytest.mark.parametrize(
    ("after", "verdict", "changes"),
    [
        (_snap(24, "black on yellow", 0), FULL, ("font size", "colours", "images hidden")),
        (_snap(22), PARTIAL, ("font size",)),
        (_snap(16, "white on black"), PARTIAL, ("colours",)),
        (_snap(16.5), NONE, ()),
    ],
)
def test_compare_styles(after: StyleSnapshot, verdict: str, changes: tuple[str, ...]) -> None:
    assert compare(_snap(), after) == (verdict, changes)


# --- findings ----------------------------------------------------------------------------------

NOW = datetime(2026, 11, 23, tzinfo=UTC)
HOME = "http://gb.example/"


def _facts(html: str) -> tuple[PageFacts, ...]:
    return (PageFacts(url=HOME, fetched_at=NOW, status_code=200, kind=PageKind.HTML, html=html),)


def _evaluation() -> Evaluation:
    return Evaluation(
        findings=(
            Finding("a11y.axe", Outcome.PRESENT, "home page read"),
            Finding("a11y.img_alt", Outcome.PRESENT, "home page read"),
            Finding("a11y.low_vision", Outcome.ABSENT, "no toggle link found"),
            Finding("contacts.phone", Outcome.PRESENT, "found"),
        )
    )


def test_without_a_browser_axe_is_unknown_never_absent() -> None:
    html = '<html lang="ru"><body><img src="a.png"><img src="b.png" alt="Логотип"></body></html>'
    out = {f.item_id: f for f in apply_browser(_evaluation(), _facts(html), None).findings}
    assert out["a11y.axe"].outcome is Outcome.UNKNOWN
    assert "needs a browser" in out["a11y.axe"].reason
    assert out["a11y.img_alt"].outcome is Outcome.ABSENT
    assert out["a11y.img_alt"].evidence[0].snippet == '<img src="a.png">'
    assert out["a11y.low_vision"].outcome is Outcome.ABSENT  # the HTTP verdict stands
    assert out["contacts.phone"].reason == "found"


def test_an_unreachable_site_keeps_its_unknowns() -> None:
    evaluation = Evaluation(findings=(Finding("a11y.axe", Outcome.UNKNOWN, "site unreachable"),))
    assert apply_browser(evaluation, (), None).findings[0].reason == "site unreachable"


AXE_JSON = {
    "testEngine": {"version": "4.12.1"},
    "violations": [
        {
            "id": "color-contrast",
            "impact": "serious",
            "help": "Elements must meet minimum color contrast ratio thresholds",
            "nodes": [{"target": [".menu a"], "html": '<a href="/">Главная</a>'}] * 7,
        },
        {
            "id": "image-alt",
            "impact": "critical",
            "help": "Images must have alternate text",
            "nodes": [{"target": ["#logo"], "html": '<img id="logo" src="l.png">'}],
        },
    ],
    "passes": [{"id": "html-has-lang"}],
}


def test_axe_results_become_a_scored_finding_with_evidence() -> None:
    result = parse_results(HOME, AXE_JSON)
    assert [v.rule for v in result.violations] == ["image-alt", "color-contrast"]
    assert result.violations[1].count == 7 and len(result.violations[1].nodes) == 5
    assert result.score == 85
    audit = BrowserAudit(axe=(result,), screenshots=((HOME, "screenshots/gb/00-home.png"),))
    html = '<html lang="ru"><body><img src="l.png" alt="Лого"></body></html>'
    out = {f.item_id: f for f in apply_browser(_evaluation(), _facts(html), audit).findings}
    axe = out["a11y.axe"]
    assert axe.outcome is Outcome.PRESENT
    assert "score 85/100" in axe.reason and "critical 1, serious 1" in axe.reason
    assert AXE_LICENSE in axe.reason
    assert axe.evidence[0].snippet.startswith("image-alt [critical] #logo: <img")
    assert axe.evidence[-1].url == "screenshots/gb/00-home.png"
    assert out["a11y.img_alt"].outcome is Outcome.ABSENT  # axe's image-alt counts too


def test_a_partial_low_vision_version_is_present_with_the_reason() -> None:
    lv = LowVisionResult(PARTIAL, "bvi", '<a class="bvi-open">', ("font size",), url=HOME)
    out = apply_browser(_evaluation(), _facts("<html></html>"), BrowserAudit(low_vision=lv))
    finding = next(f for f in out.findings if f.item_id == "a11y.low_vision")
    assert finding.outcome is Outcome.PRESENT
    assert finding.reason.startswith("partial: only font size changed")


def test_the_bundled_axe_core_is_found_offline() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", axe_version())
