"""End to end: registry -> real HTTP on 127.0.0.x -> store -> reports, resume, the demo."""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import pytest

from siteaudit.cli import main
from siteaudit.errors import ExitCode
from siteaudit.models import Event, Outcome, SiteFinished, SiteStarted, SiteStatus
from siteaudit.scan import plan_scan, run_scan
from siteaudit.serve import load_site_map
from siteaudit.settings import load_settings
from siteaudit.store import Store

pytestmark = pytest.mark.integration
AS_OF = "2026-11-23"


@pytest.fixture
def registry(example_registry: Path) -> Path:
    """The example registry pointed at the example sites served on free loopback ports."""
    return example_registry


def _labels(examples_dir: Path) -> dict[str, dict[str, str]]:
    import yaml

    out = {}
    for labels in sorted((examples_dir / "sites").glob("*/LABELS.yaml")):
        data = yaml.safe_load(labels.read_text(encoding="utf-8"))
        out[labels.parent.name] = data["items"]
    return out


def test_scan_writes_every_report(registry: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    db = tmp_path / "s.db"
    code = main(
        [
            "scan",
            str(registry),
            "--out",
            str(out),
            "--db",
            str(db),
            "--quiet",
            "--as-of",
            AS_OF,
            "--allow-network",
            "127.0.0.0/8",
            "--delay",
            "0",
        ]
    )
    assert code == ExitCode.OK
    assert (out / "index.html").is_file()
    with (out / "results.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == [
        "ru-gkb1",
        "ru-poliklinika-cp1251",
        "kz-oblbolnica",
        "kz-emhana-ru",
        "ru-ambulatoria-sparse",
    ]
    assert {r["status"] for r in rows} == {"ok"}
    for row in rows:
        assert (out / "orgs" / f"{row['id']}.html").is_file()
        assert 0 <= float(row["completeness"]) <= 100
    # the crawler's own summary of a site, told in the report's language
    page = (out / "orgs" / "ru-gkb1.html").read_text(encoding="utf-8")
    assert re.search(r"Подробности: \d+ страни\w*, \d+ документ\w*, 0 с ошибкой<", page)
    gkb1 = next(r for r in rows if r["id"] == "ru-gkb1")
    sparse = next(r for r in rows if r["id"] == "ru-ambulatoria-sparse")
    assert float(gkb1["completeness"]) > float(sparse["completeness"])
    assert gkb1["newest_news"] == "2026-11-10"
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == 1
    assert len(data["organizations"]) == 5
    # the report can be re-rendered from the store alone
    again = tmp_path / "again"
    assert main(["report", "--db", str(db), "--out", str(again)]) == ExitCode.OK
    assert (again / "results.csv").read_bytes() == (out / "results.csv").read_bytes()


def test_scan_reading_cp1251_semicolon_registry(
    examples_dir: Path,
    tmp_path: Path,
    serve,  # type: ignore[no-untyped-def]
) -> None:
    """The Excel-style registry (windows-1251, ';') scans like the UTF-8 one."""
    site_map = load_site_map(examples_dir / "sites.yaml")
    served = serve({slug: examples_dir / "sites" / slug for slug in site_map})
    text = (examples_dir / "registry-excel-ru.csv").read_bytes().decode("cp1251")
    for slug, netloc in site_map.items():
        text = text.replace(netloc, served[slug].netloc)
    reg = tmp_path / "excel.csv"
    reg.write_bytes(text.encode("cp1251"))
    plan = plan_scan(reg, "auto", skip_invalid=False)
    assert len(plan.organizations) == 5
    assert plan.registry.delimiter == ";"


def test_unreachable_site_is_unknown_not_absent(tmp_path: Path) -> None:
    reg = tmp_path / "reg.csv"
    # nothing listens on port 9 of 127.0.0.99: connection refused
    reg.write_text("id,name,url,country\ndead,Dead clinic,http://127.0.0.99:9/,RU\n", "utf-8")
    out = tmp_path / "out"
    code = main(
        [
            "scan",
            str(reg),
            "--out",
            str(out),
            "--db",
            str(tmp_path / "s.db"),
            "--quiet",
            "--allow-network",
            "127.0.0.0/8",
            "--as-of",
            AS_OF,
        ]
    )
    assert code == ExitCode.OK
    with (out / "results.csv").open(encoding="utf-8-sig", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert row["status"] == "connect_error"
    assert row["completeness"] == ""
    items = [v for k, v in row.items() if "." in k]
    assert items and set(items) == {"unknown"}


def test_loopback_refused_without_allow_network(tmp_path: Path, registry: Path) -> None:
    out = tmp_path / "out"
    code = main(["scan", str(registry), "--out", str(out), "--db", str(tmp_path / "s.db"), "-q"])
    assert code == ExitCode.OK
    with (out / "results.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert {r["status"] for r in csv.DictReader(fh)} == {SiteStatus.BLOCKED.value}


def _outcomes(store: Store, run_id: int) -> dict[str, dict[str, Outcome]]:
    return {
        r.org.id: {f.item_id: f.outcome for f in r.findings} for r in store.iter_results(run_id)
    }


def test_interrupted_scan_resumes_without_refetching(registry: Path, tmp_path: Path) -> None:
    settings = load_settings(
        None, allow_networks=("127.0.0.0/8",), per_host_delay=0.0, concurrency=1
    )
    plan = plan_scan(registry, "auto", skip_invalid=False)
    day = date.fromisoformat(AS_OF)

    with Store(tmp_path / "full.db") as store:
        full = run_scan(plan, store, settings, checklist="auto", as_of=day)
        expected = _outcomes(store, full.id)

    finished: list[str] = []

    def stop_after_two(event: Event) -> None:
        if isinstance(event, SiteFinished):
            finished.append(event.result.org.id)
            if len(finished) == 2:
                raise KeyboardInterrupt

    db = tmp_path / "resumed.db"
    with Store(db) as store, pytest.raises(KeyboardInterrupt):
        run_scan(plan, store, settings, checklist="auto", as_of=day, on_event=stop_after_two)
    with Store(db) as store:
        run = store.unfinished_run(plan.registry.sha256)
        assert run is not None
        assert store.finished_org_ids(run.id) == set(finished)
        started: list[str] = []

        def record(event: Event) -> None:
            if isinstance(event, SiteStarted):
                started.append(event.org.id)

        resumed = run_scan(
            plan, store, settings, checklist="auto", as_of=day, resume=True, on_event=record
        )
        assert resumed.id == run.id
        assert resumed.done == resumed.total == 5
        assert not set(started) & set(finished)  # finished sites were not fetched again
        assert _outcomes(store, resumed.id) == expected


def test_demo_runs_to_a_finished_report(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quiet"]) == ExitCode.OK
    assert (out / "index.html").is_file()
    assert len(list((out / "orgs").glob("*.html"))) == 5


def test_check_one_site_prints_findings(
    examples_dir: Path,
    serve,  # type: ignore[no-untyped-def]
    capsys: pytest.CaptureFixture[str],
) -> None:
    served = serve({"gkb1": examples_dir / "sites" / "ru-gkb1"})
    code = main(
        [
            "check",
            served["gkb1"].url,
            "--country",
            "RU",
            "--allow-network",
            "127.0.0.0/8",
            "--as-of",
            AS_OF,
            "--lang",
            "en",
        ]
    )
    text = capsys.readouterr().out
    assert code == ExitCode.OK
    assert "status: ok" in text
    assert "newest news 2026-11-10" in text
    assert "Contacts page" in text or "contacts.page" in text


def test_check_unreachable_site(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "check",
            "http://127.0.0.99:9/",
            "--checklist",
            "ru-118n",
            "--allow-network",
            "127.0.0.0/8",
        ]
    )
    text = capsys.readouterr().out
    assert code == ExitCode.OK
    assert "connect_error" in text
    assert "unknown" in text
