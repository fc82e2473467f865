"""Scores of one site from its findings (pure): completeness and freshness, 0-100.

Completeness is the weighted share of present items among the items that could be
determined: an unknown item (the page could not be read) is neither credit nor penalty.
Freshness follows the age of the newest dated news item along the checklist's thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from .checklist import Checklist, Freshness
from .models import Evaluation, Finding, Outcome, Scores


def completeness(findings: Sequence[Finding]) -> float | None:
    """Weighted share of present among present + absent, 0-100 to one decimal.

    None when no item could be determined (or every determined item weighs nothing).
    """
    present = sum(f.weight for f in findings if f.outcome is Outcome.PRESENT)
    absent = sum(f.weight for f in findings if f.outcome is Outcome.ABSENT)
    total = present + absent
    if total <= 0:
        return None
    return round(100.0 * present / total, 1)


def freshness(newest: date | None, as_of: date, thresholds: Freshness) -> float:
    """100 up to ``fresh_days`` old, falling linearly to 50 at ``ageing_days`` and to 0 at
    ``stale_days``; 0 beyond that or when there is no dated news at all. One decimal."""
    if newest is None:
        return 0.0
    age = (as_of - newest).days
    fresh, ageing, stale = thresholds.fresh_days, thresholds.ageing_days, thresholds.stale_days
    if age <= fresh:
        value = 100.0
    elif age <= ageing:
        value = 100.0 - 50.0 * (age - fresh) / (ageing - fresh)
    elif age <= stale:
        value = 50.0 - 50.0 * (age - ageing) / (stale - ageing)
    else:
        value = 0.0
    return round(value, 1)


def score(evaluation: Evaluation, checklist: Checklist, *, as_of: date, reachable: bool) -> Scores:
    """The scores of one site. An unreachable site has counts but no scores."""
    findings = evaluation.findings
    counts = {o: sum(1 for f in findings if f.outcome is o) for o in Outcome}
    return Scores(
        completeness=completeness(findings) if reachable else None,
        freshness=freshness(evaluation.newest_news, as_of, checklist.freshness)
        if reachable
        else None,
        newest_news=evaluation.newest_news,
        newest_news_url=evaluation.newest_news_url,
        present=counts[Outcome.PRESENT],
        absent=counts[Outcome.ABSENT],
        unknown=counts[Outcome.UNKNOWN],
    )
