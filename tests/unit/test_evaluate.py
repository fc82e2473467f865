"""evaluate(): every rule kind present / absent / unknown, scopes, combinators, reasons."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest

from siteaudit.checklist import Checklist, TextRule
from siteaudit.evaluate import evaluate
from siteaudit.evaluate.match import lower_pattern, matches, search
from siteaudit.extract import fold
from siteaudit.models import (
    Finding,
    FoundDate,
    Link,
    Outcome,
    PageFacts,
    PageKind,
    SiteStatus,
)

P, A, U = Outcome.PRESENT, Outcome.ABSENT, Outcome.UNKNOWN
AS_OF = date(2026, 3, 1)
HOME = "https://gkb.test/"
T_HOME = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T_OTHER = datetime(2026, 3, 1, 9, 5, tzinfo=UTC)


def url(path: str) -> str:
    return path if "://" in path else "https://gkb.test" + path


def link(path: str, text: str = "", **kw: str) -> Link:
    return Link(url=url(path), text=text, raw_href=kw.pop("raw_href", path), **kw)


def page(path: str = "/", **kw: Any) -> PageFacts:
    kw.setdefault("fetched_at", T_HOME if path == "/" else T_OTHER)
    kw.setdefault("status_code", 200)
    kw.setdefault("kind", PageKind.HTML)
    return PageFacts(url=url(path), **kw)


def item(item_id: str, rule: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {
        "id": item_id,
        "title": {"ru": item_id, "kk": item_id, "en": item_id},
        "section": kw.pop("section", "main"),
        "citation": {"document": "test"},
        "rule": rule,
        **kw,
    }


def checklist(*items: dict[str, Any], **kw: Any) -> Checklist:
    return Checklist.model_validate(
        {
            "id": "test",
            "title": {"ru": "т", "kk": "т", "en": "t"},
            "country": kw.pop("country", "RU"),
            "sections": {
                "main": {"ru": "о", "kk": "о", "en": "m"},
                "other": {"ru": "д", "kk": "д", "en": "o"},
            },
            "items": list(items),
            **kw,
        }
    )


CONTACTS = item(
    "contacts.page",
    {"kind": "page", "synonyms": ["Контакты", "Байланыс"], "slugs": ["contacts", "kontakty"]},
)


def run(
    items: Sequence[dict[str, Any]] | Checklist,
    facts: Sequence[PageFacts],
    *,
    status: SiteStatus = SiteStatus.OK,
    as_of: date = AS_OF,
    region: str | None = None,
) -> dict[str, Finding]:
    c = items if isinstance(items, Checklist) else checklist(*items)
    ev = evaluate(c, facts, status=status, home_url=HOME, as_of=as_of, region=region)
    return {f.item_id: f for f in ev.findings}


def one(
    rule: dict[str, Any], facts: Sequence[PageFacts], *extra: dict[str, Any], **kw: Any
) -> Finding:
    return run([*extra, item("x.item", rule)], facts, **kw)["x.item"]


# --- page ---------------------------------------------------------------------------------


def test_page_found_by_link_text_with_evidence_from_the_linking_page() -> None:
    facts = [
        page("/", links=(link("/contacts/", "Контакты"),)),
        page("/contacts/", text="ул. Ленина, 1"),
    ]
    f = run([CONTACTS], facts)["contacts.page"]
    assert f.outcome is P
    assert 'link text "Контакты"' in f.reason and "/contacts/" in f.reason
    assert f.evidence[0].url == url("/contacts/")
    assert f.evidence[0].snippet == "Контакты"
    assert f.evidence[0].fetched_at == T_HOME


def test_page_label_from_aria_label_title_and_img_alt() -> None:
    for kw in (
        {"aria_label": "Версия для слабовидящих"},
        {"title": "Версия для слабовидящих"},
        {"img_alt": "Версия для слабовидящих"},
    ):
        facts = [page("/", links=(link("/?special=1", "", **kw),))]
        f = one({"kind": "page", "synonyms": ["для слабовидящих"]}, facts)
        assert f.outcome is P, kw


def test_page_synonyms_are_stem_tolerant_and_yo_folded() -> None:
    facts = [page("/", links=(link("/otd/", "Наши ОТДЕЛЕНИЯ"), link("/rep/", "Отчёты")))]
    assert one({"kind": "page", "synonyms": ["отделение"]}, facts).outcome is P
    assert one({"kind": "page", "synonyms": ["отчеты"]}, facts).outcome is P
    # short words must match whole: "о нас" does not match "Отделения насосной"
    facts = [page("/", links=(link("/x/", "Отделения насосной станции"),))]
    assert one({"kind": "page", "synonyms": ["о нас"]}, facts).outcome is A


def test_page_found_by_title_or_h1_of_a_read_page() -> None:
    facts = [page("/"), page("/p/17", title="Контакты | ГКБ")]
    f = run([CONTACTS], facts)["contacts.page"]
    assert f.outcome is P and 'title "Контакты | ГКБ"' in f.reason
    facts = [page("/"), page("/p/18", h1=("Байланыс",))]
    assert run([CONTACTS], facts)["contacts.page"].outcome is P


def test_page_found_only_by_slug() -> None:
    facts = [page("/", links=(link("/kontakty/", "Где мы"),))]
    f = run([CONTACTS], facts)["contacts.page"]
    assert f.outcome is P and 'slug "kontakty"' in f.reason
    facts = [page("/"), page("/about/contacts.html", title="ГКБ №1")]
    assert run([CONTACTS], facts)["contacts.page"].outcome is P


def test_page_absent_names_what_was_searched() -> None:
    facts = [page("/", links=(link("/about/", "О нас"),)), page("/about/", title="О нас")]
    f = run([CONTACTS], facts)["contacts.page"]
    assert f.outcome is A
    assert f.reason == (
        'page: no link, title or URL matched "контакты", "байланыс" or slug "contacts", '
        '"kontakty" on 2 pages'
    )
    assert f.evidence == ()


def test_page_require_checks_the_target_text() -> None:
    rule = {
        "kind": "page",
        "synonyms": ["Врачи"],
        "require": r"[А-Я][а-я]+ [А-Я][а-я]+ [А-Я][а-я]+вич",
    }
    links = (link("/doctors/", "Наши врачи"),)
    real = [page("/", links=links), page("/doctors/", text="Иванов Иван Петрович, терапевт")]
    assert one(rule, real).outcome is P
    placeholder = [page("/", links=links), page("/doctors/", text="Страница в разработке")]
    f = one(rule, placeholder)
    assert f.outcome is A and "placeholder: 'Страница в разработке'" in f.reason
    unread = [page("/", links=links)]
    f = one(rule, unread)
    assert f.outcome is U and "not read" in f.reason


def test_page_without_require_needs_no_reading_but_a_broken_target_is_absent() -> None:
    links = (link("/contacts/", "Контакты"),)
    assert run([CONTACTS], [page("/", links=links)])["contacts.page"].outcome is P
    broken = [page("/", links=links), page("/contacts/", status_code=404)]
    f = run([CONTACTS], broken)["contacts.page"]
    assert f.outcome is A and "HTTP 404" in f.reason


def test_page_document_links_count_unless_documents_is_false() -> None:
    facts = [page("/", links=(link("/files/license.pdf", "Лицензия"),))]
    rule = {"kind": "page", "synonyms": ["лицензия"], "require": "Л041"}
    f = one(rule, facts)
    assert f.outcome is P and "document" in f.reason
    assert one({**rule, "documents": False}, facts).outcome is A
    docs = [
        page("/", links=(link("/d?id=7", "Лицензия"),)),
        page("/d?id=7", kind=PageKind.DOCUMENT),
    ]
    assert one(rule, docs).outcome is P


def test_page_ignores_mailto_and_tel_links() -> None:
    facts = [page("/", links=(Link(url="mailto:contacts@gkb.test", text="Контакты"),))]
    assert run([CONTACTS], facts)["contacts.page"].outcome is A


# --- scopes -------------------------------------------------------------------------------


def test_scope_home_only_looks_at_the_home_page() -> None:
    rule = {"kind": "text", "pattern": "ОГРН", "on": "home"}
    assert one(rule, [page("/", text="ОГРН 1027700000000"), page("/a/")]).outcome is P
    f = one(rule, [page("/"), page("/a/", text="ОГРН 1027700000000")])
    assert f.outcome is A and "the home page" in f.reason


def test_scope_item_uses_the_pages_that_item_found() -> None:
    rule = {"kind": "email", "on": "contacts.page"}
    links = (link("/contacts/", "Контакты"),)
    facts = [
        page("/", links=links, emails=("home@gkb.test",)),
        page("/contacts/", emails=("info@gkb.test",)),
    ]
    f = one(rule, facts, CONTACTS)
    assert f.outcome is P and f.evidence[0].url == url("/contacts/") and "info@gkb.test" in f.reason
    # the contacts page was not read: cannot tell
    f = one(rule, [page("/", links=links, emails=("home@gkb.test",))], CONTACTS)
    assert f.outcome is U and "could not be read" in f.reason
    # no contacts page at all: absent
    f = one(rule, [page("/", emails=("home@gkb.test",))], CONTACTS)
    assert f.outcome is A and f.reason == "no contacts.page page found"


def test_scope_absent_on_read_pages_but_another_found_page_unread_is_unknown() -> None:
    links = (link("/contacts/", "Контакты"), link("/kontakty-2/", "Контакты филиала"))
    facts = [page("/", links=links), page("/contacts/", text="нет почты")]
    f = one({"kind": "email", "on": "contacts.page"}, facts, CONTACTS)
    assert f.outcome is U and "kontakty-2" in f.reason


def test_scope_referring_to_itself_is_unknown_not_a_crash() -> None:
    # the checklist validator refuses such cycles; evaluate still must not recurse forever
    valid = checklist(item("x.item", {"kind": "text", "pattern": "x"}))
    looping = valid.items[0].model_copy(
        update={"rule": TextRule(kind="text", pattern="x", on="x.item")}
    )
    c = valid.model_copy(update={"items": (looping,)})
    f = run(c, [page("/", text="x")])["x.item"]
    assert f.outcome is U and "refers to itself" in f.reason


def test_no_readable_page_makes_scoped_rules_unknown() -> None:
    f = one({"kind": "text", "pattern": "x"}, [page("/", status_code=500)])
    assert f.outcome is U


# --- text ---------------------------------------------------------------------------------


def test_text_matches_plain_or_folded_and_counts_min_matches() -> None:
    facts = [page("/", text="Отчёт о работе"), page("/b/", text="Годовой отчет")]
    f = one({"kind": "text", "pattern": "отчет"}, facts)
    assert f.outcome is P and f.reason == "text: /отчет/ found on 2 pages"
    f = one({"kind": "text", "pattern": "отчет", "min_matches": 2}, facts)
    assert f.outcome is P and f.reason.endswith("found on 2 pages (2+ matches)")
    f = one({"kind": "text", "pattern": "отчет", "min_matches": 3}, facts)
    assert f.outcome is A and "need 3" in f.reason
    f = one({"kind": "text", "pattern": "лицензи"}, facts)
    assert f.outcome is A and f.reason == "text: /лицензи/ not found on 2 pages"


def test_text_evidence_snippet_is_short_and_around_the_match() -> None:
    facts = [page("/", text="а" * 500 + " ИНН 7701234567 " + "б" * 500)]
    f = one({"kind": "text", "pattern": r"ИНН\s*\d{10}"}, facts)
    assert f.outcome is P
    assert "ИНН 7701234567" in f.evidence[0].snippet and len(f.evidence[0].snippet) <= 200


def test_text_pattern_lowered_matches_like_ignorecase() -> None:
    """The fast path (pattern lower-cased, no IGNORECASE, over lower-cased or folded text)
    finds what IGNORECASE finds; patterns it cannot lower safely keep IGNORECASE."""
    texts = [
        "ГБУЗ «Больница» Приём граждан по личным вопросам",
        "Программа государственных ГАРАНТИЙ бесплатного оказания",
        "Жизненно необходимых и важнейших лекарственных препаратов (ЖНВЛП)",
        "603011, г. Нижний Новгород\nПн-Пт 8:00-20:00",
    ]
    patterns = [
        r"(?<!\w)(?:ГБУЗ|ГАУЗ)(?!\w)",
        r"при[её]м\w*\s+граждан",
        r"ЖНВЛП|Жизненно",
        r"ГОСУДАРСТВЕННЫХ\s+гарантий",
        r"\d{6}[^\n]*город",
        r"(?P<Word>Пн)-Пт",
        r"\u0416НВЛП",
        r"(?i:ЖНВЛП)",
    ]
    for pattern in patterns:
        rx = re.compile(pattern, re.IGNORECASE)
        for text in texts:
            expected = rx.search(text) is not None or rx.search(fold(text)) is not None
            assert search(rx, text) is expected, (pattern, text)
            count, snippet = matches(rx, text)
            assert (count > 0) is expected, (pattern, text)
            if count:
                assert snippet
    assert lower_pattern(r"(?<!\w)ГБУЗ\W") == r"(?<!\w)гбуз\W"
    assert lower_pattern(r"(?P<Name>X)(?P=Name)") == "(?P<name>x)(?P=name)"
    assert lower_pattern(r"\x41") is None and lower_pattern("(?i)А") is None
    assert lower_pattern("straße") is None  # ß lowers to itself but folds to "ss"


# --- email --------------------------------------------------------------------------------


def test_email_skips_template_and_developer_addresses() -> None:
    junk = (
        "test@gkb.test",
        "example@mail.ru",
        "info@example.com",
        "noreply@gkb.test",
        "user@domain.com",
    )
    f = one({"kind": "email"}, [page("/", emails=junk)])
    assert f.outcome is A and "no address" in f.reason
    assert one({"kind": "email"}, [page("/", emails=(*junk, "priem@gkb.test"))]).outcome is P


def test_email_near_context_in_text_mailto_label_or_title() -> None:
    rule = {"kind": "email", "near": "обращени|жалоб"}
    near_text = page("/", text="Для обращений граждан: priem@gkb.test", emails=("priem@gkb.test",))
    assert one(rule, [near_text]).outcome is P
    far = page("/", text="Обращения " + "x " * 200 + "priem@gkb.test", emails=("priem@gkb.test",))
    f = one(rule, [far])
    assert f.outcome is A and "priem@gkb.test found" in f.reason and "none near" in f.reason
    label = page(
        "/",
        text="priem@gkb.test",
        emails=("priem@gkb.test",),
        links=(
            Link("mailto:priem@gkb.test", text="Написать жалобу", raw_href="mailto:priem@gkb.test"),
        ),
    )
    assert one(rule, [label]).outcome is P
    titled = page(
        "/appeals/",
        title="Обращения граждан",
        text="Пишите: priem@gkb.test",
        emails=("priem@gkb.test",),
    )
    assert one(rule, [page("/"), titled]).outcome is P


def test_email_near_finds_an_obfuscated_address_by_its_local_part() -> None:
    facts = [
        page("/", text="Электронная приёмная: priem [at] gkb.test", emails=("priem@gkb.test",))
    ]
    f = one({"kind": "email", "near": "приемн"}, facts)  # matched in the folded text
    assert f.outcome is P and "priem [at] gkb.test" in f.evidence[0].snippet


# --- phone --------------------------------------------------------------------------------


def test_phone_region_filter() -> None:
    assert one({"kind": "phone"}, [page("/", phones=("+74951234567",))]).outcome is P
    f = one({"kind": "phone"}, [page("/", phones=("+12025550100",))])
    assert f.outcome is A and "outside RU" in f.reason
    # an explicit rule region wins; an unlisted region accepts any number
    assert (
        one({"kind": "phone", "region": "US"}, [page("/", phones=("+12025550100",))]).outcome is P
    )
    assert one({"kind": "phone"}, [page("/", phones=("+77172123456",))], region="KZ").outcome is P
    assert one({"kind": "phone"}, [page("/")]).reason == "phone: no phone number on 1 page"


# --- css and link -------------------------------------------------------------------------


def test_css_min_count_per_page() -> None:
    html = "<ul><li class=dep>Терапия</li><li class=dep>Хирургия</li></ul>"
    facts = [page("/", html=html)]
    f = one({"kind": "css", "selector": "li.dep", "min_count": 2}, facts)
    assert f.outcome is P and "Терапия" in f.evidence[0].snippet
    f = one({"kind": "css", "selector": "li.dep", "min_count": 3}, facts)
    assert f.outcome is A and "at most 2" in f.reason
    assert one({"kind": "css", "selector": "iframe"}, facts).outcome is A


def test_link_rule_matches_absolute_urls() -> None:
    facts = [page("/", links=(link("https://vk.com/gkb1", "ВКонтакте"), link("/news/", "Новости")))]
    f = one({"kind": "link", "href": [r"[/.]vk\.com/", r"ok\.ru/"]}, facts)
    assert f.outcome is P and f.evidence[0].url == "https://vk.com/gkb1"
    f = one({"kind": "link", "href": [r"t\.me/"]}, facts)
    assert f.outcome is A and "t\\.me/" in f.reason


# --- news_date ----------------------------------------------------------------------------

NEWS = item("news.section", {"kind": "page", "synonyms": ["Новости"], "slugs": ["news"]})
FRESH = item("news.fresh", {"kind": "news_date", "on": "news.section"})


def news_site(*dates: date, extra: Sequence[PageFacts] = ()) -> list[PageFacts]:
    found = tuple(FoundDate(d, f"{d:%d.%m.%Y} новость") for d in dates)
    return [page("/", links=(link("/press/", "Новости"),)), page("/press/", dates=found), *extra]


def test_news_date_fresh_sets_newest_news() -> None:
    c = checklist(NEWS, FRESH)
    facts = news_site(date(2026, 2, 20), date(2025, 12, 1))
    ev = evaluate(c, facts, status=SiteStatus.OK, home_url=HOME, as_of=AS_OF)
    fresh = ev.findings[1]
    assert fresh.outcome is P and "2026-02-20" in fresh.reason and "9 days old" in fresh.reason
    assert ev.newest_news == date(2026, 2, 20) and ev.newest_news_url == url("/press/")


def test_news_date_boundaries_and_future_dates() -> None:
    limit = checklist(NEWS, FRESH).freshness.fresh_days  # 30
    assert (
        run([NEWS, FRESH], news_site(date.fromordinal(AS_OF.toordinal() - limit)))[
            "news.fresh"
        ].outcome
        is P
    )
    f = run([NEWS, FRESH], news_site(date.fromordinal(AS_OF.toordinal() - limit - 1)))["news.fresh"]
    assert f.outcome is A and "31 days old (limit 30)" in f.reason
    # a date two days ahead is not a publication date; tomorrow is tolerated
    f = run([NEWS, FRESH], news_site(date(2026, 3, 3), date(2025, 1, 1)))["news.fresh"]
    assert f.outcome is A and "2025-01-01" in f.reason
    assert run([NEWS, FRESH], news_site(date(2026, 3, 2)))["news.fresh"].outcome is P


def test_news_date_reads_pages_below_the_section() -> None:
    article = page("/press/2026/item-5/", dates=(FoundDate(date(2026, 2, 27), "27.02.2026"),))
    facts = news_site(date(2025, 1, 1), extra=[article])
    f = run([NEWS, FRESH], facts)["news.fresh"]
    assert f.outcome is P and "2026-02-27" in f.reason


def test_news_date_no_dates_absent_and_unread_section_unknown() -> None:
    f = run([NEWS, FRESH], news_site())["news.fresh"]
    assert f.outcome is A and "no dated item" in f.reason
    f = run([NEWS, FRESH], [page("/", links=(link("/press/", "Новости"),))])["news.fresh"]
    assert f.outcome is U


def test_news_date_falls_back_to_news_urls_when_the_section_was_not_found() -> None:
    dated = page("/novosti/1", dates=(FoundDate(date(2026, 2, 25), "25.02.2026"),))
    f = run([NEWS, FRESH], [page("/"), dated])["news.fresh"]
    assert f.outcome is P
    f = run([NEWS, FRESH], [page("/")])["news.fresh"]
    assert f.outcome is A and "no news.section page found" in f.reason


# --- language -----------------------------------------------------------------------------

KAZAKH = (
    "Біздің аурухана тұрғындарға медициналық көмек көрсетеді. "
    "Қабылдау бөлімі күн сайын жұмыс істейді. " * 4
)
RUSSIAN = (
    "Наша больница оказывает медицинскую помощь жителям города. "
    "Приёмное отделение работает ежедневно. " * 4
)


def test_language_kazakh_counts_marked_pages_with_kazakh_letters() -> None:
    rule = {"kind": "language", "lang": "kk", "min_chars": 200}
    assert one(rule, [page("/"), page("/kz/", text=KAZAKH, lang="ru")]).outcome is P
    assert one(rule, [page("/", text=KAZAKH, lang="kk")]).outcome is P
    f = one(rule, [page("/", text=RUSSIAN), page("/kz/", text=RUSSIAN, lang="kk")])
    assert f.outcome is A and "only 0 letters of Kazakh text" in f.reason
    assert one({**rule, "min_chars": 5000}, [page("/kz/", text=KAZAKH)]).outcome is A


def test_language_russian_counts_pages_without_kazakh_letters() -> None:
    rule = {"kind": "language", "lang": "ru"}
    assert one(rule, [page("/", text=RUSSIAN)]).outcome is P
    assert one(rule, [page("/", text=KAZAKH)]).outcome is A
    assert one(rule, [page("/", text="Hospital " * 100)]).outcome is A


# --- combinators --------------------------------------------------------------------------

HAS = {"kind": "text", "pattern": "есть"}
NOT = {"kind": "text", "pattern": "нет такого"}
UNREAD = {"kind": "text", "pattern": "есть", "on": "contacts.page"}  # contacts page not read


@pytest.mark.parametrize(
    ("kind", "children", "expected"),
    [
        ("any", [NOT, HAS], P),
        ("any", [NOT, UNREAD], U),
        ("any", [NOT, NOT], A),
        ("all", [HAS, NOT, UNREAD], A),
        ("all", [HAS, UNREAD], U),
        ("all", [HAS, HAS], P),
    ],
)
def test_combinators(kind: str, children: list[dict[str, Any]], expected: Outcome) -> None:
    facts = [page("/", text="тут есть всё", links=(link("/contacts/", "Контакты"),))]
    f = one({"kind": kind, "rules": children}, facts, CONTACTS)
    assert f.outcome is expected
    assert f.reason.startswith(f"{kind} of {len(children)}: ")


def test_any_reason_and_evidence_come_from_the_present_child() -> None:
    facts = [page("/", text="тут есть всё")]
    f = one({"kind": "any", "rules": [NOT, HAS]}, facts)
    assert "/есть/" in f.reason and "нет такого" not in f.reason
    assert f.evidence and f.evidence[0].url == HOME


def test_any_of_page_rules_gives_found_pages_to_a_scope() -> None:
    section = item(
        "feedback.channel",
        {
            "kind": "any",
            "rules": [
                {"kind": "page", "synonyms": ["Обратная связь"]},
                {"kind": "page", "synonyms": ["Интернет-приемная"]},
            ],
        },
    )
    facts = [
        page("/", links=(link("/priem/", "Интернет-приёмная"),)),
        page("/priem/", emails=("priem@gkb.test",)),
    ]
    f = one({"kind": "email", "on": "feedback.channel"}, facts, section)
    assert f.outcome is P and f.evidence[0].url == url("/priem/")


# --- whole evaluation ---------------------------------------------------------------------


def test_unreachable_site_makes_every_item_unknown() -> None:
    findings = run([CONTACTS, NEWS, FRESH], [], status=SiteStatus.DNS_ERROR)
    assert [f.outcome for f in findings.values()] == [U, U, U]
    assert {f.reason for f in findings.values()} == {"site could not be checked: dns_error"}


def test_findings_follow_checklist_order_with_weight_section_and_validity() -> None:
    c = checklist(
        item("b.second", HAS, weight=2.5, section="other"),
        item("a.first", NOT),
        item("c.old", HAS, valid_to="2025-08-31"),
        item("d.new", HAS, valid_from="2026-09-01"),
    )
    ev = evaluate(c, [page("/", text="есть")], status=SiteStatus.OK, home_url=HOME, as_of=AS_OF)
    assert [f.item_id for f in ev.findings] == ["b.second", "a.first"]
    assert (ev.findings[0].weight, ev.findings[0].section, ev.findings[0].outcome) == (
        2.5,
        "other",
        P,
    )
    assert ev.findings[1].outcome is A and ev.newest_news is None


def test_every_finding_has_a_reason_and_bounded_evidence() -> None:
    facts = [
        page("/", text="есть " * 100, links=tuple(link(f"/c{i}/", "Контакты") for i in range(9)))
    ]
    findings = run([CONTACTS, item("t.text", HAS), item("t.not", NOT)], facts)
    for f in findings.values():
        assert f.reason
        assert len(f.evidence) <= 3
        assert all(len(e.snippet) <= 200 for e in f.evidence)
    assert "(+8 more)" in findings["contacts.page"].reason


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "text", "pattern": "x"},
        {"kind": "email"},
        {"kind": "phone"},
        {"kind": "css", "selector": "p"},
        {"kind": "link", "href": ["vk\\.com"]},
        {"kind": "news_date"},
    ],
    ids=lambda r: r["kind"],
)
def test_every_scoped_rule_is_unknown_when_its_pages_were_not_read(rule: dict[str, Any]) -> None:
    facts = [page("/", links=(link("/contacts/", "Контакты"),))]  # /contacts/ not fetched
    f = one({**rule, "on": "contacts.page"}, facts, CONTACTS)
    assert f.outcome is U and "could not be read" in f.reason


def test_language_is_unknown_when_no_page_could_be_read() -> None:
    f = one({"kind": "language", "lang": "ru"}, [page("/", status_code=503)])
    assert f.outcome is U


def test_home_falls_back_to_the_first_read_page() -> None:
    facts = [page("/start", text="ОГРН 1027700000000"), page("/b/")]
    assert one({"kind": "text", "pattern": "ОГРН", "on": "home"}, facts).outcome is P


@pytest.mark.parametrize(
    "label",
    [
        "контакты",
        "наши контакты и реквизиты",
        "контактная информация",
        "обратная связь",
        "связь обратная",
        "обратной связи форма",
        "о нас",
        "о насосах",
        "отделения больницы",
        "версия для слабовидящих",
        "для слабовидящих",
        "",
    ],
)
def test_the_synonym_screen_agrees_with_the_plain_matcher(label: str) -> None:
    from siteaudit.evaluate.match import SynonymMatcher, match_synonym

    synonyms = ("контакты", "обратная связь", "о нас", "отделение", "версия для слабовидящих")
    assert SynonymMatcher(synonyms)(label) == (match_synonym(label, synonyms) if label else None)


def test_page_ignores_menu_headings_and_script_buttons() -> None:
    links = (
        Link(url=url("/"), text="Контакты", raw_href="#"),
        Link(url=url("/"), text="Контакты", raw_href=""),
        Link(url=url("/"), text="Контакты", raw_href="javascript:void(0)"),
    )
    f = run([CONTACTS], [page("/", links=links)])["contacts.page"]
    assert f.outcome is A


def test_page_prefers_a_whole_synonym_and_a_short_label() -> None:
    links = (
        link("/diplomy/", "Дипломы: отделение терапии"),  # stem of "отделения"
        link("/about/", "Структура и органы управления, отделения и подразделения"),
        link("/struct/", "Отделения"),
    )
    f = one({"kind": "page", "synonyms": ["Отделения"]}, [page("/", links=links)])
    assert f.outcome is P and "/struct/" in f.reason and "(+2 more)" in f.reason
    assert [e.url for e in f.evidence] == [url("/struct/"), url("/about/"), url("/diplomy/")]


def test_slugs_must_start_a_word_of_the_path() -> None:
    rule = {"kind": "page", "synonyms": ["Прейскурант"], "slugs": ["platn"]}
    assert one(rule, [page("/", links=(link("/besplatnaya-pomoshch/", "Помощь"),))]).outcome is A
    assert one(rule, [page("/", links=(link("/uslugi/platnye.html", "Услуги"),))]).outcome is P
    assert one(rule, [page("/", links=(link("/nashi_platnye/", "Услуги"),))]).outcome is P


# --- validated values, word starts, own-host slugs, placeholders ------------------------

REGID = item("org.details", {"kind": "regid", "types": ["ogrn", "inn"]})


def test_regid_needs_a_valid_check_digit_and_says_which_was_wrong() -> None:
    good = [page("/", text="ГБУЗ «ГКБ № 1», ОГРН 1027700132195, ИНН 7707083893")]
    f = run([REGID], good)["org.details"]
    assert f.outcome is P and "ОГРН 1027700132195 with a valid check digit" in f.reason
    assert f.evidence[0].url == url("/")
    bad = [page("/", text="ОГРН 1025201234567, ИНН 5263012345")]
    f = run([REGID], bad)["org.details"]
    assert f.outcome is A and "ОГРН 1025201234567, ИНН 5263012345: wrong" in f.reason
    f = run([REGID], [page("/", text="реквизиты: ИНН, ОГРН и т.д.")])["org.details"]
    assert f.outcome is A and "no labelled ОГРН/ИНН" in f.reason
    kz = item("org.details", {"kind": "regid", "types": ["bin"]})
    assert run([kz], [page("/", text="БСН/БИН 990140000483")])["org.details"].outcome is P
    loose = item("org.details", {"kind": "regid", "types": ["inn"], "valid": False})
    assert run([loose], bad)["org.details"].outcome is P


def test_licence_rule_reads_both_forms() -> None:
    lic = item("org.license", {"kind": "licence"})
    f = run([lic], [page("/", text="Лицензия Л041-01137-77/00123456 от 12.03.2021")])
    assert f["org.license"].outcome is P and "Л041-01137-77/00123456" in f["org.license"].reason
    f = run([lic], [page("/", text="лицензия № 123")])
    assert f["org.license"].outcome is A and "ЛО-77-01-012345" in f["org.license"].reason


def test_short_synonyms_match_at_word_starts_only() -> None:
    from siteaudit.evaluate.match import SynonymMatcher, match_synonym

    assert match_synonym("порядок рассмотрения обращений", ("смо",)) is None
    assert SynonymMatcher(("смо",))("порядок рассмотрения обращений") is None
    assert match_synonym("список смо", ("смо",)) == "смо"
    assert match_synonym("наши контакты", ("контакты",)) == "контакты"


def test_slugs_on_links_to_other_hosts_do_not_count() -> None:
    links = (link("https://minzdrav.example/contacts/", "Министерство"),)
    f = run([CONTACTS], [page("/", links=links, text="Главная")])["contacts.page"]
    assert f.outcome is A
    own = (link("/o-nas/kontakty/", "О нас"),)
    f = run([CONTACTS], [page("/", links=own, text="Главная")])["contacts.page"]
    assert f.outcome is P and 'slug "kontakty"' in f.reason


MENU = "Главная\nВрачи\nКонтакты\nг. Москва, ул. Ленина, 1"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("Text here....", "placeholder: 'Text here....'"),
        ("Lorem ipsum dolor sit amet", "placeholder: 'Lorem ipsum'"),
        ("Раздел в разработке", "placeholder: 'Раздел в разработке'"),
        ("", "placeholder: an empty page"),
    ],
)
def test_placeholder_pages_do_not_count(body: str, why: str) -> None:
    links = (link("/vrachi/", "Врачи"), link("/kontakty/", "Контакты"))
    facts = [
        page("/", links=links, text=f"{MENU}\nДобро пожаловать в нашу больницу"),
        page("/kontakty/", links=links, text=f"{MENU}\nКонтакты\nТелефон +7 495 123-45-67"),
        page("/vrachi/", links=links, title="Врачи", text=f"{MENU}\nВрачи\n{body}".strip()),
    ]
    doctors = item("staff.doctors", {"kind": "page", "synonyms": ["Врачи"]})
    f = run([doctors, CONTACTS], facts)
    assert f["staff.doctors"].outcome is A and why in f["staff.doctors"].reason
    assert f["contacts.page"].outcome is P


def test_an_empty_page_with_a_document_or_a_scan_counts() -> None:
    links = (link("/license/", "Лицензия"), link("/kontakty/", "Контакты"))
    doc = (*links, link("/files/license.pdf", "license.pdf"))
    facts = [
        page("/", links=links, text=MENU, html="<img src=logo.png>"),
        page("/kontakty/", links=links, text=f"{MENU}\nТелефон", html="<img src=logo.png>"),
        page("/license/", links=doc, title="Лицензия", text=MENU, html="<img src=logo.png>"),
    ]
    lic = item("org.license", {"kind": "page", "synonyms": ["Лицензия"], "documents": False})
    assert run([lic], facts)["org.license"].outcome is P
    scans = "<img src=logo.png><img src=license-1.jpg>"
    facts[2] = page("/license/", links=links, title="Лицензия", text=MENU, html=scans)
    assert run([lic], facts)["org.license"].outcome is P


def test_news_date_reads_the_listings_later_pages() -> None:
    later = [
        page("/press/?PAGEN_1=2", dates=(FoundDate(date(2026, 2, 25), "25.02.2026 новость"),)),
        page("/press/page/3/", dates=(FoundDate(date(2026, 2, 26), "26.02.2026 новость"),)),
        page("/other/?start=10", dates=(FoundDate(date(2026, 2, 28), "28.02.2026 акция"),)),
    ]
    ev = evaluate(
        checklist(NEWS, FRESH),
        news_site(date(2025, 12, 1), extra=later),
        status=SiteStatus.OK,
        home_url=HOME,
        as_of=AS_OF,
    )
    assert ev.newest_news == date(2026, 2, 26) and ev.newest_news_url == url("/press/page/3/")


def test_a_language_home_with_a_news_block_is_not_the_news_section() -> None:
    block = page("/ru/", h1=("Новости & Блог",), dates=(FoundDate(date(2026, 2, 1), "01.02.2026"),))
    other = page("/ru/static/paid/", dates=(FoundDate(date(2026, 2, 27), "27.02.2026 договор"),))
    ev = evaluate(
        checklist(NEWS, FRESH),
        [page("/", links=(link("/ru/", "Русский"),)), block, other],
        status=SiteStatus.OK,
        home_url=HOME,
        as_of=AS_OF,
    )
    assert ev.newest_news == date(2026, 2, 1)  # the block's own date, not the contract's


ANNUAL = item(
    "guarantees.program",
    {"kind": "page", "synonyms": ["Программа госгарантий"]},
    annual=True,
)


@pytest.mark.parametrize(
    ("label", "stale", "why"),
    [
        ("Программа госгарантий на 2026 год", False, ""),
        (
            "Программа госгарантий на 2024 год и на плановый период 2025 и 2026 годов",
            True,
            "stale: names 2024, not 2026",
        ),
        ("Программа госгарантий (утв. 29.12.2025)", False, ""),  # no year named: not flagged
        ("Программа госгарантий на 2025–2027 годы", False, ""),
    ],
)
def test_annual_documents_that_do_not_name_the_year_are_stale(
    label: str, stale: bool, why: str
) -> None:
    facts = [page("/", links=(link("/docs/pgg.pdf", label),), text="Главная")]
    f = run([ANNUAL], facts, as_of=date(2026, 11, 23))["guarantees.program"]
    assert (
        f.outcome is P
        and f.stale is stale
        and (why in f.reason if why else "stale" not in f.reason)
    )


def test_news_date_also_reads_the_directors_blog() -> None:
    blog = item("blog.director", {"kind": "page", "synonyms": ["Блог главного врача"]})
    fresh = item(
        "news.fresh", {"kind": "news_date", "on": "news.section", "also": ["blog.director"]}
    )
    facts = [
        page("/", links=(link("/press/", "Новости"), link("/blog/", "Блог главного врача"))),
        page("/press/", dates=(FoundDate(date(2025, 12, 1), "01.12.2025 новость"),)),
        page("/blog/", dates=(FoundDate(date(2026, 2, 27), "27.02.2026 запись"),)),
    ]
    ev = evaluate(
        checklist(NEWS, blog, fresh), facts, status=SiteStatus.OK, home_url=HOME, as_of=AS_OF
    )
    assert ev.newest_news == date(2026, 2, 27) and ev.newest_news_url == url("/blog/")
