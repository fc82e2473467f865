"""Every crawl default, documented once.

Precedence: defaults < config file (``siteaudit.toml`` or ``--config``) < ``SITEAUDIT_*``
environment variables < command-line flags.
"""

from __future__ import annotations

import ipaddress
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import InputError

DEFAULT_USER_AGENT = (
    "siteaudit/0.1 (+https://github.com/siteaudit/siteaudit; audit of medical organization sites)"
)


class Settings(BaseSettings):
    """Crawl and scan settings. Each field can be set as SITEAUDIT_<NAME> in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="SITEAUDIT_", extra="forbid", frozen=True, validate_default=True
    )

    max_pages: int = Field(60, ge=1, description="Pages fetched per site at most.")
    max_depth: int = Field(4, ge=0, description="Links followed from the start page at most.")
    per_host_concurrency: int = Field(2, ge=1, description="Requests in flight to one host.")
    per_host_delay: float = Field(
        0.25, ge=0, description="Seconds between two requests to one host (per slot)."
    )
    concurrency: int = Field(16, ge=1, description="Sites crawled at once.")
    workers: int | None = Field(
        None,
        ge=0,
        description="Processes for a scan of several sites. With render never (or no browser "
        "found) each crawls and evaluates its own share of the sites; with a browser they "
        "extract and evaluate sites beside the crawl, which keeps the one browser. 0: all in "
        "the scan's own process (a thread evaluates); default: one per CPU core.",
    )
    connect_timeout: float = Field(10.0, gt=0, description="Seconds to open a connection.")
    read_timeout: float = Field(20.0, gt=0, description="Seconds to wait for data.")
    page_timeout: float = Field(60.0, gt=0, description="Seconds for one whole page.")
    site_timeout: float = Field(600.0, gt=0, description="Seconds for one whole site.")
    max_redirects: int = Field(10, ge=0, description="Redirects followed per request.")
    max_body_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Bytes read from one page; more is too_large."
    )
    retries: int = Field(2, ge=0, description="Retries for transient failures (5xx, timeouts).")
    user_agent: str = Field(DEFAULT_USER_AGENT, description="User-Agent header.")
    obey_robots: bool = Field(True, description="Obey robots.txt.")
    use_sitemaps: bool = Field(True, description="Also crawl URLs listed in sitemaps.")
    allow_networks: tuple[str, ...] = Field(
        (), description="Non-public networks (CIDR) the scanner may connect to."
    )
    ca_bundle: str | None = Field(None, description="Extra CA bundle (PEM) to trust.")
    render: Literal["auto", "never", "always"] = Field(
        "auto",
        description="Render pages in a browser: auto (script-built pages and the accessibility "
        "checks of the key pages), never (HTTP only), always (every page).",
    )
    browser_path: str | None = Field(
        None, description="Chromium to use; default: SITEAUDIT_BROWSER, Playwright's, the system's."
    )
    browser_contexts: int = Field(2, ge=1, le=16, description="Browser tabs in use at once.")
    render_timeout: float = Field(30.0, gt=0, description="Seconds for one page in the browser.")
    a11y_pages: tuple[str, ...] = Field(
        ("home", "contacts.page", "feedback.channel", "a11y.low_vision"),
        description="Key pages for axe-core: 'home' and item ids whose found page is checked.",
    )
    screenshots_dir: str | None = Field(
        None, description="Keep PNG screenshots of the key pages here (--screenshots)."
    )

    @field_validator("allow_networks")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(
                    f"{cidr!r} is not a network; write it as CIDR, e.g. 127.0.0.0/8"
                ) from None
        return value


def _read_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the config file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    section = data.get("siteaudit", data)
    if not isinstance(section, dict):
        raise InputError(f"{path}: [siteaudit] must be a table of settings")
    return section


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Build settings: defaults < config file < SITEAUDIT_* environment < overrides (flags).

    ``config`` defaults to ``./siteaudit.toml`` when that file exists. Overrides that are
    None are ignored, so flags that were not given do not mask the environment.
    """
    if config is None and Path("siteaudit.toml").is_file():
        config = Path("siteaudit.toml")
    file_values = _read_config(config) if config is not None else {}
    flags = {k: v for k, v in overrides.items() if v is not None}
    source = str(config) if config is not None else "settings"
    try:
        env_only = Settings()
        # Environment values beat the file: keep only what the environment set explicitly.
        env_set = {k: getattr(env_only, k) for k in env_only.model_fields_set}
        return Settings.model_validate({**file_values, **env_set, **flags})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "?"
        allowed = ", ".join(sorted(Settings.model_fields))
        if err["type"] == "extra_forbidden":
            raise InputError(
                f"{source}: unknown setting {key!r}; allowed settings: {allowed}"
            ) from None
        raise InputError(f"{source}: setting {key!r}: {err['msg']}") from None


def describe() -> list[tuple[str, str, str]]:
    """(name, default, description) for every setting, for the README and --help."""
    rows = []
    for name, info in Settings.model_fields.items():
        rows.append((name, repr(info.default), info.description or ""))
    return rows
