"""A scan spread over processes that crawl and evaluate (``--render never``, workers >= 1):
a child that dies loses no site, its parent's death takes the children with it, and errors
come back as themselves."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from procfs import descendants, processes_with
from siteaudit import scan
from siteaudit.models import Event, Organization, PageFetched, SiteStarted, SiteStatus
from siteaudit.scan import plan_scan, run_scan
from siteaudit.settings import Settings, load_settings
from siteaudit.store import Store

pytestmark = pytest.mark.integration
AS_OF = date(2026, 11, 23)
REPO = Path(__file__).resolve().parents[2]
VICTIM = "ru-gkb1"


@pytest.fixture
def registry(example_registry: Path) -> Path:
    return example_registry


def _settings(workers: int) -> Settings:
    return load_settings(  # one request per host at a time: pages in the same order
        None,
        allow_networks=("127.0.0.0/8",),
        per_host_delay=0.0,
        per_host_concurrency=1,
        workers=workers,
        render="never",
    )


def _scan(registry: Path, db: Path, on_event=None, debug: bool = False):  # type: ignore[no-untyped-def]
    settings = _settings(2)
    plan = plan_scan(registry, "auto", skip_invalid=False)
    with Store(db) as store:
        kwargs = {"on_event": on_event} if on_event is not None else {}
        run = run_scan(plan, store, settings, checklist="auto", as_of=AS_OF, debug=debug, **kwargs)
        return run, {r.org.id: r for r in store.iter_results(run.id)}


def _dies_on(victim: str, marker: Path | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Crawling ``victim`` kills the process crawling it, as the OOM killer would: every time,
    or (with a marker file) only the first time. Children are forked: they inherit the patch."""
    real = scan.crawl_site

    async def crawl_site(org: Organization, *args, **kwargs):  # type: ignore[no-untyped-def]
        if org.id == victim and (marker is None or not marker.exists()):
            if marker is not None:
                marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return await real(org, *args, **kwargs)

    monkeypatch.setattr(scan, "crawl_site", crawl_site)


def test_events_come_from_the_children(registry: Path, tmp_path: Path) -> None:
    seen: list[Event] = []
    run, results = _scan(registry, tmp_path / "s.db", seen.append)
    assert len(results) == 5 and all(r.status is SiteStatus.OK for r in results.values())
    started = {e.org.id for e in seen if isinstance(e, SiteStarted)}
    fetched = [e for e in seen if isinstance(e, PageFetched)]
    assert started == set(results)
    assert len(fetched) == sum(r.pages_fetched + r.pages_failed for r in results.values())
    assert run.state.value == "finished"


def test_a_site_whose_process_died_once_is_crawled_again(
    registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _dies_on(VICTIM, tmp_path / "died-once", monkeypatch)
    _, results = _scan(registry, tmp_path / "s.db")
    assert (tmp_path / "died-once").exists()  # a child did die on it
    assert len(results) == 5
    assert all(r.status is SiteStatus.OK for r in results.values())


def test_a_site_that_kills_every_process_is_an_internal_error_and_the_rest_go_on(
    registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _dies_on(VICTIM, None, monkeypatch)
    run, results = _scan(registry, tmp_path / "s.db")
    assert run.state.value == "finished"
    assert len(results) == 5
    victim = results.pop(VICTIM)
    assert victim.status is SiteStatus.INTERNAL_ERROR
    assert "crawling this site alone died" in victim.status_detail
    assert all(r.status is SiteStatus.OK for r in results.values())


def test_with_debug_an_error_in_a_child_is_raised_as_itself(
    registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crawl_site(org: Organization, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise LookupError(f"boom on {org.id}")

    monkeypatch.setattr(scan, "crawl_site", crawl_site)
    with pytest.raises(LookupError, match="boom on"):
        _scan(registry, tmp_path / "s.db", debug=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_stops_the_children_and_marks_the_run_interrupted(
    registry: Path, tmp_path: Path
) -> None:
    def on_event(event: Event) -> None:
        if isinstance(event, PageFetched):
            raise KeyboardInterrupt

    before = descendants()
    with pytest.raises(KeyboardInterrupt):
        _scan(registry, tmp_path / "s.db", on_event)
    assert descendants() == before  # no child left running
    with Store(tmp_path / "s.db") as store:
        (run,) = store.runs()
        assert run.state.value == "interrupted"


def _slow_scan(registry: Path, db: Path, out: Path) -> tuple[list[str], dict[str, str]]:
    """The command line (and environment) of a scan in two worker processes, slowed down by
    a second between requests so that it can be stopped midway."""
    cmd = [sys.executable, "-m", "siteaudit", "scan", str(registry), "--db", str(db)]
    cmd += ["--out", str(out), "--quiet", "--allow-network", "127.0.0.0/8"]
    cmd += ["--render", "never", "--workers", "2", "--delay", "1"]
    return cmd, {**os.environ, "PYTHONPATH": str(REPO / "src")}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_the_scan_takes_its_children_with_it(registry: Path, tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    cmd, env = _slow_scan(registry, db, tmp_path / "out")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(processes_with(str(db))) < 3:  # the scan and its two children
            assert proc.poll() is None, "the scan ended before it could be killed"
            assert time.monotonic() < deadline, "the scan's children did not start in 60 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while processes_with(str(db)):
        assert time.monotonic() < deadline, "children outlived the killed scan by 10 s"
        time.sleep(0.05)


def test_spawned_children_give_the_verdicts_of_forked_ones(
    registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where there is no fork (macOS, Windows) children are spawned: the same verdicts."""
    from siteaudit import procs

    _, forked = _scan(registry, tmp_path / "f.db")
    monkeypatch.setattr(procs, "start_method", lambda: "spawn")
    _, spawned = _scan(registry, tmp_path / "s.db")
    assert len(spawned) == 5

    def verdicts(results):  # type: ignore[no-untyped-def]  # evidence carries fetch times
        return {
            k: [(f.item_id, f.outcome, f.reason) for f in r.findings] for k, r in results.items()
        }

    assert verdicts(spawned) == verdicts(forked)


def test_the_store_keeps_the_pages_of_one_process(registry: Path, tmp_path: Path) -> None:
    """A worker sends back pages without their HTML (the compressed bodies carry it): the
    store still holds each page's title and body as a scan in one process stores them."""

    def pages(db: Path, workers: int) -> dict[str, list[tuple[object, ...]]]:
        settings = _settings(workers)
        plan = plan_scan(registry, "auto", skip_invalid=False)
        with Store(db) as store:
            run = run_scan(plan, store, settings, checklist="auto", as_of=AS_OF)
            return {
                org_id: [
                    (r.url, r.status_code, r.title, r.content_hash, r.size, p.html)
                    for r, p in zip(
                        store.site_pages(run.id, org_id),
                        store.stored_pages(run.id, org_id),
                        strict=True,
                    )
                ]
                for org_id in store.org_ids(run.id)
            }

    spread, single = pages(tmp_path / "p.db", 2), pages(tmp_path / "t.db", 0)
    assert len(spread) == 5
    assert spread == single
    assert sum(1 for rows in spread.values() for row in rows if row[2]) > 10  # titles kept
    assert all(row[5] for rows in spread.values() for row in rows if row[2])  # and bodies


def test_without_a_browser_to_find_render_auto_scans_in_processes(
    registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--render auto on a machine with no Chromium: no browser to keep in one process, so
    the workers crawl and evaluate; the browser's checks say why they are unknown."""
    from siteaudit.render import session

    calls: list[int] = []
    real = scan.scan_in_processes

    def spread(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["processes"])
        return real(*args, **kwargs)

    monkeypatch.setattr(scan, "scan_in_processes", spread)
    monkeypatch.setattr(scan, "find_browser", lambda explicit=None: None)
    monkeypatch.setattr(session, "find_browser", lambda explicit=None: None)  # the children's
    settings = _settings(2).model_copy(update={"render": "auto"})
    plan = plan_scan(registry, "auto", skip_invalid=False)
    with Store(tmp_path / "s.db") as store:
        run = run_scan(plan, store, settings, checklist="auto", as_of=AS_OF)
        results = list(store.iter_results(run.id))
    assert calls == [2]
    assert len(results) == 5
    axe = [f for r in results for f in r.findings if f.item_id == "a11y.axe"]
    assert axe and all(f.outcome.value == "unknown" for f in axe)
    assert all(f.reason == session.NO_BROWSER for f in axe), axe[0].reason


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_at_the_terminal_ends_the_scan_and_its_children(
    registry: Path, tmp_path: Path
) -> None:
    """Ctrl-C reaches the whole process group: the children ignore it, the scan stops them,
    marks the run interrupted and exits with 130."""
    db = tmp_path / "s.db"
    cmd, env = _slow_scan(registry, db, tmp_path / "out")
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's job is
    )
    try:
        deadline = time.monotonic() + 60
        while len(processes_with(str(db))) < 3:
            assert proc.poll() is None, "the scan ended before Ctrl-C"
            assert time.monotonic() < deadline, "the scan's children did not start in 60 s"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "resume" in err.decode()
    deadline = time.monotonic() + 10
    while processes_with(str(db)):
        assert time.monotonic() < deadline, "children outlived the interrupted scan"
        time.sleep(0.05)
    with Store(db) as store:
        (run,) = store.runs()
        assert run.state.value == "interrupted"
