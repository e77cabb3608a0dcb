"""Dagster: `serving_snapshot`, the published copy of the marts (read by Superset and the rating).

It depends on every dbt model, whose tests run as blocking asset checks inside the dbt build: a
failed model or test fails that run before this asset starts, so the last good snapshot stays.
"""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from pipelines.config import home_dir
from pipelines.home_lock import home_lock
from pipelines.publish.serving import publish_home
from pipelines.transform.assets import DBT_GROUP, edumon_dbt_models

SERVING_SNAPSHOT = "serving_snapshot"


@asset(
    name=SERVING_SNAPSHOT,
    deps=[key for key in edumon_dbt_models.keys if key.path[-1].startswith(("mart_", "ref_"))],
    group_name=DBT_GROUP,
    kinds={"duckdb"},
    pool="warehouse",
    description="serving.duckdb: the marts and reference tables, swapped in atomically after dbt "
    "build and its tests passed (docs/architecture.md).",
)
def serving_snapshot(context: AssetExecutionContext) -> MaterializeResult:
    with home_lock(home_dir(), "publish"):  # reentrant inside `edumon run`, which holds it
        snapshot = publish_home()
    context.log.info(f"published {len(snapshot.tables)} tables to {snapshot.path}")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(snapshot.path)),
            "rows": MetadataValue.json(snapshot.tables),
            "weeks_rewritten": MetadataValue.json(snapshot.rewritten),
        }
    )
