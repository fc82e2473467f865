"""The loopback static server (siteaudit.serve) and the example sites it serves, over real HTTP."""

from __future__ import annotations

import csv
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx
import pytest
import yaml

from siteaudit.errors import InputError
from siteaudit.serve import ServedSite, load_site_map, main, plan_folder, serve_sites

Serve = Callable[..., dict[str, ServedSite]]  # the `serve` fixture in tests/conftest.py

pytestmark = pytest.mark.integration

# Core item ids per country, from the table in shared/domain/CATALOGUE.md
# ("yes" and "optional" both count: the labels say present or absent for each).
COMMON_CORE = frozenset(
    {
        "contacts.page",
        "contacts.phone",
        "contacts.address",
        "contacts.email",
        "structure.departments",
        "feedback.channel",
        "feedback.email",
        "blog.director",
        "a11y.low_vision",
        "news.section",
        "news.fresh",
        "social.links",
        "org.license",
        "org.details",
        "org.schedule",
        "staff.doctors",
        "services.prices",
        "patients.rights",
        "guarantees.program",
        "oversight.contacts",
        "quality.survey",
        "lang.russian",
    }
)
CORE_IDS = {"RU": COMMON_CORE, "KZ": COMMON_CORE | {"lang.kazakh", "callcenter.1414"}}


def _client() -> httpx.Client:
    # trust_env=False: never route loopback requests through a proxy from the environment.
    return httpx.Client(trust_env=False, timeout=5.0)


def _sites(examples_dir: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted((examples_dir / "sites").iterdir()) if p.is_dir()}


def _free_port(hosts: list[str]) -> int:
    """A port that is free on every one of ``hosts`` right now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((hosts[0], 0))
            port = int(probe.getsockname()[1])
        try:
            for host in hosts:
                with socket.socket() as s:
                    s.bind((host, port))
        except OSError:
            continue
        return port
    raise AssertionError("no common free port found")


# --- the example sites ------------------------------------------------------------------------


def test_there_are_at_least_five_example_sites(examples_dir: Path) -> None:
    sites = _sites(examples_dir)
    assert len(sites) >= 5
    for slug, root in sites.items():
        pages = list(root.rglob("*.html"))
        assert 4 <= len(pages) <= 20, slug
        assert (root / "index.html").is_file(), slug
        assert (root / "LABELS.yaml").is_file(), slug


def test_every_example_site_serves_its_index(examples_dir: Path, serve: Serve) -> None:
    sites = _sites(examples_dir)
    served = serve(sites)
    hosts = {site.host for site in served.values()}
    assert len(hosts) == len(sites), "each site gets its own 127.0.0.x address"
    with _client() as client:
        for slug, site in served.items():
            assert site.url == f"http://{site.host}:{site.port}/"
            response = client.get(site.url)
            assert response.status_code == 200, slug
            assert response.headers["content-type"] == "text/html", slug
            expected = (sites[slug] / "index.html").read_bytes()
            assert response.content == expected, slug
            assert int(response.headers["content-length"]) == len(expected), slug


def test_directories_files_and_missing_paths(examples_dir: Path, serve: Serve) -> None:
    root = examples_dir / "sites" / "ru-gkb1"
    site = serve({"ru-gkb1": root})["ru-gkb1"]
    with _client() as client:
        about = client.get(site.url + "about/")
        assert about.status_code == 200
        assert about.content == (root / "about" / "index.html").read_bytes()
        # the query string of the low-vision link does not change the file served
        special = client.get(site.url + "about/?special_version=Y")
        assert special.content == about.content
        # like http.server: a directory without the slash is redirected to it
        bare = client.get(site.url + "about")
        assert bare.status_code == 301
        assert bare.headers["location"].endswith("/about/")
        assert client.get(site.url + "no-such-page/").status_code == 404
        assert client.get(site.url + "news/9999/index.html").status_code == 404
        robots = client.get(site.url + "robots.txt")
        assert robots.headers["content-type"] == "text/plain"
        assert "Disallow: /bitrix/" in robots.text
        sitemap = client.get(site.url + "sitemap.xml")
        assert sitemap.headers["content-type"] == "application/xml"
        assert "<urlset" in sitemap.text
        css = client.get(site.url + "bitrix/templates/gkb1/template_styles.css")
        assert css.status_code == 200
        assert css.headers["content-type"] == "text/css"
        pdf = client.get(site.url + "upload/docs/pgg-2026.pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-")


def test_head_sends_headers_only(examples_dir: Path, serve: Serve) -> None:
    root = examples_dir / "sites" / "ru-gkb1"
    site = serve({"ru-gkb1": root})["ru-gkb1"]
    with _client() as client:
        response = client.head(site.url + "contacts/")
    assert response.status_code == 200
    assert response.content == b""
    size = len((root / "contacts" / "index.html").read_bytes())
    assert int(response.headers["content-length"]) == size


def test_no_directory_listing(tmp_path: Path, serve: Serve) -> None:
    (tmp_path / "site" / "files").mkdir(parents=True)
    (tmp_path / "site" / "files" / "secret.txt").write_text("listing would show me", "utf-8")
    (tmp_path / "site" / "index.html").write_text("<p>home</p>", "utf-8")
    site = serve({"t": tmp_path / "site"})["t"]
    with _client() as client:
        response = client.get(site.url + "files/")
    assert response.status_code == 404
    assert "secret.txt" not in response.text


def test_no_path_escapes_the_site_folder(tmp_path: Path, serve: Serve) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<p>home</p>", "utf-8")
    (tmp_path / "outside.txt").write_text("must not be served", "utf-8")
    site = serve({"t": tmp_path / "site"})["t"]
    # a raw request: an HTTP client would normalise the dots away before sending
    with socket.create_connection((site.host, site.port), timeout=5) as conn:
        conn.sendall(b"GET /../outside.txt HTTP/1.0\r\nHost: x\r\n\r\n")
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.0 404")
    assert b"must not be served" not in reply


def test_cp1251_pages_come_back_byte_for_byte(examples_dir: Path, serve: Serve) -> None:
    root = examples_dir / "sites" / "ru-poliklinika-cp1251"
    site = serve({"cp": root})["cp"]
    raw = (root / "kontakty.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1251")
    assert '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">' in text
    assert "info[at]gp5-example.ru" in text
    with _client() as client:
        response = client.get(site.url + "kontakty.html")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html"  # no charset: only the <meta> tells
    assert response.content == raw


# --- labels and registries ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug",
    ["ru-gkb1", "ru-poliklinika-cp1251", "kz-oblbolnica", "kz-emhana-ru", "ru-ambulatoria-sparse"],
)
def test_labels_cover_every_core_item(examples_dir: Path, slug: str) -> None:
    labels = yaml.safe_load((examples_dir / "sites" / slug / "LABELS.yaml").read_text("utf-8"))
    assert set(labels) == {"org", "country", "newest_news", "items"}
    assert isinstance(labels["org"], str) and labels["org"]
    country = labels["country"]
    assert country in CORE_IDS
    assert set(labels["items"]) == CORE_IDS[country]
    assert set(labels["items"].values()) <= {"present", "absent"}
    newest = labels["newest_news"]
    assert newest is None or isinstance(newest, date)
    if newest is None:
        assert labels["items"]["news.fresh"] == "absent"
    else:
        assert newest <= date(2026, 11, 23)
        fresh = (date(2026, 11, 23) - newest).days <= 30
        assert labels["items"]["news.fresh"] == ("present" if fresh else "absent")


def test_every_site_folder_is_labelled(examples_dir: Path) -> None:
    for root in _sites(examples_dir).values():
        assert (root / "LABELS.yaml").is_file(), root.name


def test_core_ids_match_the_catalogue() -> None:
    catalogue = Path(__file__).resolve().parents[3] / "shared" / "domain" / "CATALOGUE.md"
    if not catalogue.is_file():
        pytest.skip("../shared/domain/CATALOGUE.md is absent (a fresh clone without shared/)")
    text = catalogue.read_text("utf-8")
    core = text.split("## Core items", 1)[1].split("\n## ", 1)[0]
    found: dict[str, set[str]] = {"RU": set(), "KZ": set()}
    for match in re.finditer(r"^\| `([a-z0-9_.]+)` \|.*\| (\w+) \| (\w+) \|$", core, re.M):
        item, ru, kz = match.groups()
        for country, mark in (("RU", ru), ("KZ", kz)):
            if mark in ("yes", "optional"):
                found[country].add(item)
    assert found == {country: set(ids) for country, ids in CORE_IDS.items()}


def test_registries_and_site_map_agree(examples_dir: Path) -> None:
    site_map = load_site_map(examples_dir / "sites.yaml")
    assert set(site_map) == set(_sites(examples_dir))
    assert len(set(site_map.values())) == len(site_map)
    with (examples_dir / "registry.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with (examples_dir / "registry-excel-ru.csv").open(encoding="cp1251", newline="") as fh:
        excel_rows = list(csv.DictReader(fh, delimiter=";"))
    assert rows == excel_rows
    assert {"id", "name", "url", "region", "country", "type"} < set(rows[0])
    assert len(rows[0]) >= 7
    for row in rows:
        assert row["url"] == f"http://{site_map[row['id']]}/"
        labels = yaml.safe_load((examples_dir / "sites" / row["id"] / "LABELS.yaml").read_text())
        assert row["country"] == labels["country"]


# --- the server's guarantees ------------------------------------------------------------------


@pytest.mark.parametrize("host", ["10.0.0.1", "192.168.1.10", "0.0.0.0", "localhost", "::1"])
def test_refuses_non_loopback_hosts(tmp_path: Path, host: str) -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.x"), serve_sites([("x", tmp_path, host, 0)]):
        pass


def test_refuses_a_non_loopback_host_base(tmp_path: Path) -> None:
    with (
        pytest.raises(ValueError, match=r"outside 127\.0\.0\.0/8"),
        serve_sites({"x": tmp_path}, host_base="192.168.0."),
    ):
        pass


def test_threads_and_sockets_are_gone_after_the_context(examples_dir: Path) -> None:
    before = set(threading.enumerate())
    with serve_sites(_sites(examples_dir)) as served, _client() as client:
        for site in served.values():
            assert client.get(site.url).status_code == 200
        assert len(set(threading.enumerate()) - before) >= len(served)
    assert set(threading.enumerate()) == before
    for site in served.values():
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((site.host, site.port), timeout=2).close()


def test_fixed_port_and_cleanup_when_a_port_is_taken(tmp_path: Path) -> None:
    hosts = ["127.0.0.41", "127.0.0.42"]
    port = _free_port(hosts)
    with serve_sites({"a": tmp_path, "b": tmp_path}, first=40, port=port) as served:
        assert [(s.host, s.port) for s in served.values()] == [(h, port) for h in hosts]
        before = set(threading.enumerate())
        # the second site's address is taken: the first one started must be stopped again
        spec = [("c", tmp_path, "127.0.0.43", 0), ("d", tmp_path, "127.0.0.42", port)]
        with pytest.raises(OSError), serve_sites(spec):
            pass
        assert set(threading.enumerate()) == before


def test_two_sites_on_one_address_is_an_error(tmp_path: Path) -> None:
    spec = [("a", tmp_path, "127.0.0.50", 8123), ("b", tmp_path, "127.0.0.50", 8123)]
    with pytest.raises(ValueError, match="two sites"), serve_sites(spec):
        pass


def test_load_site_map_rejects_bad_entries(tmp_path: Path) -> None:
    path = tmp_path / "sites.yaml"
    for text, needle in [
        ("a: 10.1.2.3:8081\n", "outside 127.0.0.0/8"),
        ("a: 127.0.0.11\n", "host:port"),
        ("a: 127.0.0.11:99999\n", "host:port"),
        ("- just a list\n", "expected a mapping"),
        ("a: [unclosed\n", "not valid YAML"),
    ]:
        path.write_text(text, "utf-8")
        with pytest.raises(InputError, match=re.escape(needle)) as info:
            load_site_map(path)
        assert str(path) in info.value.message
    with pytest.raises(InputError, match="cannot read"):
        load_site_map(tmp_path / "missing.yaml")


def test_plan_folder_uses_the_site_map(examples_dir: Path, tmp_path: Path) -> None:
    planned = plan_folder(examples_dir / "sites")
    site_map = load_site_map(examples_dir / "sites.yaml")
    assert {slug: f"{host}:{port}" for slug, _, host, port in planned} == site_map
    overridden = plan_folder(examples_dir / "sites", port=9000)
    assert {port for *_, port in overridden} == {9000}
    # without a site map: name order from 127.0.0.11 on, port 8081
    for name in ("b", "a"):
        (tmp_path / "sites" / name).mkdir(parents=True)
    plain = plan_folder(tmp_path / "sites")
    assert [(s, h, p) for s, _, h, p in plain] == [
        ("a", "127.0.0.11", 8081),
        ("b", "127.0.0.12", 8081),
    ]


def test_main_reports_a_bad_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nope")]) == 3
    assert "not a folder" in capsys.readouterr().err


def test_main_serves_until_interrupted(examples_dir: Path) -> None:
    site_map = load_site_map(examples_dir / "sites.yaml")
    port = _free_port([netloc.rpartition(":")[0] for netloc in site_map.values()])
    proc = subprocess.Popen(
        [sys.executable, "-m", "siteaudit.serve", str(examples_dir / "sites"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(len(site_map) + 1)]
        assert lines[-1].startswith("Serving"), lines
        urls = dict(line.split() for line in lines[:-1])
        assert urls == {
            slug: f"http://{n.rpartition(':')[0]}:{port}/" for slug, n in site_map.items()
        }
        with _client() as client:
            assert client.get(urls["kz-oblbolnica"] + "kz/").status_code == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Stopped." in out
