"""Report writers: HTML for people, CSV and JSON for programs.

``write_reports`` runs every requested format; each format sits behind the small
``ReportWriter`` protocol and ``WRITERS`` maps every ``ReportFormat`` to one. Each writer
streams the results once (``results`` is called again for every format), so memory does
not grow with the registry beyond the HTML index's one row per organization.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from pathlib import Path

from ..checklist import Checklist
from ..history import History
from ..models import RunInfo, SiteResult
from .common import ReportWriter, org_filename
from .csv_report import CsvWriter, check_delimiter
from .html_report import HtmlWriter
from .i18n import LANGUAGES, check_lang
from .json_report import JsonWriter

__all__ = [
    "LANGUAGES",
    "WRITERS",
    "ReportFormat",
    "ReportWriter",
    "org_filename",
    "write_reports",
]


class ReportFormat(StrEnum):
    HTML = "html"
    CSV = "csv"
    JSON = "json"


WRITERS: dict[ReportFormat, ReportWriter] = {
    ReportFormat.HTML: HtmlWriter(),
    ReportFormat.CSV: CsvWriter(),
    ReportFormat.JSON: JsonWriter(),
}
assert set(WRITERS) == set(ReportFormat), "every ReportFormat needs a writer"


def write_reports(
    out: Path,
    run: RunInfo,
    results: Callable[[], Iterable[SiteResult]],
    checklists: Mapping[str, Checklist],
    *,
    lang: str = "ru",
    formats: Iterable[ReportFormat] = tuple(ReportFormat),
    csv_delimiter: str = ",",
    history: History | None = None,
) -> list[Path]:
    """Write the reports of ``run`` into ``out`` and return the files written.

    ``results`` returns a fresh iterator over the run's results each time it is called.
    ``checklists`` maps checklist id to checklist for every checklist the run used; its
    order sets the order of the item columns in results.csv. ``history`` (the diff with the
    previous run and the region trends) adds the changes and trends to the HTML report.
    Raises InputError for an unknown language or an unusable CSV delimiter.
    """
    check_lang(lang)
    check_delimiter(csv_delimiter)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt in dict.fromkeys(formats):
        writer = WRITERS[ReportFormat(fmt)]
        if isinstance(writer, CsvWriter) and writer.delimiter != csv_delimiter:
            writer = CsvWriter(delimiter=csv_delimiter)
        if isinstance(writer, HtmlWriter) and history is not None:
            writer = HtmlWriter(history=history)
        written += writer.write(out, run, results(), checklists, lang)
    return written
