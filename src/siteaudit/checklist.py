"""Checklists: the YAML schema (pydantic) and the loader.

A checklist names items; each item has a declarative ``rule`` that evaluate.py runs over
the facts extracted from a site's pages. Rule kinds:

- ``page``: find a page by synonyms in link text / title / aria-label / image alt and the
  target page's <title>/<h1>, or by URL slug.
- ``text``: a regular expression over page text (``on``: any page, the home page, or the
  page(s) another item found).
- ``email`` / ``phone``: a valid address / number (optionally near a context pattern).
- ``css``: a CSS selector matches.
- ``link``: a link whose absolute URL matches one of the patterns (e.g. vk.com).
- ``news_date``: the newest publication date on the pages another item found.
- ``language``: the site has real content in a language (kk, ru).
- ``any`` / ``all``: combine rules.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ITEM_ID = r"^[a-z0-9_]+(\.[a-z0-9_]+)+$"
SCOPE_HELP = "'any' (every page), 'home' (the start page) or the id of another item"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedText(_Strict):
    ru: str = Field(min_length=1)
    kk: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return str(getattr(self, lang, self.en))


class Citation(_Strict):
    document: str = Field(min_length=1)
    clause: str = ""
    url: str = ""


def _compile(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from None
    return pattern


class PageRule(_Strict):
    kind: Literal["page"]
    synonyms: tuple[str, ...] = ()
    slugs: tuple[str, ...] = ()
    require: str | None = None  # regex the found page's text must match
    documents: bool = True  # a link to a document (PDF, DOC) counts as the page

    @model_validator(mode="after")
    def _needs_something(self) -> PageRule:
        if not self.synonyms and not self.slugs:
            raise ValueError("a page rule needs 'synonyms' or 'slugs' (or both)")
        if self.require is not None:
            _compile(self.require)
        return self


class TextRule(_Strict):
    kind: Literal["text"]
    pattern: str
    on: str = "any"
    min_matches: int = Field(1, ge=1)

    _check = field_validator("pattern")(_compile)


class EmailRule(_Strict):
    kind: Literal["email"]
    on: str = "any"
    near: str | None = None  # regex that must occur near the address (or in its link label)

    @field_validator("near")
    @classmethod
    def _near(cls, value: str | None) -> str | None:
        return None if value is None else _compile(value)


class PhoneRule(_Strict):
    kind: Literal["phone"]
    on: str = "any"
    region: str | None = None  # ISO country for phonenumbers; default: the checklist's country


class CssRule(_Strict):
    kind: Literal["css"]
    selector: str = Field(min_length=1)
    on: str = "any"
    min_count: int = Field(1, ge=1)


class LinkRule(_Strict):
    kind: Literal["link"]
    href: tuple[str, ...] = Field(min_length=1)  # regexes over the absolute URL
    on: str = "any"

    @field_validator("href")
    @classmethod
    def _hrefs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            _compile(pattern)
        return value


class NewsDateRule(_Strict):
    kind: Literal["news_date"]
    on: str = "news.section"


class LanguageRule(_Strict):
    kind: Literal["language"]
    lang: Literal["kk", "ru"]
    min_chars: int = Field(200, ge=1)


class AnyRule(_Strict):
    kind: Literal["any"]
    rules: tuple[Rule, ...] = Field(min_length=1)


class AllRule(_Strict):
    kind: Literal["all"]
    rules: tuple[Rule, ...] = Field(min_length=1)


Rule = Annotated[
    PageRule
    | TextRule
    | EmailRule
    | PhoneRule
    | CssRule
    | LinkRule
    | NewsDateRule
    | LanguageRule
    | AnyRule
    | AllRule,
    Field(discriminator="kind"),
]
RULE_KINDS = ("page", "text", "email", "phone", "css", "link", "news_date", "language", "any", "all")
AnyRule.model_rebuild()
AllRule.model_rebuild()


def rule_scopes(rule: Rule) -> list[str]:
    """Every ``on`` scope a rule (and its children) refers to."""
    if isinstance(rule, AnyRule | AllRule):
        return [s for child in rule.rules for s in rule_scopes(child)]
    scope = getattr(rule, "on", None)
    return [scope] if isinstance(scope, str) else []


class Item(_Strict):
    id: str = Field(pattern=ITEM_ID)
    title: LocalizedText
    section: str = Field(min_length=1)
    weight: float = Field(1.0, ge=0)
    citation: Citation
    valid_from: date | None = None
    valid_to: date | None = None
    core: bool = True
    rule: Rule

    @model_validator(mode="after")
    def _dates(self) -> Item:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self

    def valid_on(self, day: date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_to is not None and day > self.valid_to)


class Freshness(_Strict):
    fresh_days: int = Field(30, ge=0)
    ageing_days: int = Field(90, ge=0)
    stale_days: int = Field(365, ge=1)

    @model_validator(mode="after")
    def _order(self) -> Freshness:
        if not self.fresh_days <= self.ageing_days <= self.stale_days:
            raise ValueError("fresh_days <= ageing_days <= stale_days must hold")
        return self


class Checklist(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: LocalizedText
    country: str = Field(pattern=r"^[A-Z]{2}$")
    version: str = "1"
    language: Literal["ru", "kk", "en"] = "ru"
    freshness: Freshness = Freshness()
    sections: dict[str, LocalizedText]
    items: tuple[Item, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Checklist:
        ids = [item.id for item in self.items]
        seen: set[str] = set()
        for item_id in ids:
            if item_id in seen:
                raise ValueError(f"item id {item_id!r} is used twice; ids must be unique")
            seen.add(item_id)
        for item in self.items:
            if item.section not in self.sections:
                raise ValueError(
                    f"item {item.id!r}: section {item.section!r} is not in 'sections' "
                    f"(known: {', '.join(sorted(self.sections))})"
                )
            for scope in rule_scopes(item.rule):
                if scope not in ("any", "home") and scope not in seen:
                    raise ValueError(
                        f"item {item.id!r}: 'on: {scope}' must be {SCOPE_HELP}"
                    )
        return self

    def items_as_of(self, day: date) -> tuple[Item, ...]:
        """The items in force on ``day`` (legal versions: valid_from / valid_to)."""
        return tuple(item for item in self.items if item.valid_on(day))

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)
