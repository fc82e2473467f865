"""index.html, orgs/<id>.html and items/<id>.html: the reports people read.

Jinja2 with autoescape, StrictUndefined and the i18n extension (gettext catalogues from
``i18n``); the templates get plain view objects built here (``views``), so every number and
date is formatted in one place. Organization pages are written while the results stream;
the index keeps one small row per organization and the item pages the organizations that
lack each item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

from .. import __version__
from ..checklist import Checklist
from ..history import History
from ..models import RunInfo, SiteResult
from . import i18n
from .common import atomic_text, org_filename
from .views import (
    IndexBuilder,
    checklist_label,
    org_change_view,
    safe_href,
    sections,
    site_view,
)

ORGS_DIR = "orgs"
ITEMS_DIR = "items"


@cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=PackageLoader("siteaudit", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def item_filename(item_id: str) -> str:
    return org_filename(item_id)


@dataclass(frozen=True, slots=True)
class HtmlWriter:
    history: History | None = None

    def write(
        self,
        out: Path,
        run: RunInfo,
        results: Iterable[SiteResult],
        checklists: Mapping[str, Checklist],
        lang: str,
    ) -> list[Path]:
        env = environment(lang)
        org_template = env.get_template("org.html")
        diff = self.history.diff if self.history is not None else None
        common: dict[str, Any] = {
            "lang": lang,
            "run": run,
            "checklist_label": checklist_label(run.checklist, checklists, lang),
            "as_of": i18n.format_date(run.as_of, lang),
            "run_state": run.state.value,
            "version": __version__,
            "previous": diff.previous if diff is not None else None,
            "previous_as_of": (
                i18n.format_date(diff.previous.as_of, lang)
                if diff is not None and diff.previous is not None
                else ""
            ),
        }
        (out / ORGS_DIR).mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        builder = IndexBuilder(lang, checklists, history=self.history)
        for result in results:
            filename = org_filename(result.org.id)
            checklist = checklists.get(result.checklist_id)
            site = site_view(result, lang, href=f"{ORGS_DIR}/{quote(filename)}")
            builder.add(result, site)
            change = diff.for_org(result.org.id) if diff is not None else None
            page = out / ORGS_DIR / filename
            with atomic_text(page) as handle:
                handle.write(
                    org_template.render(
                        common,
                        root="../",
                        org=result.org,
                        org_href=safe_href(result.org.url),
                        org_type=i18n.org_type_label(result.org.type, lang),
                        site=site,
                        result=result,
                        checklist_title=checklist.title.get(lang) if checklist else "",
                        sections=sections(result.findings, checklist, lang, ITEMS_DIR),
                        change=org_change_view(change, builder.item_title, lang),
                    )
                )
            written.append(page)
        summary = builder.build()
        index = out / "index.html"
        with atomic_text(index) as handle:
            handle.write(
                env.get_template("index.html").render(common, root="", **summary.context())
            )
        item_template = env.get_template("item.html")
        (out / ITEMS_DIR).mkdir(parents=True, exist_ok=True)
        for item in summary.items:
            page = out / ITEMS_DIR / item_filename(item.id)
            with atomic_text(page) as handle:
                handle.write(item_template.render(common, root="../", item=item))
            written.append(page)
        return [index, *written]


__all__ = ["ITEMS_DIR", "ORGS_DIR", "HtmlWriter", "environment", "item_filename", "safe_href"]
