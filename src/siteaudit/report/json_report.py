"""results.json: every result with its evidence, for programs.

Schema ``siteaudit/results``, version 1 (a field is only ever added within a version)::

    {
      "schema": "siteaudit/results",
      "schema_version": 1,
      "run": {
        "id": 3,                          // run number in the store
        "started_at": "2026-11-23T09:00:00+00:00",   // ISO 8601
        "finished_at": "2026-11-23T09:40:00+00:00",  // or null while running
        "registry": "registry.csv",       // path as given
        "registry_hash": "sha256 hex",
        "checklist": "auto",              // "auto" or a checklist id/path
        "as_of": "2026-11-23",            // the date the checklist was applied for
        "total": 120, "done": 120,        // organizations in the run / with a result
        "state": "finished"               // running | finished | interrupted
      },
      "organizations": [
        {
          "id": "gkb1", "name": "...", "url": "https://...",
          "region": "...", "country": "RU", "type": "...",
          "extra": {"column": "value"},   // extra registry columns
          "status": "ok",                 // ok | dns_error | timeout | tls_error | ...
          "status_detail": "...",         // technical detail, may be ""
          "hint": "...",                  // advice for the site owner (English), "" when ok
          "checklist": "ru-118n",         // checklist id applied
          "completeness": 87.5,           // 0-100 or null (always null when unreachable)
          "freshness": 100.0,             // 0-100 or null (always null when unreachable)
          "newest_news": "2026-11-20",    // ISO date or null
          "newest_news_url": "https://...",  // or ""
          "pages_fetched": 42, "pages_failed": 1,
          "findings": [
            {
              "item": "contacts.phone",   // checklist item id
              "outcome": "present",       // present | absent | unknown
              "reason": "...",            // the rule that fired or what was not found
              "weight": 1.0,
              "section": "contacts",
              "stale": false,             // an annual document naming a past year
              "evidence": [
                {"url": "https://...", "snippet": "...",
                 "fetched_at": "2026-11-23T09:01:02+00:00"}  // or null
              ]
            }
          ]
        }
      ]
    }

The file is UTF-8 without escaping non-ASCII text, one organization per line, written
while the results stream from the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..checklist import Checklist
from ..models import Evidence, Finding, RunInfo, SiteResult
from .common import atomic_text, shown_scores

SCHEMA = "siteaudit/results"
SCHEMA_VERSION = 1


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def run_json(run: RunInfo) -> dict[str, Any]:
    return {
        "id": run.id,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "registry": run.registry,
        "registry_hash": run.registry_hash,
        "checklist": run.checklist,
        "as_of": _iso(run.as_of),
        "total": run.total,
        "done": run.done,
        "state": run.state.value,
    }


def _evidence_json(evidence: Evidence) -> dict[str, Any]:
    return {
        "url": evidence.url,
        "snippet": evidence.snippet,
        "fetched_at": _iso(evidence.fetched_at),
    }


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "item": finding.item_id,
        "outcome": finding.outcome.value,
        "reason": finding.reason,
        "weight": finding.weight,
        "section": finding.section,
        "stale": finding.stale,
        "evidence": [_evidence_json(e) for e in finding.evidence],
    }


def organization_json(result: SiteResult) -> dict[str, Any]:
    org = result.org
    completeness, freshness = shown_scores(result)
    return {
        "id": org.id,
        "name": org.name,
        "url": org.url,
        "region": org.region,
        "country": org.country,
        "type": org.type,
        "extra": dict(org.extra),
        "status": result.status.value,
        "status_detail": result.status_detail,
        "hint": result.hint,
        "checklist": result.checklist_id,
        "completeness": completeness,
        "freshness": freshness,
        "newest_news": _iso(result.scores.newest_news),
        "newest_news_url": result.scores.newest_news_url,
        "pages_fetched": result.pages_fetched,
        "pages_failed": result.pages_failed,
        "findings": [_finding_json(f) for f in result.findings],
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True, slots=True)
class JsonWriter:
    def write(
        self,
        out: Path,
        run: RunInfo,
        results: Iterable[SiteResult],
        checklists: Mapping[str, Checklist],
        lang: str,
    ) -> list[Path]:
        path = out / "results.json"
        with atomic_text(path) as handle:
            handle.write(f'{{"schema": {_dumps(SCHEMA)}, "schema_version": {SCHEMA_VERSION},\n')
            handle.write(f' "run": {_dumps(run_json(run))},\n "organizations": [')
            separator = "\n  "
            for result in results:
                handle.write(separator + _dumps(organization_json(result)))
                separator = ",\n  "
            handle.write("\n ]}\n")
        return [path]
