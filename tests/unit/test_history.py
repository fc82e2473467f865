"""History: diff between runs, region trends, the baseline file and the CI gate."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from siteaudit.errors import InputError
from siteaudit.history import (
    Baseline,
    baseline_text,
    diff_from_store,
    diff_lines,
    diff_results,
    gate,
    gate_run,
    history_runs,
    load_baseline,
    region_trends,
    trends_from_store,
)
from siteaudit.models import (
    Finding,
    Organization,
    Outcome,
    RunInfo,
    Scores,
    SiteResult,
    SiteStatus,
)
from siteaudit.store import Store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
P, A, U = Outcome.PRESENT, Outcome.ABSENT, Outcome.UNKNOWN


def result(
    org_id: str,
    outcomes: dict[str, Outcome],
    *,
    region: str = "North",
    status: SiteStatus = SiteStatus.OK,
    completeness: float | None = None,
) -> SiteResult:
    findings = tuple(Finding(item, outcome, f"why {item}") for item, outcome in outcomes.items())
    determined = [o for o in outcomes.values() if o is not U]
    if completeness is None and determined and status.reachable:
        completeness = round(100 * determined.count(P) / len(determined), 1)
    return SiteResult(
        Organization(org_id, f"Org {org_id}", f"https://{org_id}.example/", region, "RU"),
        "ru-118n",
        status,
        "",
        findings if status.reachable else tuple(Finding(i, U, "") for i in outcomes),
        Scores(completeness if status.reachable else None, 50.0 if status.reachable else None),
        3,
        0,
        NOW,
        NOW,
        date(2026, 11, 23),
    )


def store_runs(
    store: Store, runs: Sequence[Sequence[SiteResult]], registry: str = "h"
) -> list[int]:
    ids = []
    for n, results in enumerate(runs):
        run = store.start_run(
            registry="registry.csv",
            registry_hash=registry,
            checklist="auto",
            as_of=date(2026, 11, 1 + 7 * n),
            total=len(results),
            settings={},
        )
        for r in results:
            store.save_site(run.id, r)
        store.finish_run(run.id)
        ids.append(run.id)
    return ids


RUN1 = [
    result("a", {"x.phone": P, "x.email": P, "x.news": A}),
    result("b", {"x.phone": A, "x.email": P, "x.news": U}, region="South"),
    result("c", {"x.phone": P, "x.email": P, "x.news": P}, region="South"),
    result("gone", {"x.phone": P}),
]
RUN2 = [
    result("a", {"x.phone": A, "x.email": P, "x.news": P}),  # phone lost, news gained
    result("b", {"x.phone": A, "x.email": P, "x.news": A}, region="South"),  # unknown -> absent
    result("c", {"x.phone": P}, region="South", status=SiteStatus.TIMEOUT),
    result("new", {"x.phone": P}),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "s.db") as s:
        yield s


def test_diff_reports_newly_missing_and_present_per_org() -> None:
    changes, removed = diff_results(RUN2, RUN1)
    by = {c.org_id: c for c in changes}
    assert removed == ("gone",)
    assert by["a"].newly_missing == ("x.phone",) and by["a"].newly_present == ("x.news",)
    assert by["a"].delta == 0.0 and by["a"].changed
    # unknown before is not "present before": absent now is not a regression
    assert by["b"].newly_missing == () and by["b"].newly_present == ()
    assert by["c"].became_unreachable and by["c"].delta is None
    assert by["new"].is_new and by["new"].status_before is None
    assert [c.org_id for c in changes] == ["a", "b", "c", "new"]


def test_diff_from_store_uses_previous_finished_run_of_same_registry(store: Store) -> None:
    first, second = store_runs(store, [RUN1, RUN2])
    store_runs(store, [RUN1], registry="other")  # a different registry does not count
    diff = diff_from_store(store, store.run(second))
    assert diff.previous is not None and diff.previous.id == first
    assert list(diff.newly_missing()) == [("a", "x.phone")]
    assert diff_from_store(store, store.run(first)).previous is None
    lines = diff_lines(diff)
    assert lines[0].startswith(f"run {second} (2026-11-08) against run {first}")
    assert any("a: " in line and "newly missing: x.phone" in line for line in lines)
    assert any("gone: no longer in the registry" in line for line in lines)
    assert any("status ok -> timeout" in line for line in lines)


def test_region_trends_over_last_runs(store: Store) -> None:
    ids = store_runs(store, [RUN1, RUN2, RUN2])
    chain = history_runs(store, store.run(ids[-1]), last=2)
    assert [r.id for r in chain] == ids[1:]
    trends = {t.region: t for t in trends_from_store(store, store.run(ids[-1]), last=8)}
    assert set(trends) == {"North", "South"}
    north = [p.mean_completeness for p in trends["North"].points]
    assert north == [83.3, 83.3, 83.3]  # (66.7 + 100) / 2, then (66.7 + 100) / 2
    south = [p.mean_completeness for p in trends["South"].points]
    assert south == [75.0, 33.3, 33.3]  # c unreachable in runs 2-3: not scored
    assert trends["South"].change == -41.7
    assert region_trends([]) == ()


def test_baseline_yaml_mapping_list_and_csv(tmp_path: Path) -> None:
    mapping = tmp_path / "b.yaml"
    mapping.write_text("a: [x.phone]\nb: '*'\n", encoding="utf-8")
    base = load_baseline(mapping)
    assert base.accepts("a", "x.phone") and not base.accepts("a", "x.email")
    assert base.accepts("b", "anything")
    listed = tmp_path / "l.yml"
    listed.write_text("accepted:\n  - {org: a, item: x.phone}\n", encoding="utf-8")
    assert load_baseline(listed).gaps == frozenset({("a", "x.phone")})
    table = tmp_path / "b.csv"
    table.write_text("\ufefforg_id;item_id\na;x.phone\n", encoding="utf-8")
    assert load_baseline(table).gaps == frozenset({("a", "x.phone")})


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("b.csv", "org,what\na,b\n", r"b\.csv:1: the header needs the columns 'org' and 'item'"),
        ("b.csv", "org,item\na,\n", r"b\.csv:2: both 'org' and 'item' are needed"),
        ("b.yaml", "a: [x\n", r"b\.yaml:\d+: not valid YAML"),
        ("b.yaml", "a: {x: 1}\n", r"key 'a': expected a list of item ids"),
        ("b.yaml", "- just text\n", r"entry 1: expected a mapping with 'org' and 'item'"),
        ("b.yaml", "42\n", "expected a mapping"),
    ],
)
def test_bad_baseline_is_one_line_input_error(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_baseline(path)


def test_missing_baseline_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such baseline file"):
        load_baseline(tmp_path / "nope.yaml")


def test_baseline_text_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(baseline_text(RUN2), encoding="utf-8")
    assert load_baseline(path).gaps == frozenset(
        {("a", "x.phone"), ("b", "x.phone"), ("b", "x.news")}
    )


def test_gate_fail_under_ignores_unreachable_unless_strict() -> None:
    passed = gate(RUN2, fail_under=30)
    assert passed.passed and passed.checked == 4
    failed = gate(RUN2, fail_under=50)
    assert [str(f) for f in failed.failures] == ["b: completeness 33.3 < 50"]
    strict = gate(RUN2, fail_under=30, strict=True)
    assert [str(f) for f in strict.failures] == ["c: site unreachable (timeout)"]


def test_gate_baseline_accepts_known_gaps_and_fails_new_ones() -> None:
    known = Baseline(frozenset({("a", "x.phone"), ("b", "x.phone"), ("b", "x.news")}))
    assert gate(RUN2, baseline=known).passed
    assert gate(RUN2, baseline=known).accepted == 3
    partial = Baseline(frozenset({("a", "x.phone"), ("b", "*")}))
    assert gate(RUN2, baseline=partial).passed
    strict = gate(RUN2, baseline=Baseline(frozenset({("b", "*")})))
    assert [str(f) for f in strict.failures] == ["a: x.phone absent (not in baseline)"]


def test_gate_on_regression_since_previous_run(store: Store) -> None:
    _, second = store_runs(store, [RUN1, RUN2])
    run: RunInfo = store.run(second)
    result_ = gate_run(store, run, fail_on_regression=True)
    assert [str(f) for f in result_.failures] == ["a: x.phone newly absent since run 1"]
    accepted = gate_run(
        store,
        run,
        fail_on_regression=True,
        baseline=Baseline(frozenset({("a", "x.phone"), ("b", "*")})),
    )
    assert accepted.passed
    strict = gate_run(
        store,
        run,
        fail_on_regression=True,
        strict=True,
        baseline=Baseline(frozenset({("a", "x.phone"), ("b", "*")})),
    )
    assert {str(f) for f in strict.failures} == {"c: site unreachable (timeout)"}
    assert gate_run(store, run).passed  # no gate asked for
