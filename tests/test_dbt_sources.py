"""The dbt sources declare exactly the lake schema, and the dbt vars come from orchestration.yaml only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipelines.config import load_config
from pipelines.contracts import lake_columns
from pipelines.transform.project import DBT_PROJECT_DIR, dbt_vars


def _declared_sources() -> dict[str, list[tuple[str, str]]]:
    tables: dict[str, list[tuple[str, str]]] = {}
    for path in Path(DBT_PROJECT_DIR / "models" / "staging").glob("*/_*__sources.yml"):
        for source in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]:
            for table in source["tables"]:
                tables[table["name"]] = [(c["name"], c["data_type"].upper()) for c in table["columns"]]
    return tables


@pytest.mark.parametrize("dataset", list(load_config().datasets))
def test_source_columns_equal_lake_columns(dataset: str) -> None:
    """Each dataset's dbt source lists exactly lake_columns(dataset), in order and with types.

    Matters whenever a contract field changes in orchestration.yaml: ingest writes the new lake
    schema and dbt must read it. On failure: regenerate the source yml of the dataset's system
    from pipelines.contracts.lake_columns (column names, data_type) and adapt the staging model.
    """
    declared = _declared_sources()
    assert dataset in declared, f"no dbt source table for {dataset}"
    assert declared[dataset] == [(c.name, c.type) for c in lake_columns(dataset)]


def test_dbt_vars_are_defined_once() -> None:
    """dbt_project.yml defines no `edumon:` var, and every var a model or macro reads is passed by dbt_vars().

    Matters because a threshold copied into dbt_project.yml drifts from orchestration.yaml (one
    threshold, one value). On failure: delete the var from dbt_project.yml, or add the missing one to
    orchestration.yaml and pipelines/transform/project.py::dbt_vars.
    """
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert "vars" not in project
    read: set[str] = set()
    for folder in ("models", "macros", "tests"):
        for path in (DBT_PROJECT_DIR / folder).rglob("*.sql"):
            read |= set(re.findall(r"var\(\s*['\"](edumon:[a-z_]+)['\"]", path.read_text(encoding="utf-8")))
    assert read, "no edumon: var found in the models: the pattern is stale"
    assert read <= set(dbt_vars()), sorted(read - set(dbt_vars()))


def test_required_profile_fields_are_profile_fields() -> None:
    """Every C1 required field has a present_<field> column in stg_gis__students.

    Matters when orchestration.yaml thresholds.required_profile_fields grows: dbt stops the build
    with a compile error otherwise. On failure: add the field's present_ column to
    stg_gis__students.sql and to macros/profile_fields.sql.
    """
    staging = (DBT_PROJECT_DIR / "models" / "staging" / "gis" / "stg_gis__students.sql").read_text()
    for field in [f for entry in load_config().thresholds.required_profile_fields for f in entry.split("|")]:
        assert f"as present_{field}" in staging, field


def test_sqlfluff_lints_the_models() -> None:
    """`sqlfluff lint dbt_project/models` passes with the repository's .sqlfluff (DuckDB, jinja).

    Matters for every SQL change: one style across models, and templating errors surface early.
    On failure: run `uv run sqlfluff lint dbt_project/models` and fix (or `sqlfluff fix`) the lines.
    """
    import subprocess
    import sys

    root = DBT_PROJECT_DIR.parent
    sqlfluff = Path(sys.executable).with_name("sqlfluff")
    result = subprocess.run(
        [str(sqlfluff), "lint", "dbt_project/models"], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:]
