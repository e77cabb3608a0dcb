"""The Great Expectations suites, generated from the contracts in orchestration.yaml.

One suite per dataset in `expectations/{dataset}.json`, in GE's own suite format so a reviewer
reads it and GE loads it. The gate validates a dataset-week at once: every region's staged rows
in one relation (pipelines/checks/gate.py), so what depends on the file is a column beside its
rows (`PARAMETER_COLUMNS`), not a suite parameter: `_expected_region` (the partition's region),
`_registered_<field>` (the ИНН is in the region-week's organisation registry from fgis_orgs; null
where that file has no registry, so the rule is not evaluated for it), `_file_rows` and `_min_rows`
(the file's rows and its volume floor from the previous week) and `_file_key` (a one-column key
scoped to its file: `source_file/key`). Every rule thus holds row by row within a file, and a
file passes iff none of its rows is unexpected. `edumon expectations --check` and a test keep the
committed files equal to what the configuration generates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipelines.config import PROJECT_ROOT, Dataset, FieldSpec, load_config
from pipelines.contracts import VALID_PREFIX, lake_columns

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
ORG_INN_PATTERN = "^[0-9]{10}$"
SNILS_HASH_PATTERN = "^[0-9a-f]{64}$"  # a hash, never a raw СНИЛС, reaches the lake
CLASS_LABEL_PATTERN = "^(?:[1-9]|1[0-2])[А-ЯЁA-Z]{0,2}$"  # «5А», «11Б», «1»
# Type names GE observes for each lake type on the gate's engine (GE's SQL engine on DuckDB names
# SQL types, see ge_duckdb.DuckDBColumnTypes). Type-list rules are not in the committed suites: the
# Arrow types come from normalise.lake_schema, and a typo'd cell fails `field.type` there.
TYPE_LISTS = {name: [name] for name in ("VARCHAR", "BIGINT", "BOOLEAN", "DATE", "TIMESTAMP")}
# The per-file parameters, as columns the gate's relation carries beside each row (gate.py builds them).
EXPECTED_REGION = "_expected_region"
REGISTERED_PREFIX = "_registered_"
FILE_ROWS = "_file_rows"
MIN_ROWS = "_min_rows"
FILE_KEY = "_file_key"
FILE_COLUMN = "source_file"


def registry_fields(dataset_name: str) -> list[str]:
    """Fields checked against the organisation registry."""
    dataset = load_config().datasets[dataset_name]
    return [n for n, s in dataset.fields.items() if s.registry and s.pii is None]


def parameter_columns(dataset_name: str) -> list[str]:
    """The per-file columns of the gate's relation after the staged ones, in order."""
    dataset = load_config().datasets[dataset_name]
    columns = [FILE_KEY] if len(dataset.key) == 1 else []
    if any(s.type == "region" for s in dataset.fields.values()):
        columns.append(EXPECTED_REGION)
    columns += [REGISTERED_PREFIX + n for n in registry_fields(dataset_name)]
    return [*columns, FILE_ROWS, MIN_ROWS]


def gate_columns(dataset_name: str) -> list[str]:
    """Every column of the relation the gate validates, in order: lake, `_valid_*`, per-file."""
    dataset = load_config().datasets[dataset_name]
    columns = [c.name for c in lake_columns(dataset_name)]
    columns += [VALID_PREFIX + n for n, s in dataset.fields.items() if s.type == "inn" and s.pii is None]
    return columns + parameter_columns(dataset_name)


def expectation(kind: str, rule: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs, "meta": {"rule": rule}}


def suite_for(dataset_name: str) -> dict[str, Any]:
    """The suite of one dataset, as GE's JSON document."""
    config = load_config()
    dataset = config.datasets[dataset_name]
    expectations = _table_rules(dataset_name, dataset)
    for name, spec in dataset.fields.items():
        expectations += _field_rules(
            name, spec, config.gates.invalid_inn_tolerance, config.gates.foreign_inn_tolerance
        )
    return {
        "name": dataset_name,
        "expectations": expectations,
        "meta": {
            "generated_from": "orchestration.yaml (pipelines/checks/suites.py); do not edit by hand",
            "validates": "a dataset-week: every region's staged rows, per-file parameters as columns",
            "per_file_columns": {
                FILE_KEY: "source_file/key: the key, unique within its file",
                EXPECTED_REGION: "the partition's region of the row's file",
                f"{REGISTERED_PREFIX}<field>": "the ИНН is in the region-week's organisation registry "
                "(fgis_orgs); null without a registry: not evaluated",
                FILE_ROWS: "rows of the row's file",
                MIN_ROWS: "ceil(previous week's rows × gates.volume_drop_threshold) of its region",
            },
        },
        "notes": None,
    }


def _table_rules(dataset_name: str, dataset: Dataset) -> list[dict[str, Any]]:
    rules = [
        expectation(
            "expect_table_columns_to_match_ordered_list", "schema.columns",
            column_list=gate_columns(dataset_name),
        ),
        # the file's volume floor, on each of its rows (a failing file fails on all of them)
        expectation(
            "expect_column_pair_values_a_to_be_greater_than_b", "volume.drop",
            column_A=FILE_ROWS, column_B=MIN_ROWS, or_equal=True,
        ),
    ]  # fmt: skip
    if len(dataset.key) == 1:
        unique = expectation("expect_column_values_to_be_unique", "key.unique", column=FILE_KEY)
        rules.append(_reported_as(unique, dataset.key[0]))
    else:
        rules.append(
            expectation(
                "expect_compound_columns_to_be_unique", "key.unique", column_list=[FILE_COLUMN, *dataset.key]
            )
        )
    return rules


def _reported_as(rule: dict[str, Any], field: str) -> dict[str, Any]:
    """A rule over a per-file column, reported (finding, quarantine) under the field it checks."""
    rule["meta"]["field"] = field
    return rule


def _field_rules(
    name: str, spec: FieldSpec, invalid_tolerance: float, foreign_tolerance: float
) -> list[dict[str, Any]]:
    if spec.pii == "hash":
        return [
            expectation(
                "expect_column_values_to_match_regex",
                "pii.hashed",
                column=f"{name}_hash",
                regex=SNILS_HASH_PATTERN,
            )
        ]
    if spec.pii:
        return []
    rules = []
    if spec.required:
        rules.append(expectation("expect_column_values_to_not_be_null", "field.required", column=name))
    if spec.type == "enum":
        rules.append(
            expectation("expect_column_values_to_be_in_set", "field.enum", column=name, value_set=spec.values)
        )
    if spec.type == "region":
        rules.append(
            expectation(
                "expect_column_pair_values_to_be_equal", "field.region",
                column_A=name, column_B=EXPECTED_REGION, ignore_row_if="either_value_is_missing",
            )
        )  # fmt: skip
    if spec.type == "class_label":
        rules.append(
            expectation(
                "expect_column_values_to_match_regex", "field.pattern", column=name, regex=CLASS_LABEL_PATTERN
            )
        )
    if spec.pattern:
        rules.append(
            expectation(
                "expect_column_values_to_match_regex", "field.pattern", column=name, regex=spec.pattern
            )
        )
    if spec.min is not None:
        rules.append(
            expectation("expect_column_values_to_be_between", "field.min", column=name, min_value=spec.min)
        )
    if spec.type == "inn":
        rules.append(
            expectation(
                "expect_column_values_to_match_regex", "field.inn_format", column=name, regex=ORG_INN_PATTERN
            )
        )
        rules.append(
            expectation(
                "expect_column_values_to_be_in_set", "field.inn_checksum",
                column=VALID_PREFIX + name, value_set=[True], mostly=round(1 - invalid_tolerance, 6),
            )
        )  # fmt: skip
    if spec.registry:
        registered = expectation(
            "expect_column_values_to_be_in_set", "registry.foreign_inn",
            column=REGISTERED_PREFIX + name, value_set=[True], mostly=round(1 - foreign_tolerance, 6),
        )  # fmt: skip
        rules.append(_reported_as(registered, name))
    return rules


def _type_rules(dataset_name: str) -> list[dict[str, Any]]:
    return [
        expectation(
            "expect_column_values_to_be_in_type_list",
            "field.type",
            column=c.name,
            type_list=TYPE_LISTS[c.type],
        )
        for c in lake_columns(dataset_name)
    ]


def suite_path(dataset_name: str) -> Path:
    return EXPECTATIONS_DIR / f"{dataset_name}.json"


def render(suite: dict[str, Any]) -> str:
    return json.dumps(suite, ensure_ascii=False, indent=2) + "\n"


def write_suites() -> list[Path]:
    EXPECTATIONS_DIR.mkdir(exist_ok=True)
    written = []
    for name in load_config().datasets:
        suite_path(name).write_text(render(suite_for(name)), encoding="utf-8")
        written.append(suite_path(name))
    return written


def stale_suites() -> list[str]:
    """Datasets whose committed suite differs from what orchestration.yaml generates."""
    return [
        name
        for name in load_config().datasets
        if not suite_path(name).exists()
        or suite_path(name).read_text(encoding="utf-8") != render(suite_for(name))
    ]


def load_suite(dataset_name: str) -> dict[str, Any]:
    """The committed suite (what the gate runs)."""
    loaded: dict[str, Any] = json.loads(suite_path(dataset_name).read_text(encoding="utf-8"))
    return loaded
