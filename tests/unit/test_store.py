from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from siteaudit.errors import ScanError
from siteaudit.models import (
    Evidence,
    Finding,
    Organization,
    Outcome,
    Page,
    PageKind,
    RunInfo,
    RunState,
    Scores,
    SiteResult,
    SiteStatus,
)
from siteaudit.store import _MIGRATIONS, SCHEMA_VERSION, PageRecord, Store, page_title

T0 = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
ALMATY = timezone(timedelta(hours=5))


def make_org(org_id: str, row: int, **extra: str) -> Organization:
    return Organization(
        id=org_id,
        name=f"ГБУЗ «Городская больница № {row}» — Қалалық аурухана",
        url=f"https://gkb{row}.example.ru/",
        region="Республика Татарстан",
        country="RU",
        type="hospital",
        extra=tuple(extra.items()),
        row=row,
    )


def make_result(
    org_id: str = "org-1",
    row: int = 2,
    *,
    findings: tuple[Finding, ...] = (),
    scores: Scores | None = None,
    status: SiteStatus = SiteStatus.OK,
) -> SiteResult:
    return SiteResult(
        org=make_org(org_id, row),
        checklist_id="ru-medorg",
        status=status,
        status_detail="",
        findings=findings,
        scores=scores or Scores(completeness=50.0, freshness=None, present=1, absent=1),
        pages_fetched=3,
        pages_failed=0,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=12),
        as_of=date(2024, 5, 6),
    )


def start(store: Store, registry_hash: str = "hash-a", total: int = 3) -> RunInfo:
    return store.start_run(
        registry="registry.csv",
        registry_hash=registry_hash,
        checklist="auto",
        as_of=date(2024, 5, 6),
        total=total,
        settings={"max_pages": 60, "user_agent": "siteaudit/0.1", "allow_networks": []},
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "reports" / "siteaudit.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store(db_path) as opened:
        yield opened


def test_new_store_creates_folder_schema_and_wal(db_path: Path) -> None:
    with Store(db_path):
        pass
    assert db_path.is_file()
    raw = sqlite3.connect(db_path)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"runs", "sites", "findings", "pages"} <= tables
    finally:
        raw.close()


def test_site_result_round_trips_exactly(store: Store) -> None:
    findings = (
        Finding(
            item_id="licence",
            outcome=Outcome.PRESENT,
            reason="ссылка «Лицензия» найдена",
            evidence=(
                Evidence(
                    url="https://gkb2.example.ru/лицензия",
                    snippet="Лицензия № Л041-01",
                    fetched_at=T0,
                ),
                Evidence(url="https://gkb2.example.ru/docs.pdf"),
            ),
            weight=2.5,
            section="Общая информация",
        ),
        Finding(item_id="prices", outcome=Outcome.UNKNOWN, reason="страница не загрузилась"),
        Finding(item_id="doctors", outcome=Outcome.ABSENT, reason="не найдено", weight=0.0),
    )
    with_none = make_result(
        "org-ü", 3, findings=findings, scores=Scores(completeness=None, freshness=None)
    )
    org = make_org("org-2", 2, **{"ИНН": "1655000000", "контакт": "Иванов И. И. 😀"})
    full = SiteResult(
        org=org,
        checklist_id="kz-medorg",
        status=SiteStatus.TLS_ERROR,
        status_detail="certificate verify failed: ошибка",
        findings=findings[::-1],
        scores=Scores(
            completeness=66.66666666666667,
            freshness=12.5,
            newest_news=date(2024, 4, 30),
            newest_news_url="https://gkb2.example.ru/новости/1",
            present=1,
            absent=1,
            unknown=1,
        ),
        pages_fetched=7,
        pages_failed=2,
        started_at=datetime(2024, 5, 6, 12, 0, tzinfo=ALMATY),  # stored as UTC, equal on read
        finished_at=datetime(2024, 5, 6, 12, 1, 30, tzinfo=ALMATY),
        as_of=date(2024, 5, 1),
    )
    run = start(store)
    store.save_site(run.id, with_none)
    store.save_site(run.id, full)

    assert list(store.iter_results(run.id)) == [full, with_none]  # ordered by registry row
    assert store.run(run.id).done == 2


def test_stale_flag_round_trips(store: Store) -> None:
    findings = (
        Finding(
            item_id="services.prices",
            outcome=Outcome.PRESENT,
            reason="прейскурант найден; stale: names 2024, not 2026",
            stale=True,
        ),
        Finding(item_id="guarantees.program", outcome=Outcome.PRESENT, reason="найдена"),
    )
    run = start(store)
    store.save_site(run.id, make_result(findings=findings))
    (stored,) = store.iter_results(run.id)
    assert [f.stale for f in stored.findings] == [True, False]
    assert stored.findings == findings
    (again,) = store.iter_results_of(run.id, ["org-1"])
    assert [f.stale for f in again.findings] == [True, False]


def test_schema_2_store_is_migrated_and_old_findings_are_not_stale(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    raw = sqlite3.connect(db_path)
    try:
        for statement in _MIGRATIONS[0] + _MIGRATIONS[1]:  # the schema 2 store of siteaudit 0.2
            raw.execute(statement)
        org = (
            '{"id": "org-1", "name": "n", "url": "https://x.test/", "region": "",'
            ' "country": "RU", "type": "", "extra": [], "row": 2}'
        )
        raw.executescript(
            "INSERT INTO runs (started_at, registry, registry_hash, checklist, as_of, total, state)"
            " VALUES ('2024-05-06T00:00:00+00:00', 'r.csv', 'h', 'auto', '2024-05-06', 1,"
            " 'finished');"
            f"INSERT INTO sites VALUES (1, 'org-1', 2, '{org}', 'ru-118n', 'ok', '', 50.0, NULL,"
            " NULL, '', 1, 0, 0, 1, 0, '2024-05-06T00:00:00+00:00',"
            " '2024-05-06T00:00:01+00:00', '2024-05-06');"
            "INSERT INTO findings VALUES (1, 'org-1', 0, 'services.prices', 'present', 'found',"
            " 1.0, 'services', '[]');"
            "PRAGMA user_version = 2;"
        )
    finally:
        raw.close()
    with Store(db_path) as store:
        (result,) = store.iter_results(1)
        assert [(f.item_id, f.stale) for f in result.findings] == [("services.prices", False)]
    raw = sqlite3.connect(db_path)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    finally:
        raw.close()


def test_datetimes_are_stored_as_utc_text(store: Store, db_path: Path) -> None:
    result = make_result()
    result = replace(result, started_at=datetime(2024, 5, 6, 12, 0, tzinfo=ALMATY))
    run = start(store)
    store.save_site(run.id, result)
    raw = sqlite3.connect(db_path)
    try:
        started, as_of = raw.execute("SELECT started_at, as_of FROM sites").fetchone()
    finally:
        raw.close()
    assert started == "2024-05-06T07:00:00+00:00"
    assert as_of == "2024-05-06"


def test_pages_are_recorded_with_title_and_without_body(store: Store, db_path: Path) -> None:
    pages = (
        Page(
            url="http://gkb2.example.ru/",
            final_url="https://gkb2.example.ru/",
            status_code=200,
            fetched_at=T0,
            depth=0,
            content_type="text/html; charset=utf-8",
            html="<html><head><TITLE lang=ru>\n Главная &amp; контакты\n</title></head></html>",
            content_hash="ab" * 32,
            size=1234,
            found_via="start",
        ),
        Page(
            url="https://gkb2.example.ru/license.pdf",
            final_url="https://gkb2.example.ru/license.pdf",
            status_code=200,
            fetched_at=T0 + timedelta(seconds=1),
            depth=1,
            kind=PageKind.DOCUMENT,
            content_type="application/pdf",
            found_via="link",
        ),
        Page(
            url="https://gkb2.example.ru/slow",
            final_url="https://gkb2.example.ru/slow",
            status_code=None,
            fetched_at=T0 + timedelta(seconds=2),
            depth=2,
            error=SiteStatus.TIMEOUT,
            error_detail="read timeout after 20 s",
            rendered=True,
            found_via="sitemap",
        ),
    )
    run = start(store)
    store.save_site(run.id, make_result("org-2"), pages)

    records = store.site_pages(run.id, "org-2")
    assert records[0] == PageRecord(
        url="http://gkb2.example.ru/",
        final_url="https://gkb2.example.ru/",
        status_code=200,
        kind=PageKind.HTML,
        content_type="text/html; charset=utf-8",
        content_hash="ab" * 32,
        size=1234,
        fetched_at=T0,
        title="Главная & контакты",
        error=None,
        error_detail="",
        rendered=False,
        found_via="start",
        depth=0,
    )
    assert (records[1].kind, records[1].title, records[1].depth) == (PageKind.DOCUMENT, "", 1)
    assert (records[2].error, records[2].status_code, records[2].rendered) == (
        SiteStatus.TIMEOUT,
        None,
        True,
    )
    assert store.site_pages(run.id, "someone-else") == []
    raw = sqlite3.connect(db_path)
    try:
        # HTML bodies are kept compressed (schema 2); documents and failed pages have none.
        assert raw.execute("SELECT COUNT(*) FROM pages WHERE body IS NOT NULL").fetchone()[0] == 1
    finally:
        raw.close()


def test_bodies_are_zstandard_and_zlib_bodies_of_older_stores_still_read(
    store: Store, db_path: Path
) -> None:
    """Bodies are written as Zstandard; a body an older version wrote with zlib reads back."""
    import zlib

    markup = "<html><title>Контакты</title><p>Тел. +7 (831) 245-10-10 ☎ \udcff</p></html>"
    page = Page(
        url="https://gkb2.example.ru/",
        final_url="https://gkb2.example.ru/",
        status_code=200,
        fetched_at=T0,
        depth=0,
        content_type="text/html",
        html=markup,
        found_via="start",
    )
    run = start(store)
    store.save_site(run.id, make_result("org-2"), (page,))
    raw = sqlite3.connect(db_path)
    try:
        body = raw.execute("SELECT body FROM pages").fetchone()[0]
        assert body[:4] == b"\x28\xb5\x2f\xfd"  # Zstandard's magic number
        assert store.stored_pages(run.id, "org-2")[0].html == markup
        old = zlib.compress(markup.encode("utf-8", "surrogatepass"), 2)
        with raw:
            raw.execute("UPDATE pages SET body = ?", (old,))
    finally:
        raw.close()
    assert store.stored_pages(run.id, "org-2")[0].html == markup


@pytest.mark.parametrize(
    ("markup", "title"),
    [
        ("<title>Простой</title>", "Простой"),
        ("<head><title data-x='1'>  a\n\t b </title>", "a b"),
        ("<title>&laquo;ГКБ&raquo; &#8470; 1</title>", "«ГКБ» № 1"),
        ("<html><body>no title</body></html>", ""),
        ("<title>unclosed", ""),
        (None, ""),
    ],
)
def test_page_title(markup: str | None, title: str) -> None:
    assert page_title(markup) == title


def test_resume_after_crash_and_reopen(db_path: Path) -> None:
    with Store(db_path) as store:
        run = start(store, total=3)
        store.save_site(run.id, make_result("a", 2))
        store.save_site(run.id, make_result("b", 3))
        # crash: no finish_run, no mark_interrupted

    with Store(db_path) as store:
        unfinished = store.unfinished_run("hash-a")
        assert unfinished is not None
        assert (unfinished.id, unfinished.state, unfinished.done, unfinished.total) == (
            run.id,
            RunState.RUNNING,
            2,
            3,
        )
        assert store.unfinished_run() == unfinished
        assert store.unfinished_run("hash-b") is None
        assert store.finished_org_ids(run.id) == {"a", "b"}
        assert store.latest_run() is None  # nothing finished yet
        assert store.latest_run(finished=False) == unfinished

        store.mark_interrupted(run.id)
        assert store.run(run.id).state is RunState.INTERRUPTED

    with Store(db_path) as store:
        unfinished = store.unfinished_run("hash-a")
        assert unfinished is not None
        assert unfinished.state is RunState.INTERRUPTED
        store.save_site(run.id, make_result("c", 4))
        finished = store.finish_run(run.id)
        assert finished.state is RunState.FINISHED
        assert finished.finished_at is not None
        assert finished.finished_at >= finished.started_at
        assert finished.done == 3
        assert store.unfinished_run("hash-a") is None
        assert store.latest_run() == finished
        store.mark_interrupted(run.id)  # a finished run stays finished
        assert store.run(run.id).state is RunState.FINISHED
        assert [r.org.id for r in store.iter_results(run.id)] == ["a", "b", "c"]


def test_unfinished_run_is_the_newest(store: Store) -> None:
    first = start(store)
    second = start(store)
    other = start(store, registry_hash="hash-b")
    assert store.unfinished_run() == other
    assert store.unfinished_run("hash-a") == second
    store.finish_run(second.id)
    assert store.unfinished_run("hash-a") == first


def test_save_site_replaces_earlier_result(store: Store) -> None:
    run = start(store)
    url = "https://x.example/"
    page = Page(url=url, final_url=url, status_code=200, fetched_at=T0, depth=0)
    old = make_result(
        "org-1",
        findings=(
            Finding("a", Outcome.ABSENT, "old"),
            Finding("b", Outcome.ABSENT, "old", evidence=(Evidence("https://x.example/"),)),
        ),
    )
    store.save_site(run.id, old, (page, page))
    new = make_result("org-1", findings=(Finding("a", Outcome.PRESENT, "new"),))
    store.save_site(run.id, new, (page,))

    assert list(store.iter_results(run.id)) == [new]
    assert len(store.site_pages(run.id, "org-1")) == 1
    assert store.run(run.id).done == 1


def test_failed_save_keeps_the_earlier_result(store: Store) -> None:
    run = start(store)
    good = make_result("org-1", findings=(Finding("a", Outcome.PRESENT, "ok"),))
    store.save_site(run.id, good)
    bad_size: int = [1]  # type: ignore[assignment]  # SQLite cannot bind a list
    broken_page = Page(
        url="u", final_url="u", status_code=200, fetched_at=T0, depth=0, size=bad_size
    )
    with pytest.raises(sqlite3.Error):
        store.save_site(run.id, make_result("org-1"), (broken_page,))
    assert list(store.iter_results(run.id)) == [good]
    # the connection is usable again after the rollback
    store.save_site(run.id, make_result("org-2", 5))
    assert store.finished_org_ids(run.id) == {"org-1", "org-2"}


def test_previous_run_same_registry(store: Store) -> None:
    a1 = start(store, "hash-a")
    b1 = start(store, "hash-b")
    a2 = start(store, "hash-a")
    a3 = start(store, "hash-a")
    store.finish_run(a1.id)
    assert store.previous_run(a1.id) is None
    assert store.previous_run(b1.id) is None
    assert store.previous_run(a3.id) == a2
    assert store.previous_run(a2.id) == store.run(a1.id)
    assert store.previous_run(a3.id, finished=True) == store.run(a1.id)
    with pytest.raises(ScanError, match="there is no run 99"):
        store.previous_run(99)


def test_runs_newest_first_and_run_metadata(store: Store) -> None:
    created = [start(store, total=n) for n in range(5)]
    assert [r.id for r in store.runs()] == [r.id for r in reversed(created)]
    assert [r.id for r in store.runs(limit=2)] == [created[4].id, created[3].id]
    run = created[0]
    assert (run.registry, run.checklist, run.as_of, run.done, run.state) == (
        "registry.csv",
        "auto",
        date(2024, 5, 6),
        0,
        RunState.RUNNING,
    )
    assert run.started_at.tzinfo is not None
    store.set_total(run.id, 42)
    assert store.run(run.id).total == 42
    assert store.run_settings(run.id)["max_pages"] == 60


def test_missing_run_is_a_scan_error(store: Store, db_path: Path) -> None:
    with pytest.raises(ScanError, match="no runs yet") as info:
        store.run(1)
    assert str(db_path) in info.value.message
    run = start(store)
    with pytest.raises(ScanError, match=f"newest: {run.id}"):
        store.iter_results(run.id + 1)
    with pytest.raises(ScanError, match="no run"):
        store.finish_run(run.id + 1)
    with pytest.raises(ScanError, match="no run"):
        store.save_site(run.id + 1, make_result())


def test_newer_schema_is_refused(db_path: Path) -> None:
    with Store(db_path):
        pass
    raw = sqlite3.connect(db_path)
    raw.execute("PRAGMA user_version = 7")
    raw.commit()
    raw.close()
    with pytest.raises(ScanError) as info:
        Store(db_path)
    assert info.value.message == (
        f"{db_path}: made by a newer siteaudit (schema 7); upgrade siteaudit"
    )


def test_unwritable_path_is_a_scan_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    path = blocker / "reports" / "siteaudit.db"
    with pytest.raises(ScanError) as info:
        Store(path)
    message = info.value.message
    assert str(path) in message
    assert "writable" in message
    assert "\n" not in message


def test_folder_as_database_path_is_a_scan_error(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="is a folder") as info:
        Store(tmp_path)
    assert str(tmp_path) in info.value.message


def test_corrupt_file_is_a_scan_error(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(random.Random(1).randbytes(8192))
    with pytest.raises(ScanError) as info:
        Store(db_path)
    message = info.value.message
    assert message.startswith(f"{db_path}: ")
    assert "not a database" in message
    assert "another path" in message
    assert "\n" not in message


def test_two_thousand_sites_stream_back_in_order(store: Store) -> None:
    run = start(store, total=2000)
    rows = list(range(2, 2002))
    random.Random(7).shuffle(rows)  # saved in finishing order, read back in registry order
    for row in rows:
        findings = tuple(
            Finding(
                f"item-{i}",
                Outcome.PRESENT if (row + i) % 3 else Outcome.ABSENT,
                f"reason {row}/{i}",
                evidence=(Evidence(f"https://s{row}.example/{i}", f"фрагмент {i}", T0),),
            )
            for i in range(5)
        )
        store.save_site(run.id, make_result(f"org-{row:05d}", row, findings=findings))

    results = store.iter_results(run.id)
    assert not isinstance(results, list)
    first = next(results)
    assert (first.org.row, first.org.id) == (2, "org-00002")
    assert first.findings[4].evidence[0].url == "https://s2.example/4"
    seen = [first.org.row]
    for result in results:
        seen.append(result.org.row)
        assert len(result.findings) == 5
        assert result.findings[0].reason == f"reason {result.org.row}/0"
    assert seen == list(range(2, 2002))
    assert store.run(run.id).done == 2000
    assert len(store.finished_org_ids(run.id)) == 2000
