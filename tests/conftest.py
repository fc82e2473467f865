"""Shared pytest fixtures. Each block names the module it serves; add yours below."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from siteaudit.serve import ServedSite, serve_sites

REPO = Path(__file__).resolve().parents[1]

# --- serve.py: example sites over real HTTP on 127.0.0.x -------------------------------------

SiteSpec = Mapping[str, Path] | Sequence[tuple[str, Path, str, int]]
Serve = Callable[..., dict[str, ServedSite]]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """``serve({slug: folder}, **kwargs) -> {slug: ServedSite}``; every server stops at teardown."""
    with ExitStack() as stack:

        def _serve(sites: SiteSpec, **kwargs: Any) -> dict[str, ServedSite]:
            return stack.enter_context(serve_sites(sites, **kwargs))

        yield _serve


@pytest.fixture
def examples_dir() -> Path:
    """The repository's examples/ folder (registry.csv, sites.yaml, sites/<slug>/)."""
    return REPO / "examples"


@pytest.fixture
def example_registry(tmp_path: Path, examples_dir: Path, serve: Serve) -> Path:
    """examples/registry.csv pointed at the example sites, served on free loopback ports."""
    from siteaudit.demo import _rewrite_registry
    from siteaudit.serve import load_site_map

    site_map = load_site_map(examples_dir / "sites.yaml")
    served = serve({slug: examples_dir / "sites" / slug for slug in site_map})
    netlocs = {site_map[slug]: site.netloc for slug, site in served.items()}
    path = tmp_path / "registry.csv"
    _rewrite_registry(examples_dir / "registry.csv", path, netlocs)
    return path


@pytest.fixture
def corpus_dir() -> Path:
    """../shared/corpus/real beside the repository; the test is skipped where it is absent."""
    path = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"
    if not path.is_dir():
        pytest.skip("../shared/corpus/real is absent (a fresh clone without the shared corpus)")
    return path


# --- render: the browser only where a test asks for it ----------------------------------------


@pytest.fixture(autouse=True)
def _http_only_unless_browser(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scans in tests run HTTP-only (``render = never``) unless the test is marked ``browser``:
    a real Chromium per scan would make the suite slow. Browser tests set their own mode."""
    if request.node.get_closest_marker("browser") is None:
        monkeypatch.setenv("SITEAUDIT_RENDER", "never")
