"""scan --shard K/N and siteaudit merge: three shard stores make the run one scan would make."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from siteaudit.cli import main
from siteaudit.errors import ExitCode
from siteaudit.registry import shard_of
from siteaudit.scan import plan_scan, run_scan
from siteaudit.settings import load_settings
from siteaudit.store import Store

pytestmark = pytest.mark.integration
AS_OF = "2026-11-23"
IDS = ["ru-gkb1", "ru-poliklinika-cp1251", "kz-oblbolnica", "kz-emhana-ru", "ru-ambulatoria-sparse"]


@pytest.fixture
def registry(example_registry: Path) -> Path:
    return example_registry


def _summary(db: Path, run_id: int | None = None) -> dict[str, tuple[object, ...]]:
    with Store(db) as store:
        run = store.run(run_id) if run_id is not None else store.latest_run()
        assert run is not None
        return {
            r.org.id: (
                r.status,
                r.scores.completeness,
                r.scores.freshness,
                tuple((f.item_id, f.outcome, f.stale) for f in r.findings),
                len(store.site_pages(run.id, r.org.id)),
            )
            for r in store.iter_results(run.id)
        }


def _scan(registry: Path, db: Path, *extra: str) -> int:
    return main(
        [
            "scan", str(registry), "--db", str(db), "--out", str(db.with_suffix("")), "--quiet",
            "--as-of", AS_OF, "--allow-network", "127.0.0.0/8", "--delay", "0", *extra,
        ]
    )  # fmt: skip


def test_shards_split_by_id_and_merge_into_one_run(registry: Path, tmp_path: Path) -> None:
    settings = load_settings(None, allow_networks=("127.0.0.0/8",), per_host_delay=0.0)
    plan = plan_scan(registry, "auto", skip_invalid=False)
    with Store(tmp_path / "full.db") as store:
        run_scan(plan, store, settings, checklist="auto", as_of=date.fromisoformat(AS_OF))
    expected = _summary(tmp_path / "full.db")

    shards = [tmp_path / f"shard{k}.db" for k in (1, 2, 3)]
    for k, db in enumerate(shards, start=1):
        assert _scan(registry, db, "--shard", f"{k}/3") == ExitCode.OK
        with Store(db) as store:
            run = store.latest_run()
            assert run is not None and run.shard == f"{k}/3"
            assert {r.org.id for r in store.iter_results(run.id)} == {
                i for i in IDS if shard_of(i, 3) == k
            }  # shard 1 of 3 is empty with these five ids: an empty finished run
    out = tmp_path / "merged.db"
    assert main(["merge", str(out), *map(str, shards)]) == ExitCode.OK
    assert _summary(out) == expected
    with Store(out) as store:
        merged = store.latest_run()
        assert merged is not None
        assert (merged.total, merged.done, merged.shard) == (5, 5, "")
        assert merged.note.startswith("merge of shard1.db run 1 (shard 1/3), shard2.db")

    report_dir = tmp_path / "report"
    assert main(["report", "--db", str(out), "--out", str(report_dir)]) == ExitCode.OK
    with (report_dir / "results.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert [row["id"] for row in csv.DictReader(fh)] == IDS  # registry order again

    # Resuming a shard continues that shard's run, not another one's.
    assert _scan(registry, shards[1], "--shard", "2/3", "--resume") == ExitCode.FAILED


def test_merge_refuses_incompatible_inputs(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, c = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    assert _scan(registry, a, "--shard", "2/3") == ExitCode.OK
    assert _scan(registry, b, "--shard", "2/3") == ExitCode.OK
    assert _scan(registry, c, "--shard", "3/3", "--as-of", "2026-11-24") == ExitCode.OK
    capsys.readouterr()
    assert _scan(registry, tmp_path / "x.db", "--shard", "4/3") == ExitCode.BAD_INPUT
    assert "shard '4/3' is not K/N with 1 <= K <= N" in capsys.readouterr().err

    def refused(*args: Path) -> str:
        assert main(["merge", *map(str, args)]) == ExitCode.BAD_INPUT
        message = capsys.readouterr().err.strip()
        assert "\n" not in message.replace(str(tmp_path), "")
        return " ".join(message.split())

    assert "holds shard 2/3, like" in refused(tmp_path / "m.db", a, b)
    assert "scan every shard with the same --as-of" in refused(tmp_path / "m.db", a, c)
    assert "is also the output" in refused(a, a, c)
    assert "no such store" in refused(tmp_path / "m.db", tmp_path / "none.db")
    other = tmp_path / "other.csv"
    other.write_text(registry.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    d = tmp_path / "d.db"
    assert _scan(other, d, "--shard", "3/3") == ExitCode.OK
    capsys.readouterr()
    assert "merge shards of the same registry file only" in refused(tmp_path / "m.db", a, d)
    assert not (tmp_path / "m.db").exists()  # nothing written on a refusal
