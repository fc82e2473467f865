"""Peak memory of a scan of a large registry: N rows pointing at closed loopback ports.

    .venv/bin/python bench/memory.py [--rows 10000] [--concurrency 16] [--live 0]

Target (issue 6): peak RSS <= 300 MB for a registry of 10,000 sites, not growing with the
registry. Every row points at a port of 127.0.x.y where nothing listens, so each site fails
fast with connect_error (``--live K`` points every K-th row at a small served example site
instead, so real pages flow through the pipeline and the store too). Prints the peak RSS
after reading the registry and after the scan, the peak of the largest child process (a
worker process, forked from the scan's process; or, with ``--render auto``, Chromium's), and
the scan's wall time.
"""

from __future__ import annotations

import argparse
import csv
import resource
import socket
import tempfile
import time
from datetime import date
from pathlib import Path

from siteaudit.scan import plan_scan, run_scan
from siteaudit.serve import serve_sites
from siteaudit.settings import load_settings
from siteaudit.store import Store

REPO = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_registry(path: Path, rows: int, live: str | None, every: int) -> None:
    port = _closed_port()
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "name", "url", "region", "country", "type"])
        for i in range(rows):
            if live is not None and every and i % every == 0:
                url = live
            else:
                url = f"http://127.0.{1 + i // 250 % 250}.{1 + i % 250}:{port}/"
            out.writerow([f"org{i:06d}", f"Больница № {i}", url, "Область", "RU", "hospital"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--live", type=int, default=0, help="every K-th row is a served site")
    parser.add_argument("--render", choices=("auto", "never"), default="auto")
    args = parser.parse_args()
    site = REPO / "examples" / "sites" / "ru-ambulatoria-sparse"
    with tempfile.TemporaryDirectory() as tmp, serve_sites({"live": site}) as served:
        registry = Path(tmp) / "registry.csv"
        write_registry(registry, args.rows, served["live"].url, args.live)
        base = _rss_mb()
        plan = plan_scan(registry, "auto", skip_invalid=False)
        planned = _rss_mb()
        settings = load_settings(
            None,
            allow_networks=("127.0.0.0/8",),
            per_host_delay=0.0,
            concurrency=args.concurrency,
            retries=0,
            render=args.render,
        )
        start = time.perf_counter()
        with Store(Path(tmp) / "s.db") as store:
            run = run_scan(plan, store, settings, checklist="auto", as_of=date(2026, 11, 23))
        wall = time.perf_counter() - start
        worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"registry {args.rows} rows; peak RSS: {base:.0f} MB at start, {planned:.0f} MB after "
            f"reading the registry, {_rss_mb():.0f} MB after the scan (target <= 300 MB); "
            f"the largest child process (a worker, or Chromium's with --render auto) "
            f"{worker:.0f} MB"
        )
        print(f"scan: {run.done} sites in {wall:.1f} s ({run.done / wall:.0f} sites/s)")


if __name__ == "__main__":
    main()
