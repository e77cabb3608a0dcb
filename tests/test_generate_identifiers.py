"""ИНН / СНИЛС checksum helpers and makers of the generator (pipelines/sources/identifiers.py)."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.sources.identifiers import (
    inn_is_valid,
    make_org_inn,
    make_org_inn_array,
    make_person_inn,
    make_person_inn_array,
    make_snils,
    make_snils_array,
    normalise_snils,
    org_inn_is_valid,
    person_inn_is_valid,
    snils_is_valid,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7707083893", True),  # ПАО Сбербанк, a published ИНН
        ("7707083894", False),  # check digit off by one
        ("770708389", False),  # 9 digits
        ("77070838930", False),  # 11 digits
        ("77070838a3", False),
        ("", False),
        (None, False),
    ],
)
def test_org_inn_checksum(value: str | None, expected: bool) -> None:
    """The FNS 10-digit rule accepts real ИНН and rejects any other. If a real ИНН is rejected,
    the weights (2,4,10,3,5,9,4,6,8) or the `% 11 % 10` step changed: restore them."""
    assert org_inn_is_valid(value) is expected


def test_person_inn_checksum() -> None:
    """The 12-digit rule checks both check digits; a 10-digit org ИНН is not a person's.
    Matters for has_inn_person in the lake. On failure compare with the FNS weights."""
    assert person_inn_is_valid("500100732259")
    assert not person_inn_is_valid("500100732258")
    assert not person_inn_is_valid("500100732249")
    assert not person_inn_is_valid("7707083893")
    assert inn_is_valid("7707083893") and inn_is_valid("500100732259")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("112-233-445 95", True),  # the ПФР documentation example
        ("11223344595", True),
        ("112-233-445 96", False),
        ("112-233-445", False),
        ("001-001-997 00", True),  # issued before checksums: not checked
        ("000-000-000 00", False),
        (None, False),
    ],
)
def test_snils_checksum(value: str | None, expected: bool) -> None:
    """СНИЛС with separators or as 11 digits; the check digits follow the ПФР rule (mod 101,
    100 → 00). A failure means ingest would hash invalid СНИЛС or drop valid ones."""
    assert snils_is_valid(value) is expected


def test_snils_check_digits_100_and_101_become_00() -> None:
    """Weighted sums of 100 and 101 give check digits 00 (the rule's edge case). If this fails the
    `% 101 % 100` reduction was changed."""
    # 001-002-999: 1*7 + 2*4 + 9*3 + 9*2 + 9*1 = 69; search numbers whose sum is exactly 100/101.
    found = {}
    for number in range(1_002_000, 1_200_000):
        digits = f"{number:09d}"
        total = sum(int(d) * w for d, w in zip(digits, range(9, 0, -1), strict=True))
        if total in (100, 101) and total not in found:
            found[total] = number
        if len(found) == 2:
            break
    for number in found.values():
        assert make_snils(number).endswith(" 00")
        assert snils_is_valid(make_snils(number))


def test_vectorised_makers_equal_scalar_ones() -> None:
    """The national generator uses the numpy makers; they must produce the scalar makers' values.
    On failure, fix the array version, not the scalar one (the scalar one is tested above)."""
    rng = np.random.default_rng(1)
    numbers = rng.integers(1_001_999, 999_999_999, size=500)
    assert list(make_snils_array(numbers)) == [make_snils(int(n)) for n in numbers]
    serials = rng.integers(0, 9_999_999, size=500)
    assert list(make_org_inn_array("07", serials)) == [make_org_inn("07", int(s)) for s in serials]
    assert all(org_inn_is_valid(v) for v in make_org_inn_array("05", serials))
    person = rng.integers(0, 99_999_999, size=500)
    assert list(make_person_inn_array("67", person)) == [make_person_inn("67", int(s)) for s in person]
    assert normalise_snils("112 233 445 95") == "11223344595"
