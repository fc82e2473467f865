"""score: weighted completeness (unknown never counted), the freshness curve, site scores."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from siteaudit.checklist import Checklist, Freshness
from siteaudit.models import Evaluation, Finding, Outcome
from siteaudit.score import completeness, freshness, score

P, A, U = Outcome.PRESENT, Outcome.ABSENT, Outcome.UNKNOWN
AS_OF = date(2026, 3, 1)
DEFAULT = Freshness()  # 30 / 90 / 365


def finding(outcome: Outcome, weight: float = 1.0, item_id: str = "x.y") -> Finding:
    return Finding(item_id=item_id, outcome=outcome, reason="r", weight=weight)


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def test_completeness_is_the_weighted_share_of_present() -> None:
    assert completeness([finding(P, 2), finding(A, 1)]) == 66.7
    assert completeness([finding(P), finding(P), finding(A), finding(A)]) == 50.0
    assert completeness([finding(P, 3)]) == 100.0
    assert completeness([finding(A, 3)]) == 0.0


def test_unknown_is_never_counted() -> None:
    base = [finding(P, 2), finding(A, 1)]
    assert completeness([*base, finding(U, 100)]) == completeness(base)


def test_completeness_is_none_when_nothing_was_determined() -> None:
    assert completeness([]) is None
    assert completeness([finding(U), finding(U)]) is None
    assert completeness([finding(P, 0), finding(A, 0)]) is None  # nothing weighs anything
    assert completeness([finding(P, 0), finding(A, 1)]) == 0.0


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (-1, 100.0),  # dated tomorrow (evaluate tolerates one day)
        (0, 100.0),
        (30, 100.0),
        (31, 99.2),
        (60, 75.0),
        (90, 50.0),
        (91, 49.8),
        (365, 0.0),
        (366, 0.0),
        (5000, 0.0),
    ],
)
def test_freshness_curve(age: int, expected: float) -> None:
    assert freshness(ago(age), AS_OF, DEFAULT) == expected


def test_freshness_without_dated_news_is_zero() -> None:
    assert freshness(None, AS_OF, DEFAULT) == 0.0


def test_freshness_with_collapsed_thresholds_has_no_division_by_zero() -> None:
    steps = Freshness(fresh_days=7, ageing_days=7, stale_days=7)
    assert [freshness(ago(d), AS_OF, steps) for d in (7, 8)] == [100.0, 0.0]
    cliff = Freshness(fresh_days=10, ageing_days=20, stale_days=20)
    assert [freshness(ago(d), AS_OF, cliff) for d in (15, 20, 21)] == [75.0, 50.0, 0.0]


def test_freshness_is_monotonic() -> None:
    values = [freshness(ago(d), AS_OF, DEFAULT) for d in range(0, 400)]
    assert values == sorted(values, reverse=True)


def checklist() -> Checklist:
    return Checklist.model_validate(
        {
            "id": "t",
            "title": {"ru": "т", "kk": "т", "en": "t"},
            "country": "RU",
            "freshness": {"fresh_days": 10, "ageing_days": 20, "stale_days": 100},
            "sections": {"s": {"ru": "с", "kk": "с", "en": "s"}},
            "items": [
                {
                    "id": "a.b",
                    "title": {"ru": "а", "kk": "а", "en": "a"},
                    "section": "s",
                    "citation": {"document": "d"},
                    "rule": {"kind": "text", "pattern": "x"},
                }
            ],
        }
    )


def test_score_counts_and_uses_the_checklist_thresholds() -> None:
    ev = Evaluation(
        findings=(finding(P, 3), finding(A, 1), finding(U), finding(U)),
        newest_news=ago(15),
        newest_news_url="https://gkb.test/news/1",
    )
    s = score(ev, checklist(), as_of=AS_OF, reachable=True)
    assert (s.present, s.absent, s.unknown) == (1, 1, 2)
    assert s.completeness == 75.0
    assert s.freshness == 75.0  # halfway between 10 and 20 days
    assert s.newest_news == ago(15) and s.newest_news_url == "https://gkb.test/news/1"


def test_score_of_an_unreachable_site_has_counts_but_no_scores() -> None:
    ev = Evaluation(findings=(finding(U), finding(U)))
    s = score(ev, checklist(), as_of=AS_OF, reachable=False)
    assert s.completeness is None and s.freshness is None
    assert (s.present, s.absent, s.unknown) == (0, 0, 2)


def test_score_of_a_reachable_site_without_news_is_stale() -> None:
    s = score(Evaluation(findings=(finding(P),)), checklist(), as_of=AS_OF, reachable=True)
    assert s.freshness == 0.0 and s.completeness == 100.0 and s.newest_news is None
