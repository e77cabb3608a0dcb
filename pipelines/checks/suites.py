"""The Great Expectations suites, generated from the contracts in orchestration.yaml.

One suite per dataset in `expectations/{dataset}.json`, in GE's own suite format so a reviewer
reads it and GE loads it. Values that depend on the load are suite parameters (`$PARAMETER`):
`region` (the partition's region), `registry_inns` (organisation ИНН of the region-week from
fgis_orgs) and `min_rows` (the volume floor from the previous week). `edumon expectations
--check` and a test keep the committed files equal to what the configuration generates.
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
            "parameters": {
                "region": "[partition region]",
                "registry_inns": "organisation ИНН of the region-week (fgis_orgs)",
                "min_rows": "ceil(previous week's rows × gates.volume_drop_threshold)",
            },
        },
        "notes": None,
    }


def _table_rules(dataset_name: str, dataset: Dataset) -> list[dict[str, Any]]:
    columns = [c.name for c in lake_columns(dataset_name)]
    columns += [VALID_PREFIX + n for n, s in dataset.fields.items() if s.type == "inn" and s.pii is None]
    rules = [
        expectation("expect_table_columns_to_match_ordered_list", "schema.columns", column_list=columns),
        expectation(
            "expect_table_row_count_to_be_between", "volume.drop", min_value={"$PARAMETER": "min_rows"}
        ),
    ]
    if len(dataset.key) == 1:
        rules.append(expectation("expect_column_values_to_be_unique", "key.unique", column=dataset.key[0]))
    else:
        rules.append(
            expectation("expect_compound_columns_to_be_unique", "key.unique", column_list=dataset.key)
        )
    return rules


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
                "expect_column_values_to_be_in_set",
                "field.region",
                column=name,
                value_set={"$PARAMETER": "region"},
            )
        )
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
        rules.append(
            expectation(
                "expect_column_values_to_be_in_set", "registry.foreign_inn",
                column=name, value_set={"$PARAMETER": "registry_inns"},
                mostly=round(1 - foreign_tolerance, 6),
            )
        )  # fmt: skip
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
