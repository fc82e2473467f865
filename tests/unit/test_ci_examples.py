"""examples/ci: the workflow files are valid YAML, run weekly, keep the store between runs,
publish the report, and every siteaudit command they run parses with the real CLI."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from siteaudit.checklist import bundled_checklists, load_checklist
from siteaudit.cli import app
from siteaudit.history import load_baseline

CI = Path(__file__).resolve().parents[2] / "examples" / "ci"


def _load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((CI / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _commands(scripts: list[str]) -> list[list[str]]:
    """Every `siteaudit ...` invocation in a list of shell scripts (folded lines joined)."""
    found = []
    for script in scripts:
        for command in script.replace("\\\n", " ").split("\n"):
            words = shlex.split(command.split("||")[0], comments=True)
            if words and words[0] == "siteaudit":
                found.append(words[1:])
    return found


def _parses(args: list[str]) -> str:
    """Parse ``args`` with the real CLI's parser without running the command."""
    commands = getattr(typer.main.get_command(app), "commands", {})
    name, *rest = args
    assert name in commands, f"siteaudit has no command {name!r}"
    commands[name].make_context(name, list(rest))
    return name


def _cron_ok(cron: str) -> bool:
    fields = cron.split()
    return len(fields) == 5 and all(f and set(f) <= set("0123456789*/,-") for f in fields)


def test_github_workflow_runs_weekly_keeps_store_publishes_and_gates() -> None:
    data = _load("github-actions.yml")
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
    assert isinstance(triggers, dict)
    cron = triggers["schedule"][0]["cron"]
    assert _cron_ok(cron) and cron.split()[4] != "*"  # a day of the week: weekly
    steps = data["jobs"]["scan"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/cache/restore@") for u in uses)
    assert any(u.startswith("actions/cache/save@") for u in uses)
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    cached = {s["with"]["path"] for s in steps if "cache" in s.get("uses", "")}
    commands = _commands([s["run"] for s in steps if "run" in s])
    assert [_parses(c) for c in commands] == ["scan", "diff"]
    scan = commands[0]
    assert scan[scan.index("--db") + 1] in cached
    assert "--fail-on-regression" in scan and "--baseline" in scan
    assert data["jobs"]["pages"]["needs"] == "scan"


def test_gitlab_job_runs_on_schedule_keeps_store_publishes_and_gates() -> None:
    data = _load("gitlab-ci.yml")
    job = data["siteaudit-scan"]
    assert {"if": '$CI_PIPELINE_SOURCE == "schedule"'} in job["rules"]
    assert job["cache"]["paths"] == ["reports/siteaudit.db"] and job["cache"]["when"] == "always"
    assert job["artifacts"]["when"] == "always"
    commands = _commands(job["script"] + job["after_script"])
    assert [_parses(c) for c in commands] == ["scan", "diff"]
    scan = commands[0]
    assert scan[scan.index("--db") + 1] in job["cache"]["paths"]
    out = scan[scan.index("--out") + 1]
    assert any(p.rstrip("/") == out for p in job["artifacts"]["paths"])
    assert "--fail-on-regression" in scan
    pages = data["pages"]
    assert pages["artifacts"]["paths"] == ["public"] and out in pages["script"][0]
    assert set(data["stages"]) == {job["stage"], pages["stage"]}


@pytest.mark.parametrize("args", [["scan", "r.csv", "--fail-under", "101"], ["nope"]])
def test_the_parse_check_rejects_what_the_cli_rejects(args: list[str]) -> None:
    with pytest.raises((typer.TyperException, AssertionError)):
        _parses(args)


def test_example_baseline_loads_and_names_real_items() -> None:
    baseline = load_baseline(CI / "baseline.example.yaml")
    assert len(baseline) >= 3
    items = {i.id for path in bundled_checklists().values() for i in load_checklist(path).items}
    assert {item for _, item in baseline.gaps} <= items
