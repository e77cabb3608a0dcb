"""Dagster: the dbt project as assets, partitioned by ISO week (STYLE.md 3, STACK.md).

Every dbt model is one asset; dbt tests are asset checks (blocking: a failed test fails the run,
so `serving_snapshot` downstream does not publish). A partition is a week label of the calendar in
orchestration.yaml, the same labels as the ingest's week dimension; a run over a range of weeks
is one dbt invocation (BackfillPolicy.single_run) with the range as edumon:min_week/max_week (the
run's scope, `split_run_scope`),
so the incremental marts rebuild exactly those weeks. dbt sources map to the ingest assets
(`ingest_{dataset}`, partitioned week × region): a week depends on every region's partition of it.
"""

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    MultiToSingleDimensionPartitionMapping,
    PartitionMapping,
    TimeWindowPartitionsDefinition,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets
from packaging import version

from pipelines.config import home_dir
from pipelines.faults import fault_point
from pipelines.home_lock import home_lock
from pipelines.ingest.assets import INVENTORY_KEY, ingest_key, week_of_key, week_partitions_def
from pipelines.transform.project import (
    DBT_PROJECT_DIR,
    current_manifest,
    dbt_executable,
    dbt_target_path,
    dbt_vars,
    home_environment,
    region_of_run,
    split_run_scope,
)

INGEST_WEEK_DIMENSION = "week"  # the ingest assets' MultiPartitionsDefinition dimension of weeks
# Every ingest asset appends to the load log; the landing inventory adds the missing and
# unrecognised deliveries, so the inventory stands for the whole log in the asset graph.
LOAD_LOG_ASSET = INVENTORY_KEY
DBT_GROUP = "marts"


def week_partitions() -> TimeWindowPartitionsDefinition:
    """The ingest assets' weeks (calendar.first_week up to the current week, as of each call)."""
    return week_partitions_def()


class EdumonDbtTranslator(DagsterDbtTranslator):
    """dbt sources are the ingest assets; a week of the marts needs that week of every region."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            dataset = dbt_resource_props.get("meta", {}).get("dagster_ingest_dataset")
            if dataset == "load_log":
                return LOAD_LOG_ASSET
            if dataset:
                return ingest_key(dataset)
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return DBT_GROUP

    def get_partition_mapping(
        self, dbt_resource_props: Mapping[str, Any], dbt_parent_resource_props: Mapping[str, Any]
    ) -> PartitionMapping | None:
        parent = dbt_parent_resource_props
        if parent["resource_type"] == "source" and parent.get("meta", {}).get(
            "dagster_ingest_dataset"
        ) not in (
            None,
            "load_log",
        ):
            return MultiToSingleDimensionPartitionMapping(partition_dimension_name=INGEST_WEEK_DIMENSION)
        return None


class EdumonDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, reading dbt's version from the installed dbt-core.

    The stock resource runs `dbt --version` as a subprocess at every invocation (6 s CPU, 25 s wall
    on a loaded machine: a fixed cost of every run); dbt here is always the dbt-core of this venv.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        from dbt.version import __version__ as dbt_core_version

        return version.parse(dbt_core_version)

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        """No dbt adapter in the Dagster process: the stock resource loads dbt's profile, project
        and macros here before every invocation (≈ 1 s of every downstream run, before dbt starts)
        for `fetch_row_counts` / `fetch_column_metadata`, which edumon does not call; the invocation
        runs without one (dagster-dbt's own fallback when that set-up fails)."""
        return None


def dbt_resource() -> DbtCliResource:
    return EdumonDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
        # No target here: the Definitions load before a command's environment is final (EDUMON_ENGINE
        # set by a test or a wrapper); profiles.yml takes EDUMON_DBT_TARGET, which each run sets below.
    )


@dbt_assets(
    manifest=current_manifest(),
    partitions_def=week_partitions(),
    backfill_policy=BackfillPolicy.single_run(),
    dagster_dbt_translator=EdumonDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
    ),
    pool="warehouse",  # DuckDB has one writer: runs that write warehouse.duckdb never overlap
)
def edumon_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """`dbt build` (models, then their data tests) for the partition range (and tagged region) of the run."""
    weeks = context.partition_key_range
    region = region_of_run(dict(context.run.tags))
    variables, scope = split_run_scope(
        dbt_vars(min_week=week_of_key(weeks.start), max_week=week_of_key(weeks.end), region=region)
    )
    # profiles.yml and the sources read the home's warehouse and lake from the environment, which
    # DbtCliResource hands to the dbt process; so does the run's scope (its weeks and region).
    os.environ.update(home_environment() | scope)
    # Unit tests are CI's (tests/test_dbt_build.py runs them over all weeks): their fixtures are fixed
    # weeks, so inside a production run over other weeks they would fail on rows the range filters out.
    arguments = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(variables)]
    with home_lock(home_dir(), "dbt build"):
        for event in dbt.cli(arguments, context=context, target_path=dbt_target_path()).stream():
            yield event
            fault_point("dbt")  # the crash tests' kill: the warehouse half rebuilt
