"""Seconds to extract pathological pages (the hostile markup of tests/unit/test_extract.py).

    .venv/bin/python bench/extract.py

Prints one line per page: the time of the best of three runs. Target: every page under 1 s.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from siteaudit.extract import extract
from siteaudit.models import Page

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))
from test_extract import PATHOLOGICAL


def main() -> None:
    now = datetime.now(UTC)
    worst = 0.0
    for name, raw in PATHOLOGICAL.items():
        page = Page(
            url="http://x.test/",
            final_url="http://x.test/",
            status_code=200,
            fetched_at=now,
            depth=0,
            html=raw,
        )
        best = min(_time(page) for _ in range(3))
        worst = max(worst, best)
        print(f"{name:24s} {len(raw) / 1e6:6.2f} MB  {best:6.3f} s")
    print(f"worst: {worst:.3f} s (target < 1 s)")


def _time(page: Page) -> float:
    started = time.perf_counter()
    extract(page)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
