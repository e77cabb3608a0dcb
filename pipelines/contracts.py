"""The lake's schema, derived from the source contracts in orchestration.yaml.

What leaves the ingest step per dataset: every non-PII field typed, each PII field (pii: flag)
only as `has_<field>`, СНИЛС (pii: hash) as `has_<field>` plus `<field>_hash` (keyed HMAC), and
the load metadata every lake row carries. Ingest writes exactly these columns; dbt sources
declare exactly these columns; a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.config import Dataset, FieldSpec, load_config

# Lake column type per contract field type (DuckDB / Parquet logical types).
LAKE_TYPES = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "enum": "VARCHAR",
    "inn": "VARCHAR",
    "snils": "VARCHAR",
    "region": "VARCHAR",
    "class_label": "VARCHAR",
}

# Every lake row carries where it came from (STYLE.md 1: keep every load, decide later).
LOAD_METADATA = (
    ("week", "VARCHAR", "ISO week label of the partition, e.g. 2026-W47"),
    ("region", "VARCHAR", "region code of the partition (file name, or the row's own for fgis_orgs)"),
    ("load_id", "VARCHAR", "id of the load that accepted the file (sha256 prefix of the file)"),
    ("source_file", "VARCHAR", "file name as delivered"),
    ("source_row", "BIGINT", "1-based data row number in the delivered file"),
)
# Ingest adds `_valid_<field>` (checksum result of each ИНН field) beside the lake columns for
# the gate to read; the lake does not keep them.
VALID_PREFIX = "_valid_"


@dataclass(frozen=True)
class LakeColumn:
    name: str
    type: str
    description: str


def pii_fields(dataset: Dataset) -> dict[str, FieldSpec]:
    return {name: spec for name, spec in dataset.fields.items() if spec.pii}


def lake_columns(dataset_name: str) -> list[LakeColumn]:
    """The columns of a dataset's lake Parquet, in order."""
    dataset = load_config().datasets[dataset_name]
    columns: list[LakeColumn] = []
    for name, spec in dataset.fields.items():
        if spec.pii is None:
            if name == "region":
                continue  # the partition's region column below carries it
            columns.append(LakeColumn(name, LAKE_TYPES[spec.type], f"{name} as delivered, typed"))
            continue
        columns.append(LakeColumn(f"has_{name}", "BOOLEAN", f"{name} (personal data) is present and valid"))
        if spec.pii == "hash":
            columns.append(LakeColumn(f"{name}_hash", "VARCHAR", f"keyed HMAC-SHA256 of the valid {name}"))
    columns.extend(LakeColumn(*meta) for meta in LOAD_METADATA)
    return columns
