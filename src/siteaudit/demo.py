"""``siteaudit demo``: serve the bundled example sites on loopback, scan them, write the reports."""

from __future__ import annotations

import csv
import os
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console

from .console import scan_and_report
from .errors import ScanError
from .scan import plan_scan
from .serve import load_site_map, serve_sites
from .settings import load_settings
from .store import Store

LOOPBACK = "127.0.0.0/8"


def examples_dir() -> Path:
    """The bundled examples: $SITEAUDIT_EXAMPLES_DIR, else <repo>/examples."""
    env = os.environ.get("SITEAUDIT_EXAMPLES_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "examples"
    if not (path / "registry.csv").is_file():
        raise ScanError(
            f"{path}: the example sites are not there; run the demo from a clone of the "
            "siteaudit repository or set SITEAUDIT_EXAMPLES_DIR"
        )
    return path


def _rewrite_registry(src: Path, dst: Path, netlocs: dict[str, str]) -> None:
    """Copy the example registry, pointing each URL at the address its site is served on."""
    with src.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    col = [h.strip().lower() for h in header].index("url")
    for row in body:
        parts = urlsplit(row[col])
        row[col] = parts._replace(netloc=netlocs.get(parts.netloc, parts.netloc)).geturl()
    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *body])


def run_demo(
    out_dir: Path,
    *,
    lang: str | None = None,
    quiet: bool = False,
    console: Console | None = None,
    debug: bool = False,
) -> Path:
    """Serve, scan, report; the servers are stopped before this returns. Returns index.html."""
    console = console or Console(stderr=True)
    base = examples_dir()
    site_map = load_site_map(base / "sites.yaml")
    settings = load_settings(None, allow_networks=(LOOPBACK,), per_host_delay=0.0)
    out_dir.mkdir(parents=True, exist_ok=True)
    db = out_dir / "siteaudit.db"
    if db.exists():
        db.unlink()
    with serve_sites({slug: base / "sites" / slug for slug in site_map}) as served:
        netlocs = {site_map[slug]: f"{site.host}:{site.port}" for slug, site in served.items()}
        registry = out_dir / "registry.csv"
        _rewrite_registry(base / "registry.csv", registry, netlocs)
        plan = plan_scan(registry, "auto", skip_invalid=False)
        with Store(db) as store:
            return scan_and_report(
                plan,
                store,
                settings,
                out_dir,
                console=console,
                checklist="auto",
                as_of=date.today(),
                lang=lang,
                quiet=quiet,
                debug=debug,
            )
