"""kill -9 in the middle of a scan, then ``scan --resume``: the run ends as if never killed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from siteaudit.scan import plan_scan, run_scan
from siteaudit.settings import load_settings
from siteaudit.store import Store

pytestmark = pytest.mark.integration
AS_OF = "2026-11-23"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def registry(example_registry: Path) -> Path:
    return example_registry


def _scan_cmd(registry: Path, db: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "siteaudit",
        "scan",
        str(registry),
        "--db",
        str(db),
        "--out",
        str(out),
        "--quiet",
        "--as-of",
        AS_OF,
        "--allow-network",
        "127.0.0.0/8",
        "--concurrency",
        "1",
        "--render",
        "never",  # no browser child left behind by SIGKILL
        *extra,
    ]


def _finished_sites(db: Path) -> int:
    if not db.exists():
        return 0
    raw = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return int(raw.execute("SELECT COUNT(*) FROM sites").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0
    finally:
        raw.close()


def _summary(store: Store, run_id: int) -> dict[str, tuple[object, ...]]:
    """Per organization: status, scores and every item's outcome."""
    return {
        r.org.id: (
            r.status,
            r.scores.completeness,
            r.scores.freshness,
            r.scores.newest_news,
            tuple((f.item_id, f.outcome) for f in r.findings),
        )
        for r in store.iter_results(run_id)
    }


def _fetch_times(store: Store, run_id: int, org_ids: set[str]) -> dict[str, list[str]]:
    return {
        org_id: [f"{p.url} {p.fetched_at.isoformat()}" for p in store.site_pages(run_id, org_id)]
        for org_id in org_ids
    }


def test_kill_9_then_resume_equals_an_uninterrupted_run(registry: Path, tmp_path: Path) -> None:
    # The uninterrupted reference run.
    settings = load_settings(
        None, allow_networks=("127.0.0.0/8",), per_host_delay=0.0, concurrency=1, render="never"
    )
    plan = plan_scan(registry, "auto", skip_invalid=False)
    with Store(tmp_path / "full.db") as store:
        full = run_scan(plan, store, settings, checklist="auto", as_of=date.fromisoformat(AS_OF))
        expected = _summary(store, full.id)
    assert len(expected) == 5

    # A slow scan (a delay between requests), killed with SIGKILL once two sites are stored.
    db = tmp_path / "killed.db"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen(
        _scan_cmd(registry, db, tmp_path / "out1", "--delay", "0.3"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while _finished_sites(db) < 2:
            if proc.poll() is not None:
                pytest.fail(f"the scan ended before it could be killed: {proc.stderr!r}")
            if time.monotonic() > deadline:
                pytest.fail("the scan stored fewer than 2 sites in 120 s")
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        assert proc.stderr is not None
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    with Store(db) as store:
        killed = store.unfinished_run(plan.registry.sha256)
        assert killed is not None
        finished_before = store.finished_org_ids(killed.id)
        assert 2 <= len(finished_before) < 5
        times_before = _fetch_times(store, killed.id, finished_before)

    resumed = subprocess.run(
        _scan_cmd(registry, db, tmp_path / "out2", "--delay", "0", "--resume"),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr

    with Store(db) as store:
        run = store.run(killed.id)
        assert run.state.value == "finished"
        assert run.done == run.total == 5
        assert store.runs() == [run]  # resumed into the same run, no new one
        assert _summary(store, run.id) == expected
        # The sites finished before the kill were not fetched again.
        assert _fetch_times(store, run.id, finished_before) == times_before
    assert (tmp_path / "out2" / "index.html").is_file()
