"""Registration ids with their check digits, licence numbers."""

from __future__ import annotations

import pytest

from siteaudit.validate import (
    find_licences,
    find_regids,
    valid_bin,
    valid_inn,
    valid_licence,
    valid_ogrn,
    valid_ogrnip,
)


@pytest.mark.parametrize(
    ("check", "value", "ok"),
    [
        (valid_ogrn, "1027700132195", True),
        (valid_ogrn, "1027700132196", False),  # check digit off by one
        (valid_ogrn, "102770013219", False),  # 12 digits
        (valid_ogrnip, "304500116000157", True),
        (valid_ogrnip, "304500116000158", False),
        (valid_inn, "7707083893", True),
        (valid_inn, "7707083894", False),
        (valid_inn, "500100732259", True),  # a person's 12-digit ИНН
        (valid_inn, "500100732258", False),
        (valid_inn, "77070838", False),
        (valid_bin, "990140000483", True),
        (valid_bin, "940740000911", True),
        (valid_bin, "990340001234", False),
        (valid_bin, "000000000000", False),
        (valid_bin, "99014000048", False),
    ],
)
def test_check_digits(check: object, value: str, ok: bool) -> None:
    assert callable(check) and check(value) is ok


def test_bin_second_weights_when_the_first_sum_gives_ten() -> None:
    # digits whose first weighted sum is 10 mod 11 use the weights 3..11, 1, 2
    base = "12345678901"
    assert sum(int(c) * w for c, w in zip(base, range(1, 12), strict=True)) % 11 == 10
    second = sum(int(c) * w for c, w in zip(base, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2), strict=True))
    assert valid_bin(base + str(second % 11)) and not valid_bin(base + "0")


def test_find_regids_reads_labels_and_validates() -> None:
    text = "ИНН/КПП 7707083893/773601001, ОГРН: 1027700132195; ОГРН 1027700132196. БИН 990140000483"
    found = [(r.type, r.value, r.valid) for r in find_regids(text)]
    assert found == [
        ("inn", "7707083893", True),
        ("ogrn", "1027700132195", True),
        ("ogrn", "1027700132196", False),
        ("bin", "990140000483", True),
    ]
    assert [r.type for r in find_regids(text, ("bin",))] == ["bin"]
    assert find_regids("ИНН, ОГРН и т.д.; Инна Викторовна 1234567890") == ()


def test_licences_in_both_forms() -> None:
    text = "лицензия № ЛО-77-01-012345 от 01.02.2019; выписка Л041-01137-77/00123456"
    assert find_licences(text) == ("ЛО-77-01-012345", "Л041-01137-77/00123456")
    assert valid_licence("ЛО41-01137-77/00123456")
    assert not valid_licence("ЛО-77-01-01234") and find_licences("Л041-01137-77/0012345") == ()


def test_regid_needles_read_in_lower_aligned_text() -> None:
    """The label screen reads lower_aligned() text (ё as е, newlines as spaces)."""
    from siteaudit.validate import _REGID_NEEDLES

    assert _REGID_NEEDLES and not any("ё" in n or "\n" in n for n in _REGID_NEEDLES)
