"""Issue 13's levers change how fast the marts are computed, never what they hold.

`demo_home` (conftest: 3 weeks × 4 regions after a real `edumon run`) is built the way a run builds
now: Dagster's dbt step with the run's weeks and region as its scope (EDUMON_RUN_SCOPE, read when
nodes execute, so dbt's partial parsing holds) and the serving snapshot published week by week.
The reference is the path those levers replaced: one `dbt build --full-refresh` of the same lake
with the scope in --vars (as every run passed it before) and every mart read from the warehouse
itself. Every published mart must equal the reference row for row.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest
from test_dbt_build import MARTS

from pipelines.config import home_path
from pipelines.transform.project import (
    DBT_PROJECT_DIR,
    RUN_SCOPE_ENV,
    dbt_env,
    dbt_executable,
    dbt_target_path,
    dbt_vars,
)


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    return sorted(con.execute(f"select * from {table}").fetchall(), key=repr)


@pytest.fixture(scope="module")
def reference_warehouse(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A full build of the demo's lake and load log, the run's scope passed as --vars."""
    home = tmp_path_factory.mktemp("marts_reference")
    (home / "lake").symlink_to(demo_home / "lake", target_is_directory=True)
    artifacts = str(dbt_target_path(home))
    env = dbt_env(home) | {"DBT_TARGET_PATH": artifacts, "DBT_LOG_PATH": artifacts}
    assert RUN_SCOPE_ENV not in env  # the macros read the vars, as before the lever
    build = ["build", "--full-refresh", "--exclude-resource-type", "unit_test"]
    result = subprocess.run(
        [dbt_executable(), *build, "--vars", json.dumps(dbt_vars())],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return home / "warehouse.duckdb"


def test_published_demo_marts_equal_the_reference_row_for_row(
    demo_home: Path, reference_warehouse: Path
) -> None:
    """Every mart `edumon run` published for the demo equals the reference build, row for row.

    Matters for every performance change (issue 13: nothing changes in what is computed). On
    failure: the named mart differs; diff its rows between the demo home's serving.duckdb and this
    test's warehouse, then look at the run scope (macros/run_scope.sql) or the per-week publish
    (pipelines/publish/serving.py)."""
    with (
        duckdb.connect(str(home_path("serving", demo_home)), read_only=True) as published,
        duckdb.connect(str(reference_warehouse), read_only=True) as reference,
    ):
        for mart in MARTS:
            expected = _rows(reference, f"marts.{mart}")
            assert expected, f"{mart}: the reference build is empty, the comparison would prove nothing"
            assert _rows(published, f"main.{mart}") == expected, mart
