"""Report writers: the CSV contract, the JSON schema, and the HTML pages people read."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from selectolax.lexbor import LexborHTMLParser

from siteaudit.checklist import Checklist
from siteaudit.errors import InputError
from siteaudit.models import (
    Evidence,
    Finding,
    Organization,
    Outcome,
    RunInfo,
    RunState,
    Scores,
    SiteResult,
    SiteStatus,
)
from siteaudit.report import WRITERS, ReportFormat, i18n, org_filename, write_reports
from siteaudit.report.common import neutralise

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
AS_OF = date(2026, 11, 23)
CONTRACT_LINE = "id,name,url,region,country,status,completeness,freshness,newest_news"
CONTRACT = CONTRACT_LINE.split(",")


def _lt(text: str) -> dict[str, str]:
    return {"ru": f"{text} (ru)", "kk": f"{text} (kk)", "en": f"{text} (en)"}


def _checklist(cid: str, country: str, items: list[tuple[str, str]]) -> Checklist:
    sections = dict.fromkeys((section for _, section in items), None)
    return Checklist.model_validate(
        {
            "id": cid,
            "title": _lt(f"Checklist {cid}"),
            "country": country,
            "sections": {s: _lt(f"Section {s}") for s in sections},
            "items": [
                {
                    "id": item_id,
                    "title": _lt(f"Title {item_id}"),
                    "section": section,
                    "citation": {
                        "document": f"Order for {item_id}",
                        "clause": "p. 7",
                        "url": "https://publication.pravo.gov.ru/document/1",
                    },
                    "rule": {"kind": "page", "synonyms": ["x"]},
                }
                for item_id, section in items
            ],
        }
    )


RU = _checklist(
    "ru-118n",
    "RU",
    [("news.section", "news"), ("general.license", "general"), ("contacts.phone", "contacts")],
)
KZ = _checklist("kz-basic", "KZ", [("general.license", "general"), ("lang.kk_ru", "lang")])
CHECKLISTS = {"ru-118n": RU, "kz-basic": KZ}
RUN = RunInfo(7, NOW, NOW, "registry.csv", "ab" * 32, "auto", AS_OF, 4, 4, RunState.FINISHED)


def _finding(item_id: str, outcome: Outcome, url: str = "", snippet: str = "") -> Finding:
    evidence = (Evidence(url, snippet, NOW),) if url else ()
    return Finding(item_id, outcome, f"reason for {item_id}", evidence, 2.0, item_id.split(".")[0])


def _result(
    org_id: str,
    name: str,
    *,
    checklist: str = "ru-118n",
    status: SiteStatus = SiteStatus.OK,
    completeness: float | None = None,
    freshness: float | None = None,
    news: date | None = None,
    findings: tuple[Finding, ...] = (),
    region: str = "Москва",
) -> SiteResult:
    org = Organization(
        org_id,
        name,
        f"https://{org_id}.example/",
        region,
        "RU",
        "hospital",
        (("ogrn", "1027700000000"),),
        2,
    )
    scores = Scores(completeness, freshness, news, "https://x.example/news/1" if news else "")
    return SiteResult(
        org,
        checklist,
        status,
        "detail text" if status != SiteStatus.OK else "",
        findings,
        scores,
        10,
        1,
        NOW,
        NOW,
        AS_OF,
    )


RESULTS = [
    _result(
        "gkb1",
        "ГКБ № 1 <script>alert(1)</script>",
        completeness=66.66666,
        freshness=100.0,
        news=date(2026, 11, 20),
        findings=(
            _finding("general.license", Outcome.PRESENT, "https://gkb1.example/lic", "Лицензия №1"),
            _finding("contacts.phone", Outcome.ABSENT),
            _finding("news.section", Outcome.UNKNOWN, "javascript:alert(2)", "evil"),
        ),
    ),
    _result(
        "poly/3", "Поликлиника 3", status=SiteStatus.DNS_ERROR, completeness=0.0, freshness=0.0
    ),
    _result(
        "kz.almaty",
        '=HYPERLINK("http://evil")',
        checklist="kz-basic",
        completeness=50.0,
        region="+7 Алматы",
        findings=(_finding("lang.kk_ru", Outcome.PRESENT, "https://kz.example/", "@kk -x"),),
    ),
    _result("клиника", "Клиника", status=SiteStatus.TIMEOUT),
]


def _results() -> Iterator[SiteResult]:
    return iter(RESULTS)


def _write(tmp_path: Path, fmt: ReportFormat, **kwargs: Any) -> Path:
    write_reports(tmp_path, RUN, _results, CHECKLISTS, formats=[fmt], **kwargs)
    return tmp_path


def _csv_rows(path: Path, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text("utf-8-sig")), delimiter=delimiter))


# --- CSV -----------------------------------------------------------------------------------


def test_results_csv_header_is_the_contract_then_item_union_in_checklist_order(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, ReportFormat.CSV) / "results.csv"
    assert path.read_text("utf-8-sig").startswith(CONTRACT_LINE + ",news.section,")
    header = _csv_rows(path)[0]
    assert header == [
        *CONTRACT,
        "news.section",
        "general.license",
        "contacts.phone",
        "lang.kk_ru",
    ]


def test_csv_files_start_with_a_bom(tmp_path: Path) -> None:
    out = _write(tmp_path, ReportFormat.CSV)
    for name in ("results.csv", "findings.csv"):
        raw = (out / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        assert "Поликлиника 3".encode() in raw or name == "findings.csv"


def test_semicolon_delimiter(tmp_path: Path) -> None:
    out = _write(tmp_path, ReportFormat.CSV, csv_delimiter=";")
    first_line = (out / "results.csv").read_text("utf-8-sig").splitlines()[0]
    assert first_line.startswith("id;name;url;region;country;status;")
    rows = _csv_rows(out / "results.csv", ";")
    assert [row[0] for row in rows[1:]] == ["gkb1", "poly/3", "kz.almaty", "клиника"]
    assert all(len(row) == len(rows[0]) for row in rows)
    assert _csv_rows(out / "findings.csv", ";")[0] == [
        "id",
        "item_id",
        "outcome",
        "reason",
        "evidence_url",
        "snippet",
        "stale",
    ]


def test_formula_cells_are_neutralised(tmp_path: Path) -> None:
    out = _write(tmp_path, ReportFormat.CSV)
    kz = {row[0]: row for row in _csv_rows(out / "results.csv")}["kz.almaty"]
    assert kz[1] == '\'=HYPERLINK("http://evil")'
    assert kz[3] == "'+7 Алматы"
    finding = next(row for row in _csv_rows(out / "findings.csv") if row[0] == "kz.almaty")
    assert finding[5] == "'@kk -x"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+7 701", "'+7 701"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_neutralise(cell: str, expected: str) -> None:
    assert neutralise(cell) == expected


def test_item_cells_distinguish_unknown_absent_and_not_in_checklist(tmp_path: Path) -> None:
    rows = _csv_rows(_write(tmp_path, ReportFormat.CSV) / "results.csv")
    header, by_id = rows[0], {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert len(header) == len(set(header))
    gkb1 = by_id["gkb1"]
    assert (gkb1["general.license"], gkb1["contacts.phone"], gkb1["news.section"]) == (
        "present",
        "absent",
        "unknown",
    )
    assert gkb1["lang.kk_ru"] == ""  # not in the RU checklist
    assert by_id["kz.almaty"]["lang.kk_ru"] == "present"
    assert by_id["kz.almaty"]["contacts.phone"] == ""


def test_scores_have_one_decimal_and_are_empty_when_missing_or_unreachable(
    tmp_path: Path,
) -> None:
    rows = _csv_rows(_write(tmp_path, ReportFormat.CSV) / "results.csv")
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert (by_id["gkb1"]["completeness"], by_id["gkb1"]["freshness"]) == ("66.7", "100.0")
    assert by_id["gkb1"]["newest_news"] == "2026-11-20"
    assert (by_id["kz.almaty"]["completeness"], by_id["kz.almaty"]["freshness"]) == ("50.0", "")
    assert by_id["kz.almaty"]["newest_news"] == ""
    # An unreachable site never shows a score, even if one leaked into its Scores.
    poly = by_id["poly/3"]
    assert (poly["status"], poly["completeness"], poly["freshness"]) == ("dns_error", "", "")


def test_findings_csv_has_one_row_per_org_and_item(tmp_path: Path) -> None:
    rows = _csv_rows(_write(tmp_path, ReportFormat.CSV) / "findings.csv")
    assert rows[0] == ["id", "item_id", "outcome", "reason", "evidence_url", "snippet", "stale"]
    assert rows[1] == [
        "gkb1",
        "general.license",
        "present",
        "reason for general.license",
        "https://gkb1.example/lic",
        "Лицензия №1",
        "false",
    ]
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("gkb1", "general.license"),
        ("gkb1", "contacts.phone"),
        ("gkb1", "news.section"),
        ("kz.almaty", "lang.kk_ru"),
    ]


# --- JSON ----------------------------------------------------------------------------------


def test_json_schema_keys_and_round_trip_values(tmp_path: Path) -> None:
    data = json.loads((_write(tmp_path, ReportFormat.JSON) / "results.json").read_text("utf-8"))
    assert set(data) == {"schema", "schema_version", "run", "organizations"}
    assert (data["schema"], data["schema_version"]) == ("siteaudit/results", 1)
    assert data["run"] == {
        "id": 7,
        "started_at": NOW.isoformat(),
        "finished_at": NOW.isoformat(),
        "registry": "registry.csv",
        "registry_hash": "ab" * 32,
        "checklist": "auto",
        "as_of": "2026-11-23",
        "total": 4,
        "done": 4,
        "state": "finished",
    }
    orgs = data["organizations"]
    assert [o["id"] for o in orgs] == [r.org.id for r in RESULTS]
    keys = {
        "id", "name", "url", "region", "country", "type", "extra", "status", "status_detail",
        "hint", "checklist", "completeness", "freshness", "newest_news", "newest_news_url",
        "pages_fetched", "pages_failed", "findings",
    }  # fmt: skip
    assert all(set(o) == keys for o in orgs)
    gkb1 = orgs[0]
    assert gkb1["name"] == RESULTS[0].org.name
    assert gkb1["extra"] == {"ogrn": "1027700000000"}
    assert (gkb1["completeness"], gkb1["freshness"]) == (66.66666, 100.0)
    assert (gkb1["newest_news"], gkb1["newest_news_url"]) == (
        "2026-11-20",
        "https://x.example/news/1",
    )
    assert (gkb1["checklist"], gkb1["pages_fetched"], gkb1["pages_failed"]) == ("ru-118n", 10, 1)
    assert gkb1["findings"][0] == {
        "item": "general.license",
        "outcome": "present",
        "reason": "reason for general.license",
        "weight": 2.0,
        "section": "general",
        "stale": False,
        "evidence": [
            {
                "url": "https://gkb1.example/lic",
                "snippet": "Лицензия №1",
                "fetched_at": NOW.isoformat(),
            }
        ],
    }
    assert gkb1["findings"][1]["evidence"] == []
    poly = orgs[1]
    assert (poly["status"], poly["completeness"], poly["freshness"]) == ("dns_error", None, None)
    assert poly["hint"] == RESULTS[1].hint and poly["hint"]
    assert poly["status_detail"] == "detail text"
    assert poly["newest_news"] is None


def test_json_with_no_results_is_valid(tmp_path: Path) -> None:
    write_reports(tmp_path, RUN, lambda: iter(()), CHECKLISTS, formats=[ReportFormat.JSON])
    data = json.loads((tmp_path / "results.json").read_text("utf-8"))
    assert data["organizations"] == []


@pytest.mark.parametrize(
    ("lang", "badge"), [("en", "stale"), ("ru", "устарел"), ("kk", "ескірген")]
)
def test_stale_flag_reaches_json_findings_csv_and_the_org_page(
    tmp_path: Path, lang: str, badge: str
) -> None:
    stale = replace(
        _finding("general.license", Outcome.PRESENT),
        reason="found; stale: names 2024, not 2026",
        stale=True,
    )
    result = replace(RESULTS[0], findings=(stale, _finding("contacts.phone", Outcome.ABSENT)))
    write_reports(tmp_path, RUN, lambda: iter([result]), CHECKLISTS, lang=lang)
    data = json.loads((tmp_path / "results.json").read_text("utf-8"))
    assert [f["stale"] for f in data["organizations"][0]["findings"]] == [True, False]
    rows = _csv_rows(tmp_path / "findings.csv")
    assert [(r[1], r[-1]) for r in rows] == [
        ("item_id", "stale"),
        ("general.license", "true"),
        ("contacts.phone", "false"),
    ]
    assert _csv_rows(tmp_path / "results.csv")[0][: len(CONTRACT)] == CONTRACT
    tree = _html(tmp_path / "orgs" / "gkb1.html")
    badges = [node.text() for node in tree.css("tr#item-general\\.license .badge.stale")]
    assert badges == [badge]
    assert tree.css_first("tr#item-contacts\\.phone .badge.stale") is None


# --- HTML ----------------------------------------------------------------------------------


def _html(path: Path) -> LexborHTMLParser:
    return LexborHTMLParser(path.read_text("utf-8"))


def test_html_autoescapes_organization_names(tmp_path: Path) -> None:
    out = _write(tmp_path, ReportFormat.HTML)
    for page in (out / "index.html", out / "orgs" / "gkb1.html"):
        text = page.read_text("utf-8")
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    tree = _html(out / "orgs" / "gkb1.html")
    assert tree.css_first("h1").text() == RESULTS[0].org.name


def test_every_org_has_a_page_and_the_index_links_to_it(tmp_path: Path) -> None:
    written = write_reports(tmp_path, RUN, _results, CHECKLISTS, formats=[ReportFormat.HTML])
    index = _html(tmp_path / "index.html")
    links = [a.attributes["href"] or "" for a in index.css("#orgs tbody th a")]
    assert len(links) == len(RESULTS)
    for result, href in zip(RESULTS, links, strict=True):
        page = tmp_path / unquote(href)
        assert page == tmp_path / "orgs" / org_filename(result.org.id)
        assert page.is_file() and page in written
        assert _html(page).css_first("h1").text() == result.org.name
    assert sorted(p.name for p in (tmp_path / "orgs").iterdir()) == sorted(
        org_filename(r.org.id) for r in RESULTS
    )


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_language_renders_accessible_pages(tmp_path: Path, lang: str) -> None:
    write_reports(tmp_path, RUN, _results, CHECKLISTS, lang=lang, formats=[ReportFormat.HTML])
    title = i18n.gettext_for(lang, "Audit of medical organization websites")
    pages = [tmp_path / "index.html", *sorted((tmp_path / "orgs").iterdir())]
    for page in pages:
        tree = _html(page)
        assert tree.css_first("html").attributes["lang"] == lang
        assert (tree.css_first("title").text() or "").strip()
        assert len(tree.css("h1")) == 1
        assert all(th.attributes.get("scope") in ("col", "row") for th in tree.css("th"))
        assert "http://" not in "".join(
            (n.attributes.get("src") or "") + (n.attributes.get("href") or "")
            for n in tree.css("script, link, img")
        )
    index = _html(tmp_path / "index.html")
    assert title in index.css_first("h1").text()
    day = "20 Nov 2026" if lang == "en" else "20.11.2026"
    assert day in index.css_first("#orgs tbody").text()
    gkb1 = _html(tmp_path / "orgs" / "gkb1.html")
    titles = [h2.text() for h2 in gkb1.css("h2")]
    assert titles[-3:] == [f"Section {s} ({lang})" for s in ("news", "general", "contacts")]
    badges = [b.text() for b in gkb1.css(".items .badge")]
    assert badges == [
        i18n.outcome_label(o, lang) for o in (Outcome.UNKNOWN, Outcome.PRESENT, Outcome.ABSENT)
    ]


def test_unreachable_org_shows_status_and_hint_but_no_score(tmp_path: Path) -> None:
    write_reports(tmp_path, RUN, _results, CHECKLISTS, lang="ru", formats=[ReportFormat.HTML])
    hint = i18n.status_hint(SiteStatus.DNS_ERROR, "ru")
    label = i18n.status_label(SiteStatus.DNS_ERROR, "ru")
    index = _html(tmp_path / "index.html")
    row = next(tr for tr in index.css("#orgs tbody tr") if "Поликлиника 3" in tr.text())
    cells = row.css("td")
    assert label in row.text() and hint in row.text()
    assert [c.attributes["data-sort"] for c in cells[3:5]] == ["", ""]
    assert "0,0" not in row.text() and "0.0" not in row.text()
    summary = index.css_first("#summary").parent
    assert summary is not None and hint in summary.text()
    page = _html(tmp_path / "orgs" / org_filename("poly/3"))
    assert hint in page.text() and label in page.text()
    assert "0,0" not in page.css_first("#scores").parent.text()  # type: ignore[union-attr]


def test_summary_counts_and_mean_over_reachable_sites(tmp_path: Path) -> None:
    write_reports(tmp_path, RUN, _results, CHECKLISTS, lang="en", formats=[ReportFormat.HTML])
    values = [v.text() for v in _html(tmp_path / "index.html").css(".cards .value")]
    assert values[:3] == ["4", "2", "2"]
    assert values[3] == "58.3"  # (66.67 + 50) / 2; the unreachable sites do not count


def test_unsafe_urls_are_not_links(tmp_path: Path) -> None:
    _write(tmp_path, ReportFormat.HTML)
    hrefs = [a.attributes["href"] for a in _html(tmp_path / "orgs" / "gkb1.html").css("a")]
    assert "https://gkb1.example/lic" in hrefs
    assert not any((h or "").startswith("javascript:") for h in hrefs)


def test_index_cells_carry_sort_keys(tmp_path: Path) -> None:
    _write(tmp_path, ReportFormat.HTML)
    first = _html(tmp_path / "index.html").css_first("#orgs tbody tr")
    assert first is not None
    keys = [c.attributes.get("data-sort") for c in first.css("th, td")]
    assert keys == [RESULTS[0].org.name, "Москва", "RU", i18n.status_label(SiteStatus.OK, "ru"),
                    "66.667", "100.000", "2026-11-20"]  # fmt: skip


# --- the module's contracts ----------------------------------------------------------------


def test_every_format_has_a_writer_and_all_formats_are_written(tmp_path: Path) -> None:
    assert set(WRITERS) == set(ReportFormat)
    calls: list[int] = []

    def results() -> Iterator[SiteResult]:
        calls.append(1)
        return iter(RESULTS)

    written = write_reports(tmp_path, RUN, results, CHECKLISTS)
    assert len(calls) == len(ReportFormat)
    names = {p.name for p in written}
    assert {"index.html", "results.csv", "findings.csv", "results.json"} <= names
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"lang": "de"}, "report language 'de'"), ({"csv_delimiter": ";;"}, "CSV delimiter")],
)
def test_bad_options_are_input_errors(tmp_path: Path, kwargs: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        write_reports(tmp_path, RUN, _results, CHECKLISTS, **kwargs)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("org_id", "expected"),
    [
        ("gkb-1_A", "gkb-1_A.html"),
        ("poly/3", "poly%2F3.html"),
        ("..", "%2E%2E.html"),
        ("кб", "%D0%BA%D0%B1.html"),
        ("a b", "a%20b.html"),
    ],
)
def test_org_filename(org_id: str, expected: str) -> None:
    assert org_filename(org_id) == expected


def test_org_filename_is_injective_and_bounded() -> None:
    ids = ["a/b", "a%2Fb", "a.b", "a_b", "A_b", "я" * 200, "я" * 199 + "ю"]
    names = [org_filename(i) for i in ids]
    assert len(set(names)) == len(ids)
    assert all(len(n.encode()) <= 255 and "/" not in n for n in names)


def test_every_status_and_outcome_has_a_label_in_every_language() -> None:
    for lang in i18n.LANGUAGES:
        for status in SiteStatus:
            assert i18n.status_label(status, lang)
            assert bool(i18n.status_hint(status, lang)) == (status is not SiteStatus.OK)
        for outcome in Outcome:
            assert i18n.outcome_label(outcome, lang)


def test_dates_are_localised() -> None:
    day = date(2026, 3, 1)
    assert i18n.format_date(day, "ru") == "01.03.2026"
    assert i18n.format_date(day, "kk") == "01.03.2026"
    assert i18n.format_date(day, "en") == "1 Mar 2026"
    assert i18n.format_datetime(NOW, "en") == "23 Nov 2026 09:30 UTC"
    assert i18n.format_number(12.345, "ru") == "12,3"
