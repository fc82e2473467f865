"""The SQLite store: every scan run, one result per organization, findings with evidence, pages.

Results are written per site as they finish, one transaction per site, so an interrupted scan
keeps what it did and ``scan --resume`` continues the run without refetching finished sites.

Datetimes are kept as ISO-8601 UTC text, dates as ISO text. The schema is versioned with
``PRAGMA user_version`` and migrated when the store opens. HTML page bodies are kept
compressed in ``pages.body`` (schema 2: Zstandard; zlib in stores written before 2026-11-24),
so ``siteaudit rescore`` can re-evaluate a run without crawling; documents have none.

Schema 2 adds ``runs.note`` (what made the run: "rescore of run 3", "merge of ..."),
``runs.shard`` ("K/N" or ""), ``runs.pages_from`` (the run whose stored pages this run was
computed from, for rescored runs) and ``pages.encoding``. Schema 3 adds ``findings.stale``
(an annual document naming a past year; 0 for findings stored before).
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any

from .errors import ScanError
from .models import (
    Evidence,
    Finding,
    Organization,
    Outcome,
    Page,
    PageKind,
    RunInfo,
    RunState,
    Scores,
    SiteResult,
    SiteStatus,
)

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

__all__ = ["SCHEMA_VERSION", "PageRecord", "Store", "compress_body", "page_title"]

#: One tuple of statements per schema version; the store applies the missing ones on open.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL, finished_at TEXT,
            registry TEXT NOT NULL, registry_hash TEXT NOT NULL, checklist TEXT NOT NULL,
            as_of TEXT NOT NULL, total INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('running', 'finished', 'interrupted')),
            settings TEXT NOT NULL DEFAULT '{}')""",
        "CREATE INDEX runs_registry ON runs (registry_hash, id)",
        """CREATE TABLE sites (
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            org_id TEXT NOT NULL, row INTEGER NOT NULL, org TEXT NOT NULL,
            checklist_id TEXT NOT NULL, status TEXT NOT NULL, status_detail TEXT NOT NULL,
            completeness REAL, freshness REAL, newest_news TEXT, newest_news_url TEXT NOT NULL,
            present INTEGER NOT NULL, absent INTEGER NOT NULL, unknown INTEGER NOT NULL,
            pages_fetched INTEGER NOT NULL, pages_failed INTEGER NOT NULL,
            started_at TEXT NOT NULL, finished_at TEXT NOT NULL, as_of TEXT NOT NULL,
            PRIMARY KEY (run_id, org_id))""",
        "CREATE INDEX sites_order ON sites (run_id, row, org_id)",
        """CREATE TABLE findings (
            run_id INTEGER NOT NULL, org_id TEXT NOT NULL, position INTEGER NOT NULL,
            item_id TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL,
            weight REAL NOT NULL, section TEXT NOT NULL, evidence TEXT NOT NULL,
            PRIMARY KEY (run_id, org_id, position),
            FOREIGN KEY (run_id, org_id) REFERENCES sites (run_id, org_id) ON DELETE CASCADE)""",
        """CREATE TABLE pages (
            run_id INTEGER NOT NULL, org_id TEXT NOT NULL, position INTEGER NOT NULL,
            url TEXT NOT NULL, final_url TEXT NOT NULL, status_code INTEGER,
            kind TEXT NOT NULL, content_type TEXT NOT NULL, content_hash TEXT NOT NULL,
            size INTEGER NOT NULL, fetched_at TEXT NOT NULL, title TEXT NOT NULL,
            error TEXT, error_detail TEXT NOT NULL, rendered INTEGER NOT NULL,
            found_via TEXT NOT NULL, depth INTEGER NOT NULL,
            body BLOB,  -- zlib of the decoded HTML (UTF-8) from schema 2 on
            PRIMARY KEY (run_id, org_id, position),
            FOREIGN KEY (run_id, org_id) REFERENCES sites (run_id, org_id) ON DELETE CASCADE)""",
    ),
    (
        "ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN shard TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN pages_from INTEGER",
        "ALTER TABLE pages ADD COLUMN encoding TEXT",
    ),
    ("ALTER TABLE findings ADD COLUMN stale INTEGER NOT NULL DEFAULT 0",),
)

SCHEMA_VERSION = len(_MIGRATIONS)

# Columns named after model attributes, so one list orders both the SQL and the values.
_SCORE_FIELDS: tuple[str, ...] = ("completeness", "freshness", "newest_news", "newest_news_url")
_SCORE_FIELDS += ("present", "absent", "unknown")
_RESULT_FIELDS: tuple[str, ...] = ("checklist_id", "status", "status_detail", "pages_fetched")
_RESULT_FIELDS += ("pages_failed", "started_at", "finished_at", "as_of")
_SITE_COLUMNS = ("run_id", "org_id", "row", "org", *_RESULT_FIELDS, *_SCORE_FIELDS)
_FINDING_FIELDS = ("item_id", "outcome", "reason", "weight", "section", "stale")
_FINDING_COLUMNS = ("run_id", "org_id", "position", *_FINDING_FIELDS, "evidence")
_RUN_COLUMNS = (
    "id, started_at, finished_at, registry, registry_hash, checklist, as_of, total, state, "
    "note, shard, pages_from, (SELECT COUNT(*) FROM sites WHERE sites.run_id = runs.id) AS done"
)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_TITLE_MAX = 500


def _insert(table: str, columns: Sequence[str]) -> str:
    names = ", ".join(columns)
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})"


def _select(columns: Sequence[str]) -> str:
    return ", ".join(columns)


@dataclass(frozen=True, slots=True)
class PageRecord:
    """One fetched page as the store keeps it (no body)."""

    url: str
    final_url: str
    status_code: int | None
    kind: PageKind
    content_type: str
    content_hash: str
    size: int
    fetched_at: datetime
    title: str
    error: SiteStatus | None
    error_detail: str
    rendered: bool
    found_via: str
    depth: int


#: The page columns, in PageRecord order: Page attributes, except "title" (read from the HTML).
_PAGE_FIELDS = tuple(f.name for f in fields(PageRecord))


class Store:
    """The scan history in one SQLite file. Use it as a context manager, from one thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ScanError(
                f"{self.path}: cannot create the folder {self.path.parent} for the store "
                f"({exc.strerror or exc}); choose a writable path for the database"
            ) from None
        if self.path.is_dir():
            raise ScanError(f"{self.path}: is a folder, not a database file; give a file path")
        try:
            self._db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        self._db.row_factory = sqlite3.Row
        try:
            with self._guard():
                self._db.execute("PRAGMA busy_timeout = 10000")
                self._db.execute("PRAGMA foreign_keys = ON")
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")  # safe in WAL against crashes
                self._migrate()
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- runs --------------------------------------------------------------------------------

    def start_run(
        self,
        *,
        registry: str,
        registry_hash: str,
        checklist: str,
        as_of: date,
        total: int,
        settings: Mapping[str, object],
        shard: str = "",
        note: str = "",
        pages_from: int | None = None,
    ) -> RunInfo:
        """Record a new run in state ``running`` and return it."""
        blob = json.dumps(dict(settings), default=str, ensure_ascii=False, sort_keys=True)
        columns = ("started_at", "registry", "registry_hash", "checklist", "as_of", "total")
        values = (_dt(_now()), registry, registry_hash, checklist, as_of.isoformat(), total)
        extra = ("state", "settings", "shard", "note", "pages_from")
        with self._transaction():
            cursor = self._db.execute(
                _insert("runs", (*columns, *extra)),
                (*values, RunState.RUNNING.value, blob, shard, note, pages_from),
            )
        assert cursor.lastrowid is not None
        return self.run(cursor.lastrowid)

    def set_total(self, run_id: int, total: int) -> None:
        self._update_run(run_id, "UPDATE runs SET total = ? WHERE id = ?", (total, run_id))

    def mark_interrupted(self, run_id: int) -> None:
        """Mark a running run interrupted (a finished run stays finished)."""
        self._update_run(
            run_id,
            "UPDATE runs SET state = ? WHERE id = ? AND state != ?",
            (RunState.INTERRUPTED.value, run_id, RunState.FINISHED.value),
        )

    def finish_run(self, run_id: int) -> RunInfo:
        self._update_run(
            run_id,
            "UPDATE runs SET state = ?, finished_at = ? WHERE id = ?",
            (RunState.FINISHED.value, _dt(_now()), run_id),
        )
        return self.run(run_id)

    def run(self, run_id: int) -> RunInfo:
        """The run with this id; ScanError when there is none."""
        found = self._runs("WHERE id = ?", (run_id,))
        if found:
            return found[0]
        newest = self.latest_run(finished=False)
        choice = (
            f"choose one of the stored runs (newest: {newest.id})"
            if newest is not None
            else "the store has no runs yet; run a scan first"
        )
        raise ScanError(f"{self.path}: there is no run {run_id}; {choice}")

    def run_settings(self, run_id: int) -> dict[str, object]:
        """The settings the run was started with (as JSON values)."""
        self.run(run_id)
        with self._guard():
            row = self._db.execute("SELECT settings FROM runs WHERE id = ?", (run_id,)).fetchone()
        settings: dict[str, object] = json.loads(row["settings"])
        return settings

    def runs(self, limit: int = 50) -> list[RunInfo]:
        """The newest runs first."""
        return self._runs("ORDER BY id DESC LIMIT ?", (limit,))

    def latest_run(self, *, finished: bool = True) -> RunInfo | None:
        """The newest run (only finished ones unless ``finished=False``)."""
        where = "WHERE state = 'finished'" if finished else ""
        found = self._runs(f"{where} ORDER BY id DESC LIMIT 1", ())
        return found[0] if found else None

    def unfinished_run(
        self, registry_hash: str | None = None, shard: str | None = None
    ) -> RunInfo | None:
        """The newest running or interrupted run (of that registry and shard when given)."""
        where = "WHERE state IN ('running', 'interrupted')"
        params: tuple[object, ...] = ()
        if registry_hash is not None:
            where += " AND registry_hash = ?"
            params = (registry_hash,)
        if shard is not None:
            where += " AND shard = ?"
            params = (*params, shard)
        found = self._runs(f"{where} ORDER BY id DESC LIMIT 1", params)
        return found[0] if found else None

    def previous_run(self, run_id: int, *, finished: bool = False) -> RunInfo | None:
        """The run before this one for the same registry (only finished ones if ``finished``)."""
        current = self.run(run_id)
        where = "WHERE registry_hash = ? AND id < ?"
        if finished:
            where += " AND state = 'finished'"
        found = self._runs(f"{where} ORDER BY id DESC LIMIT 1", (current.registry_hash, run_id))
        return found[0] if found else None

    # --- sites -------------------------------------------------------------------------------

    def finished_org_ids(self, run_id: int) -> set[str]:
        """Organizations of the run that already have a stored result."""
        with self._guard():
            cursor = self._db.execute("SELECT org_id FROM sites WHERE run_id = ?", (run_id,))
            return {row["org_id"] for row in cursor}

    def save_site(
        self,
        run_id: int,
        result: SiteResult,
        pages: Sequence[Page] = (),
        bodies: Sequence[bytes | None] | None = None,
        titles: Sequence[str] | None = None,
    ) -> None:
        """Store one site's result and pages in one transaction, replacing an earlier one.

        ``bodies``: the pages' bodies already compressed (compress_body), one per page;
        ``titles``: their titles (page_title), read where the pages' HTML was at hand."""
        with self._transaction():
            self._check_run(run_id)
            self._save_site(run_id, result, pages, bodies, titles)

    def save_sites(self, run_id: int, items: Iterable[tuple[SiteResult, Sequence[Page]]]) -> None:
        """Store many sites' results and pages in one transaction (rescore, merge)."""
        with self._transaction():
            self._check_run(run_id)
            for result, pages in items:
                self._save_site(run_id, result, pages)

    def _check_run(self, run_id: int) -> None:
        if self._db.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise ScanError(f"{self.path}: there is no run {run_id} to save results in")

    def _save_site(
        self,
        run_id: int,
        result: SiteResult,
        pages: Sequence[Page],
        bodies: Sequence[bytes | None] | None = None,
        titles: Sequence[str] | None = None,
    ) -> None:
        if bodies is None:
            bodies = [compress_body(p.html) for p in pages]
        if titles is None:
            titles = [page_title(p.html) for p in pages]
        org_id = result.org.id
        # The findings and pages of an earlier result go with it (ON DELETE CASCADE).
        self._db.execute("DELETE FROM sites WHERE run_id = ? AND org_id = ?", (run_id, org_id))
        self._db.execute(_insert("sites", _SITE_COLUMNS), _site_values(run_id, result))
        self._db.executemany(
            _insert("findings", _FINDING_COLUMNS),
            (
                (run_id, org_id, position, *_values(f, _FINDING_FIELDS), _evidence_json(f))
                for position, f in enumerate(result.findings)
            ),
        )
        self._db.executemany(
            _insert("pages", ("run_id", "org_id", "position", *_PAGE_FIELDS, "encoding", "body")),
            (
                (run_id, org_id, position, *_page_values(p, title), p.encoding, body)
                for position, (p, body, title) in enumerate(zip(pages, bodies, titles, strict=True))
            ),
        )

    def iter_results(self, run_id: int) -> Iterator[SiteResult]:
        """Stream the run's results in registry order; findings are read per site."""
        self.run(run_id)  # ScanError now, not at the first next()
        return self._iter_results(run_id)

    def _iter_results(self, run_id: int) -> Iterator[SiteResult]:
        with self._guard():
            sites = self._db.execute(
                f"SELECT {_select(_SITE_COLUMNS)} FROM sites WHERE run_id = ? ORDER BY row, org_id",
                (run_id,),
            )
            try:
                for site in sites:
                    findings = self._db.execute(
                        f"SELECT {_select(_FINDING_COLUMNS)} FROM findings"
                        " WHERE run_id = ? AND org_id = ? ORDER BY position",
                        (run_id, site["org_id"]),
                    )
                    yield _site_result(site, tuple(_finding(row) for row in findings))
            finally:
                sites.close()

    def org_ids(self, run_id: int) -> list[str]:
        """The organization ids with a stored result, in registry order."""
        with self._guard():
            cursor = self._db.execute(
                "SELECT org_id FROM sites WHERE run_id = ? ORDER BY row, org_id", (run_id,)
            )
            return [row["org_id"] for row in cursor]

    def iter_results_of(self, run_id: int, org_ids: Sequence[str]) -> Iterator[SiteResult]:
        """The stored results of these organizations of a run (those that have one)."""
        for org_id in org_ids:
            with self._guard():
                site = self._db.execute(
                    f"SELECT {_select(_SITE_COLUMNS)} FROM sites WHERE run_id = ? AND org_id = ?",
                    (run_id, org_id),
                ).fetchone()
                if site is None:
                    continue
                findings = self._db.execute(
                    f"SELECT {_select(_FINDING_COLUMNS)} FROM findings"
                    " WHERE run_id = ? AND org_id = ? ORDER BY position",
                    (run_id, org_id),
                ).fetchall()
            yield _site_result(site, tuple(_finding(row) for row in findings))

    def copy_results(self, source: Path, run_id: int, pages_run: int, into: int) -> int:
        """Copy a run's results, findings and pages from another store file into run ``into``
        of this one (``siteaudit merge``); returns the sites copied. ScanError when an
        organization of that run already has a result in ``into``."""
        cols = {
            "sites": _SITE_COLUMNS,
            "findings": _FINDING_COLUMNS,
            "pages": ("run_id", "org_id", "position", *_PAGE_FIELDS, "encoding", "body"),
        }
        with self._guard():
            self._db.execute("ATTACH DATABASE ? AS src", (str(source),))
        try:
            with self._transaction():
                clash = self._db.execute(
                    "SELECT org_id FROM src.sites WHERE run_id = ? AND org_id IN"
                    " (SELECT org_id FROM main.sites WHERE run_id = ?) LIMIT 1",
                    (run_id, into),
                ).fetchone()
                if clash is not None:
                    raise ScanError(
                        f"{source}: organization {clash['org_id']!r} is also in another input; "
                        "merge the stores of disjoint shards only"
                    )
                for table, columns in cols.items():
                    rest = ", ".join(columns[1:])
                    from_run = pages_run if table == "pages" else run_id
                    self._db.execute(
                        f"INSERT INTO main.{table} (run_id, {rest}) SELECT ?, {rest}"
                        f" FROM src.{table} WHERE run_id = ? AND org_id IN"
                        " (SELECT org_id FROM src.sites WHERE run_id = ?)",
                        (into, from_run, run_id),
                    )
                copied: int = self._db.execute(
                    "SELECT COUNT(*) FROM src.sites WHERE run_id = ?", (run_id,)
                ).fetchone()[0]
        finally:
            with self._guard():
                self._db.execute("DETACH DATABASE src")
        return copied

    def delete_run(self, run_id: int) -> None:
        """Remove a run with its results and pages (a rescore or merge that failed half-way)."""
        with self._transaction():
            self._db.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    def site_pages(self, run_id: int, org_id: str) -> list[PageRecord]:
        """The pages stored for one site of a run, in the order they were saved."""
        with self._guard():
            cursor = self._db.execute(
                f"SELECT {_select(_PAGE_FIELDS)} FROM pages WHERE run_id = ? AND org_id = ?"
                " ORDER BY position",
                (run_id, org_id),
            )
            return [_page_record(row) for row in cursor]

    def stored_pages(self, run_id: int, org_id: str) -> list[Page]:
        """The pages of one site rebuilt with their HTML (``html`` is None where no body was
        kept: documents, failed pages, and runs stored before schema 2)."""
        with self._guard():
            cursor = self._db.execute(
                f"SELECT {_select(_PAGE_FIELDS)}, encoding, body FROM pages"
                " WHERE run_id = ? AND org_id = ? ORDER BY position",
                (run_id, org_id),
            )
            return [_stored_page(row) for row in cursor]

    def has_bodies(self, run_id: int) -> bool:
        """True when some HTML page of the run was stored with its body (schema 2 scans)."""
        with self._guard():
            row = self._db.execute(
                "SELECT 1 FROM pages WHERE run_id = ? AND body IS NOT NULL LIMIT 1", (run_id,)
            ).fetchone()
        return row is not None

    # --- internals ---------------------------------------------------------------------------

    def _runs(self, tail: str, params: tuple[object, ...]) -> list[RunInfo]:
        with self._guard():
            cursor = self._db.execute(f"SELECT {_RUN_COLUMNS} FROM runs {tail}", params)
            return [_run_info(row) for row in cursor]

    def _update_run(self, run_id: int, sql: str, params: tuple[object, ...]) -> None:
        self.run(run_id)  # ScanError when there is no such run
        with self._transaction():
            self._db.execute(sql, params)

    def _migrate(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ScanError(
                    f"{self.path}: made by a newer siteaudit (schema {version}); upgrade siteaudit"
                )
            for number in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[number]:
                    self._db.execute(statement)
            if version != SCHEMA_VERSION:
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._guard():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._rollback()
                raise
            self._db.execute("COMMIT")

    def _rollback(self) -> None:
        if self._db.in_transaction:  # SQLite may have rolled back already (disk full, ...)
            self._db.execute("ROLLBACK")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite errors about the file into one-line ScanErrors naming it."""
        try:
            yield
        except (sqlite3.ProgrammingError, sqlite3.InterfaceError, sqlite3.IntegrityError):
            raise  # a bug in siteaudit, not a problem with the file: keep the traceback
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    def _error(self, exc: sqlite3.Error) -> ScanError:
        text = " ".join(str(exc).split())
        lowered = text.lower()
        if "not a database" in lowered or "malformed" in lowered:
            fix = (
                "it is not a siteaudit database or it is damaged; move it away or use another path"
            )
        elif "readonly" in lowered or "unable to open" in lowered:
            fix = "cannot write there; make the file and its folder writable or use another path"
        elif "locked" in lowered or "busy" in lowered:
            fix = "another siteaudit is using it; wait for it to finish or use another path"
        elif "disk" in lowered or "full" in lowered:
            fix = "free some disk space or use another path"
        else:
            fix = "check the file or use another path"
        return ScanError(f"{self.path}: database error ({text}); {fix}")


# --- conversions ---------------------------------------------------------------------------


def compress_body(markup: str | None) -> bytes | None:
    """The decoded HTML as the store keeps it: Zstandard of its UTF-8 (None when there is none).

    Level 1: on the corpus's pages 2.5x faster than zlib at level 2 (0.08 ms for a 20 KB page,
    0.18) for the same size, and faster to read back. Stores written before keep zlib
    bodies, which _decompress_body tells apart by Zstandard's magic number."""
    if markup is None:
        return None
    return zstd.compress(markup.encode("utf-8", "surrogatepass"), 1)


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _decompress_body(blob: bytes | None) -> str | None:
    if blob is None:
        return None
    raw = zstd.decompress(blob) if blob[:4] == _ZSTD_MAGIC else zlib.decompress(blob)
    return raw.decode("utf-8", "surrogatepass")


def page_title(markup: str | None) -> str:
    """The page's <title> text, entities decoded and whitespace collapsed ("" when none)."""
    match = _TITLE.search(markup) if markup else None
    if match is None:
        return ""
    return " ".join(html.unescape(match.group(1)).split())[:_TITLE_MAX]


def _now() -> datetime:
    return datetime.now(UTC)


def _dt(value: datetime) -> str:
    """ISO-8601 in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _opt_dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def _encode(value: object) -> object:
    """A model value as SQLite keeps it: enums by value, datetimes/dates as ISO text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return _dt(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _values(obj: object, names: Sequence[str]) -> tuple[object, ...]:
    return tuple(_encode(getattr(obj, name)) for name in names)


def _site_values(run_id: int, result: SiteResult) -> tuple[object, ...]:
    """The values of _SITE_COLUMNS, in order."""
    org = result.org
    org_json = json.dumps(
        {
            "id": org.id,
            "name": org.name,
            "url": org.url,
            "region": org.region,
            "country": org.country,
            "type": org.type,
            "extra": [list(pair) for pair in org.extra],
            "row": org.row,
        },
        ensure_ascii=False,
    )
    return (
        run_id,
        org.id,
        org.row,
        org_json,
        *_values(result, _RESULT_FIELDS),
        *_values(result.scores, _SCORE_FIELDS),
    )


def _site_result(row: sqlite3.Row, findings: tuple[Finding, ...]) -> SiteResult:
    org: dict[str, Any] = json.loads(row["org"])
    news = row["newest_news"]
    return SiteResult(
        org=Organization(
            id=org["id"],
            name=org["name"],
            url=org["url"],
            region=org["region"],
            country=org["country"],
            type=org["type"],
            extra=tuple((str(key), str(value)) for key, value in org["extra"]),
            row=org["row"],
        ),
        checklist_id=row["checklist_id"],
        status=SiteStatus(row["status"]),
        status_detail=row["status_detail"],
        findings=findings,
        scores=Scores(
            completeness=row["completeness"],
            freshness=row["freshness"],
            newest_news=date.fromisoformat(news) if news is not None else None,
            newest_news_url=row["newest_news_url"],
            present=row["present"],
            absent=row["absent"],
            unknown=row["unknown"],
        ),
        pages_fetched=row["pages_fetched"],
        pages_failed=row["pages_failed"],
        started_at=datetime.fromisoformat(row["started_at"]),
        finished_at=datetime.fromisoformat(row["finished_at"]),
        as_of=date.fromisoformat(row["as_of"]),
    )


def _evidence_json(finding: Finding) -> str:
    return json.dumps(
        [
            {
                "url": e.url,
                "snippet": e.snippet,
                "fetched_at": _dt(e.fetched_at) if e.fetched_at is not None else None,
            }
            for e in finding.evidence
        ],
        ensure_ascii=False,
    )


def _finding(row: sqlite3.Row) -> Finding:
    return Finding(
        item_id=row["item_id"],
        outcome=Outcome(row["outcome"]),
        reason=row["reason"],
        evidence=tuple(
            Evidence(url=e["url"], snippet=e["snippet"], fetched_at=_opt_dt(e["fetched_at"]))
            for e in json.loads(row["evidence"])
        ),
        weight=row["weight"],
        section=row["section"],
        stale=bool(row["stale"]),
    )


def _page_values(page: Page, title: str) -> tuple[object, ...]:
    """The values of _PAGE_FIELDS, in order."""
    return tuple(
        title if name == "title" else _encode(getattr(page, name)) for name in _PAGE_FIELDS
    )


def _page_record(row: sqlite3.Row) -> PageRecord:
    error = row["error"]
    return PageRecord(
        url=row["url"],
        final_url=row["final_url"],
        status_code=row["status_code"],
        kind=PageKind(row["kind"]),
        content_type=row["content_type"],
        content_hash=row["content_hash"],
        size=row["size"],
        fetched_at=datetime.fromisoformat(row["fetched_at"]),
        title=row["title"],
        error=SiteStatus(error) if error is not None else None,
        error_detail=row["error_detail"],
        rendered=bool(row["rendered"]),
        found_via=row["found_via"],
        depth=row["depth"],
    )


def _stored_page(row: sqlite3.Row) -> Page:
    error = row["error"]
    return Page(
        url=row["url"],
        final_url=row["final_url"],
        status_code=row["status_code"],
        fetched_at=datetime.fromisoformat(row["fetched_at"]),
        depth=row["depth"],
        kind=PageKind(row["kind"]),
        content_type=row["content_type"],
        html=_decompress_body(row["body"]),
        encoding=row["encoding"],
        content_hash=row["content_hash"],
        size=row["size"],
        error=SiteStatus(error) if error is not None else None,
        error_detail=row["error_detail"],
        rendered=bool(row["rendered"]),
        found_via=row["found_via"],
    )


def _run_info(row: sqlite3.Row) -> RunInfo:
    return RunInfo(
        id=row["id"],
        started_at=datetime.fromisoformat(row["started_at"]),
        finished_at=_opt_dt(row["finished_at"]),
        registry=row["registry"],
        registry_hash=row["registry_hash"],
        checklist=row["checklist"],
        as_of=date.fromisoformat(row["as_of"]),
        total=row["total"],
        done=row["done"],
        state=RunState(row["state"]),
        note=row["note"],
        shard=row["shard"],
        pages_from=row["pages_from"],
    )
