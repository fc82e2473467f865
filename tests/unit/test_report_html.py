"""The HTML report people read: the index opens with the answer, roll-ups per region and
type, the score chart, item pages, and the changes since the previous run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser

from siteaudit.checklist import Checklist
from siteaudit.history import History, diff_results, region_trends
from siteaudit.models import (
    Finding,
    Organization,
    Outcome,
    RunInfo,
    RunState,
    Scores,
    SiteResult,
    SiteStatus,
)
from siteaudit.report import ReportFormat, write_reports
from siteaudit.report.html_report import item_filename

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
P, A, U = Outcome.PRESENT, Outcome.ABSENT, Outcome.UNKNOWN
ITEMS = ("contacts.phone", "contacts.email", "news.section")


def _lt(text: str) -> dict[str, str]:
    return {"ru": f"{text} ru", "kk": f"{text} kk", "en": f"{text} en"}


CHECKLIST = Checklist.model_validate(
    {
        "id": "ru-118n",
        "title": _lt("Checklist"),
        "country": "RU",
        "sections": {"contacts": _lt("Contacts"), "news": _lt("News")},
        "items": [
            {
                "id": item,
                "title": _lt(item),
                "section": item.split(".")[0],
                "citation": {"document": "Order 118n", "url": "https://pravo.example/118n"},
                "rule": {"kind": "page", "synonyms": ["x"]},
            }
            for item in ITEMS
        ],
    }
)
CHECKLISTS = {"ru-118n": CHECKLIST}


def _result(
    org_id: str,
    region: str,
    outcomes: tuple[Outcome, ...],
    *,
    kind: str = "hospital",
    status: SiteStatus = SiteStatus.OK,
) -> SiteResult:
    findings = tuple(
        Finding(item, outcome, f"why {item}", (), 1.0, item.split(".")[0])
        for item, outcome in zip(ITEMS, outcomes, strict=True)
    )
    determined = [o for o in outcomes if o is not U]
    completeness = 100 * determined.count(P) / len(determined) if determined else None
    return SiteResult(
        Organization(org_id, f"Org {org_id}", f"https://{org_id}.example/", region, "RU", kind),
        "ru-118n",
        status,
        "",
        findings,
        Scores(completeness, 80.0, date(2026, 11, 1)),
        5,
        0,
        NOW,
        NOW,
        date(2026, 11, 23),
    )


def _run(run_id: int, day: date) -> RunInfo:
    return RunInfo(run_id, NOW, NOW, "registry.csv", "h", "auto", day, 5, 5, RunState.FINISHED)


BEFORE = [
    _result("a", "North", (P, P, P)),
    _result("b", "North", (P, A, P)),
    _result("c", "South", (A, A, P), kind="polyclinic"),
    _result("d", "South", (A, A, A), kind="polyclinic"),
]
NOW_RESULTS = [
    _result("a", "North", (A, P, P)),  # phone lost
    _result("b", "North", (P, P, P)),  # email gained
    _result("c", "South", (A, A, P), kind="polyclinic"),
    _result("d", "South", (U, U, U), kind="polyclinic", status=SiteStatus.TIMEOUT),
    _result("e", "East", (P, A, U)),
]
RUN = _run(2, date(2026, 11, 23))
PREVIOUS = _run(1, date(2026, 11, 16))


def _history() -> History:
    from siteaudit.history import RunDiff

    changes, removed = diff_results(NOW_RESULTS, BEFORE)
    trends = region_trends([(PREVIOUS, BEFORE), (RUN, NOW_RESULTS)])
    return History(RunDiff(RUN, PREVIOUS, changes, removed), trends)


def _results() -> Iterator[SiteResult]:
    return iter(NOW_RESULTS)


@pytest.fixture
def report(tmp_path: Path) -> Path:
    write_reports(
        tmp_path,
        RUN,
        _results,
        CHECKLISTS,
        lang="en",
        formats=[ReportFormat.HTML],
        history=_history(),
    )
    return tmp_path


def _tree(path: Path) -> LexborHTMLParser:
    return LexborHTMLParser(path.read_text("utf-8"))


def _cards(tree: LexborHTMLParser) -> dict[str, str]:
    return {
        (c.css_first(".label").text()): c.css_first(".value").text().strip()
        for c in tree.css("#summary ~ .cards .card, section .cards .card")
    }


def test_index_opens_with_the_answer(report: Path) -> None:
    index = _tree(report / "index.html")
    cards = _cards(index)
    assert cards["Organizations scanned"] == "5"
    assert cards["Site unreachable"] == "1"
    assert cards["Mean completeness (reachable sites)"] == "62.5"  # (66.7 + 100 + 33.3 + 50) / 4
    assert cards["Median completeness"] == "58.3"
    assert cards["Mean freshness"] == "80.0"
    missing = [li.text() for li in index.css("ol.missing li")]
    assert missing[0].startswith("contacts.email en — missing at 2 organizations")
    assert missing[1] == "contacts.phone en — missing at 2 organizations (50.0 %)"
    assert len(missing) == 2
    reasons = index.css_first("#unreachable-title").next
    assert reasons is not None
    assert "Timed out" in (index.css_first("table").text()) and "Org d" in index.text()


def test_regions_and_types_are_ranked_with_trends(report: Path) -> None:
    index = _tree(report / "index.html")
    rows = [[c.text().strip() for c in tr.css("th, td")] for tr in index.css("#regions tbody tr")]
    assert [r[:2] for r in rows] == [["1", "North"], ["2", "East"], ["3", "South"]]
    assert rows[0][2:7] == ["2", "0", "83.3", "83.3", "80.0"]
    assert rows[2][3] == "1"  # d unreachable
    assert index.css_first("#regions tbody tr svg.spark title") is not None
    types = [tr.css_first("th").text() for tr in index.css("#types tbody tr")]
    assert types == ["Hospital", "Polyclinic"]  # the registry's codes, named


def test_score_distribution_is_inline_svg(report: Path) -> None:
    index = _tree(report / "index.html")
    chart = index.css_first("figure.chart-box svg")
    assert chart is not None and chart.attributes["role"] == "img"
    assert "completeness" in (chart.css_first("title").text() or "")
    counts = [int(t.text()) for t in chart.css("text.count")]
    assert sum(counts) == 4  # reachable organizations only
    text = (report / "index.html").read_text("utf-8")
    assert "<script src" not in text and "<link" not in text and "@import" not in text


def test_table_filters_exist_but_the_page_reads_without_script(report: Path) -> None:
    index = _tree(report / "index.html")
    form = index.css_first("form#filters")
    assert form is not None and "hidden" in form.attributes
    options = [o.attributes["value"] for o in index.css("#f-region option")]
    assert options == ["", "East", "North", "South"]
    rows = index.css("#orgs tbody tr")
    assert [r.attributes["data-status"] for r in rows] == ["ok", "ok", "ok", "timeout", "ok"]
    assert [r.css("td")[-1].text().strip() for r in rows] == ["−33.3", "+33.3", "0.0", "", "new"]


def test_changes_section_lists_newly_missing_and_present(report: Path) -> None:
    index = _tree(report / "index.html")
    rows = {
        tr.css_first("th a").text(): [td.text().strip() for td in tr.css("td")]
        for tr in index.css("#changes-table tbody tr")
    }
    assert rows["Org a"][:4] == ["100.0", "66.7", "−33.3", "contacts.phone en"]
    assert rows["Org b"][4] == "contacts.email en"
    assert "Org c" not in rows  # nothing changed
    page = _tree(report / "orgs" / "a.html")
    section = page.css_first("#changes").parent
    assert section is not None and "contacts.phone en" in section.text()
    assert (
        "The organization was not in the previous run" in _tree(report / "orgs" / "e.html").text()
    )


def test_one_page_per_item_lists_who_lacks_it_by_region(report: Path) -> None:
    names = sorted(p.name for p in (report / "items").iterdir())
    assert names == sorted(item_filename(i) for i in ITEMS)
    email = _tree(report / "items" / item_filename("contacts.email"))
    assert email.css_first("h1").text() == "contacts.email en"
    regions = [[c.text().strip() for c in tr.css("th, td")] for tr in email.css("#item-regions tr")]
    assert regions[1:] == [
        ["East", "1", "0", "0"],
        ["South", "1", "0", "0"],
        ["North", "0", "2", "0"],
    ]
    lacking = [(h3.text(), [a.text() for a in h3.next.next.css("a")]) for h3 in email.css("h3")]  # type: ignore[union-attr]
    assert lacking == [("East", ["Org e"]), ("South", ["Org c"])]


def test_every_link_resolves_to_a_file_and_anchor(report: Path) -> None:
    pages = sorted(report.rglob("*.html"))
    assert len(pages) == 1 + 5 + 3
    for page in pages:
        tree = _tree(page)
        for a in tree.css("a[href]"):
            href = a.attributes["href"] or ""
            parts = urlsplit(href)
            if parts.scheme:
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file(), f"{page.name}: {href}"
            if parts.fragment:
                assert _tree(target).css_first(f"#{parts.fragment}") is not None, href


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_translated_report_has_no_english_left(tmp_path: Path, lang: str) -> None:
    write_reports(
        tmp_path,
        RUN,
        _results,
        CHECKLISTS,
        lang=lang,
        formats=[ReportFormat.HTML],
        history=_history(),
    )
    for page in (tmp_path / "index.html", tmp_path / "orgs" / "a.html"):
        text = _tree(page).css_first("main").text()
        for english in (
            "Organizations",
            "Summary",
            "Region",
            "Changes since",
            "Present",
            "missing",
        ):
            assert english not in text, f"{page.name}: {english!r}"


def test_the_index_names_the_checklists_and_types_in_the_readers_language(
    tmp_path: Path,
) -> None:
    write_reports(tmp_path, RUN, _results, CHECKLISTS, lang="ru", formats=[ReportFormat.HTML])
    index = _tree(tmp_path / "index.html")
    meta = index.css_first("p.meta").text()
    # The run's checklist was "auto": the checklist used is named, and how it was chosen.
    assert "Перечень требований: выбран по стране каждой организации: Checklist ru (ru-118n)" in (
        meta
    )
    assert "auto" not in meta
    types = [tr.css_first("th").text() for tr in index.css("#types tbody tr")]
    assert types == ["Больница", "Поликлиника"]
    org = _tree(tmp_path / "orgs" / "c.html")
    assert "Поликлиника" in org.css_first("dl").text()


def test_type_and_checklist_labels() -> None:
    from siteaudit.report import i18n
    from siteaudit.report.views import checklist_label

    assert i18n.org_type_label(" Children's  Hospital ", "kk") == "Балалар ауруханасы"
    assert i18n.org_type_label("hospital", "en") == "Hospital"
    assert i18n.org_type_label("ЦРБ", "ru") == "ЦРБ"  # not a known code: as the registry says
    assert checklist_label("ru-118n", CHECKLISTS, "en") == "Checklist en (ru-118n)"
    assert checklist_label("auto", {}, "en") == "auto"  # no result, no checklist known


def test_reasons_are_told_in_the_readers_language_with_the_checkers_own_words_folded(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    from siteaudit.models import Evidence

    base = _result("a", "North", (P, A, U))
    pages = ("https://a.example/contacts", "https://a.example/", "https://a.example/contacts")
    phone, email, news = base.findings
    result = replace(
        base,
        findings=(
            replace(phone, evidence=tuple(Evidence(url, "8 800", NOW) for url in pages)),
            replace(email, reason="text: /e-?mail/ not found on 15 pages"),
            replace(news, reason="needs a browser: not checked with --render never"),
        ),
    )
    run = _run(1, date(2026, 11, 23))
    write_reports(
        tmp_path, run, lambda: iter([result]), CHECKLISTS, lang="ru", formats=[ReportFormat.HTML]
    )
    org = _tree(tmp_path / "orgs" / "a.html")
    cells = {tr.attributes["id"]: tr.css("td")[1] for tr in org.css("table.items tbody tr[id]")}
    said = {key: cell.text(deep=False).strip() for key, cell in cells.items()}
    assert said["item-contacts.phone"] == "Найдено на 2 страницах"  # two distinct pages
    assert said["item-contacts.email"] == "Не найдено на проверенных страницах"
    assert said["item-news.section"] == "Не проверено: нужен браузер"
    how = cells["item-contacts.email"].css_first("details.how")
    assert how.css_first("summary").text() == "Как проверялось"
    assert how.css_first("code").text() == "text: /e-?mail/ not found on 15 pages"
    item = _tree(tmp_path / "items" / item_filename("contacts.email"))
    hint = item.css_first("ul.lacking .hint")
    assert hint.text(deep=False).strip() == "Не найдено на проверенных страницах"
    assert "not found on 15 pages" in hint.css_first("details code").text()


def test_the_crawlers_summary_is_told_in_the_readers_language() -> None:
    from siteaudit.report.views import crawl_summary

    detail = (
        "21 pages, 1 documents, 2 failed; stopped at site_timeout (600 s); "
        "a possible crawler trap (/calendar?month=N), bounded by max_pages and max_depth"
    )
    assert crawl_summary(detail, "ru") == (
        "21 страница, 1 документ, 2 с ошибкой; остановлено по лимиту времени на сайт (600 с); "
        "возможная ловушка для обходчика (/calendar?month=N), ограничена лимитами страниц и глубины"
    )
    assert crawl_summary("1 pages, 0 documents, 0 failed", "en") == "1 page, 0 documents, 0 failed"
    assert crawl_summary("5 pages, 2 documents, 0 failed", "kk") == "5 бет, 2 құжат, 0 қатемен"
    assert crawl_summary("something else", "ru") == "something else"  # not the crawler's
