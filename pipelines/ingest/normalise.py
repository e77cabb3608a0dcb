"""Type the delivered text cells to the contract and take personal data out.

Output: the lake columns (`pipelines.contracts.lake_columns`) plus `_valid_<field>` helper
columns (checksum results of ИНН fields) that the gate reads and the lake does not keep.
PII: `pii: flag` → `has_<field>`; `pii: hash` (СНИЛС) → `has_<field>` (present AND
checksum-valid) and `<field>_hash` = HMAC-SHA256(key, normalised digits), null when invalid.
Vectorised with pyarrow.compute (checksums digit by digit) and DuckDB (the HMAC's SHA-256); Python
touches only distinct organisation ИНН values.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.config import FieldSpec, FileFormat, load_config
from pipelines.contracts import LAKE_TYPES, lake_columns
from pipelines.ingest.findings import Finding, ParseFailed
from pipelines.sources.identifiers import (
    PERSON_INN_WEIGHTS_11,
    PERSON_INN_WEIGHTS_12,
    SNILS_UNCHECKED_MAX,
    SNILS_WEIGHTS,
    org_inn_is_valid,
)

log = logging.getLogger(__name__)

VALID_PREFIX = "_valid_"
_INTEGER = r"^[+-]?\d+$"
_ZONE = r"(Z|[+-]\d{2}:?\d{2})$"
# identifiers.normalise_snils drops Python's `\s` and `-`; RE2's `\s` is ASCII only, so the other
# characters Python counts as whitespace are listed.
SNILS_SEPARATORS_RE2 = r"[\t\n\x{0b}\f\r \x{1c}-\x{1f}\x{85}\p{Z}\-]"
_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("s"),
}


@dataclass(frozen=True)
class LoadMeta:
    week: str
    region: str
    load_id: str
    source_file: str


def lake_schema(dataset_name: str) -> pa.Schema:
    return pa.schema([(c.name, _ARROW_TYPES[c.type]) for c in lake_columns(dataset_name)])


def normalise(raw: pa.Table, dataset_name: str, meta: LoadMeta) -> pa.Table:
    """The typed, PII-free table the gate validates (lake columns + `_valid_*` helpers)."""
    config = load_config()
    dataset = config.datasets[dataset_name]
    fmt = config.file_format(dataset_name, meta.region)
    findings: list[Finding] = []
    columns: dict[str, pa.Array] = {}
    for name, spec in dataset.fields.items():
        if name not in raw.column_names:  # a `since` field the export does not carry yet: not delivered
            columns.update(_not_delivered(name, spec, raw.num_rows))
            continue
        cells = _clean(raw.column(name).combine_chunks())
        if spec.pii is not None:
            columns.update(_personal(name, spec, cells))
        elif name == "region":
            columns["region"] = cells  # checked against the partition by the gate
        else:
            typed, finding = _typed(name, spec, cells, fmt)
            if finding:
                findings.append(finding)
            columns[name] = typed
            if spec.type == "inn":
                columns[VALID_PREFIX + name] = _inn_validity(cells)
    if findings:
        raise ParseFailed(findings)
    rows = raw.num_rows
    columns.setdefault("region", pa.array([meta.region] * rows, pa.string()))
    columns["week"] = pa.array([meta.week] * rows, pa.string())
    columns["load_id"] = pa.array([meta.load_id] * rows, pa.string())
    columns["source_file"] = pa.array([meta.source_file] * rows, pa.string())
    columns["source_row"] = pa.array(range(1, rows + 1), pa.int64())
    order = [c.name for c in lake_columns(dataset_name)]
    helpers = [name for name in columns if name.startswith(VALID_PREFIX)]
    return pa.table({name: columns[name] for name in order + helpers})


def _not_delivered(name: str, spec: FieldSpec, rows: int) -> dict[str, pa.Array]:
    """Lake columns of a field the file lacks: null (unknown), never false, so dbt reads «нет данных»."""
    if spec.pii is None:
        return {name: pa.nulls(rows, _ARROW_TYPES[LAKE_TYPES[spec.type]])}
    columns = {f"has_{name}": pa.nulls(rows, pa.bool_())}
    if spec.pii == "hash":
        columns[f"{name}_hash"] = pa.nulls(rows, pa.string())
    return columns


def lake_table(validated: pa.Table, dataset_name: str) -> pa.Table:
    """Only the lake columns, cast to the lake schema (the `_valid_*` helpers stay behind)."""
    schema = lake_schema(dataset_name)
    region = validated.column("region")
    table = validated.select(schema.names).set_column(schema.get_field_index("region"), "region", region)
    return table.cast(schema)


def _clean(cells: pa.Array) -> pa.Array:
    """Trim blanks; an empty or blank cell is missing."""
    trimmed = pc.utf8_trim_whitespace(cells)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _bad_rows(delivered: pa.Array, parsed: pa.Array) -> list[int]:
    """Rows where a value was delivered but could not be read."""
    bad = pc.and_(pc.is_valid(delivered), pc.is_null(parsed))
    return [int(i) + 1 for i in pc.indices_nonzero(bad).to_pylist()]


def _typed(name: str, spec: FieldSpec, cells: pa.Array, fmt: FileFormat) -> tuple[pa.Array, Finding | None]:
    kind = spec.type
    if kind == "enum" and name in fmt.values:
        return _mapped(cells, fmt.values[name]), None  # unmapped values fail the gate's enum rule
    if kind == "bool":
        typed = _boolean(cells, fmt)
        rule, message = "field.type", f"not one of {fmt.booleans[True] + fmt.booleans[False]}"
    elif kind == "int":
        numeric = pc.if_else(pc.match_substring_regex(cells, _INTEGER), cells, pa.scalar(None, pa.string()))
        typed = pc.cast(numeric, pa.int64())
        rule, message = "field.type", "not a whole number"
    elif kind == "date":
        typed = _date(cells, fmt.date_format)
        rule, message = "field.type", f"not a valid date in format {fmt.date_format}"
    elif kind == "timestamp":
        typed = _timestamp(cells)
        rule, message = "field.type", "not an ISO 8601 timestamp"
    else:
        return cells, None
    bad = _bad_rows(cells, typed)
    finding = Finding(rule, message, column=name, rows=bad, count=len(bad)) if bad else None
    return typed, finding


def _mapped(cells: pa.Array, mapping: dict[str, str]) -> pa.Array:
    keys = pa.array(list(mapping), pa.string())
    index = pc.index_in(cells, value_set=keys)
    canonical = pc.take(pa.array(list(mapping.values()), pa.string()), index)
    return pc.coalesce(canonical, cells)


def _boolean(cells: pa.Array, fmt: FileFormat) -> pa.Array:
    lowered = pc.utf8_lower(cells)
    truthy = pc.is_in(lowered, value_set=pa.array([v.lower() for v in fmt.booleans[True]]))
    falsy = pc.is_in(lowered, value_set=pa.array([v.lower() for v in fmt.booleans[False]]))
    known = pc.or_(truthy, falsy)
    return pc.if_else(known, truthy, pa.scalar(None, pa.bool_()))


def _date(cells: pa.Array, date_format: str) -> pa.Array:
    """Strict dates: a value must round-trip (pyarrow's strptime turns 31.02 into 03.03)."""
    parsed = pc.strptime(cells, format=date_format, unit="s", error_is_null=True)
    round_trip = pc.equal(pc.strftime(parsed, format=date_format), cells)
    return pc.cast(pc.if_else(round_trip, parsed, pa.scalar(None, parsed.type)), pa.date32())


def _timestamp(cells: pa.Array) -> pa.Array:
    """ISO 8601; a value with a zone offset becomes Moscow local time (the project's clock)."""
    zoned = pc.match_substring_regex(cells, _ZONE)
    naive_text = pc.if_else(zoned, pa.scalar(None, pa.string()), pc.replace_substring(cells, "T", " "))
    naive = pc.strptime(naive_text, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
    if not pc.any(zoned).as_py():
        return naive
    moscow = [_zoned_to_moscow(v) for v in pc.if_else(zoned, cells, pa.scalar(None, pa.string())).to_pylist()]
    return pc.coalesce(naive, pa.array(moscow, pa.timestamp("s")))


def _zoned_to_moscow(text: str | None) -> object:
    from datetime import datetime

    from pipelines.weeks import MOSCOW

    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(MOSCOW).replace(tzinfo=None)


def _inn_validity(cells: pa.Array) -> pa.Array:
    """Checksum of each delivered organisation ИНН (null where none was delivered)."""
    distinct = [v for v in pc.unique(cells).to_pylist() if v is not None]
    valid = pa.array([v for v in distinct if org_inn_is_valid(v)], pa.string())
    return pc.if_else(pc.is_valid(cells), pc.is_in(cells, value_set=valid), pa.scalar(None, pa.bool_()))


def _personal(name: str, spec: FieldSpec, cells: pa.Array) -> dict[str, pa.Array]:
    """Personal data leaves only as a presence flag (and, for СНИЛС, a keyed hash)."""
    if spec.type == "snils":
        return _snils(name, cells)
    present = pc.is_valid(cells)
    if name.startswith("inn"):  # a personal ИНН (inn_person): an invalid checksum counts as missing
        present = pc.and_(present, _person_inn_validity(cells))
    elif spec.pattern:
        present = pc.and_(present, pc.match_substring_regex(cells, spec.pattern))
    return {f"has_{name}": pc.fill_null(present, False)}


def _digits_at(text: pa.Array, positions: range) -> list[pa.Array]:
    """The digit at each position of ASCII-digit strings, as integers."""
    return [pc.cast(pc.utf8_slice_codeunits(text, i, i + 1), pa.int64()) for i in positions]


def _check_digit(digits: list[pa.Array], weights: tuple[int, ...]) -> pa.Array:
    """Σ digit × weight mod 11 mod 10 (the FNS rule of pipelines.sources.identifiers)."""
    total = pc.multiply(digits[0], weights[0])
    for digit, weight in zip(digits[1:], weights[1:], strict=True):
        total = pc.add(total, pc.multiply(digit, weight))
    return _mod(_mod(total, 11), 10)


def _mod(values: pa.Array, divisor: int) -> pa.Array:
    return pc.subtract(values, pc.multiply(pc.divide(values, divisor), divisor))


def _person_inn_validity(cells: pa.Array) -> pa.Array:
    """`identifiers.person_inn_is_valid`, vectorised: 12 ASCII digits, both check digits right."""
    shaped = pc.fill_null(pc.match_substring_regex(cells, r"^[0-9]{12}$"), False)
    text = pc.if_else(shaped, cells, "000000000000")
    digits = _digits_at(text, range(12))
    eleventh = pc.equal(_check_digit(digits[:10], PERSON_INN_WEIGHTS_11), digits[10])
    twelfth = pc.equal(_check_digit(digits[:11], PERSON_INN_WEIGHTS_12), digits[11])
    return pc.and_(shaped, pc.and_(eleventh, twelfth))


def _snils_digits(cells: pa.Array) -> pa.Array:
    """`identifiers.snils_is_valid` + `normalise_snils`, vectorised: the 11 digits of a valid СНИЛС
    (separators removed), else null."""
    digits = pc.replace_substring_regex(cells, SNILS_SEPARATORS_RE2, "")
    shaped = pc.fill_null(pc.match_substring_regex(digits, r"^[0-9]{11}$"), False)
    text = pc.if_else(shaped, digits, "00000000000")
    number = pc.cast(pc.utf8_slice_codeunits(text, 0, 9), pa.int64())
    check = pc.cast(pc.utf8_slice_codeunits(text, 9, 11), pa.int64())
    total = pc.multiply(_digits_at(text, range(1))[0], SNILS_WEIGHTS[0])
    for digit, weight in zip(_digits_at(text, range(1, 9)), SNILS_WEIGHTS[1:], strict=True):
        total = pc.add(total, pc.multiply(digit, weight))
    checked = pc.equal(_mod(_mod(total, 101), 100), check)
    old_number = pc.less_equal(number, SNILS_UNCHECKED_MAX)
    valid = pc.if_else(old_number, pc.greater(number, 0), checked)
    return pc.if_else(pc.and_(shaped, valid), digits, pa.scalar(None, pa.string()))


def _snils(name: str, cells: pa.Array) -> dict[str, pa.Array]:
    key, is_development_key = load_config().snils_key()
    if is_development_key:
        log.warning(
            "СНИЛС hashed with the documented development key (privacy.development_key): "
            "set %s for real data",
            load_config().privacy.snils_key_env,
        )
    hashed = hmac_sha256_hex(key, _snils_digits(cells))
    return {f"has_{name}": pc.is_valid(hashed), f"{name}_hash": hashed}


def hmac_sha256_hex(key: bytes, messages: pa.Array) -> pa.Array:
    """HMAC-SHA256 (RFC 2104) of each string, hex, computed by DuckDB's vectorised sha256; null stays
    null. Equal to `hmac.new(key, message.encode(), hashlib.sha256).hexdigest()`."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner_pad = bytes(b ^ 0x36 for b in key).hex()
    outer_pad = bytes(b ^ 0x5C for b in key).hex()
    connection = duckdb.connect()
    try:
        connection.register("messages", pa.table({"message": messages}))
        result = connection.execute(
            "select case when message is null then null else"
            " sha256(unhex($2) || unhex(sha256(unhex($1) || encode(message)))) end as digest"
            " from messages",
            [inner_pad, outer_pad],
        ).to_arrow_table()
    finally:
        connection.close()
    return result.column("digest").combine_chunks().cast(pa.string())
