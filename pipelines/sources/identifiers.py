"""Russian identifiers: ИНН and СНИЛС checksums, validators and makers.

The validators check what the generator writes (ingest has its own, pipelines/ingest/identifiers.py,
so a checksum bug is not generated and accepted alike); the makers are what the generator uses to write
checksum-valid values. Scalar functions take the value as delivered (СНИЛС may carry its usual
`123-456-789 01` separators); the `*_array` makers are vectorised for the national generator.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

# FNS weights (Приказ ФНС): 10-digit ИНН of an organisation, then the two check digits of a
# 12-digit personal ИНН.
_ORG_INN_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
PERSON_INN_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
PERSON_INN_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
# СНИЛС: digit i (0-based) of the 9-digit number has weight 9 - i; numbers up to 001-001-998
# were issued before checksums existed and are not checked (ПФР rule).
SNILS_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, 1)
SNILS_UNCHECKED_MAX = 1_001_998
_SNILS_SEPARATORS = re.compile(r"[\s\-]")

IntArray = npt.NDArray[np.int64]
StrArray = npt.NDArray[np.str_]


def _check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10


def org_inn_is_valid(value: str | None) -> bool:
    """A 10-digit organisation ИНН with a correct check digit."""
    if value is None or len(value) != 10 or not value.isascii() or not value.isdigit():
        return False
    return _check_digit(value[:9], _ORG_INN_WEIGHTS) == int(value[9])


def person_inn_is_valid(value: str | None) -> bool:
    """A 12-digit personal ИНН with both check digits correct."""
    if value is None or len(value) != 12 or not value.isascii() or not value.isdigit():
        return False
    return _check_digit(value[:10], PERSON_INN_WEIGHTS_11) == int(value[10]) and _check_digit(
        value[:11], PERSON_INN_WEIGHTS_12
    ) == int(value[11])


def inn_is_valid(value: str | None) -> bool:
    """Any ИНН: 10 digits (organisation) or 12 digits (person), checksum-valid."""
    return org_inn_is_valid(value) or person_inn_is_valid(value)


def normalise_snils(value: str | None) -> str | None:
    """СНИЛС as its 11 digits (separators removed), or None when it is not 11 digits."""
    if value is None:
        return None
    digits = _SNILS_SEPARATORS.sub("", value)
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def snils_checksum(number: int) -> int:
    """The two check digits of a 9-digit СНИЛС number."""
    total = sum(int(d) * w for d, w in zip(f"{number:09d}", SNILS_WEIGHTS, strict=True))
    return total % 101 % 100


def snils_is_valid(value: str | None) -> bool:
    """An 11-digit СНИЛС (separators allowed) whose check digits match its number."""
    digits = normalise_snils(value)
    if digits is None:
        return False
    number = int(digits[:9])
    if number <= SNILS_UNCHECKED_MAX:
        return number > 0
    return snils_checksum(number) == int(digits[9:])


def format_snils(number: int, checksum: int) -> str:
    digits = f"{number:09d}"
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]} {checksum:02d}"


def make_snils(number: int) -> str:
    """A valid СНИЛС in its usual `123-456-789 01` form for a 9-digit number above 001-001-998."""
    if not SNILS_UNCHECKED_MAX < number <= 999_999_999:
        raise ValueError(f"СНИЛС number {number} is outside the checksummed range")
    return format_snils(number, snils_checksum(number))


def make_org_inn(region_tax_code: str, serial: int) -> str:
    """A valid 10-digit organisation ИНН: region code (2), inspection (2), serial (5), check digit."""
    body = f"{region_tax_code}{serial:07d}"
    if len(body) != 9:
        raise ValueError(f"ИНН body {body!r} must be 9 digits")
    return body + str(_check_digit(body, _ORG_INN_WEIGHTS))


def make_person_inn(region_tax_code: str, serial: int) -> str:
    """A valid 12-digit personal ИНН."""
    body = f"{region_tax_code}{serial:08d}"
    if len(body) != 10:
        raise ValueError(f"ИНН body {body!r} must be 10 digits")
    first = _check_digit(body, PERSON_INN_WEIGHTS_11)
    second = _check_digit(body + str(first), PERSON_INN_WEIGHTS_12)
    return f"{body}{first}{second}"


def _digits(numbers: IntArray, width: int) -> IntArray:
    """Decimal digits of each number, most significant first: shape (n, width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (numbers[:, None] // powers[None, :]) % 10


def _weighted_check(digits: IntArray, weights: tuple[int, ...]) -> IntArray:
    result: IntArray = (digits @ np.asarray(weights, dtype=np.int64)) % 11 % 10
    return result


def make_snils_array(numbers: IntArray) -> StrArray:
    """Vectorised `make_snils` for 9-digit numbers above 001-001-998."""
    numbers = np.asarray(numbers, dtype=np.int64)
    checks = (_digits(numbers, 9) @ np.asarray(SNILS_WEIGHTS, dtype=np.int64)) % 101 % 100
    text = np.char.zfill(numbers.astype(str), 9)
    # Fixed-width numpy strings viewed as characters build "AAA-BBB-CCC DD" without a Python loop.
    chars = text.view("<U1").reshape(-1, 9)
    head = np.char.add(np.char.add(_join(chars[:, 0:3]), "-"), _join(chars[:, 3:6]))
    tail = np.char.add(np.char.add("-", _join(chars[:, 6:9])), " ")
    result: StrArray = np.char.add(np.char.add(head, tail), np.char.zfill(checks.astype(str), 2))
    return result


def _join(chars: StrArray) -> StrArray:
    out = chars[:, 0]
    for column in range(1, chars.shape[1]):
        out = np.char.add(out, chars[:, column])
    return out


def make_org_inn_array(region_tax_code: str, serials: IntArray) -> StrArray:
    """Vectorised `make_org_inn`."""
    bodies = int(region_tax_code) * 10_000_000 + np.asarray(serials, dtype=np.int64)
    checks = _weighted_check(_digits(bodies, 9), _ORG_INN_WEIGHTS)
    result: StrArray = np.char.zfill((bodies * 10 + checks).astype(str), 10)
    return result


def make_person_inn_array(region_tax_code: str, serials: IntArray) -> StrArray:
    """Vectorised `make_person_inn`."""
    bodies = int(region_tax_code) * 100_000_000 + np.asarray(serials, dtype=np.int64)
    digits = _digits(bodies, 10)
    first = _weighted_check(digits, PERSON_INN_WEIGHTS_11)
    second = _weighted_check(np.concatenate([digits, first[:, None]], axis=1), PERSON_INN_WEIGHTS_12)
    result: StrArray = np.char.zfill((bodies * 100 + first * 10 + second).astype(str), 12)
    return result
