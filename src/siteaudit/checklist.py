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
- ``regid``: a labelled registration id (ОГРН, ОГРНИП, ИНН, БИН) with a valid check digit.
- ``licence``: a Russian licence number (ЛО-77-01-012345 or Л041-01137-77/00123456).
- ``any`` / ``all``: combine rules.

The loader (``load_checklist``) takes a YAML path or a bundled id (``ru-118n``; the files in
``bundled_dir()``) and reports every problem as ``file:line: key: what is wrong``.
The format is documented in checklists/README.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import date
from itertools import pairwise
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from .errors import InputError

ITEM_ID = r"^[a-z0-9_]+(\.[a-z0-9_]+)+$"
SCOPE_HELP = "'any' (every page), 'home' (the start page) or the id of another item"


class _Strict(BaseModel):
    # numbers become strings where a string is expected: `version: 2`, `pattern: 1414`
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


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


def _selector(selector: str) -> str:
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except (SelectolaxError, ValueError) as exc:
        raise ValueError(f"not a valid CSS selector ({exc})") from None
    return selector


Pattern = Annotated[str, AfterValidator(_compile)]  # a Python regular expression


class PageRule(_Strict):
    kind: Literal["page"]
    synonyms: tuple[str, ...] = ()
    slugs: tuple[str, ...] = ()
    require: Pattern | None = None  # regex the found page's text must match
    documents: bool = True  # a link to a document (PDF, DOC) counts as the page
    exclude: Pattern | None = None  # a link label or title matching this does not count

    @model_validator(mode="after")
    def _needs_something(self) -> PageRule:
        if not self.synonyms and not self.slugs:
            raise ValueError("a page rule needs 'synonyms' or 'slugs' (or both)")
        return self


class TextRule(_Strict):
    kind: Literal["text"]
    pattern: Pattern
    on: str = "any"
    min_matches: int = Field(1, ge=1)


class EmailRule(_Strict):
    kind: Literal["email"]
    on: str = "any"
    near: Pattern | None = None  # regex that must occur near the address (or in its link label)


class PhoneRule(_Strict):
    kind: Literal["phone"]
    on: str = "any"
    region: str | None = None  # ISO country for phonenumbers; default: the checklist's country


class CssRule(_Strict):
    kind: Literal["css"]
    selector: Annotated[str, AfterValidator(_selector)] = Field(min_length=1)
    on: str = "any"
    min_count: int = Field(1, ge=1)


class LinkRule(_Strict):
    kind: Literal["link"]
    href: tuple[Pattern, ...] = Field(min_length=1)  # regexes over the absolute URL
    on: str = "any"


class NewsDateRule(_Strict):
    kind: Literal["news_date"]
    on: str = "news.section"
    also: tuple[str, ...] = ()  # more items whose pages hold dated posts (blog.director)


class RegIdRule(_Strict):
    kind: Literal["regid"]
    types: tuple[Literal["ogrn", "ogrnip", "inn", "bin"], ...] = Field(min_length=1)
    on: str = "any"
    valid: bool = True  # the check digit must be right (false: the label and length suffice)


class LicenceRule(_Strict):
    kind: Literal["licence"]
    on: str = "any"


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
    | RegIdRule
    | LicenceRule
    | AnyRule
    | AllRule,
    Field(discriminator="kind"),
]
AnyRule.model_rebuild()
AllRule.model_rebuild()
#: rule kind -> its model, in the order the docs list them
RULE_MODELS: dict[str, type[BaseModel]] = {
    get_args(model.model_fields["kind"].annotation)[0]: model
    for model in get_args(get_args(Rule)[0])
}
RULE_KINDS = tuple(RULE_MODELS)


Loc = tuple[str | int, ...]


def rule_scopes(rule: Rule) -> list[str]:
    """Every ``on`` scope a rule (and its children) refers to."""
    return [scope for _, scope in _scope_locs(rule, ())]


def _scope_locs(rule: Rule, loc: Loc) -> list[tuple[Loc, str]]:
    """(where, scope) of every ``on`` in a rule and its children; ``loc`` is the rule's."""
    if isinstance(rule, AnyRule | AllRule):
        return [
            found
            for i, child in enumerate(rule.rules)
            for found in _scope_locs(child, (*loc, "rules", i))
        ]
    scope = getattr(rule, "on", None)
    found = [((*loc, "on"), scope)] if isinstance(scope, str) else []
    if isinstance(rule, NewsDateRule):
        found += [((*loc, "also", k), other) for k, other in enumerate(rule.also)]
    return found


class CrossReferenceError(ValueError):
    """Problems between items (duplicate ids, unknown sections or scopes), each located by
    the loc of the key at fault, so that the loader can name the YAML line."""

    def __init__(self, problems: Sequence[tuple[Loc, str]]) -> None:
        super().__init__(problems[0][1])
        self.problems = tuple(problems)


class ItemVersion(_Strict):
    """One legal version of an item: in force from ``valid_from`` to ``valid_to``; the keys it
    gives replace the item's own (e.g. the 956n and the 118n wording of the licence item)."""

    valid_from: date | None = None
    valid_to: date | None = None
    title: LocalizedText | None = None
    weight: float | None = Field(None, ge=0)
    citation: Citation | None = None
    rule: Rule | None = None

    @model_validator(mode="after")
    def _dates(self) -> ItemVersion:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self

    def valid_on(self, day: date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_to is not None and day > self.valid_to)


class Item(_Strict):
    id: str = Field(pattern=ITEM_ID)
    title: LocalizedText
    section: str = Field(min_length=1)
    weight: float = Field(1.0, ge=0)
    citation: Citation
    valid_from: date | None = None
    valid_to: date | None = None
    core: bool = True
    annual: bool = False  # a yearly document: stale unless it names the as-of year
    rule: Rule
    versions: tuple[ItemVersion, ...] = ()  # legal versions; none in force on a day: not checked

    @model_validator(mode="after")
    def _dates(self) -> Item:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        spans = sorted((v.valid_from or date.min, v.valid_to or date.max) for v in self.versions)
        for (_, end), (start, _) in pairwise(spans):
            if start <= end:
                raise ValueError("versions overlap; give each a valid_from/valid_to of its own")
        return self

    def valid_on(self, day: date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        if self.valid_to is not None and day > self.valid_to:
            return False
        return not self.versions or any(v.valid_on(day) for v in self.versions)

    def as_of(self, day: date) -> Item:
        """The item as the version in force on ``day`` words it (itself when none applies)."""
        version = next((v for v in self.versions if v.valid_on(day)), None)
        if version is None:
            return self
        update: dict[str, Any] = {
            name: getattr(version, name)
            for name in ("title", "weight", "citation", "rule")
            if getattr(version, name) is not None
        }
        return self.model_copy(update=update)


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
        problems: list[tuple[Loc, str]] = []
        first: dict[str, int] = {}
        for i, item in enumerate(self.items):
            if item.id in first:
                problems.append(
                    (
                        ("items", i, "id"),
                        f"item id {item.id!r} is used twice (first as items[{first[item.id]}]); "
                        "ids must be unique",
                    )
                )
            first.setdefault(item.id, i)
        graph: dict[str, list[str]] = {}
        for i, item in enumerate(self.items):
            if item.section not in self.sections:
                problems.append(
                    (
                        ("items", i, "section"),
                        f"section {item.section!r} is not in 'sections' "
                        f"(known: {', '.join(self.sections)})",
                    )
                )
            scopes = _scope_locs(item.rule, ("items", i, "rule"))
            for j, version in enumerate(item.versions):
                if version.rule is not None:
                    scopes += _scope_locs(version.rule, ("items", i, "versions", j, "rule"))
            for loc, scope in scopes:
                if scope in ("any", "home"):
                    continue
                if scope not in first:
                    problems.append((loc, f"'on: {scope}' names no item; use {SCOPE_HELP}"))
                elif scope == item.id:
                    problems.append((loc, f"'on: {scope}' is the item itself; use {SCOPE_HELP}"))
                else:
                    graph.setdefault(item.id, []).append(scope)
        if cycle := _cycle(graph):
            where = ("items", first[cycle[0]], "rule")
            problems.append((where, f"'on:' scopes form a cycle: {' -> '.join(cycle)}"))
        if problems:
            raise CrossReferenceError(problems)
        return self

    def items_as_of(self, day: date) -> tuple[Item, ...]:
        """The items in force on ``day`` (legal versions: valid_from / valid_to), each in the
        wording of its version in force that day."""
        return tuple(item.as_of(day) for item in self.items if item.valid_on(day))

    def as_of(self, day: date) -> Checklist:
        """This checklist with every item in the wording of its version in force on ``day``
        (items not in force stay, so that ``on:`` references still resolve)."""
        if not any(item.versions for item in self.items):
            return self
        return self.model_copy(update={"items": tuple(i.as_of(day) for i in self.items)})

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


def _cycle(graph: dict[str, list[str]]) -> list[str]:
    """A cycle in the ``on:`` graph (item -> items it reads), as [a, b, ..., a], or []."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return []
        for target in graph.get(node, ()):
            if found := visit(target, [*path, node]):
                return found
        done.add(node)
        return []

    for start in graph:
        if found := visit(start, []):
            return found
    return []


# --- the loader ------------------------------------------------------------------------

COUNTRY_CHECKLISTS = {"RU": "ru-118n", "KZ": "kz-medorg"}
YAML_SUFFIXES = (".yaml", ".yml")
EXTENSION_PREFIX = "x-"


def bundled_dir() -> Path:
    """Where the bundled checklists live: $SITEAUDIT_CHECKLISTS_DIR, else <repo>/checklists."""
    env = os.environ.get("SITEAUDIT_CHECKLISTS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "checklists"


def bundled_checklists() -> dict[str, Path]:
    """Bundled checklist id (the file name without .yaml) -> its path."""
    folder = bundled_dir()
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in sorted(folder.glob("*.yaml")) if path.is_file()}


def checklist_for_country(country: str) -> str:
    """The bundled checklist id for an ISO country code (RU, KZ)."""
    code = country.strip().upper()
    if code in COUNTRY_CHECKLISTS:
        return COUNTRY_CHECKLISTS[code]
    supported = ", ".join(sorted(COUNTRY_CHECKLISTS))
    shown = f"country {country.strip()!r}" if country.strip() else "an empty country"
    raise InputError(
        f"no bundled checklist for {shown}; supported countries: {supported}; "
        "for others pass --checklist with a YAML checklist of your own"
    )


def load_checklist(ref: str | Path) -> Checklist:
    """Load a checklist from a YAML file path or a bundled id ("ru-118n").

    Every problem raises InputError with one line naming file:line, the key and the fix;
    ``problems`` lists all of them when there are several.
    """
    return _load_file(_find(ref))


def _find(ref: str | Path) -> Path:
    if isinstance(ref, Path):
        return ref
    bundled = bundled_checklists()
    if ref in bundled:
        return bundled[ref]
    path = Path(ref)
    if ref.lower().endswith(YAML_SUFFIXES) or "/" in ref or os.sep in ref or path.is_file():
        return path
    known = ", ".join(bundled) or f"none (no *.yaml in {bundled_dir()})"
    raise InputError(
        f"unknown checklist {ref!r}; bundled checklists: {known}; or pass the path of a .yaml file"
    )


def _load_file(path: Path) -> Checklist:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such checklist file; check the path") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the checklist as UTF-8"
        ) from None
    except OSError as exc:
        raise InputError(
            f"{path}: cannot read the checklist ({exc.strerror or exc}); check the path "
            "and its permissions"
        ) from None
    node, data = _parse(path, text)
    if node is None or not isinstance(data, dict):
        line = 1 if node is None else node.start_mark.line + 1
        keys = ", ".join(Checklist.model_fields)
        raise InputError(f"{path}:{line}: a checklist is a YAML mapping with the keys {keys}")
    # top-level keys starting with "x-" are free for YAML anchors (shared citations, ...)
    data = {k: v for k, v in data.items() if not str(k).startswith(EXTENSION_PREFIX)}
    try:
        return Checklist.model_validate(data)
    except ValidationError as exc:
        problems = tuple(
            f"{path}:{_line(node, loc)}: {_show(loc)}{text}" for loc, text in _explain(exc)
        )
    raise InputError(problems[0], problems=problems)


class _Loader(yaml.SafeLoader):
    """yaml.safe_load, but with YAML 1.2 booleans (only true/false), so that the key
    ``on:`` stays the string "on" and ``no``/``yes`` are not turned into booleans."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _parse(path: Path, text: str) -> tuple[yaml.Node | None, Any]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        if twice := _duplicate_keys(node):  # before construction merges `<<:` keys in
            problems = tuple(f"{path}:{line}: {text}" for line, text in twice)
            raise InputError(problems[0], problems=problems)
        return node, loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = " ".join(x for x in (exc.context, exc.problem) if x) or "invalid YAML"
        raise InputError(
            f"{where}: YAML syntax error: {what}; check the indentation and quote values "
            "that contain ': ' or start with a special character"
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: YAML syntax error: {exc}") from None
    finally:
        loader.dispose()


def _duplicate_keys(node: yaml.Node) -> list[tuple[int, str]]:
    """(line, problem) for every key given twice in one mapping (YAML would keep the last)."""
    found: list[tuple[int, str]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    found.append(
                        (key.start_mark.line + 1, f"key {key.value!r} is given twice; keep one")
                    )
                seen.add(key.value)
            found += _duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            found += _duplicate_keys(child)
    return found


def _explain(exc: ValidationError) -> list[tuple[Loc, str]]:
    """(clean loc, message) for every error; union tags are dropped from the locs."""
    errors = exc.errors()
    locs = [tuple(e["loc"]) for e in errors]
    out: list[tuple[Loc, str]] = []
    for error, loc in zip(errors, locs, strict=True):
        kind = error["type"]
        if kind == "too_short" and any(o[: len(loc)] == loc and o != loc for o in locs):
            continue  # "0 items after validation" because its items had errors
        ctx = error.get("ctx") or {}
        cause = ctx.get("error")
        if isinstance(cause, CrossReferenceError):
            out += [(_clean(loc + sub), text) for sub, text in cause.problems]
            continue
        clean, model = _resolve(loc)
        if kind == "extra_forbidden":
            _, parent = _resolve(loc[:-1])
            allowed = ", ".join(parent.model_fields) if parent else "?"
            text = f"unknown key {loc[-1]!r}; allowed keys: {allowed}"
            out.append((clean, text))
            continue
        if kind == "missing":
            clean, text = clean[:-1], f"missing key {loc[-1]!r}"
        elif kind == "union_tag_invalid":
            clean += ("kind",)
            text = f"{ctx.get('tag')!r} is not a rule kind; allowed: {', '.join(RULE_KINDS)}"
        elif kind == "union_tag_not_found":
            text = f"missing key 'kind'; a rule needs one of: {', '.join(RULE_KINDS)}"
        elif kind == "model_type" and isinstance(model, type):
            keys = ", ".join(model.model_fields)
            text = f"expected a mapping with the keys {keys}, got {_brief(error['input'])}"
        elif kind == "string_pattern_mismatch" and clean[-1:] == ("id",):
            example = "'contacts.page'" if "items" in clean else "'ru-118n'"
            text = f"{_brief(error['input'])} is not a valid id; write it like {example}"
        elif isinstance(cause, ValueError):
            text = str(cause)
        else:
            message = error["msg"][:1].lower() + error["msg"][1:]
            text = f"{message}, got {_brief(error['input'])}"
        out.append((clean, text))
    return out


def _brief(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _clean(loc: Loc) -> Loc:
    return _resolve(loc)[0]


def _resolve(loc: Loc) -> tuple[Loc, type[BaseModel] | None]:
    """Walk the schema along a pydantic loc: the loc without union tags, and the model there."""
    kind: Any = Checklist
    clean: list[str | int] = []
    for part in loc:
        while get_origin(kind) is Annotated:
            kind = get_args(kind)[0]
        origin = get_origin(kind)
        if origin in (Union, UnionType):
            members = {m for m in get_args(kind) if m in RULE_MODELS.values()}
            if part in RULE_MODELS and RULE_MODELS[str(part)] in members:
                kind = RULE_MODELS[str(part)]
                continue  # the union tag: not a key of the YAML
            kind = next((m for m in get_args(kind) if m is not type(None)), None)
        elif isinstance(kind, type) and issubclass(kind, BaseModel):
            field = kind.model_fields.get(str(part))
            kind = field.annotation if field is not None else None
        elif origin in (tuple, dict):
            kind = get_args(kind)[0 if origin is tuple else 1]
        else:
            kind = None
        clean.append(part)
    while get_origin(kind) is Annotated:
        kind = get_args(kind)[0]
    is_model = isinstance(kind, type) and issubclass(kind, BaseModel)
    return tuple(clean), (kind if is_model else None)


def _show(loc: Loc) -> str:
    """items[3].rule.kind: (with the trailing colon and space; empty for the top level)."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return f"{out}: " if out else ""


def _line(root: yaml.Node, loc: Loc) -> int:
    """The YAML line of a loc: the key's line for a mapping entry, the element's for a
    list entry; where the loc leaves the YAML (a missing key), the nearest parent's."""
    node = root
    line = root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            # the last entry wins, as in YAML (a `<<:` merge puts merged keys first)
            entry = next((kv for kv in reversed(node.value) if _is_key(kv[0], part)), None)
            if entry is None:
                break
            line = entry[0].start_mark.line + 1
            node = entry[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _is_key(node: yaml.Node, name: str | int) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.value == str(name)
