"""The reader's checks of Russian identifiers: ИНН and СНИЛС checksums over whole columns.

Ingest's own rules, written apart from the generator's (`pipelines.sources.identifiers`) on
purpose: a checksum bug shared by both would be generated and accepted alike. Tests hold both
sides to published valid and invalid numbers (tests/test_identifiers_published.py).
Vectorised with pyarrow.compute, digit by digit; a null or malformed value is not valid.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

# FNS weights (Приказ ФНС России от 29.06.2012 № ММВ-7-6/435@, приложение): the check digit of
# a 10-digit organisation ИНН, then the two check digits of a 12-digit personal ИНН;
# check = Σ digit × weight mod 11 mod 10.
ORG_INN_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
PERSON_INN_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
PERSON_INN_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
# СНИЛС (ПФР): digit i (0-based) of the 9-digit number weighs 9 - i; check = Σ mod 101 mod 100.
# Numbers up to 001-001-998 were issued before check digits existed and are not checked.
SNILS_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, 1)
SNILS_UNCHECKED_MAX = 1_001_998
# Separators people type in a СНИЛС: Python's whitespace and `-`. RE2's `\s` is ASCII only, so
# the other characters Python counts as whitespace are listed.
SNILS_SEPARATORS_RE2 = r"[\t\n\x{0b}\f\r \x{1c}-\x{1f}\x{85}\p{Z}\-]"


def org_inn_validity(cells: pa.Array) -> pa.Array:
    """Per value: a 10-digit organisation ИНН with its check digit right (null or malformed: False)."""
    shaped, digits = _shaped_digits(cells, 10)
    return pc.and_(shaped, pc.equal(_check_digit(digits[:9], ORG_INN_WEIGHTS), digits[9]))


def person_inn_validity(cells: pa.Array) -> pa.Array:
    """Per value: a 12-digit personal ИНН with both check digits right (null or malformed: False)."""
    shaped, digits = _shaped_digits(cells, 12)
    eleventh = pc.equal(_check_digit(digits[:10], PERSON_INN_WEIGHTS_11), digits[10])
    twelfth = pc.equal(_check_digit(digits[:11], PERSON_INN_WEIGHTS_12), digits[11])
    return pc.and_(shaped, pc.and_(eleventh, twelfth))


def snils_digits(cells: pa.Array) -> pa.Array:
    """Per value: the 11 digits of a valid СНИЛС (separators removed), else null."""
    compact = pc.replace_substring_regex(cells, SNILS_SEPARATORS_RE2, "")
    shaped, digits = _shaped_digits(compact, 11)
    total = _weighted_sum(digits[:9], SNILS_WEIGHTS)
    check = pc.add(pc.multiply(digits[9], 10), digits[10])
    number = _weighted_sum(digits[:9], tuple(10**power for power in range(8, -1, -1)))
    checked = pc.equal(_mod(_mod(total, 101), 100), check)
    valid = pc.if_else(pc.less_equal(number, SNILS_UNCHECKED_MAX), pc.greater(number, 0), checked)
    return pc.if_else(pc.and_(shaped, valid), compact, pa.scalar(None, pa.string()))


def _shaped_digits(cells: pa.Array, width: int) -> tuple[pa.Array, list[pa.Array]]:
    """Which values are exactly `width` ASCII digits, and each digit position as integers (a
    malformed value reads as zeros there, masked out by the first array)."""
    shaped = pc.fill_null(pc.match_substring_regex(cells, f"^[0-9]{{{width}}}$"), False)
    text = pc.if_else(shaped, cells, "0" * width)
    digits = [pc.cast(pc.utf8_slice_codeunits(text, i, i + 1), pa.int64()) for i in range(width)]
    return shaped, digits


def _weighted_sum(digits: list[pa.Array], weights: tuple[int, ...]) -> pa.Array:
    total = pc.multiply(digits[0], weights[0])
    for digit, weight in zip(digits[1:], weights[1:], strict=True):
        total = pc.add(total, pc.multiply(digit, weight))
    return total


def _check_digit(digits: list[pa.Array], weights: tuple[int, ...]) -> pa.Array:
    return _mod(_mod(_weighted_sum(digits, weights), 11), 10)


def _mod(values: pa.Array, divisor: int) -> pa.Array:
    return pc.subtract(values, pc.multiply(pc.divide(values, divisor), divisor))
