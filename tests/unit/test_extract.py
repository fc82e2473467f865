"""extract: page facts, e-mails, phones, dates, CSS matches and the text normal form."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from siteaudit.extract import css_matches, extract, find_dates, find_emails, find_phones, fold
from siteaudit.extract import html as html_mod
from siteaudit.models import Link, Page, PageFacts, PageKind

FETCHED = datetime(2025, 10, 20, 12, 0, tzinfo=UTC)


def make_page(
    body: str,
    *,
    head: str = "",
    url: str = "https://gkb1.ru/about/index.html",
    lang: str = "ru",
    raw: str | None = None,
) -> Page:
    """A fetched HTML page: `raw` is the whole document, otherwise head and body are wrapped."""
    html = (
        raw
        if raw is not None
        else (f'<!doctype html><html lang="{lang}"><head>{head}</head><body>{body}</body></html>')
    )
    return Page(url=url, final_url=url, status_code=200, fetched_at=FETCHED, depth=1, html=html)


def facts_of(body: str, **kwargs: str) -> PageFacts:
    return extract(make_page(body, **kwargs))


def link_to(facts: PageFacts, raw_href: str) -> Link:
    return next(link for link in facts.links if link.raw_href == raw_href)


# --- page basics --------------------------------------------------------------------------


def test_title_headings_lang_and_copied_fields() -> None:
    page = make_page(
        "<h1>Городская  больница\n №1</h1><h2>Контакты</h2><h4>Мелко</h4><h3><b>Отде</b>ления</h3>",
        head="<title>  Главная |\n ГКБ №1 </title>",
        lang="RU-ru",
    )
    facts = extract(page)
    assert facts.title == "Главная | ГКБ №1"
    assert facts.h1 == ("Городская больница №1",)
    assert facts.headings == ("Городская больница №1", "Контакты", "Отделения")
    assert facts.lang == "ru-ru"
    assert facts.html == page.html
    assert facts.url == page.final_url
    assert (facts.depth, facts.status_code, facts.kind, facts.rendered) == (
        1,
        200,
        PageKind.HTML,
        False,
    )


def test_documents_give_facts_without_content() -> None:
    page = Page(
        url="https://gkb1.ru/docs/license.pdf",
        final_url="https://gkb1.ru/files/license.pdf",
        status_code=200,
        fetched_at=FETCHED,
        depth=2,
        kind=PageKind.DOCUMENT,
        content_type="application/pdf",
        rendered=True,
    )
    facts = extract(page)
    assert facts.url == "https://gkb1.ru/files/license.pdf"
    assert facts.kind is PageKind.DOCUMENT
    assert (facts.depth, facts.status_code, facts.fetched_at, facts.rendered) == (
        2,
        200,
        FETCHED,
        True,
    )
    assert (facts.text, facts.links, facts.emails, facts.phones, facts.dates) == (
        "",
        (),
        (),
        (),
        (),
    )


def test_html_page_without_html_gives_empty_facts() -> None:
    page = Page(
        url="https://a.ru/", final_url="https://a.ru/", status_code=204, fetched_at=FETCHED, depth=0
    )
    facts = extract(page)
    assert facts.text == "" and facts.html == "" and facts.status_code == 204


# --- visible text -------------------------------------------------------------------------


def test_text_drops_invisible_and_hidden_content() -> None:
    facts = facts_of(
        "<p>Видно</p>"
        "<script>var secret = 'script-text';</script><style>.x{color:red}</style>"
        "<noscript>noscript-text</noscript><template><p>template-text</p></template>"
        "<svg><title>svg-text</title><text>svg-body</text></svg>"
        "<div hidden>hidden-attr</div>"
        '<div style="color: red; DISPLAY : none">display-none</div>'
        "<span style='visibility:hidden'>visibility-hidden</span>"
        '<div style="display:block">ещё видно</div>',
        head="<title>head-title</title><meta name='description' content='meta-text'>",
    )
    assert "Видно" in facts.text and "ещё видно" in facts.text
    for invisible in (
        "script-text",
        "color:red",
        "noscript-text",
        "template-text",
        "svg-text",
        "svg-body",
        "hidden-attr",
        "display-none",
        "visibility-hidden",
        "head-title",
        "meta-text",
    ):
        assert invisible not in facts.text, invisible


def test_text_keeps_block_boundaries_and_inline_words() -> None:
    facts = facts_of(
        "<div><p>Первый абзац</p>Хвост</div><ul><li>Один</li><li>Два</li></ul>"
        "<p><b>К</b>онтакты&nbsp;и   <i>телефоны</i><br>Строка</p><table><tr><td>А</td><td>Б</td>"
        "</tr></table>"
    )
    lines = facts.text.split("\n")
    assert lines == [
        "Первый абзац",
        "Хвост",
        "Один",
        "Два",
        "Контакты и телефоны",
        "Строка",
        "А",
        "Б",
    ]


def test_text_from_a_page_decoded_from_cp1251() -> None:
    raw = (
        "<html><head><meta charset='windows-1251'></head><body><p>Головний лікар</p></body></html>"
    )
    decoded = raw.encode("cp1251").decode("cp1251")
    facts = extract(make_page("", raw=decoded))
    assert facts.text == "Головний лікар"


# --- links --------------------------------------------------------------------------------


def test_links_are_resolved_and_fragments_removed() -> None:
    facts = facts_of(
        '<a href="/contacts/#map">Контакты</a>'
        '<a href="news/?page=2">Новости</a>'
        '<a href="../docs/license.pdf">Лицензия</a>'
        '<a href="//vk.com/gkb1">VK</a>'
        '<a href="HTTPS://ok.ru/group">OK</a>'
        '<a href="#top">Наверх</a>'
        '<a href=" https://t.me/gkb1 ">TG</a>'
        '<map><area href="/map/area" alt="Схема проезда"></map>'
    )
    urls = {link.raw_href: link.url for link in facts.links}
    assert urls["/contacts/#map"] == "https://gkb1.ru/contacts/"
    assert urls["news/?page=2"] == "https://gkb1.ru/about/news/?page=2"
    assert urls["../docs/license.pdf"] == "https://gkb1.ru/docs/license.pdf"
    assert urls["//vk.com/gkb1"] == "https://vk.com/gkb1"
    assert urls["HTTPS://ok.ru/group"] == "https://ok.ru/group"
    assert urls["#top"] == "https://gkb1.ru/about/index.html"
    assert urls[" https://t.me/gkb1 "] == "https://t.me/gkb1"
    area = link_to(facts, "/map/area")
    assert (area.url, area.img_alt) == ("https://gkb1.ru/map/area", "Схема проезда")


def test_base_href_is_used_for_relative_links() -> None:
    facts = facts_of('<a href="price.html">Цены</a>', head='<base href="/ru/services/">')
    assert facts.links[0].url == "https://gkb1.ru/ru/services/price.html"


def test_mailto_and_tel_links_kept_raw_and_javascript_skipped() -> None:
    facts = facts_of(
        '<a href="mailto:Info@GKB1.ru?subject=Вопрос">Написать</a>'
        '<a href="tel:+78634619300">Позвонить</a>'
        "<a href=\"javascript:post('com','europe','crpdesn')\">Почта</a>"
        '<a href="JavaScript:void(0)">Меню</a>'
    )
    assert [link.url for link in facts.links] == [
        "mailto:Info@GKB1.ru?subject=Вопрос",
        "tel:+78634619300",
    ]


def test_link_labels_from_images_icons_and_attributes() -> None:
    facts = facts_of(
        '<a href="/bvi"><img src="eye.png" alt="Версия для слабовидящих"></a>'
        '<a href="/search" aria-label="Поиск по сайту"><i class="icon-search"></i></a>'
        '<a href="https://vk.com/gkb1"><span class="icon" aria-label="ВКонтакте"></span></a>'
        '<a href="/blog" title="Блог главного врача">Блог</a>'
        '<a href="/eye"><svg><title>Для слабовидящих</title><path d="M0"/></svg></a>'
        '<iframe src="https://nok.rosminzdrav.ru/widget" title="Оценка качества"></iframe>'
    )
    bvi = link_to(facts, "/bvi")
    assert (bvi.text, bvi.img_alt) == ("", "Версия для слабовидящих")
    assert "Версия для слабовидящих" in bvi.label
    assert link_to(facts, "/search").aria_label == "Поиск по сайту"
    assert link_to(facts, "https://vk.com/gkb1").aria_label == "ВКонтакте"
    blog = link_to(facts, "/blog")
    assert (blog.text, blog.title) == ("Блог", "Блог главного врача")
    eye = link_to(facts, "/eye")
    assert eye.text == "" and eye.title == "Для слабовидящих"
    frame = link_to(facts, "https://nok.rosminzdrav.ru/widget")
    assert (frame.url, frame.text) == ("https://nok.rosminzdrav.ru/widget", "Оценка качества")


def test_links_inside_hidden_menus_are_kept() -> None:
    facts = facts_of('<ul style="display:none"><li><a href="/kontakty">Контакты</a></li></ul>')
    assert facts.links[0].url == "https://gkb1.ru/kontakty"
    assert "Контакты" not in facts.text


# --- e-mails ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Почта: info@gkb1.ru.", ("info@gkb1.ru",)),
        ("E-mail: Priem.Glavvracha@Zdrav.SPB.ru", ("priem.glavvracha@zdrav.spb.ru",)),
        ("пишите: info[at]gkb1.ru", ("info@gkb1.ru",)),
        ("пишите: info(at)gkb1.ru", ("info@gkb1.ru",)),
        ("info [at] gkb1 [dot] ru", ("info@gkb1.ru",)),
        ("info (собака) gkb1 (точка) kz", ("info@gkb1.kz",)),
        ("info(собака)gkb1.ru", ("info@gkb1.ru",)),
        ("адрес: info собака gkb1.ru", ("info@gkb1.ru",)),
        ("адрес: info @ gkb1.ru", ("info@gkb1.ru",)),
        ("почта: bolnica@минздрав.рф", ("bolnica@минздрав.рф",)),
        ("a@b.ru и снова A@B.RU", ("a@b.ru",)),
        ("logo@2x.png, icon@3x.webp", ()),
        ("bad..dots@gkb1.ru, x@host.r, no-at-all.ru", ()),
        ("у нас есть собака и кошка", ()),
    ],
)
def test_find_emails_in_text(text: str, expected: tuple[str, ...]) -> None:
    assert find_emails(text) == expected


def test_find_emails_from_mailto_hrefs() -> None:
    hrefs = [
        "mailto:Priem@GKB1.ru?subject=Hi",
        "MAILTO:a@b.ru,%20c@d.kz",
        "https://gkb1.ru/",
        "mailto:not-an-address",
    ]
    assert find_emails("", hrefs) == ("priem@gkb1.ru", "a@b.ru", "c@d.kz")


def test_extract_emails_come_from_visible_text_and_mailto_only() -> None:
    facts = facts_of(
        '<p>Приёмная: priem[at]gkb1.ru</p><a href="mailto:info@gkb1.ru">Написать нам</a>'
        '<div style="display:none">hidden@gkb1.ru</div><!-- comment@gkb1.ru -->'
        "<script>var e = 'script@gkb1.ru';</script>",
        head='<meta name="author" content="alex@jabbam.net">'
        '<meta name="author_email" content="alex@jabbam.net">',
    )
    assert set(facts.emails) == {"info@gkb1.ru", "priem@gkb1.ru"}


# --- phones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Регистратура: +7 (727) 2 50-12-34", ("+77272501234",)),  # Almaty, KZ
        ("Call-центр 8 (8634) 619-300", ("+78634619300",)),  # Taganrog, RU
        ("Тел.: +7 495 000-00-00", ("+74950000000",)),
        ("Справочная 8 (8634) 61-93-00", ("+78634619300",)),
        ("Горячая линия 8-800-200-03-89", ("+78002000389",)),
        ("моб. 8 701 555 12 34, тел. +7 (7172) 74-30-43", ("+77015551234", "+77172743043")),
        ("Звоните: 87015551234", ("+77015551234",)),
    ],
)
def test_find_phones_ru_and_kz(text: str, expected: tuple[str, ...]) -> None:
    assert find_phones(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Дата публикации: 14.10.2025 10:17, обновлено 2025-10-14",
        "ИНН 7701234567 КПП 770101001 ОГРН 1027700132195",
        "БИН 990240001234, ИИН 870101300123",
        "347900, Ростовская обл., г. Таганрог, ул. Ленина, 1",
        "р/с 40702810900000012345 в банке",
        "Приказ № 84951234567 от 01.01.2020",
        "с 8.00 до 17.00, перерыв 12.00-13.00",
    ],
)
def test_find_phones_ignores_other_numbers(text: str) -> None:
    assert find_phones(text) == ()


def test_find_phones_from_tel_hrefs_first() -> None:
    hrefs = ["tel:+7(8634)619300", "TEL:87272501234", "tel:03", "https://x.ru/"]
    assert find_phones("и ещё +7 495 000-00-00", hrefs) == (
        "+78634619300",
        "+77272501234",
        "+74950000000",
    )


def test_find_phones_with_kazakh_region() -> None:
    assert find_phones("8 (7172) 55-55-55", region="KZ") == ("+77172555555",)


def test_extract_phones_from_text_and_tel_links() -> None:
    facts = facts_of(
        '<p>Регистратура: 8 (8634) 619-300</p><a href="tel:+77272501234">Позвонить</a>'
        "<p>ИНН 6154012345</p>"
    )
    assert facts.phones == ("+77272501234", "+78634619300")


# --- dates --------------------------------------------------------------------------------


def _values(text: str) -> list[date]:
    return [found.value for found in find_dates(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Опубликовано 14.10.2025 в 10:17", date(2025, 10, 14)),
        ("4.10.2025", date(2025, 10, 4)),
        ("14/10/2025", date(2025, 10, 14)),
        ("14.10.25", date(2025, 10, 14)),
        ("2025-10-14", date(2025, 10, 14)),
        ("14 октября 2025 г.", date(2025, 10, 14)),
        ("1 Мая 2024", date(2024, 5, 1)),
        ("3 сент. 2024", date(2024, 9, 3)),
        ("14 окт. 2025", date(2025, 10, 14)),
        ("2025 жылғы 14 қазан", date(2025, 10, 14)),
        ("2025 жылғы 31 наурыздағы жиналыс", date(2025, 3, 31)),
        ("2024 ж. 5 желтоқсанда", date(2024, 12, 5)),
        ("14 қазан 2025 ж.", date(2025, 10, 14)),
        ("18 Қаңтар 2024", date(2024, 1, 18)),
        ("October 14, 2025", date(2025, 10, 14)),
        ("Oct. 3rd, 2024", date(2024, 10, 3)),
        ("14 October 2025", date(2025, 10, 14)),
    ],
)
def test_find_dates_forms(text: str, expected: date) -> None:
    assert _values(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "31.02.2025",
        "30 февраля 2024",
        "версия 1.14.10.2025",
        "артикул 114.10.2025",
        "Федеральный закон от 21.11.2011 № 323-ФЗ",
        "Приказ Минздрава России от 13.03.2025 N 118н",
        "постановление от 29.11.2010 г. № 326",
        "Приказ № 5 от 01.02.2024",
        "(в ред. от 28.12.2024)",
        "2020 жылғы 7 шілдедегі № 360-VI ҚРЗ Кодексі",
        "Decree dated March 1, 2020 No. 5",
        "наказ МОЗ України від 04.11.2011 р. № 756",
        "Октябрь 2025",
        "© 2019–2025",
    ],
)
def test_find_dates_rejects_invalid_and_cited_dates(text: str) -> None:
    assert _values(text) == []


def test_find_dates_keeps_order_ranges_and_snippets() -> None:
    text = "Прием с 01.01.2020-31.12.2025. " + "x" * 60 + " Новость от 5 мая 2025 года о приеме."
    found = find_dates(text)
    assert [f.value for f in found] == [date(2020, 1, 1), date(2025, 12, 31), date(2025, 5, 5)]
    assert all(f.source == "text" for f in found)
    last = found[-1]
    assert "5 мая 2025" in last.snippet
    assert len(last.snippet) <= len("5 мая 2025") + 80
    assert last.snippet.startswith("x")


def test_extract_reads_machine_readable_dates() -> None:
    facts = facts_of(
        '<p>Новость 14.10.2025</p><time datetime="2025-10-13T09:00:00+05:00">вчера</time>'
        '<script type="application/ld+json">{"@graph": [{"@type": "NewsArticle",'
        ' "datePublished": "2025-10-12", "author": {"name": "x"}}]}</script>'
        '<script type="application/ld+json">{not json</script>',
        head='<meta property="article:published_time" content="2025-10-11T10:00:00Z">'
        '<meta property="og:updated_time" content="2025-10-10">'
        '<meta property="og:title" content="2025-01-01">',
    )
    by_source = {(found.source, found.value) for found in facts.dates}
    assert by_source == {
        ("text", date(2025, 10, 14)),
        ("time", date(2025, 10, 13)),
        ("jsonld", date(2025, 10, 12)),
        ("meta", date(2025, 10, 11)),
        ("meta", date(2025, 10, 10)),
    }


# --- CSS ----------------------------------------------------------------------------------


def test_css_matches_counts_and_snippets() -> None:
    html = "<ul>" + "".join(f'<li class="doc">Документ {i}{"x" * 300}</li>' for i in range(7))
    count, snippets = css_matches(html, "ul > li.doc")
    assert count == 7
    assert len(snippets) == 5
    assert snippets[0].startswith('<li class="doc">Документ 0')
    assert all(len(s) <= 200 for s in snippets)
    assert css_matches(html, "li.doc", limit=2)[1][1].startswith('<li class="doc">Документ 1')
    assert css_matches(html, "table") == (0, ())


@pytest.mark.parametrize("selector", ["a[", "", "div >", ":has(", "}}", "a:no-such-pseudo"])
def test_css_matches_invalid_selector_matches_nothing(selector: str) -> None:
    assert css_matches("<a href='/'>x</a>", selector) == (0, ())


# --- fold ---------------------------------------------------------------------------------


def test_fold() -> None:
    assert fold("  Ёлки\tи   ЁЖИКИ \n") == "елки и ежики"
    assert fold("ҚАЗАҚ ТІЛІНДЕ Әлеуметтік ҰЛТТЫҚ") == "қазақ тілінде әлеуметтік ұлттық"
    assert fold("Кон\u00adтакты\u00a0сайта") == "контакты сайта"
    assert fold("") == ""


def test_lower_aligned_keeps_the_offsets_of_the_text() -> None:
    """Where folding moved no character, the folded text serves as the lower-cased one (an
    address found in it is at the same offset in the text); where it moved any, lower()."""
    from siteaudit.extract.text import lower_aligned

    body = "Приёмная: Priem@GKB1.ru, тел. 245-10-54.\nПоликлиника работает ежедневно. " * 5
    aligned = lower_aligned(body.strip())
    assert aligned == body.strip().lower().replace("ё", "е").replace("\n", " ")
    assert aligned.find("priem@gkb1.ru") == body.strip().lower().find("priem@gkb1.ru")
    for moved in (
        "Straße " + body,  # casefold grows ß
        body.replace("Поликлиника", "Поли\u00adклиника"),  # an invisible character dropped
        body.replace(". ", ".  "),  # a run of spaces collapsed
    ):
        assert lower_aligned(moved) == moved.lower()


def _example_pages() -> list[Path]:
    return sorted((Path(__file__).resolve().parents[2] / "examples" / "sites").rglob("*.html"))


def _example_texts() -> list[str]:
    return [
        extract(make_page("", raw=p.read_bytes().decode("utf-8", errors="replace"))).text
        for p in _example_pages()
    ]


def test_fold_of_a_page_text_equals_the_split_and_join() -> None:
    """A normalised text (as a page's is) folds with one replace: the same as a whole split;
    texts that are not normalised take the split."""
    import sys

    # what the fast path rests on: every whitespace character but the space is unprintable
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    assert [ch for ch in spaces if ch.isprintable()] == [" "]
    body = "Поликлиника принимает пациентов ежедневно. " * 10
    odd = [
        body.strip() + "\nВторая строка\nТретья",
        body + "\n",  # trailing space and newline
        "\n" + body.strip(),
        body.strip() + "\n\nпосле пустой строки",
        body.strip().replace(" ", "  ", 1),
        body.strip().replace(" ", "\u00a0", 1),
        body.strip().replace(" ", "\u3000", 1),
        body.strip().replace(" ", "\t", 1),
        body.strip().replace(" ", " \u00ad ", 1),  # an invisible char between two spaces
        body.strip().replace("о", "\u200bо", 3),
        "Ё" * 300,
    ]
    texts = _example_texts() + odd
    for text in texts:
        folded = text.casefold().replace("ё", "е")
        folded = re.sub("[\u00ad\u200b-\u200d\u2060\ufeff]", "", folded)
        assert fold(text) == " ".join(folded.split()), text[:60]


def test_normalised_lines_are_kept_as_the_split_and_join_would_give_them() -> None:
    """normalise_block_text keeps a long normalised line as it is: equal to a split and
    join of every line, on the examples' raw page texts and on lines that are not normalised."""
    from siteaudit.extract.text import normalise_block_text

    body = "Поликлиника принимает пациентов ежедневно. " * 5
    odd = [
        body,  # trailing space
        " " + body.strip(),
        body.strip().replace(" ", "  ", 1),
        body.strip().replace(" ", "\u00a0", 1),
        body.strip().replace(" ", "\u2028", 1),
        body.strip().replace(" ", "\t", 1),
        body.strip().replace(" ", "\x1c", 1),
        body.strip() + "\r",
        "\n".join([body.strip(), "", "   ", body.strip()]),
    ]
    raw = [
        html_mod._text_of(LexborHTMLParser(p.read_text("utf-8", errors="replace")).body, 10**6)
        for p in _example_pages()
    ]
    for text in raw + odd:
        expected = "\n".join(s for s in (" ".join(ln.split()) for ln in text.split("\n")) if s)
        assert normalise_block_text(text) == expected, text[:60]


# --- robustness ---------------------------------------------------------------------------

PATHOLOGICAL = {
    "deep nesting": "<div>" * 5000 + "Тел. 8 (8634) 619-300" + "</div>" * 5000,
    "deep unclosed": "<span><a href='/x'>" * 5000 + "x",
    "nul bytes": "<p>a\x00b info@gkb1.ru</p>\x00" * 20_000,
    "1 MB of letters": "<p>" + "a" * 1_000_000 + "</p>",
    "1 MB of digits": "<p>" + "1" * 1_000_000 + "</p>",
    "digits and spaces": "<p>" + "12 " * 350_000 + "</p>",
    "digits and dots": "<p>" + "1." * 500_000 + "</p>",
    "at signs": "<p>" + "a@" * 500_000 + "</p>",
    "email-like": "<p>" + "ab.cd@ef." * 100_000 + "</p>",
    "obfuscation markers": "<p>" + "a [at] " * 150_000 + "</p>",
    "repeated dates": "<p>" + "14.10.2025 " * 100_000 + "</p>",
    "repeated phones": "<p>" + "+7 495 123-45-67, " * 60_000 + "</p>",
    "month names": "<p>" + "1 января " * 100_000 + "</p>",
    "many links": '<a href="x"><img alt="y"></a>' * 50_000,
    "tag soup": "<<<>>><a href=<p <>" * 100_000,
    "deep json-ld": '<script type="application/ld+json">' + "[" * 50_000 + "</script>",
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_pages_stay_bounded(name: str) -> None:
    """Hostile markup is read without error and within the caps (timings: bench/extract.py)."""
    page = make_page("", raw=PATHOLOGICAL[name])
    facts = extract(page)
    assert len(facts.text) <= 500_000
    assert len(facts.links) <= 5000
    assert "\x00" not in facts.text


def test_deeply_nested_content_is_still_read() -> None:
    facts = extract(make_page("", raw=PATHOLOGICAL["deep nesting"]))
    assert facts.text == "Тел. 8 (8634) 619-300"
    assert facts.phones == ("+78634619300",)


def test_indentation_does_not_push_the_footer_past_the_text_cap() -> None:
    body = ("<div>" + " \n" * 40 + "</div>") * 15_000 + "<footer>Почта: info@gkb1.ru</footer>"
    facts = facts_of(body)
    assert facts.emails == ("info@gkb1.ru",)
    assert facts.text == "Почта: info@gkb1.ru"


def test_emails_assembled_by_inline_javascript_count() -> None:
    facts = facts_of(
        "<p>Почта: <script>document.write('info' + '@' + 'gkb1.ru');</script></p>"
        '<script>var a = "pri" + "em" + "@gkb1" + ".ru"; el.href = "mailto:" + a;</script>'
        "<script>var s = 'a' + 'b';</script>",
    )
    assert set(facts.emails) == {"info@gkb1.ru", "priem@gkb1.ru"}


def test_author_and_developer_addresses_are_not_the_organizations() -> None:
    facts = facts_of(
        "<p>E-mail: info@gkb1.ru</p><footer>Разработка сайта: studio@webmaster.ru</footer>"
        '<a href="mailto:dev@jabbam.net">dev</a>',
        head='<meta name="author" content="Alex, dev@jabbam.net">',
    )
    assert facts.emails == ("info@gkb1.ru",)


@pytest.mark.parametrize(
    "text",
    [
        "Сертификат действителен до 31.12.2026",
        "срок действия: с 01.02.2024 по 01.02.2029",
        "Сертификат 2029 жылғы 1 ақпанға дейін жарамды",
        "Акция продлится до 30 ноября 2025 г.",
    ],
)
def test_validity_dates_are_not_publication_dates(text: str) -> None:
    assert find_dates(text) == ()


def test_kazakh_and_russian_publication_dates() -> None:
    found = [
        d.value for d in find_dates("14 қазан 2025 ж. жаңалық; 2025 жылғы 15 қазан; 16.10.2025")
    ]
    assert found == [date(2025, 10, 14), date(2025, 10, 15), date(2025, 10, 16)]


# --- text: the literal screen before a regex ------------------------------------------------


def test_required_literals_are_read_off_the_pattern() -> None:
    from siteaudit.extract.text import required_literals

    def lits(pattern: str) -> tuple[str, ...] | None:
        return required_literals(re.compile(pattern))

    assert lits(r"права и обязанности (?:граждан|пациент)") == ("права и обязанности ",)
    assert lits(r"\d[\d\s]{0,8}(?:[.,]\d{2})?\s?(?:₽|руб)") == ("руб", "₽")
    assert lits(r"правил\w*\s+внутреннего\s+распорядка") == ("внутреннего",)
    assert lits(r"(?:ab)+xyz") == ("xyz",)
    assert lits(r"(?:abcd)*x") == ("x",)  # a part that may be absent is no requirement
    assert lits(r"\d{6}") is None and lits(r"a|\d") is None  # a branch without a literal
    assert required_literals(re.compile("abc", re.IGNORECASE)) is None


def test_required_literals_never_screen_out_a_match() -> None:
    from siteaudit.extract.text import required_literals

    patterns = [
        r"(?<!\w)(?:пн|пон|понедельник|вт)\s*[-–]\s*(?:пт|пятница)",
        r"(?:как (?:добраться|проехать)|схема проезда|проезд)\s*:?[^\n]{0,80}?(?:остановк|автобус)",
        r"росздравнадзор|федеральн\w* служб\w* по надзору",
        r"(?:при[её]м\w*\s+(?:граждан|по личным вопросам)|личн\w*\s+при[её]м)",
        r"(?:ab|cd)(?:ef|gh)+i?j",
    ]
    texts = [
        "пн-пт 8:00",
        "пон – пятница",
        "как добраться: автобус 5",
        "схема проезда\nостановка",
        "проезд остановка",
        "федеральная служба по надзору",
        "приём граждан",
        "личный прием",
        "cdefghj",
        "abj",
        "abefj",
    ]
    for pattern in patterns:
        rx = re.compile(pattern)
        needles = required_literals(rx)
        for text in texts:
            if rx.search(text) and needles is not None:
                assert any(n in text for n in needles), (pattern, text, needles)


def test_email_windows_find_what_a_whole_scan_finds() -> None:
    """find_emails reads only the stretches around "@", "собака" and "[at]": on every example
    page and on obfuscated, crowded and long texts it finds what the regex over the whole
    text finds."""
    from siteaudit.extract.contacts import _EMAIL_RE, _clean_email

    def whole_scan(text: str) -> tuple[str, ...]:
        found: dict[str, None] = {}
        for m in _EMAIL_RE.finditer(text):
            cleaned = _clean_email(m["local"], m["domain"], m["tld"])
            if cleaned is not None:
                found.setdefault(cleaned)
        return tuple(found)

    filler = "Поликлиника принимает пациентов ежедневно. " * 40
    texts = [
        "Пишите: info@gkb1.ru, priem @ gkb1.ru или главврачу: head[at]gkb1[dot]ru",
        "e-mail: mail(собака)clinic.kz; резерв: reserve собака clinic.kz; почта (AT) x.ru",
        "admin {ЭТ} hospital.ru " + filler + " second@hospital.ru",
        filler + "a" * 70 + "@example.org " + filler,
        "first.last+tag@sub.domain.example.ru" + "x" * 3000 + "tail@z.kz",
        "(at) [at] «at» <at> no address here " + filler,
        "logo@2x.png and " + "@" * 30 + " user@host.ru",
    ]
    for path in sorted(
        (Path(__file__).resolve().parents[2] / "examples" / "sites").rglob("*.html")
    ):
        html = path.read_bytes().decode("utf-8", errors="replace")
        texts.append(extract(make_page("", raw=html)).text)
    assert len(texts) > 20
    for text in texts:
        assert find_emails(text) == whole_scan(text)[:100], text[:80]


def test_digit_windows_find_what_a_whole_scan_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Phones and dates are looked for only around the digits (found with str.find): on every
    example page and on crafted texts they come out as when a regex reads the whole text."""
    from siteaudit.extract import contacts, dates

    filler = "Поликлиника принимает пациентов ежедневно. " * 30
    texts = [
        "Тел.: +7 (831) 245-10-54, 8 800 555-35-35; факс 8(831)2451055. Новость 05.11.2026",
        filler + "+7 701 555 12 34" + filler + "14 октября 2025 г." + filler,
        "2025 жылғы 14 қазанда; 14 қазан 2025 ж.; October 14, 2025; 2025-10-14; 14.10.25",
        "1" * 70 + " 2" * 40 + " +7-" + "9" * 10,
        " ".join(str(n) for n in range(3000)),  # more digits than are found one by one
        "ИНН 7701234567 ОГРН 1027700132195 от 21.11.2011 № 323-ФЗ, действителен до 01.01.2027",
    ]
    for path in sorted(
        (Path(__file__).resolve().parents[2] / "examples" / "sites").rglob("*.html")
    ):
        html = path.read_bytes().decode("utf-8", errors="replace")
        texts.append(extract(make_page("", raw=html)).text)
    windowed = [(find_phones(t), find_dates(t)) for t in texts]
    monkeypatch.setattr(contacts, "digit_positions", lambda text: None)
    monkeypatch.setattr(dates, "digit_positions", lambda text: None)
    whole = [(find_phones(t), find_dates(t)) for t in texts]
    assert windowed == whole
    assert sum(bool(p) for p, _ in windowed) > 20 and sum(bool(d) for _, d in windowed) > 20


# --- facts read when first asked for ------------------------------------------------------


def test_contacts_and_dates_are_read_when_first_asked_for() -> None:
    """extract() leaves e-mails, phones and dates to the first rule that asks; they come out
    as the readers give them, are read once, and travel unread through pickle (to and from
    the evaluation workers)."""
    import pickle

    from siteaudit.models import Deferred

    page = make_page(
        "<p>Тел.: +7 (831) 245-10-54, приёмная: priem@gkb1.ru. Новость от 05.11.2026</p>"
        '<a href="mailto:head@gkb1.ru">Главврач</a><time datetime="2026-11-01">1 ноября</time>'
        "<p>Разработка сайта: dev@studio.ru</p>"
        "<script>document.write('info' + '@' + 'gkb1.ru')</script>"
    )
    facts = extract(page)
    assert all(isinstance(vars(facts)[k], Deferred) for k in ("emails", "phones", "dates"))
    travelled = pickle.loads(pickle.dumps(facts))
    assert isinstance(vars(travelled)["emails"], Deferred)

    assert facts.emails == ("head@gkb1.ru", "priem@gkb1.ru", "info@gkb1.ru")
    assert facts.phones == ("+78312451054",)
    assert [d.value for d in facts.dates] == [date(2026, 11, 5), date(2026, 11, 1)]
    assert not isinstance(vars(facts)["emails"], Deferred)  # kept once read
    assert facts.emails is facts.emails
    assert travelled == facts and hash(travelled) == hash(facts)
    assert PageFacts(facts.url, FETCHED, 200, PageKind.HTML).emails == ()


def test_css_screen_skips_only_pages_that_cannot_match(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page whose raw HTML lacks a value the selector needs is not parsed; on every example
    page and on crafted ones (case, entities, quirks mode) the counts are those of a parse."""
    from siteaudit.extract import html as extract_html

    selectors = [
        'iframe[src*="yandex.ru/map-widget"], iframe[src*="api-maps.yandex"], [class*="ymaps"]',
        '[itemprop="openingHours"], [itemprop="openingHoursSpecification"]',
        'iframe[src*="rosminzdrav.ru"], iframe[src*="bus.gov.ru"]',
        '[itemtype*="schema.org/Physician"]',
        'input[type="search"], .bvi-open, [data-bvi]',  # not screened: type, a class
    ]
    crafted = [
        '<iframe src="https://api-maps.yandex.ru/2.1/"></iframe>',
        '<iframe src="HTTPS://API-MAPS.YANDEX.RU/"></iframe>',  # case-sensitive: no match
        '<iframe src="https://api-maps&period;yandex.ru/"></iframe>',  # a named entity
        '<div class="y&#109;aps-map"></div>',  # a numeric entity: always parsed
        '<div itemprop="openingHours">Пн-Пт</div><input type=SEARCH>',
        '<div class="BVI-OPEN">quirks mode</div>',
        '<div itemtype="https://schema.org/Physician">Врач</div>',
    ]
    assert not extract_html._may_match("<p>no maps</p>", selectors[0])
    assert extract_html._selector_screen(selectors[-1]) is None
    pages = [p.read_text("utf-8", errors="replace") for p in _example_pages()] + crafted
    screened = [[css_matches(h, s) for s in selectors] for h in pages]
    monkeypatch.setattr(extract_html, "_may_match", lambda html, selector: True)
    parsed = [[css_matches(h, s) for s in selectors] for h in pages]
    assert screened == parsed
    assert sum(c for row in parsed for c, _ in row) >= 6


def test_holds_any_answers_as_a_plain_search_does() -> None:
    """The screen through a long text's distinct words never says "none" when a needle is
    in the text (random texts with every kind of whitespace, needles cut from them and
    made up, with and without spaces)."""
    import random

    from siteaudit.extract.text import WORDS_FROM, holds_any

    rng = random.Random(118)
    alphabet = "абвгде ёжз\n\u00a0\t-.,ab  "
    for _ in range(60):
        text = "".join(rng.choice(alphabet) for _ in range(WORDS_FROM + rng.randrange(2000)))
        needles = []
        for _ in range(rng.randrange(1, 6)):
            if rng.random() < 0.5:
                start = rng.randrange(len(text) - 12)
                needles.append(text[start : start + rng.randrange(1, 12)])
            else:
                needles.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(2, 9))))
        tuple_needles = tuple(needles)
        assert holds_any(text, tuple_needles) == any(n in text for n in needles), needles
    assert not holds_any("слово " * 4000, ("слова", "во с в"))
    assert holds_any("слово " * 4000, ("во сл",))
