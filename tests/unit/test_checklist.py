"""The checklist loader, its error messages, and the bundled checklists."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from siteaudit.checklist import (
    RULE_KINDS,
    AllRule,
    AnyRule,
    Checklist,
    Item,
    LinkRule,
    Rule,
    TextRule,
    bundled_checklists,
    bundled_dir,
    checklist_for_country,
    load_checklist,
)
from siteaudit.errors import ExitCode, InputError

# The core items of /work/shared/domain/CATALOGUE.md: id -> (RU, KZ), where "yes" and
# "optional" both mean the bundled checklist of that country carries the item.
CORE: dict[str, tuple[str, str]] = {
    "contacts.page": ("yes", "yes"),
    "contacts.phone": ("yes", "yes"),
    "contacts.address": ("yes", "yes"),
    "contacts.email": ("yes", "yes"),
    "structure.departments": ("yes", "yes"),
    "feedback.channel": ("yes", "yes"),
    "feedback.email": ("yes", "yes"),
    "blog.director": ("optional", "yes"),
    "a11y.low_vision": ("yes", "yes"),
    "news.section": ("yes", "yes"),
    "news.fresh": ("yes", "yes"),
    "social.links": ("yes", "yes"),
    "org.license": ("yes", "yes"),
    "org.details": ("yes", "yes"),
    "org.schedule": ("yes", "yes"),
    "staff.doctors": ("yes", "yes"),
    "services.prices": ("yes", "yes"),
    "patients.rights": ("yes", "yes"),
    "guarantees.program": ("yes", "yes"),
    "oversight.contacts": ("yes", "optional"),
    "quality.survey": ("yes", "yes"),
    "lang.kazakh": ("no", "yes"),
    "lang.russian": ("yes", "yes"),
    "callcenter.1414": ("no", "yes"),
}
# The catalogue's further items (per country, plus the technical ones).
FURTHER = {
    "RU": {
        "org.head_reception", "org.directions", "org.internal_rules", "care.appointment_rules",
        "care.hospitalization", "care.diagnostics_prep", "drugs.lists", "oms.insurers",
        "feedback.faq", "nok.results", "site.search", "privacy.pd_policy", "jobs.vacancies",
        "a11y.premises_info",
    },
    "KZ": {
        "feedback.eotinish", "osms.info", "egov.links", "patient_support.service",
        "anticorruption.compliance", "procurement.info", "finance.reports", "jobs.vacancies",
        "feedback.faq", "site.search",  # the last two: named for RU, useful in KZ too
    },
    "any": {"tech.https", "a11y.axe", "a11y.html_lang", "a11y.img_alt"},
}  # fmt: skip
BUNDLED = {"RU": "ru-118n", "KZ": "kz-medorg"}


def core_ids(country: str) -> set[str]:
    column = 0 if country == "RU" else 1
    return {item_id for item_id, marks in CORE.items() if marks[column] != "no"}


@pytest.fixture(scope="module", params=sorted(BUNDLED))
def bundled(request: pytest.FixtureRequest) -> Checklist:
    return load_checklist(BUNDLED[request.param])


def rules_of(rule: Rule) -> Iterator[Rule]:
    yield rule
    if isinstance(rule, AnyRule | AllRule):
        for child in rule.rules:
            yield from rules_of(child)


def patterns(item: Item, kind: type[TextRule] | type[LinkRule]) -> list[re.Pattern[str]]:
    found: list[re.Pattern[str]] = []
    for rule in rules_of(item.rule):
        if isinstance(rule, TextRule) and kind is TextRule:
            found.append(re.compile(rule.pattern, re.IGNORECASE))
        elif isinstance(rule, LinkRule) and kind is LinkRule:
            found += [re.compile(p, re.IGNORECASE) for p in rule.href]
    assert found, f"{item.id} has no {kind.__name__}"
    return found


# --- the bundled checklists ---------------------------------------------------------------


def test_bundled_checklists_are_found_by_id() -> None:
    found = bundled_checklists()
    assert set(BUNDLED.values()) <= set(found)
    assert all(path.parent == bundled_dir() for path in found.values())
    assert (bundled_dir() / "README.md").is_file()


def test_bundled_checklist_matches_its_country(bundled: Checklist) -> None:
    assert BUNDLED[bundled.country] == bundled.id
    assert checklist_for_country(bundled.country) == bundled.id
    assert bundled_checklists()[bundled.id].stem == bundled.id


def test_every_core_catalogue_item_is_present(bundled: Checklist) -> None:
    ids = {item.id for item in bundled.items}
    missing = core_ids(bundled.country) - ids
    assert not missing, f"{bundled.id} lacks core items {sorted(missing)}"
    assert "callcenter.1414" not in ids or bundled.country == "KZ"


def test_items_are_catalogue_items_marked_core_or_further(bundled: Checklist) -> None:
    core = core_ids(bundled.country)
    further = FURTHER[bundled.country] | FURTHER["any"]
    for item in bundled.items:
        assert item.id in core | further, f"{item.id} is not in the catalogue"
        assert item.core == (item.id in core), f"{item.id}: core should be {item.id in core}"
        if item.core:
            assert 1.0 <= item.weight <= 2.0, item.id
        else:
            assert item.weight == 0.5, item.id


def test_every_item_has_three_titles_and_a_citation(bundled: Checklist) -> None:
    for item in bundled.items:
        for lang in ("ru", "kk", "en"):
            assert item.title.get(lang).strip(), f"{item.id}: empty {lang} title"
        assert item.title.kk != item.title.ru, f"{item.id}: the kk title is the ru one"
        assert item.citation.document.strip(), item.id
        assert item.section in bundled.sections
    for section in bundled.sections.values():
        assert all(section.get(lang).strip() for lang in ("ru", "kk", "en"))
    kazakh = "".join(item.title.kk for item in bundled.items)
    assert re.search("[әғқңөұүһі]", kazakh), "kk titles should be Kazakh, not Russian"


def test_news_fresh_reads_the_news_section(bundled: Checklist) -> None:
    rule = bundled.item("news.fresh").rule
    assert rule.kind == "news_date"
    assert getattr(rule, "on", None) == "news.section"
    assert (bundled.freshness.fresh_days, bundled.freshness.ageing_days) == (30, 90)


def test_social_links_take_pages_not_share_buttons(bundled: Checklist) -> None:
    hrefs = patterns(bundled.item("social.links"), LinkRule)
    for url in ("https://vk.com/gp2_taganrog", "https://www.instagram.com/gocshymkent/?hl=en",
                "https://t.me/clinic_news", "https://www.facebook.com/almaty.cgkb/"):  # fmt: skip
        assert any(p.search(url) for p in hrefs), url
    for url in ("https://vk.com/share.php?url=https://x.ru/", "https://t.me/share/url?url=x",
                "https://www.facebook.com/sharer/sharer.php?u=x"):  # fmt: skip
        assert not any(p.search(url) for p in hrefs), url


def test_org_details_patterns() -> None:
    ru = patterns(load_checklist("ru-118n").item("org.details"), TextRule)
    assert ru[0].search("СПб ГБУЗ «Детская городская поликлиника № 17»")
    kz = patterns(load_checklist("kz-medorg").item("org.details"), TextRule)
    assert kz[0].search("ГКП на ПХВ «Городской онкологический центр»")


def test_org_details_needs_a_valid_registration_id() -> None:
    from siteaudit.checklist import AllRule, RegIdRule

    for checklist, types in (("ru-118n", ("ogrn", "ogrnip", "inn")), ("kz-medorg", ("bin",))):
        rule = load_checklist(checklist).item("org.details").rule
        assert isinstance(rule, AllRule)
        regids = [r for r in rule.rules if isinstance(r, RegIdRule)]
        assert [r.types for r in regids] == [types] and regids[0].valid


def test_callcenter_1414_is_the_number_not_a_document_number() -> None:
    (rx,) = patterns(load_checklist("kz-medorg").item("callcenter.1414"), TextRule)
    assert rx.search("Единый контакт-центр 1414")
    assert rx.search("звоните 1414 (бесплатно)")
    assert not rx.search("приказ № 1414") and not rx.search("тел. 8 7172 14145")


def test_address_patterns_find_street_and_postal_code() -> None:
    (ru,) = patterns(load_checklist("ru-118n").item("contacts.address"), TextRule)[:1]
    assert ru.search("197341, г. Санкт-Петербург, ул. Есенина, д. 38")
    assert ru.search("386140 РИ г. Назрань")
    assert not ru.search("и пр.")
    (kz,) = patterns(load_checklist("kz-medorg").item("contacts.address"), TextRule)[:1]
    assert kz.search("г. Алматы, ул. Джандосова 6")
    assert kz.search("Байтұрсынов көшесі, 85")


# --- loading ------------------------------------------------------------------------------

BASE = """\
id: test
title: {ru: Тест, kk: Тест, en: Test}
country: RU
sections:
  main: {ru: Основное, kk: Негізгі, en: Main}
items:
  - id: contacts.page
    title: {ru: Контакты, kk: Байланыс, en: Contacts}
    section: main
    citation: {document: "118н"}
    rule: {kind: page, synonyms: [Контакты], slugs: [contact]}
"""


def write(tmp_path: Path, text: str, name: str = "my.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def item(body: str) -> str:
    """An item appended to BASE (its lines start at BASE's line count + 1)."""
    return BASE + textwrap.indent(textwrap.dedent(body), "  ")


def problem(path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        load_checklist(path)
    error = caught.value
    assert error.exit_code is ExitCode.BAD_INPUT
    assert "\n" not in error.message and error.problems[0] == error.message
    return error


BASE_LINES = BASE.count("\n")


def test_minimal_checklist_loads_by_path_and_by_string(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    for ref in (path, str(path)):
        checklist = load_checklist(ref)
        assert checklist.id == "test"
        assert [i.id for i in checklist.items] == ["contacts.page"]


def test_on_needs_no_quotes_and_x_keys_hold_anchors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "x-cite:\n  - &cite {document: Law, clause: art. 1}\n"
        + item("""\
            - id: contacts.email
              title: {ru: Почта, kk: Пошта, en: Email}
              section: main
              citation: *cite
              core: no
              rule: {kind: email, on: contacts.page}
            """),
    )
    checklist = load_checklist(path)
    email = checklist.item("contacts.email")
    assert getattr(email.rule, "on", None) == "contacts.page"
    assert email.citation.clause == "art. 1"
    assert email.core is False  # "no" is a string in YAML 1.2; pydantic reads it as false


def test_unknown_key_names_the_line_and_the_allowed_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        item("""\
            - id: contacts.email
              titel: {ru: Почта, kk: Пошта, en: Email}
              section: main
              citation: {document: x}
              rule: {kind: email}
            """),
    )
    error = problem(path)
    unknown = [p for p in error.problems if "unknown key" in p]
    assert unknown == [
        f"{path}:{BASE_LINES + 2}: items[1].titel: unknown key 'titel'; allowed keys: "
        "id, title, section, weight, citation, valid_from, valid_to, core, annual, rule, versions"
    ]
    assert f"{path}:{BASE_LINES + 1}: items[1]: missing key 'title'" in error.problems


def test_unknown_key_in_a_rule_lists_that_rules_keys(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("slugs: [contact]", "slugs: [contact], slug: [x]"))
    assert problem(path).message == (
        f"{path}:11: items[0].rule.slug: unknown key 'slug'; "
        "allowed keys: kind, synonyms, slugs, require, documents, exclude"
    )


def test_wrong_type(tmp_path: Path) -> None:
    path = write(
        tmp_path, BASE.replace("    section: main\n", "    section: main\n    weight: heavy\n")
    )
    message = problem(path).message
    assert message.startswith(f"{path}:10: items[0].weight: input should be a valid number")
    assert "'heavy'" in message


def test_unknown_rule_kind_lists_the_kinds(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        BASE.replace(
            "    rule: {kind: page, synonyms: [Контакты], slugs: [contact]}",
            "    rule:\n      kind: pagee\n      synonyms: [Контакты]",
        ),
    )
    assert problem(path).message == (
        f"{path}:12: items[0].rule.kind: 'pagee' is not a rule kind; allowed: "
        + ", ".join(RULE_KINDS)
    )


def test_bad_regex_and_bad_selector_inside_combinators(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        item("""\
            - id: org.details
              title: {ru: Реквизиты, kk: Деректемелер, en: Details}
              section: main
              citation: {document: x}
              rule:
                kind: any
                rules:
                  - {kind: text, pattern: 'ИНН\\s*(\\d{10}'}
                  - {kind: css, selector: 'div[['}
                  - {kind: link, href: ['vk\\.com', '[']}
            """),
    )
    error = problem(path)
    assert error.problems[0].startswith(
        f"{path}:{BASE_LINES + 8}: items[1].rule.rules[0].pattern: not a valid regular expression"
    )
    assert error.problems[1].startswith(
        f"{path}:{BASE_LINES + 9}: items[1].rule.rules[1].selector: not a valid CSS selector"
    )
    assert error.problems[2].startswith(
        f"{path}:{BASE_LINES + 10}: items[1].rule.rules[2].href[1]: not a valid regular"
    )
    assert len(error.problems) == 3  # no "tuple too short" noise for the failed children


def test_page_rule_needs_synonyms_or_slugs(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("synonyms: [Контакты], slugs: [contact]", "require: x"))
    assert problem(path).message == (
        f"{path}:11: items[0].rule: a page rule needs 'synonyms' or 'slugs' (or both)"
    )


def test_duplicate_item_id(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + BASE[BASE.index("  - id:") :])
    assert problem(path).message == (
        f"{path}:{BASE_LINES + 1}: items[1].id: item id 'contacts.page' is used twice "
        "(first as items[0]); ids must be unique"
    )


def test_unknown_section(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("section: main", "section: mian"))
    assert problem(path).message == (
        f"{path}:9: items[0].section: section 'mian' is not in 'sections' (known: main)"
    )


def test_on_must_name_another_item(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        item("""\
            - id: news.fresh
              title: {ru: Новости, kk: Жаңалықтар, en: News}
              section: main
              citation: {document: x}
              rule:
                kind: all
                rules:
                  - {kind: news_date, on: news.section}
                  - {kind: text, pattern: x, on: news.fresh}
            """),
    )
    error = problem(path)
    assert error.problems == (
        f"{path}:{BASE_LINES + 8}: items[1].rule.rules[0].on: 'on: news.section' names no "
        "item; use 'any' (every page), 'home' (the start page) or the id of another item",
        f"{path}:{BASE_LINES + 9}: items[1].rule.rules[1].on: 'on: news.fresh' is the item "
        "itself; use 'any' (every page), 'home' (the start page) or the id of another item",
    )


def test_on_references_may_not_form_a_cycle(tmp_path: Path) -> None:
    text = item("""\
        - id: contacts.email
          title: {ru: Почта, kk: Пошта, en: Email}
          section: main
          citation: {document: x}
          rule: {kind: email, on: contacts.page}
        """)
    text = text.replace(
        "rule: {kind: page, synonyms: [Контакты], slugs: [contact]}",
        "rule: {kind: text, pattern: x, on: contacts.email}",
    )
    path = write(tmp_path, text)
    assert problem(path).message == (
        f"{path}:11: items[0].rule: 'on:' scopes form a cycle: "
        "contacts.page -> contacts.email -> contacts.page"
    )


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "id: test\ntitle: {ru: a\n  en: [\n")
    message = problem(path).message
    assert message.startswith(f"{path}:3:5: YAML syntax error: ")
    assert "indentation" in message


def test_a_key_given_twice_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("country: RU\n", "country: RU\ncountry: KZ\n"))
    assert problem(path).message == f"{path}:4: key 'country' is given twice; keep one"


def test_the_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    for text in ("", "- a\n- b\n"):
        message = problem(write(tmp_path, text)).message
        assert message.startswith(f"{tmp_path / 'my.yaml'}:1: a checklist is a YAML mapping")
        assert "id, title, country" in message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert problem(tmp_path / "nope.yaml").message == (
        f"{tmp_path / 'nope.yaml'}: no such checklist file; check the path"
    )
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    assert problem(folder).message.startswith(f"{folder}: cannot read the checklist")


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cp1251.yaml"
    path.write_bytes(BASE.encode("cp1251"))
    assert "not UTF-8 text" in problem(path).message


def test_unknown_bundled_name_lists_the_bundled_ids() -> None:
    with pytest.raises(InputError) as caught:
        load_checklist("ru-956n")
    message = caught.value.message
    assert message.startswith("unknown checklist 'ru-956n'; bundled checklists: ")
    assert "kz-medorg" in message and "ru-118n" in message and ".yaml" in message


def test_checklists_dir_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, BASE, name="test.yaml")
    monkeypatch.setenv("SITEAUDIT_CHECKLISTS_DIR", str(tmp_path))
    assert bundled_dir() == tmp_path
    assert bundled_checklists() == {"test": tmp_path / "test.yaml"}
    assert load_checklist("test").id == "test"
    monkeypatch.setenv("SITEAUDIT_CHECKLISTS_DIR", str(tmp_path / "absent"))
    with pytest.raises(InputError, match="bundled checklists: none"):
        load_checklist("ru-118n")


@pytest.mark.parametrize(
    ("country", "expected"), [("RU", "ru-118n"), ("kz", "kz-medorg"), (" ru ", "ru-118n")]
)
def test_checklist_for_country(country: str, expected: str) -> None:
    assert checklist_for_country(country) == expected


@pytest.mark.parametrize("country", ["UA", ""])
def test_checklist_for_other_countries_says_what_to_do(country: str) -> None:
    with pytest.raises(InputError) as caught:
        checklist_for_country(country)
    message = caught.value.message
    assert "supported countries: KZ, RU" in message and "--checklist" in message
    assert ("'UA'" in message) if country else ("empty country" in message)


# --- legal versions, regid / licence rules, annual items -------------------------------


def test_ru_checklist_applies_956n_before_and_118n_from_september_2025() -> None:
    checklist = load_checklist("ru-118n")
    before = {i.id: i for i in checklist.items_as_of(date(2025, 8, 31))}
    after = {i.id: i for i in checklist.items_as_of(date(2025, 9, 1))}
    assert "956н" in before["org.license"].citation.document
    assert "118н" in after["org.license"].citation.document
    assert "site.search" not in before and "site.search" in after
    assert before["org.license"].rule != after["org.license"].rule
    # evaluate's view: every item resolved to the day, none dropped (``on:`` still resolves)
    resolved = checklist.as_of(date(2025, 8, 31))
    assert len(resolved.items) == len(checklist.items)
    assert resolved.item("org.license").citation == before["org.license"].citation


def test_versions_may_not_overlap_and_name_scopes_that_exist(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        item("""\
            - id: org.license
              title: {ru: Лицензия, kk: Лицензия, en: Licence}
              section: main
              citation: {document: x}
              rule: {kind: licence}
              versions:
                - {valid_to: 2025-08-31, rule: {kind: text, pattern: 'x', on: nothing.here}}
                - {valid_from: 2025-08-01}
            """),
    )
    error = problem(path)
    assert any("versions overlap" in p for p in error.problems)
    path = write(
        tmp_path,
        item("""\
            - id: org.license
              title: {ru: Лицензия, kk: Лицензия, en: Licence}
              section: main
              citation: {document: x}
              rule: {kind: licence}
              versions:
                - {valid_to: 2025-08-31, rule: {kind: text, pattern: 'x', on: nothing.here}}
            """),
    )
    error = problem(path)
    assert any(
        "items[1].versions[0].rule.on: 'on: nothing.here' names no item" in p
        for p in error.problems
    )


def test_regid_rule_lists_its_types(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        item("""\
            - id: org.details
              title: {ru: Реквизиты, kk: Деректемелер, en: Details}
              section: main
              citation: {document: x}
              annual: true
              rule: {kind: regid, types: [ogrn, kpp]}
            """),
    )
    error = problem(path)
    assert any("items[1].rule.types[1]" in p and "'ogrn'" in p for p in error.problems)


def test_annual_items_are_the_programme_and_the_price_list() -> None:
    for name in ("ru-118n", "kz-medorg"):
        annual = {i.id for i in load_checklist(name).items if i.annual}
        assert annual == {"guarantees.program", "services.prices"}
