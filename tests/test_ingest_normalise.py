"""The reader's vectorised identifier checks agree with the generator's scalar rules; the СНИЛС hash.

pipelines/ingest/identifiers.py (the reader, whole columns with pyarrow) and
pipelines/sources/identifiers.py (the generator, scalar) are written apart; these tests feed both
the same awkward values and require identical answers (both are held to published numbers in
tests/test_identifiers_published.py). The HMAC of normalise.py equals Python's.
"""

from __future__ import annotations

import hashlib
import hmac
import random

import pyarrow as pa

from pipelines.ingest.identifiers import org_inn_validity, person_inn_validity, snils_digits
from pipelines.ingest.normalise import hmac_sha256_hex
from pipelines.sources.identifiers import (
    format_snils,
    make_org_inn,
    normalise_snils,
    org_inn_is_valid,
    person_inn_is_valid,
    snils_checksum,
    snils_is_valid,
)

AWKWARD_SNILS = [
    None, "", "   ", "112-233-445 95", "11223344595", "112 233 445 95", "112-233-445\u00a095",
    "112-233-445\u200995", "112-233-445\t95", "112-233-445\x0b95", "112_233_445 95", "112-233-445 96",
    "001-001-998 00", "001-001-999 00", "000-000-000 00", "000-000-001 77", "1122334459", "112233445950",
    "١١٢٢٣٣٤٤٥٩٥", "11223344595 ", "-11223344595-", "abc", "112-233-445 9O",
]  # fmt: skip
AWKWARD_PERSON_INN = [
    None, "", "500100732259", "500100732258", "50010073225", "5001007322590", "٥00100732259",
    "50010073225a", " 500100732259", "000000000000", "7707083893",
]  # fmt: skip


def _random_snils(count: int) -> list[str]:
    """Valid numbers in the usual format plus a share with a wrong check digit."""
    rng = random.Random(7)
    values = []
    for _ in range(count):
        number = rng.randrange(1_002_000, 999_999_999)
        check = snils_checksum(number) if rng.random() < 0.8 else (snils_checksum(number) + 1) % 100
        values.append(format_snils(number, check))
    return values


def test_snils_validity_and_digits_match_the_scalar_rules() -> None:
    """`snils_digits` returns normalise_snils(v) exactly when snils_is_valid(v), for awkward and
    random values. Matters: an invalid СНИЛС must count as missing (SPEC) and the hash must be over
    the same digits as before, or people stop matching across weeks. Resolve: compare the differing
    values in the two identifiers.py (separators, the pre-checksum number range, non-ASCII digits)."""
    values = AWKWARD_SNILS + _random_snils(2000)
    got = snils_digits(pa.array(values, pa.string())).to_pylist()
    expected = [normalise_snils(v) if snils_is_valid(v) else None for v in values]
    differing = [(v, g, e) for v, g, e in zip(values, got, expected, strict=True) if g != e]
    assert not differing


def test_person_inn_validity_matches_the_scalar_rule() -> None:
    """`person_inn_validity` equals identifiers.person_inn_is_valid per value (nulls are False).
    Matters: has_inn_person counts an invalid personal ИНН as missing. Resolve: check the weights
    and the digit positions in ingest/identifiers.person_inn_validity."""
    got = person_inn_validity(pa.array(AWKWARD_PERSON_INN, pa.string())).to_pylist()
    assert [bool(g) for g in got] == [person_inn_is_valid(v) for v in AWKWARD_PERSON_INN]


def test_org_inn_validity_matches_the_scalar_rule() -> None:
    """`org_inn_validity` equals the generator's org_inn_is_valid per value, for awkward and
    generated ИНН. Matters: the gate's invalid-ИНН rule reads `_valid_<field>`. Resolve: the
    weights and digit positions in ingest/identifiers.org_inn_validity."""
    values = AWKWARD_PERSON_INN + [make_org_inn("07", serial) for serial in range(0, 9_999_999, 99_991)]
    got = org_inn_validity(pa.array(values, pa.string())).to_pylist()
    assert [bool(g) for g in got] == [org_inn_is_valid(v) for v in values]


def test_hmac_matches_python_hmac() -> None:
    """The ingest's HMAC-SHA256 equals Python's hmac for short, 64-byte and long keys; null stays null.
    Matters: the СНИЛС hash joins a person across sources and weeks; a different digest splits
    every person in two. Resolve: see the RFC 2104 padding in normalise.hmac_sha256_hex."""
    messages = ["11223344595", None, "00000000000", "я"]
    for key in (b"k", b"x" * 64, b"long-key-" * 20):
        got = hmac_sha256_hex(key, pa.array(messages, pa.string())).to_pylist()
        expected = [
            hmac.new(key, m.encode(), hashlib.sha256).hexdigest() if m is not None else None for m in messages
        ]
        assert got == expected
