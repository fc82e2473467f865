"""results.csv and findings.csv: the tables other tools read.

results.csv (the contract): one row per organization, columns exactly
``id,name,url,region,country,status,completeness,freshness,newest_news`` and then one
column per checklist item id (the union over the checklists given, in checklist order,
first checklist first) holding ``present``, ``absent`` or ``unknown``, empty when the item is
not in that organization's checklist. ``completeness``/``freshness`` have one decimal and
are empty when there is no score (always for unreachable sites); ``newest_news`` is an ISO
date or empty.

findings.csv: one row per organization and finding:
``id,item_id,outcome,reason,evidence_url,snippet,stale`` (the first piece of evidence;
``stale`` is ``true`` for an annual document that names a past year, else ``false``).

Both are UTF-8 with a BOM so Excel reads Cyrillic, and every cell that begins with
``= + - @``, a tab or a carriage return gets a leading ``'`` so no spreadsheet runs it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..checklist import Checklist
from ..errors import InputError
from ..models import RunInfo, SiteResult
from .common import atomic_text, item_columns, neutralise, number_cell, shown_scores

RESULTS_COLUMNS = (
    "id",
    "name",
    "url",
    "region",
    "country",
    "status",
    "completeness",
    "freshness",
    "newest_news",
)
FINDINGS_COLUMNS = ("id", "item_id", "outcome", "reason", "evidence_url", "snippet", "stale")
ENCODING = "utf-8-sig"


def check_delimiter(delimiter: str) -> str:
    if len(delimiter) != 1 or delimiter in "\"'\r\n" or delimiter.isalnum():
        raise InputError(
            f"CSV delimiter {delimiter!r} cannot be used; give one character such as ',' or ';'"
        )
    return delimiter


@dataclass(frozen=True, slots=True)
class CsvWriter:
    delimiter: str = ","

    def write(
        self,
        out: Path,
        run: RunInfo,
        results: Iterable[SiteResult],
        checklists: Mapping[str, Checklist],
        lang: str,
    ) -> list[Path]:
        delimiter = check_delimiter(self.delimiter)
        items = item_columns(checklists.values())
        results_path, findings_path = out / "results.csv", out / "findings.csv"
        with (
            atomic_text(results_path, ENCODING) as results_file,
            atomic_text(findings_path, ENCODING) as findings_file,
        ):
            rows = csv.writer(results_file, delimiter=delimiter, lineterminator="\r\n")
            finds = csv.writer(findings_file, delimiter=delimiter, lineterminator="\r\n")
            rows.writerow([*RESULTS_COLUMNS, *items])
            finds.writerow(FINDINGS_COLUMNS)
            for result in results:
                rows.writerow([neutralise(cell) for cell in _result_row(result, items)])
                for row in _finding_rows(result):
                    finds.writerow([neutralise(cell) for cell in row])
        return [results_path, findings_path]


def _result_row(result: SiteResult, items: list[str]) -> list[str]:
    org = result.org
    completeness, freshness = shown_scores(result)
    news = result.scores.newest_news
    outcomes = {finding.item_id: finding.outcome.value for finding in result.findings}
    return [
        org.id,
        org.name,
        org.url,
        org.region,
        org.country,
        result.status.value,
        number_cell(completeness),
        number_cell(freshness),
        news.isoformat() if news else "",
        *(outcomes.get(item, "") for item in items),
    ]


def _finding_rows(result: SiteResult) -> Iterable[list[str]]:
    for finding in result.findings:
        first = finding.evidence[0] if finding.evidence else None
        yield [
            result.org.id,
            finding.item_id,
            finding.outcome.value,
            finding.reason,
            first.url if first else "",
            first.snippet if first else "",
            "true" if finding.stale else "false",
        ]
