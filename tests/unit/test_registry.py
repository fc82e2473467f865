from __future__ import annotations

import codecs
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from siteaudit.errors import InputError
from siteaudit.models import Organization
from siteaudit.registry import (
    Registry,
    RegistryProblem,
    Severity,
    iter_organizations,
    load_registry,
    normalize_country,
    normalize_url,
    parse_shard,
    shard,
)

DATA = Path(__file__).parent / "data" / "registry"

ROWS = [
    ["id", "name", "url", "region", "country", "type"],
    ["gkb1", "ГКБ №1 им. Пирогова", "https://gkb1.ru/", "Москва", "Россия", "hospital"],
    ["kz-1", "Қалалық емхана №1", "https://emhana1.kz/", "Алматы", "Казахстан", "clinic"],
]


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "registry.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    return "".join(delimiter.join(row) + "\r\n" for row in rows)


def messages(registry: Registry) -> list[str]:
    return [str(p) for p in registry.problems]


# --- encodings and delimiters ---------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize(
    ("encoding", "reported"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1251", "cp1251")],
)
def test_every_encoding_and_delimiter(
    tmp_path: Path, encoding: str, reported: str, delimiter: str
) -> None:
    rows = [row[:] for row in ROWS[:2]]  # Kazakh letters have no cp1251 code
    path = write(tmp_path, csv_text(rows, delimiter), encoding)

    registry = load_registry(path)

    assert registry.problems == ()
    assert registry.encoding == reported
    assert registry.delimiter == delimiter
    assert registry.columns == tuple(ROWS[0])
    (org,) = registry.organizations
    assert org == Organization(
        id="gkb1",
        name="ГКБ №1 им. Пирогова",
        url="https://gkb1.ru/",
        region="Москва",
        country="RU",
        type="hospital",
        row=2,
    )


def test_bom_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(ROWS), "utf-8-sig")
    assert path.read_bytes().startswith(codecs.BOM_UTF8)

    registry = load_registry(path)

    assert registry.columns[0] == "id"
    assert [o.id for o in registry.organizations] == ["gkb1", "kz-1"]


def test_cp1251_cyrillic_names_are_decoded(tmp_path: Path) -> None:
    text = csv_text(
        [
            ["ИД", "Наименование", "Сайт", "Регион", "Страна", "Тип"],
            ["p1", "Городская поликлиника № 3", "poliklinika3.ru", "Тверская область", "РФ", "ЦРБ"],
        ],
        ";",
    )
    path = write(tmp_path, text, "cp1251")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")

    registry = load_registry(path)

    assert registry.encoding == "cp1251"
    assert registry.errors == ()
    (org,) = registry.organizations
    assert (org.id, org.name, org.region, org.country, org.type) == (
        "p1",
        "Городская поликлиника № 3",
        "Тверская область",
        "RU",
        "ЦРБ",
    )
    assert org.url == "https://poliklinika3.ru/"


def test_semicolon_wins_when_names_hold_commas(tmp_path: Path) -> None:
    text = 'id;name;url\r\n1;"Больница, детская";https://a.ru\r\n'
    registry = load_registry(write(tmp_path, text))
    assert registry.delimiter == ";"
    assert registry.organizations[0].name == "Больница, детская"


def test_quoted_semicolons_in_a_comma_header_do_not_fool_the_sniffer(tmp_path: Path) -> None:
    text = 'id,name,url,"notes; remarks; more"\n1,A,https://a.ru,x\n'
    registry = load_registry(write(tmp_path, text))
    assert registry.delimiter == ","
    assert registry.extra_columns == ("notes; remarks; more",)


# --- columns ------------------------------------------------------------------------------


def test_extra_columns_are_kept_in_file_order(tmp_path: Path) -> None:
    text = csv_text(
        [
            ["Главврач", "id", "ИНН", "name", "url", "Телефон", "country"],
            [
                "Иванов И.И.",
                "7",
                "7701234567",
                "ГКБ 7",
                "https://gkb7.ru",
                "+7 495 000-00-00",
                "RU",
            ],
            ["", "8", "", "ГКБ 8", "https://gkb8.ru", "", "RU"],
        ]
    )
    registry = load_registry(write(tmp_path, text))

    assert registry.extra_columns == ("Главврач", "ИНН", "Телефон")
    first, second = registry.organizations
    assert first.extra == (
        ("Главврач", "Иванов И.И."),
        ("ИНН", "7701234567"),
        ("Телефон", "+7 495 000-00-00"),
    )
    assert second.extra == (("Главврач", ""), ("ИНН", ""), ("Телефон", ""))


def test_header_names_are_case_insensitive_and_stripped(tmp_path: Path) -> None:
    text = " ID , Name ,URL,  Country \n1,A,https://a.ru,kaz\n"
    registry = load_registry(write(tmp_path, text))
    assert registry.errors == ()
    assert registry.columns == ("ID", "Name", "URL", "Country")
    assert registry.organizations[0].country == "KZ"


def test_alias_becomes_extra_when_the_canonical_column_is_there(tmp_path: Path) -> None:
    text = "id,name,url,сайт\n1,A,https://a.ru,https://old.a.ru\n"
    registry = load_registry(write(tmp_path, text))
    assert registry.organizations[0].url == "https://a.ru/"
    assert registry.organizations[0].extra == (("сайт", "https://old.a.ru"),)


def test_unnamed_trailing_columns_are_ignored(tmp_path: Path) -> None:
    text = "id;name;url;;\n1;A;https://a.ru;;\n;;;;\n"
    registry = load_registry(write(tmp_path, text))
    assert registry.problems == ()
    assert registry.extra_columns == ()
    assert len(registry.organizations) == 1


def test_missing_required_column_is_one_error_listing_what_was_found(tmp_path: Path) -> None:
    path = write(tmp_path, "id,name,site_address\n1,A,https://a.ru\n")
    registry = load_registry(path)
    assert registry.organizations == ()
    assert messages(registry) == [
        f'{path}:1: column "url": required column is missing; found columns "id", "name", '
        '"site_address"; add a column named "url"'
    ]


def test_tab_separated_file_gets_a_hint(tmp_path: Path) -> None:
    registry = load_registry(write(tmp_path, "id\tname\turl\n1\tA\thttps://a.ru\n"))
    assert len(registry.errors) == 3
    assert all("tab-separated" in p.message for p in registry.errors)


def test_duplicated_column_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "id,name,url,URL\n1,A,https://a.ru,https://b.ru\n")
    registry = load_registry(path)
    assert registry.organizations == ()
    assert messages(registry) == [
        f'{path}:1: column "URL": appears twice (columns 3 and 4); remove or rename one'
    ]


def test_empty_file_is_a_whole_file_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "\r\n\r\n")
    registry = load_registry(path)
    (problem,) = registry.problems
    assert problem.line == 0
    assert str(problem) == (
        f"{path}: the file is empty; write a header line id,name,url and one row per organization"
    )


# --- row problems -------------------------------------------------------------------------


def test_every_row_problem_has_its_exact_one_line_message() -> None:
    path = DATA / "problems.csv"
    registry = load_registry(path)
    p = str(path)
    assert messages(registry) == [
        f'{p}:4: column "url": "gkb1 ru" is not a URL; write it as https://gkb1.ru/',
        f'{p}:5: column "id": is empty; give every organization a unique id',
        f'{p}:6: column "name": is empty; write the organization\'s name',
        f'{p}:7: column "url": is empty; write the site\'s address, e.g. https://gkb1.ru/',
        f'{p}:8: column "id": "gkb1" is already used on line 2; give every organization a '
        "unique id",
        f'{p}:9: column "url": "gkb7.ru" has no scheme; using https://gkb7.ru/',
        f'{p}:10: column "url": "ftp://files.gkb8.ru/" is not a web address (it must start with '
        "http:// or https://); write it as https://files.gkb8.ru/",
        f'{p}:11: the row has 7 cells but the header has 6; put cells that contain "," in '
        "double quotes, or fix the row",
        f'{p}:12: the row has 3 cells but the header has 6; put cells that contain "," in '
        "double quotes, or fix the row",
        f'{p}:13: column "url": "https://intranet/" is not a URL; write the full address, e.g. '
        "https://gkb1.ru/",
        f'{p}:14: column "country": "Беларусь" is not Russia (RU) or Kazakhstan (KZ); kept as '
        '"БЕЛАРУСЬ"; write RU or KZ if it is one of them',
    ]
    assert all("\n" not in m for m in messages(registry))
    assert [(p.line, p.severity) for p in registry.warnings] == [
        (9, Severity.WARNING),
        (14, Severity.WARNING),
    ]
    # rows with errors are left out; rows with warnings stay; a quoted line break is
    # numbered by its first line and the lines after it keep their physical numbers
    assert [(o.id, o.row) for o in registry.organizations] == [
        ("gkb1", 2),
        ("p7", 9),
        ("p12", 14),
        ("p13", 15),
        ("p14", 17),
    ]
    by_id = {o.id: o for o in registry.organizations}
    assert by_id["p13"].name == "Больница на две строки"
    assert by_id["p13"].country == "KZ"
    assert by_id["p12"].country == "БЕЛАРУСЬ"


def test_duplicate_ids_name_both_rows(tmp_path: Path) -> None:
    text = (
        "id,name,url\na,A,https://a.ru\nb,B,https://b.ru\na,A2,https://a2.ru\na,A3,https://a3.ru\n"
    )
    path = write(tmp_path, text)
    registry = load_registry(path)
    assert [o.id for o in registry.organizations] == ["a", "b"]
    fix = "give every organization a unique id"
    assert messages(registry) == [
        f'{path}:4: column "id": "a" is already used on line 2; {fix}',
        f'{path}:5: column "id": "a" is already used on line 2; {fix}',
    ]


def test_unclosed_quote_is_reported_with_the_lines_it_swallowed(tmp_path: Path) -> None:
    text = 'id,name,url\n1,"Unclosed,https://a.ru\n2,B,https://b.ru\n3,C,https://c.ru\n'
    path = write(tmp_path, text)
    registry = load_registry(path)
    assert registry.organizations == ()
    (problem,) = registry.errors
    assert problem.line == 2
    assert "runs on to line 4: is a quote left open?" in str(problem)
    assert str(problem).startswith(f"{path}:2: the row has 2 cells but the header has 3")


def test_problem_str_omits_the_column_when_there_is_none() -> None:
    problem = RegistryProblem("reg.csv", 3, None, "the row has 2 cells", Severity.ERROR)
    assert str(problem) == "reg.csv:3: the row has 2 cells"
    problem = RegistryProblem("reg.csv", 3, "url", "is empty", Severity.ERROR)
    assert str(problem) == 'reg.csv:3: column "url": is empty'


# --- URLs and countries -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("HTTPS://GKB1.RU", "https://gkb1.ru/"),
        ("https://gkb1.ru/Contacts?x=1#top", "https://gkb1.ru/Contacts?x=1"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
        ("http://localhost:5000/site", "http://localhost:5000/site"),
        ("https://[::1]:8443", "https://[::1]:8443/"),
        ("https://кириллица.рф", "https://кириллица.рф/"),
        ("https://ГКБ1.РФ/Врачи", "https://гкб1.рф/Врачи"),
        ("https://xn--80apaahia1b8c.xn--p1ai/", "https://xn--80apaahia1b8c.xn--p1ai/"),
        ("https://gkb1.ru./", "https://gkb1.ru/"),
    ],
)
def test_urls_are_normalised(raw: str, url: str) -> None:
    assert normalize_url(raw) == (url, None)


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("gkb1.ru", "https://gkb1.ru/"),
        ("www.gkb-1.kz/about", "https://www.gkb-1.kz/about"),
        ("больница.рф", "https://больница.рф/"),
        ("localhost:8080", "https://localhost:8080/"),
        ("//gkb1.ru", "https://gkb1.ru/"),
    ],
)
def test_scheme_is_added_with_a_warning(raw: str, url: str) -> None:
    assert normalize_url(raw) == (url, f'"{raw}" has no scheme; using {url}')


@pytest.mark.parametrize(
    ("raw", "fix"),
    [
        ("gkb1 ru", "write it as https://gkb1.ru/"),
        ("gkb1,ru", "write it as https://gkb1.ru/"),
        ("http:gkb1.ru", "write it as https://gkb1.ru/"),
        ("https://gkb1", "write the full address, e.g. https://gkb1.ru/"),
        ("1.2.3", "write the full address, e.g. https://gkb1.ru/"),
        ("https://-bad-.ru", "write the full address, e.g. https://gkb1.ru/"),
        ("https://gkb1.ru:99999/", "write the full address, e.g. https://gkb1.ru/"),
        ("https://юзер:пароль@gkb1.ru", "write the full address, e.g. https://gkb1.ru/"),
    ],
)
def test_malformed_urls_are_errors_with_a_fix(raw: str, fix: str) -> None:
    assert normalize_url(raw) == (None, f'"{raw}" is not a URL; {fix}')


def test_non_web_scheme_is_an_error() -> None:
    url, message = normalize_url("mailto:info@gkb1.ru")
    assert url is None
    assert message is not None
    assert message.startswith('"mailto:info@gkb1.ru" is not a web address')


def test_idn_host_in_a_registry_keeps_its_unicode_form(tmp_path: Path) -> None:
    registry = load_registry(write(tmp_path, "id,name,url\n1,A,https://Кириллица.РФ/о-нас\n"))
    assert registry.problems == ()
    assert registry.organizations[0].url == "https://кириллица.рф/о-нас"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("RU", "RU"),
        ("rus", "RU"),
        ("Россия", "RU"),
        ("Russia", "RU"),
        ("РФ", "RU"),
        ("Р.Ф.", "RU"),
        ("Российская  Федерация", "RU"),
        ("kz", "KZ"),
        ("KAZ", "KZ"),
        ("Казахстан", "KZ"),
        ("Kazakhstan", "KZ"),
        ("Қазақстан", "KZ"),
        ("", ""),
    ],
)
def test_known_countries_become_iso2(raw: str, code: str) -> None:
    assert normalize_country(raw) == (code, True)


def test_other_countries_are_kept_upper_cased() -> None:
    assert normalize_country(" by ") == ("BY", False)


# --- files that cannot be read ------------------------------------------------------------


def test_missing_file_raises_input_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(InputError, match=r"nope\.csv: no such file; check the path"):
        load_registry(path)
    with pytest.raises(InputError, match="no such file"):
        iter_organizations(path)  # at once, before the first item


def test_directory_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        load_registry(tmp_path)


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(50), "ZIP archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(50), "Excel .xls workbook"),
        (b"id,name,url\n\x00\x01\x02", "binary data"),
        (codecs.BOM_UTF16_LE + "id,name,url\n".encode("utf-16-le"), "UTF-16"),
        (b"id,name,url\n1,\x98,https://a.ru\n", "neither UTF-8 nor windows-1251"),
    ],
)
def test_binary_files_raise_input_error(tmp_path: Path, content: bytes, what: str) -> None:
    path = tmp_path / "registry.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_registry(path)
    assert what in info.value.message
    assert info.value.message.startswith(f"{path}: ")
    assert "save the registry as CSV UTF-8" in info.value.message
    assert "\n" not in info.value.message


def test_sha256_is_of_the_file_bytes(tmp_path: Path) -> None:
    import hashlib

    path = write(tmp_path, csv_text(ROWS))
    assert load_registry(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


# --- sharding -----------------------------------------------------------------------------


def orgs(count: int) -> list[Organization]:
    return [
        Organization(id=f"org-{i}", name=f"Org {i}", url=f"https://o{i}.ru/") for i in range(count)
    ]


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_shards_are_disjoint_and_complete(n: int) -> None:
    everyone = orgs(500)
    parts = [list(shard(everyone, k, n)) for k in range(1, n + 1)]
    ids = [o.id for part in parts for o in part]
    assert sorted(ids) == sorted(o.id for o in everyone)
    assert len(ids) == len(set(ids))
    if n > 1:
        assert all(len(part) > 500 / n / 2 for part in parts)  # roughly even


def test_shards_are_deterministic_and_independent_of_order() -> None:
    everyone = orgs(200)
    first = [o.id for o in shard(everyone, 2, 4)]
    again = [o.id for o in shard(reversed(everyone), 2, 4)]
    assert first and sorted(first) == sorted(again)
    # sha1("org-0") starts with 0x… : the split is a fixed function of the id, not of position
    assert [o.id for o in shard(everyone[5:6], 1, 1)] == ["org-5"]


@pytest.mark.parametrize(("k", "n"), [(0, 3), (4, 3), (1, 0)])
def test_shard_rejects_k_outside_1_to_n(k: int, n: int) -> None:
    with pytest.raises(ValueError, match="between 1 and N"):
        shard(orgs(3), k, n)


def test_parse_shard() -> None:
    assert parse_shard("2/4") == (2, 4)
    assert parse_shard(" 1 / 1 ") == (1, 1)
    for bad in ("0/4", "5/4", "2", "a/b", "2/0"):
        with pytest.raises(InputError, match="write it like 2/4"):
            parse_shard(bad)


# --- streaming ----------------------------------------------------------------------------


def big_registry(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("id;name;url;region;country;type;note\r\n")
        for i in range(count):
            fh.write(
                f"mo-{i};Медицинская организация №{i};mo{i}.ru;Регион {i % 85};RU;clinic;x\r\n"
            )
    return path


def test_20k_rows_stream_through_iter_organizations(tmp_path: Path) -> None:
    count = 20_000
    path = big_registry(tmp_path, count)

    items: Iterator[Organization | RegistryProblem] = iter_organizations(path)
    first = next(items)
    assert isinstance(first, RegistryProblem)  # the scheme warning comes before its row
    second = next(items)
    assert isinstance(second, Organization)
    assert (second.id, second.row, second.url) == ("mo-0", 2, "https://mo0.ru/")

    tracemalloc.start()
    try:
        organizations = warnings = 0
        last: Organization | None = None
        for item in items:
            if isinstance(item, Organization):
                organizations += 1
                last = item
            else:
                assert item.severity is Severity.WARNING
                warnings += 1
        _, streaming_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        registry = load_registry(path)
        _, loading_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert organizations == count - 1
    assert warnings == count - 1
    assert last is not None and (last.id, last.row) == (f"mo-{count - 1}", count + 1)
    assert len(registry.organizations) == count
    # streaming holds the ids seen, not the rows: far less than loading everything
    assert streaming_peak * 4 < loading_peak


def test_a_cell_past_the_csv_field_limit_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    filler = "".join(f"{i},B,https://b.ru\n" for i in range(10_000))  # > 131072 characters
    path = write(tmp_path, 'id,name,url\n1,A,https://a.ru\n2,"Open\n' + filler)
    registry = load_registry(path)
    assert [o.id for o in registry.organizations] == ["1"]
    (problem,) = registry.problems
    assert problem.line == 3
    assert str(problem).startswith(
        f"{path}:3: cannot be read as CSV (field larger than field limit"
    )
    assert str(problem).endswith(
        'a quote (") is probably not closed: close it, or write a quote inside a cell as ""'
    )
