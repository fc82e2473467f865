"""The public corpus of real medical-organization sites (../shared/corpus/real), served on loopback.

Each assertion is one that ../shared/corpus/real/FINDINGS.md records from reading the HTML.
The corpus stays outside the project: these tests skip where it is absent.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from siteaudit.cli import main
from siteaudit.errors import ExitCode
from siteaudit.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.corpus]

SITES = {  # slug -> (country, start path)
    "ru-spb-dgp17": ("RU", "/index.html"),
    "ru-taganrog-gp2": ("RU", "/index.html"),
    "ru-taganrog-sp1": ("RU", "/index.html"),
    "ru-ingushetia-rssmp": ("RU", "/index.html"),
    "kz-almaty-cgkb": ("KZ", "/"),
    "kz-shymkent-oncology": ("KZ", "/"),
    "kz-petropavlovsk-gp3": ("KZ", "/"),
}

# (site, item) -> outcome, from FINDINGS.md
EXPECTED = {
    ("ru-spb-dgp17", "contacts.phone"): "present",
    ("ru-spb-dgp17", "contacts.email"): "present",
    ("ru-spb-dgp17", "contacts.address"): "present",
    ("ru-spb-dgp17", "structure.departments"): "present",
    ("ru-spb-dgp17", "staff.doctors"): "present",
    ("ru-spb-dgp17", "services.prices"): "present",
    ("ru-spb-dgp17", "a11y.low_vision"): "present",
    ("ru-spb-dgp17", "social.links"): "absent",
    ("ru-taganrog-gp2", "contacts.phone"): "present",
    ("ru-taganrog-gp2", "contacts.email"): "present",
    ("ru-taganrog-gp2", "feedback.channel"): "present",
    ("ru-taganrog-gp2", "a11y.low_vision"): "present",
    ("ru-taganrog-gp2", "quality.survey"): "present",
    ("ru-taganrog-gp2", "social.links"): "present",
    ("ru-taganrog-gp2", "org.license"): "present",
    ("ru-taganrog-sp1", "contacts.email"): "present",
    ("ru-taganrog-sp1", "staff.doctors"): "present",
    ("ru-taganrog-sp1", "feedback.channel"): "present",
    ("ru-taganrog-sp1", "a11y.low_vision"): "present",
    ("ru-taganrog-sp1", "quality.survey"): "present",
    ("ru-taganrog-sp1", "social.links"): "absent",
    ("ru-ingushetia-rssmp", "contacts.phone"): "present",
    ("ru-ingushetia-rssmp", "contacts.address"): "present",
    ("ru-ingushetia-rssmp", "feedback.channel"): "present",
    ("ru-ingushetia-rssmp", "contacts.email"): "absent",
    ("ru-ingushetia-rssmp", "a11y.low_vision"): "absent",
    ("ru-ingushetia-rssmp", "org.license"): "absent",
    ("ru-ingushetia-rssmp", "social.links"): "absent",
    ("kz-almaty-cgkb", "contacts.phone"): "present",
    ("kz-almaty-cgkb", "contacts.email"): "present",
    ("kz-almaty-cgkb", "contacts.address"): "present",
    ("kz-almaty-cgkb", "structure.departments"): "present",
    ("kz-almaty-cgkb", "blog.director"): "present",
    ("kz-almaty-cgkb", "social.links"): "present",
    ("kz-almaty-cgkb", "org.license"): "absent",
    ("kz-shymkent-oncology", "contacts.email"): "present",
    ("kz-shymkent-oncology", "contacts.address"): "present",
    ("kz-shymkent-oncology", "social.links"): "present",
    ("kz-shymkent-oncology", "a11y.low_vision"): "absent",
    ("kz-petropavlovsk-gp3", "contacts.phone"): "present",
    ("kz-petropavlovsk-gp3", "contacts.email"): "absent",
}


@pytest.fixture(scope="module")
def corpus_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    from siteaudit.serve import serve_sites

    corpus = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "real"
    if not corpus.is_dir():
        pytest.skip("../shared/corpus/real is absent (a fresh clone without the shared corpus)")
    tmp = tmp_path_factory.mktemp("corpus")
    with serve_sites({slug: corpus / slug for slug in SITES}) as served:
        reg = tmp / "registry.csv"
        with reg.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "name", "url", "country"])
            for slug, (country, start) in SITES.items():
                w.writerow([slug, slug, served[slug].url.rstrip("/") + start, country])
        out = tmp / "out"
        code = main(
            [
                "scan",
                str(reg),
                "--out",
                str(out),
                "--db",
                str(tmp / "s.db"),
                "--quiet",
                "--allow-network",
                "127.0.0.0/8",
                "--delay",
                "0",
                "--as-of",
                "2026-11-23",
                "--max-pages",
                "100",
                "--ignore-robots",
            ]
        )
        assert code == ExitCode.OK
    with (out / "results.csv").open(encoding="utf-8-sig", newline="") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


def test_every_corpus_site_scanned_ok(corpus_results: dict[str, dict[str, str]]) -> None:
    assert set(corpus_results) == set(SITES)
    assert {row["status"] for row in corpus_results.values()} == {"ok"}


def test_robots_disallow_all_is_reported(
    tmp_path: Path,
    corpus_dir: Path,
    serve,  # type: ignore[no-untyped-def]
) -> None:
    """ru-spb-dgp17's robots.txt says 'Disallow: /': without --ignore-robots nothing is read."""
    served = serve({"dgp17": corpus_dir / "ru-spb-dgp17"})
    reg = tmp_path / "r.csv"
    reg.write_text(f"id,name,url,country\ndgp17,D,{served['dgp17'].url}index.html,RU\n", "utf-8")
    out = tmp_path / "out"
    code = main(
        [
            "scan",
            str(reg),
            "--out",
            str(out),
            "--db",
            str(tmp_path / "s.db"),
            "--quiet",
            "--allow-network",
            "127.0.0.0/8",
        ]
    )
    assert code == ExitCode.OK
    with (out / "results.csv").open(encoding="utf-8-sig", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert row["status"] == "robots_disallowed"
    assert row["completeness"] == ""


@pytest.mark.parametrize(("site", "item"), sorted(EXPECTED), ids=lambda v: str(v))
def test_corpus_item_matches_findings(
    corpus_results: dict[str, dict[str, str]], site: str, item: str
) -> None:
    assert corpus_results[site][item] == EXPECTED[(site, item)]


def test_ukrainian_cp1251_site_decodes(
    tmp_path: Path,
    corpus_dir: Path,
    serve,  # type: ignore[no-untyped-def]
) -> None:
    """windows-1251 declared only in <meta>: read correctly (phone found, title readable)."""
    served = serve({"kyiv": corpus_dir / "ua-kyiv-desnyansky-crp"})
    reg = tmp_path / "r.csv"
    reg.write_text(f"id,name,url,country\nkyiv,Kyiv,{served['kyiv'].url}index.html,UA\n", "utf-8")
    out = tmp_path / "out"
    code = main(
        [
            "scan",
            str(reg),
            "--checklist",
            "ru-118n",
            "--out",
            str(out),
            "--db",
            str(tmp_path / "s.db"),
            "--quiet",
            "--allow-network",
            "127.0.0.0/8",
            "--delay",
            "0",
        ]
    )
    assert code == ExitCode.OK
    with (out / "results.csv").open(encoding="utf-8-sig", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert row["status"] == "ok"
    with Store(tmp_path / "s.db") as store:
        run = store.latest_run()
        assert run is not None
        pages = store.site_pages(run.id, "kyiv")
    titles = {p.title for p in pages}
    assert "Центральна районна поліклініка Деснянського району м. Києва" in titles
    assert len(pages) > 10
