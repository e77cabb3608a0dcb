"""Both identifier checkers against published numbers: the generator's and the reader's.

The generator (pipelines/sources/identifiers.py) and the reader (pipelines/ingest/identifiers.py)
are written apart so that a checksum bug is not generated and accepted alike; each is held here to
the same numbers, worked by hand below, not to the other.

Organisation ИНН, check = Σ digit × (2,4,10,3,5,9,4,6,8) mod 11 mod 10 (Приказ ФНС ММВ-7-6/435@),
published ИНН of well-known organisations (ЕГРЮЛ):
- 7707083893 ПАО Сбербанк: 7·2+7·4+0·10+7·3+0·5+8·9+3·4+8·6+9·8 = 267; 267 mod 11 = 3 → 3 ✓
- 7736050003 ПАО Газпром: 14+28+30+18+0+45+0+0+0 = 135; 135 mod 11 = 3 → 3 ✓
- 7702070139 Банк ВТБ (ПАО): 14+28+0+6+0+63+0+6+24 = 141; 141 mod 11 = 9 → 9 ✓
- 7706107510 ПАО НК «Роснефть»: 14+28+0+18+5+0+28+30+8 = 131; 131 mod 11 = 10, mod 10 → 0 ✓
  (the case where the remainder 10 becomes 0)
- 7707049388 ПАО «Ростелеком»: 14+28+0+21+0+36+36+18+64 = 217; 217 mod 11 = 8 → 8 ✓
Invalid: 7707083894 and 7736050004 (last digit off by one), 770708389 (9 digits), 77070838a3.

Personal ИНН 500100732259 (the example of the FNS algorithm's descriptions):
- 11th: 5·7+0·2+0·4+1·10+0·3+0·5+7·9+3·4+2·6+2·8 = 148; 148 mod 11 = 5 → 5 ✓
- 12th: 5·3+0·7+0·2+1·4+0·10+0·3+7·5+3·9+2·4+2·6+5·8 = 141; 141 mod 11 = 9 → 9 ✓
Invalid: 500100732258 (12th digit), 500100732249 (11th digit), 7707083893 (an organisation's).

СНИЛС, check = Σ digit × (9..1) of the 9-digit number; < 100 as is, 100 and 101 → 00, above
that mod 101 first (ПФР rule); numbers up to 001-001-998 carry no check:
- 112-233-445 95 (the ПФР example): 1·9+1·8+2·7+2·6+3·5+3·4+4·3+4·2+5·1 = 95 → 95 ✓
- 087-654-303 00: 0·9+8·8+7·7+6·6+5·5+4·4+3·3+0·2+3·1 = 202; 202 mod 101 = 0 → 00 ✓
Invalid: 112-233-445 96, 087-654-303 01, 112-233-445 (9 digits), 000-000-000 00 (no such number).
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from pipelines.ingest import identifiers as reader
from pipelines.sources import identifiers as generator

ORG_INN = [
    ("7707083893", True),
    ("7736050003", True),
    ("7702070139", True),
    ("7706107510", True),
    ("7707049388", True),
    ("7707083894", False),
    ("7736050004", False),
    ("770708389", False),
    ("77070838a3", False),
    ("７７０７０８３８９３", False),  # full-width digits are not ASCII digits
    (None, False),
]
PERSON_INN = [
    ("500100732259", True),
    ("500100732258", False),
    ("500100732249", False),
    ("7707083893", False),
    (None, False),
]
SNILS = [
    ("112-233-445 95", True),
    ("11223344595", True),
    ("087-654-303 00", True),
    ("001-001-997 00", True),  # issued before check digits: not checked
    ("112-233-445 96", False),
    ("087-654-303 01", False),
    ("112-233-445", False),
    ("000-000-000 00", False),
    (None, False),
]


def _reader_one(check: object, value: str | None) -> object:
    return check(pa.array([value], pa.string())).to_pylist()[0]  # type: ignore[operator]


@pytest.mark.parametrize(("value", "expected"), ORG_INN)
def test_org_inn_published(value: str | None, expected: bool) -> None:
    """Generator and reader accept the published organisation ИНН and reject the altered ones.
    A failure on one side only: that side's weights or `mod 11 mod 10` step changed (module
    docstring has the sums)."""
    assert generator.org_inn_is_valid(value) is expected
    assert _reader_one(reader.org_inn_validity, value) is expected


@pytest.mark.parametrize(("value", "expected"), PERSON_INN)
def test_person_inn_published(value: str | None, expected: bool) -> None:
    """Both sides check both check digits of a personal ИНН (has_inn_person counts an invalid
    one as missing). A failure: compare the 11th/12th digit weights with the docstring."""
    assert generator.person_inn_is_valid(value) is expected
    assert _reader_one(reader.person_inn_validity, value) is expected


@pytest.mark.parametrize(("value", "expected"), SNILS)
def test_snils_published(value: str | None, expected: bool) -> None:
    """Both sides accept the ПФР examples (with and without separators) and reject the altered
    ones; the reader returns the 11 digits it hashes. A failure: the mod 101 / mod 100 steps or
    the pre-checksum range (≤ 001-001-998) changed on that side."""
    assert generator.snils_is_valid(value) is expected
    digits = _reader_one(reader.snils_digits, value)
    assert (digits is not None) is expected
    if expected:
        assert digits == generator.normalise_snils(value)
