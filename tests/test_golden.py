"""Golden cases: a folder of pages per case, run through extract -> evaluate -> score.

Each folder under tests/golden/ is one case (adding a case is adding a folder):

- ``pages/``: the site's files. ``pages/index.html`` is the home page, http://golden.test/;
  ``pages/a/b.html`` is http://golden.test/a/b.html and ``pages/a/index.html`` is
  http://golden.test/a/. HTML files become HTML pages; files listed under ``documents``
  become documents (they need not exist: the crawler does not download documents whole).
- ``checklist.yaml`` (optional): a small checklist; without it the bundled ``ru-118n``.
- ``case.yaml``: ``as_of`` (date), optional ``status`` (a SiteStatus value, default ok),
  optional ``documents`` (paths under pages/), ``expected`` (item id -> present | absent |
  unknown; only the listed items are asserted), optional ``newest_news`` (a date or null)
  and optional ``scores`` (any of completeness, freshness, present, absent, unknown).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from siteaudit.checklist import Checklist, load_checklist
from siteaudit.evaluate import evaluate
from siteaudit.extract import extract
from siteaudit.models import Page, PageKind, SiteStatus
from siteaudit.score import score

GOLDEN = Path(__file__).parent / "golden"
BASE = "http://golden.test/"
CASE_KEYS = {"as_of", "status", "documents", "expected", "newest_news", "scores", "about"}
SCORE_KEYS = {"completeness", "freshness", "present", "absent", "unknown"}
CASES = sorted(p for p in GOLDEN.iterdir() if p.is_dir() and (p / "case.yaml").is_file())


def page_url(relative: str) -> str:
    if relative == "index.html":
        return BASE
    if relative.endswith("/index.html"):
        return BASE + relative.removesuffix("index.html")
    return BASE + relative


def load_pages(case: Path, documents: list[str], fetched_at: datetime) -> list[Page]:
    root = case / "pages"
    files = sorted(root.rglob("*.html")) if root.is_dir() else []
    relatives = [f.relative_to(root).as_posix() for f in files]
    # the home page first, as the crawler returns it
    order = sorted(range(len(files)), key=lambda i: (relatives[i] != "index.html", relatives[i]))
    pages = []
    for i in order:
        url = page_url(relatives[i])
        html = files[i].read_text(encoding="utf-8")
        pages.append(
            Page(
                url=url,
                final_url=url,
                status_code=200,
                fetched_at=fetched_at,
                depth=0 if relatives[i] == "index.html" else 1,
                content_type="text/html; charset=utf-8",
                html=html,
                size=len(html.encode()),
            )
        )
    for doc in documents:
        url = page_url(doc)
        pages.append(
            Page(
                url=url,
                final_url=url,
                status_code=200,
                fetched_at=fetched_at,
                depth=2,
                kind=PageKind.DOCUMENT,
                content_type="application/pdf",
            )
        )
    return pages


def load_case_checklist(case: Path) -> Checklist:
    path = case / "checklist.yaml"
    return load_checklist(path if path.is_file() else "ru-118n")


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_golden(case: Path) -> None:
    spec: dict[str, Any] = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    unknown_keys = set(spec) - CASE_KEYS
    assert not unknown_keys, f"{case.name}/case.yaml: unknown keys {sorted(unknown_keys)}"
    as_of: date = spec["as_of"]
    status = SiteStatus(spec.get("status", "ok"))
    checklist = load_case_checklist(case)
    fetched_at = datetime.combine(as_of, time(12, 0), tzinfo=UTC)
    pages = load_pages(case, list(spec.get("documents", [])), fetched_at)
    assert pages or not status.reachable, f"{case.name}: a reachable site needs pages/"

    facts = [extract(p) for p in pages if p.error is None]
    evaluation = evaluate(
        checklist, facts, status=status, home_url=BASE, as_of=as_of, region=checklist.country
    )
    scores = score(evaluation, checklist, as_of=as_of, reachable=status.reachable)

    findings = {f.item_id: f for f in evaluation.findings}
    expected: dict[str, str] = spec["expected"]
    missing = sorted(set(expected) - set(findings))
    assert not missing, f"{case.name}: expected items not in the checklist: {missing}"
    wrong = [
        f"{item_id}: expected {want}, got {findings[item_id].outcome.value} "
        f"({findings[item_id].reason})"
        for item_id, want in expected.items()
        if findings[item_id].outcome.value != want
    ]
    assert not wrong, f"{case.name}:\n  " + "\n  ".join(wrong)
    for finding in findings.values():
        assert finding.reason, f"{case.name}: {finding.item_id} has no reason"
        if finding.outcome.value == "present" and status.reachable:
            assert finding.evidence, f"{case.name}: {finding.item_id} is present without evidence"

    if "newest_news" in spec:
        assert evaluation.newest_news == spec["newest_news"], (
            f"{case.name}: newest news {evaluation.newest_news} ({evaluation.newest_news_url})"
        )
    want_scores: dict[str, Any] = spec.get("scores") or {}
    assert set(want_scores) <= SCORE_KEYS, f"{case.name}: unknown score keys"
    for name, want in want_scores.items():
        assert getattr(scores, name) == want, f"{case.name}: {name} = {getattr(scores, name)}"


def test_golden_cases_exist() -> None:
    assert len(CASES) >= 6, "tests/golden/ should hold the golden cases"
