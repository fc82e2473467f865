"""A loopback static web server for the example sites (``siteaudit demo``, tests, benchmarks).

Each site gets its own ``ThreadingHTTPServer`` on its own 127.0.0.x address, so root-relative
links work and every site looks like a separate host to the crawler. Files are served the way
a plain static server does it (and the way many real, slightly misconfigured servers do):
``.html`` as ``text/html`` *without* a charset, so a page's encoding comes only from its bytes
and its ``<meta>``; a directory URL serves its ``index.html``; no directory listings.

    python -m siteaudit.serve examples/sites [--port 8081]

serves every subfolder of the folder until Ctrl-C, at the addresses ``sites.yaml`` names
(looked for in the folder and beside it), or at 127.0.0.11, .12, ... in name order.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from os import PathLike
from pathlib import Path
from typing import Any

import yaml

from .errors import ExitCode, InputError

__all__ = ["ServedSite", "load_site_map", "main", "serve_sites"]

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
DEFAULT_PORT = 8081
SITE_MAP_NAME = "sites.yaml"

# Fixed, so the answer does not depend on the machine's /etc/mime.types.
CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "": "application/octet-stream",
}


@dataclass(frozen=True, slots=True)
class ServedSite:
    """One site being served: its folder and the loopback address it answers on."""

    slug: str
    root: Path
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"


class _StaticHandler(SimpleHTTPRequestHandler):
    """``http.server``'s static handler, made quiet, strict about listings and MIME types."""

    extensions_map = CONTENT_TYPES
    timeout = 10  # seconds a silent client may hold a handler thread

    def list_directory(self, path: str | PathLike[str]) -> BytesIO | None:
        self.send_error(404, "File not found")
        return None

    def log_message(self, format: str, *args: Any) -> None:
        return


class _SiteServer(ThreadingHTTPServer):
    # Track request threads and join them in server_close(): nothing outlives the context.
    daemon_threads = False
    block_on_close = True


def check_loopback(host: str) -> str:
    """Return ``host`` if it is a literal 127.0.0.0/8 address, else raise ValueError."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"{host!r} is not an IP address; serve sites on a 127.0.0.x address only"
        ) from None
    if address.version != 4 or address not in LOOPBACK:
        raise ValueError(f"{host} is outside 127.0.0.0/8; serve sites on a 127.0.0.x address only")
    return host


def _plan(
    sites: Mapping[str, Path] | Sequence[tuple[str, Path, str, int]],
    host_base: str,
    first: int,
    port: int,
) -> list[tuple[str, Path, str, int]]:
    if isinstance(sites, Mapping):
        planned = [
            (slug, Path(root), f"{host_base}{first + i}", port)
            for i, (slug, root) in enumerate(sites.items(), start=1)
        ]
    else:
        planned = [(slug, Path(root), host, int(p)) for slug, root, host, p in sites]
    seen: set[tuple[str, int]] = set()
    for slug, root, host, p in planned:
        check_loopback(host)
        if not root.is_dir():
            raise ValueError(f"site {slug!r}: {root} is not a folder")
        if p != 0 and (host, p) in seen:
            raise ValueError(f"site {slug!r}: {host}:{p} is given to two sites")
        seen.add((host, p))
    return planned


def _start(slug: str, root: Path, host: str, port: int, stack: ExitStack) -> ServedSite:
    handler = partial(_StaticHandler, directory=str(root.resolve()))
    server = _SiteServer((host, port), handler)
    stack.callback(server.server_close)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"siteaudit-serve-{slug}",
        daemon=True,
    )
    thread.start()
    # LIFO: shutdown() and join() run before server_close() registered above.
    stack.callback(thread.join)
    stack.callback(server.shutdown)
    bound_port = int(server.server_address[1])
    return ServedSite(slug=slug, root=root, host=host, port=bound_port)


@contextmanager
def serve_sites(
    sites: Mapping[str, Path] | Sequence[tuple[str, Path, str, int]],
    *,
    host_base: str = "127.0.0.",
    first: int = 10,
    port: int = 0,
) -> Iterator[dict[str, ServedSite]]:
    """Serve each site folder on its own loopback address until the ``with`` block ends.

    ``sites`` is either ``{slug: folder}`` (site *i*, counting from 1, gets
    ``host_base + str(first + i)`` and ``port``; 0 picks a free port per site) or explicit
    ``(slug, folder, host, port)`` tuples. Any host outside 127.0.0.0/8 raises ValueError;
    an address already in use raises OSError (and stops the sites already started).
    """
    planned = _plan(sites, host_base, first, port)
    with ExitStack() as stack:
        served = {slug: _start(slug, root, host, p, stack) for slug, root, host, p in planned}
        yield served


def load_site_map(path: Path) -> dict[str, str]:
    """Read ``sites.yaml`` (``slug: 127.0.0.x:port``) into ``{slug: "host:port"}``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the site map ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise InputError(
            f"{path}: not valid YAML ({exc}); write lines like 'slug: 127.0.0.11:8081'"
        ) from None
    if not isinstance(data, dict) or not data:
        raise InputError(f"{path}: expected a mapping of lines like 'slug: 127.0.0.11:8081'")
    result: dict[str, str] = {}
    for slug, netloc in data.items():
        host, sep, port_text = str(netloc).rpartition(":")
        try:
            if not sep or not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise ValueError("needs host:port with a port from 1 to 65535")
            check_loopback(host)
        except ValueError as exc:
            raise InputError(f"{path}: key {slug!r}: {netloc!r}: {exc}") from None
        result[str(slug)] = f"{host}:{int(port_text)}"
    return result


def _find_site_map(folder: Path) -> Path | None:
    for candidate in (folder / SITE_MAP_NAME, folder.parent / SITE_MAP_NAME):
        if candidate.is_file():
            return candidate
    return None


def plan_folder(folder: Path, port: int | None = None) -> list[tuple[str, Path, str, int]]:
    """Every subfolder of ``folder`` with the address it should be served on."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder; give the folder that holds the site folders")
    slugs = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not slugs:
        raise InputError(f"{folder}: has no site subfolders to serve")
    map_path = _find_site_map(folder)
    site_map = load_site_map(map_path) if map_path else {}
    used = {netloc.rpartition(":")[0] for netloc in site_map.values()}
    planned: list[tuple[str, Path, str, int]] = []
    spare = (f"127.0.0.{n}" for n in range(11, 255) if f"127.0.0.{n}" not in used)
    for slug in [s for s in site_map if s in slugs] + [s for s in slugs if s not in site_map]:
        if slug in site_map:
            host, _, port_text = site_map[slug].rpartition(":")
            site_port = int(port_text)
        else:
            host, site_port = next(spare), DEFAULT_PORT
        planned.append((slug, folder / slug, host, site_port if port is None else port))
    return planned


def main(argv: list[str] | None = None) -> int:
    """``python -m siteaudit.serve DIR [--port N]``: serve until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m siteaudit.serve",
        description="Serve every subfolder of DIR as a static site on its own 127.0.0.x address.",
    )
    parser.add_argument("dir", type=Path, help="folder holding one subfolder per site")
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="port for every site (default: sites.yaml, else 8081)",
    )
    args = parser.parse_args(argv)
    try:
        planned = plan_folder(args.dir, args.port)
        with serve_sites(planned) as served:
            for site in served.values():
                print(f"{site.slug:<28} {site.url}", flush=True)
            print("Serving; press Ctrl-C to stop.", flush=True)
            while True:  # a sleep is reliably interrupted by Ctrl-C (SIGINT)
                time.sleep(1)
    except InputError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return int(exc.exit_code)
    except OSError as exc:
        print(
            f"error: cannot listen ({exc}); pick another --port or stop what uses it",
            file=sys.stderr,
        )
        return int(ExitCode.FAILED)
    except KeyboardInterrupt:
        print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
