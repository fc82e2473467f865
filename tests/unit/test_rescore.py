"""siteaudit rescore: stored page bodies re-evaluated with a changed checklist, no crawling."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from siteaudit.checklist import load_checklist
from siteaudit.cli import main
from siteaudit.errors import ExitCode, ScanError
from siteaudit.models import CrawlResult, Organization, Page, PageKind, RunState, SiteStatus
from siteaudit.rescore import rescore_run
from siteaudit.scan import ChecklistResolver, site_result
from siteaudit.store import _MIGRATIONS, SCHEMA_VERSION, Store

REPO = Path(__file__).resolve().parents[2]
SITES = REPO / "examples" / "sites"
AS_OF = date(2026, 11, 23)
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ORGS = {
    "ru-gkb1": ("RU", "http://gkb1.test/"),
    "ru-ambulatoria-sparse": ("RU", "http://amb.test/"),
    "kz-emhana-ru": ("KZ", "http://emhana.test/"),
}


def _pages(slug: str, base: str) -> tuple[Page, ...]:
    """Every HTML file of an example site as a fetched page (the crawl, without a server)."""
    root = SITES / slug
    pages = []
    for depth, path in enumerate(sorted(root.rglob("*.html"))):
        rel = path.relative_to(root).as_posix()
        url = base + rel.removesuffix("index.html")
        raw = path.read_bytes()
        try:
            markup = raw.decode("utf-8")
        except UnicodeDecodeError:
            markup = raw.decode("cp1251")
        pages.append(
            Page(
                url=url,
                final_url=url,
                status_code=200,
                fetched_at=T0,
                depth=min(depth, 3),
                content_type="text/html; charset=utf-8",
                html=markup,
                encoding="utf-8",
                size=len(raw),
                found_via="start" if depth == 0 else "link",
            )
        )
    pages.append(
        Page(
            url=base + "doc.pdf",
            final_url=base + "doc.pdf",
            status_code=200,
            fetched_at=T0,
            depth=1,
            kind=PageKind.DOCUMENT,
            content_type="application/pdf",
        )
    )
    return tuple(pages)


def _scan_into(store: Store, checklist: str = "auto") -> int:
    """A finished run of the three sites, as a scan would have stored it."""
    resolver = ChecklistResolver(checklist)
    run = store.start_run(
        registry="registry.csv",
        registry_hash="f" * 64,
        checklist=checklist,
        as_of=AS_OF,
        total=len(ORGS) + 1,
        settings={},
    )
    for row, (slug, (country, base)) in enumerate(ORGS.items(), start=2):
        org = Organization(id=slug, name=slug, url=base, country=country, row=row)
        pages = _pages(slug, base)
        crawl = CrawlResult(org, SiteStatus.OK, "", pages, T0, T0)
        store.save_site(run.id, site_result(org, crawl, resolver.for_org(org), AS_OF), pages)
    down = Organization(id="down", name="down", url="http://down.test/", country="RU", row=9)
    crawl = CrawlResult(down, SiteStatus.CONNECT_ERROR, "refused", (), T0, T0)
    store.save_site(run.id, site_result(down, crawl, resolver.for_org(down), AS_OF))
    return store.finish_run(run.id).id


def _summary(store: Store, run_id: int) -> dict[str, tuple[object, ...]]:
    return {
        r.org.id: (
            r.status,
            r.checklist_id,
            r.scores.completeness,
            r.scores.freshness,
            r.scores.newest_news,
            tuple((f.item_id, f.outcome, f.reason) for f in r.findings),
        )
        for r in store.iter_results(run_id)
    }


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    with Store(path) as store:
        _scan_into(store)
    return path


@pytest.mark.parametrize("jobs", [1, 2])
def test_rescore_with_the_same_checklist_reproduces_the_run(db: Path, jobs: int) -> None:
    with Store(db) as store:
        source = store.latest_run()
        assert source is not None
        new = rescore_run(store, source.id, jobs=jobs)
        assert new.id != source.id
        assert new.state is RunState.FINISHED
        assert (new.registry_hash, new.as_of, new.checklist) == (
            source.registry_hash,
            source.as_of,
            source.checklist,
        )
        assert new.note == f"rescore of run {source.id}"
        assert new.pages_from == source.id
        assert new.done == 4
        assert _summary(store, new.id) == _summary(store, source.id)
        assert store.run(source.id).state is RunState.FINISHED  # the history stays as it was


def test_bodies_are_stored_compressed_for_html_only(db: Path) -> None:
    raw = sqlite3.connect(db)
    try:
        rows = raw.execute("SELECT kind, body, size FROM pages").fetchall()
    finally:
        raw.close()
    html = [r for r in rows if r[0] == "html"]
    assert html and all(r[1] is not None for r in html)
    assert all(r[1] is None for r in rows if r[0] == "document")
    assert sum(len(r[1]) for r in html) < sum(r[2] for r in html) / 2  # compressed
    with Store(db) as store:
        pages = {p.url: p for p in store.stored_pages(1, "ru-gkb1")}
    home = (SITES / "ru-gkb1" / "index.html").read_text(encoding="utf-8")
    assert pages["http://gkb1.test/"].html == home
    assert pages["http://gkb1.test/doc.pdf"].html is None


def test_rescore_with_a_changed_checklist(db: Path, tmp_path: Path) -> None:
    text = (REPO / "checklists" / "ru-118n.yaml").read_text(encoding="utf-8")
    dropped = "contacts.address"  # goes; contacts.phone (just before it) weighs 5
    phone, start = text.index("  - id: contacts.phone\n"), text.index(f"  - id: {dropped}\n")
    end = text.index("  - id: contacts.email\n")
    weight = text.index("    weight:", phone)
    end_of_line = text.index("\n", weight)
    text = text[:weight] + "    weight: 5" + text[end_of_line:start] + text[end:]
    changed = tmp_path / "changed.yaml"
    changed.write_text(text, encoding="utf-8")
    assert dropped not in {i.id for i in load_checklist(changed).items}

    with Store(db) as store:
        new = rescore_run(store, 1, checklist=str(changed), as_of=date(2027, 6, 1))
        assert new.as_of == date(2027, 6, 1)
        assert new.checklist == str(changed)
        assert "rescore of run 1 with checklist" in new.note
        results = {r.org.id: r for r in store.iter_results(new.id)}
        old = {r.org.id: r for r in store.iter_results(1)}
    for org_id in ("ru-gkb1", "ru-ambulatoria-sparse", "down"):
        assert dropped not in {f.item_id for f in results[org_id].findings}
        assert dropped in {f.item_id for f in old[org_id].findings}
        phone = {f.item_id: f for f in results[org_id].findings}["contacts.phone"]
        assert phone.weight == 5.0
    assert results["down"].status is SiteStatus.CONNECT_ERROR  # unreachable stays unreachable
    assert results["down"].scores.completeness is None
    # Seven months later the news is no longer fresh.
    new_fresh, old_fresh = results["ru-gkb1"].scores.freshness, old["ru-gkb1"].scores.freshness
    assert new_fresh is not None and old_fresh == 100.0 and new_fresh < 50.0
    # Kazakh site: its own checklist was replaced by the one given.
    assert results["kz-emhana-ru"].checklist_id == "ru-118n"


def test_a_rescored_run_can_be_rescored_again(db: Path) -> None:
    with Store(db) as store:
        once = rescore_run(store, 1)
        twice = rescore_run(store, once.id)
        assert twice.pages_from == 1
        assert _summary(store, twice.id) == _summary(store, 1)


def test_rescore_refuses_unfinished_and_bodiless_runs(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        run = store.start_run(
            registry="r.csv", registry_hash="a" * 64, checklist="auto", as_of=AS_OF, total=1,
            settings={},
        )  # fmt: skip
        with pytest.raises(ScanError, match=r"run 1 is running; finish it with"):
            rescore_run(store, run.id)
        org = Organization(id="x", name="x", url="http://x.test/", country="RU", row=2)
        page = Page(url=org.url, final_url=org.url, status_code=200, fetched_at=T0, depth=0)
        crawl = CrawlResult(org, SiteStatus.OK, "", (page,), T0, T0)
        result = site_result(org, crawl, load_checklist("ru-118n"), AS_OF)
        store.save_site(run.id, result, (page,))
        store.finish_run(run.id)
        with pytest.raises(ScanError, match=r"without page bodies .*scan the registry again"):
            rescore_run(store, run.id)
        assert [r.id for r in store.runs()] == [1]  # nothing half-written left behind


def test_schema_1_store_is_migrated_to_current(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    try:
        for statement in _MIGRATIONS[0]:  # the schema 1 store of siteaudit 0.1
            raw.execute(statement)
        raw.executescript(
            "INSERT INTO runs (started_at, registry, registry_hash, checklist, as_of, total, state)"
            " VALUES ('2026-11-01T00:00:00+00:00', 'r.csv', 'h', 'auto', '2026-11-01', 3,"
            " 'finished');"
            "PRAGMA user_version = 1;"
        )
    finally:
        raw.close()
    with Store(path) as store:
        run = store.run(1)
        assert (run.note, run.shard, run.pages_from, run.total) == ("", "", None, 3)
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert "encoding" in {r[1] for r in raw.execute("PRAGMA table_info(pages)")}
        assert "stale" in {r[1] for r in raw.execute("PRAGMA table_info(findings)")}
    finally:
        raw.close()


def test_rescore_command(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["rescore", "--db", str(db), "--jobs", "1", "--as-of", "2026-11-23"])
    assert code == ExitCode.OK
    assert "run 2: rescore of run 1, 4 sites" in capsys.readouterr().out
    assert main(["rescore", "--db", str(db), "--run", "9"]) == ExitCode.FAILED
    assert "there is no run 9" in capsys.readouterr().err
    assert main(["rescore", "--db", str(db.parent / "none.db")]) == ExitCode.BAD_INPUT
