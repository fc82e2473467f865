"""Accuracy of siteaudit's verdicts against hand-labelled sites.

Serves each labelled site on loopback, scans it with the bundled checklist for its country,
and prints per-item and overall precision, recall and confusion counts, the share of sites
whose newest news date is exact, and every disagreement with the reason the checker gave.

Labelled sets:
  examples  examples/sites/<slug>/LABELS.yaml, scanned from the served root "/".
  corpus    ../shared/corpus/real/<slug>/ with labels in bench/labels/corpus.yaml,
            scanned with obey_robots=False (one site's robots.txt disallows everything).
  tests     tests/sites/<slug>/LABELS.yaml (the labelled test sites), scanned from each
            site's `start` path.

Run: .venv/bin/python bench/accuracy.py [--set examples|corpus|tests|all] [--as-of YYYY-MM-DD]
     [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from siteaudit.fetch import Fetcher
from siteaudit.models import Organization, Outcome, SiteResult
from siteaudit.scan import ChecklistResolver, check_site
from siteaudit.serve import serve_sites
from siteaudit.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "sites"
TEST_SITES = ROOT / "tests" / "sites"
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
CORPUS_LABELS = ROOT / "bench" / "labels" / "corpus.yaml"
DEFAULT_AS_OF = date(2026, 11, 23)
LABEL_VALUES = ("present", "absent")


@dataclass(frozen=True, slots=True)
class LabelledSite:
    """One site with its ground truth."""

    slug: str
    folder: Path
    org: str
    country: str
    start: str  # path on the served site, e.g. "/" or "/ru/"
    items: dict[str, str]  # item id -> "present" | "absent"
    newest_news: date | None


@dataclass(frozen=True, slots=True)
class Verdict:
    """One labelled item compared with what the checker said."""

    site: str
    item: str
    expected: str
    got: str  # present | absent | unknown | missing (no such item in the checklist)
    reason: str


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    unknown: int = 0

    def add(self, verdict: Verdict) -> None:
        positive = verdict.expected == "present"
        if verdict.got == "present":
            if positive:
                self.tp += 1
            else:
                self.fp += 1
        elif verdict.got == "absent":
            if positive:
                self.fn += 1
            else:
                self.tn += 1
        else:
            self.unknown += 1

    @property
    def precision(self) -> float | None:
        called = self.tp + self.fp
        return self.tp / called if called else None

    @property
    def recall(self) -> float | None:
        actual = self.tp + self.fn
        return self.tp / actual if actual else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "unknown": self.unknown,
            "precision": self.precision,
            "recall": self.recall,
        }


@dataclass(slots=True)
class SetReport:
    """The figures for one labelled set."""

    name: str
    verdicts: list[Verdict] = field(default_factory=list)
    news: list[tuple[str, date | None, date | None]] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)

    def per_item(self) -> dict[str, Counts]:
        table: dict[str, Counts] = {}
        for verdict in self.verdicts:
            table.setdefault(verdict.item, Counts()).add(verdict)
        return dict(sorted(table.items()))

    def overall(self) -> Counts:
        total = Counts()
        for verdict in self.verdicts:
            total.add(verdict)
        return total

    def news_exact(self) -> int:
        return sum(1 for _, expected, got in self.news if expected == got)

    def disagreements(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.got != v.expected]


# --- labels ---------------------------------------------------------------------------


def _date(value: object, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise SystemExit(f"{where}: newest_news {value!r} is not YYYY-MM-DD or null") from None


def _items(raw: object, where: str) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise SystemExit(f"{where}: 'items' must be a mapping of item id to present|absent")
    items: dict[str, str] = {}
    for key, value in raw.items():
        if value not in LABEL_VALUES:
            raise SystemExit(f"{where}: item {key!r} is {value!r}; write present or absent")
        items[str(key)] = str(value)
    return items


def _site(slug: str, folder: Path, data: Mapping[str, Any], where: str) -> LabelledSite:
    return LabelledSite(
        slug=slug,
        folder=folder,
        org=str(data.get("org") or slug),
        country=str(data.get("country") or "").upper(),
        start=str(data.get("start") or "/"),
        items=_items(data.get("items"), where),
        newest_news=_date(data.get("newest_news"), where),
    )


def labelled_folder(folder: Path) -> list[LabelledSite]:
    """Every ``<folder>/<slug>/LABELS.yaml`` as a labelled site."""
    sites = []
    for labels in sorted(folder.glob("*/LABELS.yaml")):
        data = yaml.safe_load(labels.read_text(encoding="utf-8"))
        sites.append(_site(labels.parent.name, labels.parent, data, str(labels)))
    return sites


def example_sites() -> list[LabelledSite]:
    return labelled_folder(EXAMPLES)


def test_sites() -> list[LabelledSite]:
    return labelled_folder(TEST_SITES)


def corpus_sites() -> list[LabelledSite]:
    data = yaml.safe_load(CORPUS_LABELS.read_text(encoding="utf-8"))
    sites = []
    for slug, entry in sorted(data.items()):
        folder = CORPUS / slug
        if not folder.is_dir():
            print(f"corpus: {slug}: folder {folder} not found, skipped")
            continue
        sites.append(_site(slug, folder, entry, f"{CORPUS_LABELS}: {slug}"))
    return sites


# --- scanning -------------------------------------------------------------------------


async def _scan(
    sites: list[LabelledSite], urls: Mapping[str, str], *, obey_robots: bool, as_of: date
) -> dict[str, SiteResult]:
    settings = load_settings(
        None, allow_networks=("127.0.0.0/8",), per_host_delay=0.0, obey_robots=obey_robots
    )
    resolver = ChecklistResolver("auto")
    results: dict[str, SiteResult] = {}
    async with Fetcher(settings) as fetcher:

        async def one(site: LabelledSite) -> None:
            org = Organization(
                id=site.slug, name=site.org, url=urls[site.slug], country=site.country
            )
            checklist = resolver.for_org(org)
            checked = await check_site(org, checklist, fetcher, settings, as_of=as_of)
            result = checked.result
            results[site.slug] = result

        await asyncio.gather(*(one(site) for site in sites))
    return results


def run_set(name: str, sites: list[LabelledSite], *, obey_robots: bool, as_of: date) -> SetReport:
    report = SetReport(name)
    with serve_sites({site.slug: site.folder for site in sites}) as served:
        urls = {s.slug: served[s.slug].url.rstrip("/") + s.start for s in sites}
        results = asyncio.run(_scan(sites, urls, obey_robots=obey_robots, as_of=as_of))
    for site in sites:
        result = results[site.slug]
        report.statuses[site.slug] = f"{result.status} ({result.pages_fetched} pages)"
        findings = {f.item_id: f for f in result.findings}
        for item, expected in sorted(site.items.items()):
            finding = findings.get(item)
            if finding is None:
                got, reason = "missing", "the checklist has no such item"
            else:
                got = str(Outcome(finding.outcome))
                reason = finding.reason
            report.verdicts.append(Verdict(site.slug, item, expected, got, reason))
        report.news.append((site.slug, site.newest_news, result.scores.newest_news))
    return report


# --- output ---------------------------------------------------------------------------


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _row(label: str, counts: Counts, width: int) -> str:
    return (
        f"{label:<{width}} {counts.tp:>4} {counts.fp:>4} {counts.fn:>4} {counts.tn:>4}"
        f" {counts.unknown:>4}  {_ratio(counts.precision):>9} {_ratio(counts.recall):>6}"
    )


def print_table(title: str, per_item: Mapping[str, Counts], overall: Counts) -> None:
    width = max([len("overall"), len("item"), *(len(k) for k in per_item)])
    print(f"\n== {title}")
    print(f"{'item':<{width}} {'TP':>4} {'FP':>4} {'FN':>4} {'TN':>4} {'unk':>4}  precision recall")
    for item, counts in per_item.items():
        print(_row(item, counts, width))
    print(_row("overall", overall, width))


def print_set(report: SetReport) -> None:
    for slug, status in report.statuses.items():
        print(f"{report.name}: {slug}: {status}")
    overall = report.overall()
    print_table(f"set {report.name}", report.per_item(), overall)
    print(
        f"summary {report.name}: sites={len(report.news)} labels={len(report.verdicts)}"
        f" precision={_ratio(overall.precision)} recall={_ratio(overall.recall)}"
        f" unknown={overall.unknown}"
        f" newest_news_exact={report.news_exact()}/{len(report.news)}"
    )
    for slug, expected, got in report.news:
        if expected != got:
            print(f"  news {slug}: expected={expected} got={got}")
    disagreements = report.disagreements()
    print(f"disagreements {report.name}: {len(disagreements)}")
    for v in disagreements:
        print(f"  {v.site} {v.item} expected={v.expected} got={v.got} reason={v.reason}")


def merged(reports: Iterable[SetReport]) -> SetReport:
    total = SetReport("all")
    for report in reports:
        total.verdicts.extend(report.verdicts)
        total.news.extend(report.news)
    return total


def figures(report: SetReport) -> dict[str, Any]:
    return {
        "overall": report.overall().as_dict(),
        "items": {item: c.as_dict() for item, c in report.per_item().items()},
        "sites": len(report.news),
        "newest_news_exact": report.news_exact(),
        "newest_news": [
            {
                "site": slug,
                "expected": None if e is None else e.isoformat(),
                "got": None if g is None else g.isoformat(),
            }
            for slug, e, g in report.news
        ],
        "disagreements": [
            {
                "site": v.site,
                "item": v.item,
                "expected": v.expected,
                "got": v.got,
                "reason": v.reason,
            }
            for v in report.disagreements()
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--set", choices=("examples", "corpus", "tests", "all"), default="all")
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=DEFAULT_AS_OF,
        help=f"date the verdicts are judged at (default {DEFAULT_AS_OF.isoformat()})",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    as_of: date = args.as_of

    reports: list[SetReport] = []
    if args.set in ("examples", "all"):
        reports.append(run_set("examples", example_sites(), obey_robots=True, as_of=as_of))
    if args.set in ("corpus", "all"):
        if CORPUS.is_dir():
            reports.append(run_set("corpus", corpus_sites(), obey_robots=False, as_of=as_of))
        else:
            print(f"corpus: {CORPUS} not found, skipped")
    if args.set in ("tests", "all"):
        reports.append(run_set("tests", test_sites(), obey_robots=True, as_of=as_of))

    print(f"as of {as_of.isoformat()}")
    for report in reports:
        print_set(report)
    if len(reports) > 1:
        total = merged(reports)
        print_table("all sets", total.per_item(), total.overall())
        overall = total.overall()
        print(
            f"summary all: sites={len(total.news)} labels={len(total.verdicts)}"
            f" precision={_ratio(overall.precision)} recall={_ratio(overall.recall)}"
            f" unknown={overall.unknown}"
            f" newest_news_exact={total.news_exact()}/{len(total.news)}"
        )
    if args.json is not None:
        payload: dict[str, Any] = {"as_of": as_of.isoformat()}
        payload["sets"] = {r.name: figures(r) for r in reports}
        if len(reports) > 1:
            payload["all"] = figures(merged(reports))
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
