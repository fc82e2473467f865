"""Pieces every report writer shares: the writer protocol, file names, cells, atomic files."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Protocol

from ..checklist import Checklist
from ..models import RunInfo, SiteResult

_SAFE = re.compile(r"[A-Za-z0-9_-]")
_MAX_NAME = 200  # bytes of a file name before ".html"; most file systems stop at 255
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ReportWriter(Protocol):
    """One output format. ``write`` streams ``results`` once and returns the files written."""

    def write(
        self,
        out: Path,
        run: RunInfo,
        results: Iterable[SiteResult],
        checklists: Mapping[str, Checklist],
        lang: str,
    ) -> list[Path]: ...


def org_filename(org_id: str) -> str:
    """A file-system-safe, collision-free name (without directory) for an organization page.

    ``[A-Za-z0-9_-]`` is kept; every other character becomes ``%XX`` per UTF-8 byte, so
    distinct ids give distinct names (``.`` is encoded too, so ``..`` is harmless). Names
    that would pass ~200 bytes are cut and end with a hash of the whole id.
    """
    if not org_id:
        raise ValueError("an organization id must not be empty")
    stem = "".join(
        ch if _SAFE.fullmatch(ch) else "".join(f"%{b:02X}" for b in ch.encode("utf-8"))
        for ch in org_id
    )
    if len(stem) > _MAX_NAME:
        digest = hashlib.sha256(org_id.encode("utf-8")).hexdigest()[:16]
        cut = stem[: _MAX_NAME - 17]
        cut = cut[: cut.rfind("%")] if "%" in cut[-2:] else cut  # never split an escape
        stem = f"{cut}-{digest}"
    return f"{stem}.html"


def neutralise(cell: str) -> str:
    """Stop spreadsheets from running a cell as a formula (CSV injection)."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def shown_scores(result: SiteResult) -> tuple[float | None, float | None]:
    """(completeness, freshness) as reports show them: never a score for an unreachable site."""
    if not result.status.reachable:
        return None, None
    return result.scores.completeness, result.scores.freshness


def number_cell(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def item_columns(checklists: Iterable[Checklist]) -> list[str]:
    """The union of item ids over ``checklists``, in checklist order, first checklist first."""
    seen: dict[str, None] = {}
    for checklist in checklists:
        for item in checklist.items:
            seen.setdefault(item.id, None)
    return list(seen)


@contextmanager
def atomic_text(path: Path, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """Write ``path`` through a temporary file renamed into place on success.

    Other tools read these files; they never see half of one, and a failed run leaves the
    previous report intact.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding=encoding, newline="") as handle:
            yield handle
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
