"""Settings precedence: defaults < config file < SITEAUDIT_* environment < flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from siteaudit.errors import InputError
from siteaudit.settings import Settings, describe, load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert (s.max_pages, s.max_depth, s.per_host_concurrency) == (60, 4, 2)
    assert s.obey_robots is True
    assert s.allow_networks == ()


def test_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "siteaudit.toml"
    cfg.write_text("[siteaudit]\nmax_pages = 10\nmax_depth = 2\nper_host_delay = 1.5\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_settings().max_pages == 10  # ./siteaudit.toml is read by default
    monkeypatch.setenv("SITEAUDIT_MAX_PAGES", "20")
    s = load_settings()
    assert (s.max_pages, s.max_depth, s.per_host_delay) == (20, 2, 1.5)  # env beats the file
    s = load_settings(max_pages=30, max_depth=None)
    assert (s.max_pages, s.max_depth) == (30, 2)  # flags beat env; unset flags mask nothing


def test_top_level_keys_and_explicit_file(tmp_path: Path) -> None:
    cfg = tmp_path / "other.toml"
    cfg.write_text('max_pages = 5\nallow_networks = ["127.0.0.0/8"]\n', "utf-8")
    s = load_settings(cfg)
    assert s.max_pages == 5
    assert s.allow_networks == ("127.0.0.0/8",)


def test_unknown_key_names_file_and_allowed(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("max_pagez = 5\n", "utf-8")
    with pytest.raises(InputError) as info:
        load_settings(cfg)
    assert "bad.toml" in info.value.message
    assert "max_pagez" in info.value.message
    assert "max_pages" in info.value.message  # the allowed settings are listed


def test_bad_value_and_bad_toml(tmp_path: Path) -> None:
    cfg = tmp_path / "neg.toml"
    cfg.write_text("max_pages = -1\n", "utf-8")
    with pytest.raises(InputError, match="max_pages"):
        load_settings(cfg)
    broken = tmp_path / "broken.toml"
    broken.write_text("max_pages = \n", "utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_settings(broken)
    with pytest.raises(InputError, match="CIDR"):
        load_settings(None, allow_networks=("localhost",))


def test_describe_lists_every_setting() -> None:
    names = [row[0] for row in describe()]
    assert names == list(Settings.model_fields)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for name in names:
        assert name in readme, f"setting {name} is not documented in the README"
