"""axe-core accessibility checks (WCAG 2.1 A and AA) on a page loaded in the browser.

axe-core is not fetched from a CDN and not kept in this repository: it comes with the PyPI
package ``axe-playwright-python`` (a dependency), whose wheel ships ``axe.min.js``. It is read
from the installed package with importlib.resources, so it works offline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Page as PWPage

AXE_PACKAGE = "axe_playwright_python"
AXE_LICENSE = "MPL-2.0"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
IMPACTS = ("critical", "serious", "moderate", "minor")
#: Points taken off 100 per violated rule, by impact (the a11y.axe score).
PENALTY = {"critical": 10, "serious": 5, "moderate": 2, "minor": 1}
PASS_SCORE = 80
MAX_NODES = 5  # elements kept per rule as evidence
SNIPPET_CHARS = 200


class AxeUnavailable(Exception):
    """axe.min.js is not installed (the axe-playwright-python package is missing)."""


@lru_cache(maxsize=1)
def axe_source() -> str:
    """The text of axe.min.js from the installed package."""
    try:
        return (resources.files(AXE_PACKAGE) / "axe.min.js").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError) as exc:
        raise AxeUnavailable(
            f"axe-core is not installed ({exc}); run: pip install axe-playwright-python"
        ) from None


@lru_cache(maxsize=1)
def axe_version() -> str:
    """The axe-core version named in the bundled file's banner, e.g. '4.12.1'."""
    try:
        head = axe_source()[:200]
    except AxeUnavailable:
        return ""
    marker = "axe v"
    start = head.find(marker)
    if start == -1:
        return "unknown"
    return head[start + len(marker) :].split()[0]


@dataclass(frozen=True, slots=True)
class AxeNode:
    selector: str
    snippet: str


@dataclass(frozen=True, slots=True)
class AxeViolation:
    rule: str
    impact: str
    help: str
    nodes: tuple[AxeNode, ...]
    count: int  # elements affected (nodes keeps at most MAX_NODES)


@dataclass(frozen=True, slots=True)
class AxeResult:
    url: str
    violations: tuple[AxeViolation, ...]
    passes: int
    version: str

    def by_impact(self) -> dict[str, int]:
        """Violated rules per impact, every impact present (0 when none)."""
        counts = dict.fromkeys(IMPACTS, 0)
        for v in self.violations:
            counts[v.impact if v.impact in counts else "minor"] += 1
        return counts

    @property
    def score(self) -> int:
        """100 minus a penalty per violated rule by impact, not below 0."""
        lost = sum(PENALTY.get(v.impact, 1) for v in self.violations)
        return max(0, 100 - lost)

    def rule_ids(self) -> set[str]:
        return {v.rule for v in self.violations}


def _selector(target: Any) -> str:
    if isinstance(target, list):
        return " ".join(_selector(t) for t in target)
    return str(target)


def parse_results(url: str, raw: dict[str, Any]) -> AxeResult:
    """An AxeResult from axe.run()'s JSON."""
    violations = []
    for v in raw.get("violations", []):
        nodes = v.get("nodes", [])
        kept = tuple(
            AxeNode(
                selector=_selector(n.get("target", "")),
                snippet=" ".join(str(n.get("html", "")).split())[:SNIPPET_CHARS],
            )
            for n in nodes[:MAX_NODES]
        )
        violations.append(
            AxeViolation(
                rule=str(v.get("id", "")),
                impact=str(v.get("impact") or "minor"),
                help=str(v.get("help", "")),
                nodes=kept,
                count=len(nodes),
            )
        )
    order = {name: i for i, name in enumerate(IMPACTS)}
    violations.sort(key=lambda v: (order.get(v.impact, 9), v.rule))
    return AxeResult(
        url=url,
        violations=tuple(violations),
        passes=len(raw.get("passes", [])),
        version=str(raw.get("testEngine", {}).get("version", "")) or axe_version(),
    )


async def run_axe(tab: PWPage, *, tags: tuple[str, ...] = WCAG_TAGS) -> AxeResult:
    """Inject axe-core into the loaded page and run the WCAG rules of ``tags``."""
    await tab.evaluate(axe_source())
    options = {"runOnly": {"type": "tag", "values": list(tags)}, "resultTypes": ["violations"]}
    raw = await tab.evaluate(
        "async (options) => JSON.stringify(await axe.run(document, options))", options
    )
    return parse_results(tab.url, json.loads(raw))
