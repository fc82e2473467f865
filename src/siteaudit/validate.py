"""Value validators: registration ids with their check digits, licence numbers.

A number that merely looks like an ОГРН is not evidence; one whose check digit is right is.
Pure functions, no I/O. ``find_regids`` finds labelled ids in page text and keeps the valid
ones (and tells which labelled ones were invalid, so a reason can say why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from .extract.text import holds_any, lower_aligned, lower_pattern, required_literals

RegIdType = Literal["ogrn", "ogrnip", "inn", "bin"]
REGID_TYPES: Final = ("ogrn", "ogrnip", "inn", "bin")

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_BIN_WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_BIN_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def _digits(value: str) -> str:
    return re.sub(r"[\s\u00a0-]", "", value)


def valid_ogrn(value: str) -> bool:
    """ОГРН: 13 digits; the last is (the first 12 as a number mod 11) mod 10."""
    d = _digits(value)
    if len(d) != 13 or not d.isdigit():
        return False
    return int(d[:12]) % 11 % 10 == int(d[12])


def valid_ogrnip(value: str) -> bool:
    """ОГРНИП: 15 digits; the last is (the first 14 as a number mod 13) mod 10."""
    d = _digits(value)
    if len(d) != 15 or not d.isdigit():
        return False
    return int(d[:14]) % 13 % 10 == int(d[14])


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(c) * w for c, w in zip(digits, weights, strict=False)) % 11 % 10


def valid_inn(value: str) -> bool:
    """ИНН: 10 digits (organizations) or 12 (people), with their check digits."""
    d = _digits(value)
    if not d.isdigit():
        return False
    if len(d) == 10:
        return _weighted(d, _INN10_WEIGHTS) == int(d[9])
    if len(d) == 12:
        return _weighted(d, _INN12_WEIGHTS_11) == int(d[10]) and _weighted(
            d, _INN12_WEIGHTS_12
        ) == int(d[11])
    return False


def valid_bin(value: str) -> bool:
    """Kazakh БИН/ИИН: 12 digits; check digit = sum(d_i * w_i) mod 11 with weights 1..11;
    when that is 10, weights 3..11,1,2; a second 10 makes the number invalid."""
    d = _digits(value)
    if len(d) != 12 or not d.isdigit() or d == "0" * 12:
        return False
    check = sum(int(c) * w for c, w in zip(d, _BIN_WEIGHTS_1, strict=False)) % 11
    if check == 10:
        check = sum(int(c) * w for c, w in zip(d, _BIN_WEIGHTS_2, strict=False)) % 11
        if check == 10:
            return False
    return check == int(d[11])


VALIDATORS = {"ogrn": valid_ogrn, "ogrnip": valid_ogrnip, "inn": valid_inn, "bin": valid_bin}

#: Labels written before each kind of id (Russian, Kazakh, English).
_LABELS: dict[str, str] = {
    "ogrnip": r"ОГРНИП",
    "ogrn": r"ОГРН(?!ИП)|OGRN",
    "inn": r"ИНН(?:\s*/\s*КПП)?|INN",
    "bin": r"БИН|БСН|BIN|ИИН|ЖСН",
}
_LENGTHS = {"ogrn": (13,), "ogrnip": (15,), "inn": (10, 12), "bin": (12,)}
_REGID_RE = re.compile(
    r"(?<!\w)(?P<label>" + "|".join(f"(?P<{k}>{v})" for k, v in _LABELS.items()) + r")"
    r"[\s:№.]{0,6}(?:организации\s*)?(?P<value>\d[\d \u00a0]{8,17}\d)(?!\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class RegId:
    type: str  # ogrn | ogrnip | inn | bin
    value: str  # digits only
    valid: bool
    start: int  # offset of the label in the text
    end: int


#: Every labelled id has one of these in its lower-cased text (a fast screen before the regex).
_REGID_NEEDLES = required_literals(
    re.compile(lower_pattern("|".join(_LABELS.values())) or "(?!)")
) or ("",)
# The screen reads lower_aligned() text, where ё is е and newlines are spaces: no needle
# may hold either (test_validate checks).


def find_regids(text: str, types: tuple[str, ...] = REGID_TYPES) -> tuple[RegId, ...]:
    """Labelled registration ids ("ОГРН 1027700132195", "БИН: 990140000483") in text order,
    each with whether its length and check digit are right."""
    low = lower_aligned(text)
    if not holds_any(low, _REGID_NEEDLES):
        return ()
    out: list[RegId] = []
    for m in _REGID_RE.finditer(text):
        kind = next(k for k in _LABELS if m.group(k))
        if kind not in types:
            continue
        raw = m["value"]
        digits = _digits(raw)
        if kind == "inn" and "/" in m["label"]:  # ИНН/КПП 7701234567/770101001: digits only
            digits = digits[:12] if len(digits) >= 12 and valid_inn(digits[:12]) else digits[:10]
        elif len(digits) not in _LENGTHS[kind]:
            # "ИНН 7701234567 КПП ...": a longer run may be the id and a following number
            digits = next((digits[:n] for n in _LENGTHS[kind] if len(digits) > n), digits)
        ok = len(digits) in _LENGTHS[kind] and VALIDATORS[kind](digits)
        out.append(RegId(kind, digits, ok, m.start(), m.end()))
    return tuple(out)


# --- licence numbers --------------------------------------------------------------------

#: Old Russian form ЛО-77-01-012345 and the registry form Л041-01137-77/00123456.
LICENCE_RE = re.compile(
    r"(?<![\w-])(?:Л[О0]-\d{2}-\d{2}-\d{6}|Л\d{3}-\d{5}-\d{2}/\d{8}|"
    r"Л[О0]\d{2}-\d{5}-\d{2}/\d{8})(?![\w/-])",
    re.IGNORECASE,
)


#: Every licence number matches this in lower-cased text (a fast screen before LICENCE_RE).
_LICENCE_SCREEN = re.compile(r"л[о0]?-?\d")


def find_licences(text: str) -> tuple[str, ...]:
    """Licence numbers in both Russian forms, first seen first."""
    if _LICENCE_SCREEN.search(lower_aligned(text)) is None:
        return ()
    return tuple(dict.fromkeys(m.group(0).upper() for m in LICENCE_RE.finditer(text)))


def valid_licence(value: str) -> bool:
    return LICENCE_RE.fullmatch(value.strip()) is not None
