"""Every command's help and error paths, through the real entry point (siteaudit.cli.main)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from siteaudit.cli import main
from siteaudit.errors import ExitCode

COMMANDS = [
    [],
    ["scan"],
    ["report"],
    ["check"],
    ["demo"],
    ["checklist"],
    ["checklist", "list"],
    ["checklist", "show"],
    ["checklist", "validate"],
    ["registry"],
    ["registry", "validate"],
    ["diff"],
    ["baseline"],
    ["rescore"],
    ["merge"],
]


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w) or "siteaudit")
def test_every_command_has_help(words: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*words, "--help"]) == 0
    text = capsys.readouterr().out
    assert "Usage:" in text
    # every command documented in the README
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    if words:  # every command and subcommand appears in the README's usage
        assert f"siteaudit {words[0]}" in readme
        assert " ".join(words) in readme


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert "siteaudit" in capsys.readouterr().out


def test_console_script_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "siteaudit", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert "scan" in proc.stdout


def test_unknown_option_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--no-such-flag"]) == ExitCode.USAGE
    assert "No such option" in capsys.readouterr().err


def test_missing_registry_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", str(tmp_path / "nope.csv"), "--db", str(tmp_path / "s.db")])
    err = capsys.readouterr().err
    assert code == ExitCode.BAD_INPUT
    assert "nope.csv" in err
    assert "Traceback" not in err


def test_registry_with_errors_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg = tmp_path / "reg.csv"
    reg.write_text("id,name,url,country\n1,A,gkb1 ru,RU\n2,B,https://b.example/,RU\n", "utf-8")
    code = main(["scan", str(reg), "--db", str(tmp_path / "s.db"), "--quiet"])
    err = capsys.readouterr().err
    assert code == ExitCode.BAD_INPUT
    assert "reg.csv:2" in err
    assert "--skip-invalid" in err


def test_registry_validate_lists_all_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg = tmp_path / "reg.csv"
    reg.write_text(
        "id;name;url;country\n1;A;gkb1 ru;RU\n1;B;https://b.example/;RU\n3;C;c.example;XX\n",
        "utf-8",
    )
    code = main(["registry", "validate", str(reg)])
    captured = capsys.readouterr()
    assert code == ExitCode.BAD_INPUT
    assert "reg.csv:2" in captured.err  # malformed URL
    assert "reg.csv:3" in captured.err  # duplicate id
    assert "reg.csv:4" in captured.err  # unknown country for --checklist auto
    assert "has no scheme" in captured.err  # warning for c.example


def test_registry_validate_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reg = tmp_path / "reg.csv"
    reg.write_text("id,name,url,country\n1,A,https://a.example/,RU\n", "utf-8")
    assert main(["registry", "validate", str(reg)]) == 0
    assert "1 organizations, 0 errors" in capsys.readouterr().out


def test_checklist_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checklist", "list"]) == 0
    listing = capsys.readouterr().out
    assert "ru-118n" in listing
    assert "kz-medorg" in listing
    assert main(["checklist", "show", "ru-118n"]) == 0
    assert "contacts.phone" in capsys.readouterr().out


def test_checklist_show_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checklist", "show", "no-such"]) == ExitCode.BAD_INPUT
    assert "ru-118n" in capsys.readouterr().err  # the message lists the bundled ids


def test_checklist_validate_reports_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: bad\ntitle: {ru: a, kk: b, en: c}\ncountry: RU\nsections: {s: {ru: a, kk: b, en: c}}\n"
        "items:\n  - id: a.b\n    title: {ru: a, kk: b, en: c}\n    section: s\n"
        "    citation: {document: x}\n    rule: {kind: pagee, synonyms: [x]}\n",
        "utf-8",
    )
    assert main(["checklist", "validate", str(bad)]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "bad.yaml:10" in err
    assert "page" in err


def test_report_without_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--db", str(tmp_path / "none.db")]) == ExitCode.BAD_INPUT
    assert "no such store" in capsys.readouterr().err


def test_bad_as_of(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reg = tmp_path / "reg.csv"
    reg.write_text("id,name,url,country\n1,A,https://a.example/,RU\n", "utf-8")
    code = main(["scan", str(reg), "--as-of", "23.11.2026", "--db", str(tmp_path / "s.db")])
    assert code == ExitCode.BAD_INPUT
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_bad_allow_network(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reg = tmp_path / "reg.csv"
    reg.write_text("id,name,url,country\n1,A,https://a.example/,RU\n", "utf-8")
    code = main(["scan", str(reg), "--allow-network", "localhost", "--db", str(tmp_path / "s.db")])
    assert code == ExitCode.BAD_INPUT
    assert "CIDR" in capsys.readouterr().err


def test_resume_with_nothing_to_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reg = tmp_path / "reg.csv"
    reg.write_text("id,name,url,country\n1,A,https://a.example/,RU\n", "utf-8")
    code = main(["scan", str(reg), "--resume", "--db", str(tmp_path / "s.db"), "--quiet"])
    assert code == ExitCode.FAILED
    assert "nothing to resume" in capsys.readouterr().err


def test_check_needs_country_for_auto(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "https://a.example/"]) == ExitCode.BAD_INPUT
    assert "--country" in capsys.readouterr().err
