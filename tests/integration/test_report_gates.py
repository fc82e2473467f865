"""CI gates end to end: scan the example sites twice, diff, baseline, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from siteaudit.cli import main
from siteaudit.errors import ExitCode

pytestmark = pytest.mark.integration


@pytest.fixture
def registry(example_registry: Path) -> Path:
    """The example registry on loopback, plus one site nothing listens on (connect_error)."""
    path = example_registry
    with path.open("a", encoding="utf-8") as fh:
        fh.write("ru-down,Закрытая больница,http://127.0.0.1:9/,Тестовая область,RU,hospital,\n")
    return path


def _scan(registry: Path, tmp_path: Path, *gates: str) -> int:
    return main(
        [
            "scan",
            str(registry),
            "--out",
            str(tmp_path / "out"),
            "--db",
            str(tmp_path / "s.db"),
            "--quiet",
            "--as-of",
            "2026-11-23",
            "--allow-network",
            "127.0.0.0/8",
            "--delay",
            "0",
            *gates,
        ]
    )


def test_gates_exit_codes_diff_and_baseline(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the demo sites score 26.9 .. 88.5; the unreachable one does not count without --strict
    assert _scan(registry, tmp_path, "--fail-under", "20") == ExitCode.OK
    assert "gate passed: 0 failures over 6 organizations" in capsys.readouterr().err
    assert _scan(registry, tmp_path, "--fail-under", "20", "--strict") == ExitCode.THRESHOLD
    err = capsys.readouterr().err
    assert "gate: ru-down: site unreachable (connect_error)" in err
    assert _scan(registry, tmp_path, "--fail-under", "60") == ExitCode.THRESHOLD
    err = capsys.readouterr().err
    assert "ru-ambulatoria-sparse: completeness" in err and "< 60" in err

    baseline = tmp_path / "baseline.yaml"
    assert main(["baseline", str(baseline), "--db", str(tmp_path / "s.db")]) == ExitCode.OK
    assert _scan(registry, tmp_path, "--baseline", str(baseline)) == ExitCode.OK
    capsys.readouterr()
    lines = baseline.read_text(encoding="utf-8").splitlines()
    trimmed = [line for line in lines if not line.startswith("ru-gkb1:")]
    assert len(trimmed) < len(lines)
    baseline.write_text("\n".join(trimmed) + "\n", encoding="utf-8")
    assert _scan(registry, tmp_path, "--baseline", str(baseline)) == ExitCode.THRESHOLD
    assert "ru-gkb1: " in capsys.readouterr().err

    # the same sites again: no regression, and the report compares with the previous run
    assert _scan(registry, tmp_path, "--fail-on-regression") == ExitCode.OK
    capsys.readouterr()
    assert main(["diff", "--db", str(tmp_path / "s.db"), "--trend", "3"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "against run" in out and "0 of 6 organizations changed" in out
    assert "region Тестовая область: — -> — -> —" in out
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert 'id="regions"' in index and "svg" in index


def test_bad_baseline_is_bad_input(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "b.csv"
    bad.write_text("org;what\n", encoding="utf-8")
    assert _scan(registry, tmp_path, "--baseline", str(bad)) == ExitCode.BAD_INPUT
    assert "b.csv:1: the header needs the columns 'org' and 'item'" in capsys.readouterr().err
    assert not (tmp_path / "s.db").exists()  # refused before scanning
    assert main(["diff", "--db", str(tmp_path / "none.db")]) == ExitCode.BAD_INPUT
