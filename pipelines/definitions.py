"""The Dagster Definitions of edumon: `dagster dev -m pipelines.definitions`, `edumon ui`.

Each stage adds its assets, checks, jobs, schedules and sensors to the lists below with a
one-line edit. `edumon run` materialises, after ingest, every asset of these Definitions that
lies downstream of the ingest assets (job `after_ingest`, pipelines/downstream.py).
"""

from __future__ import annotations

import dagster as dg

from pipelines.dashboards.assets import DASHBOARD_ASSETS
from pipelines.downstream import after_ingest_job, after_ingest_sensor, weekly_job, weekly_schedule
from pipelines.ingest.assets import INGEST_ASSETS, EdumonHome, landing_inventory
from pipelines.ingest.automation import ingest_job, inventory_job, landing_sensor
from pipelines.publish.assets import serving_snapshot
from pipelines.rating.assets import rating_edition, rating_job
from pipelines.run_log import LOGGERS
from pipelines.transform.assets import dbt_resource, edumon_dbt_models

assets: list[dg.AssetsDefinition] = [
    *INGEST_ASSETS,
    landing_inventory,
    edumon_dbt_models,
    serving_snapshot,
    rating_edition,
    *DASHBOARD_ASSETS,
]
asset_checks: list[dg.AssetChecksDefinition] = []
jobs: list[dg.UnresolvedAssetJobDefinition] = [
    ingest_job,
    inventory_job,
    after_ingest_job,
    weekly_job,
    rating_job,
]
# One Monday schedule (the week that ended: inventory, marts, rating, dashboards); the rating's own
# schedule stays with `edumon rating` (rating_definitions), not here.
schedules: list[dg.ScheduleDefinition] = [weekly_schedule]
sensors: list[dg.SensorDefinition] = [landing_sensor, after_ingest_sensor]
resources: dict[str, object] = {"edumon": EdumonHome(), "dbt": dbt_resource()}

defs = dg.Definitions(
    assets=assets,
    asset_checks=asset_checks,
    jobs=jobs,
    schedules=schedules,
    sensors=sensors,
    resources=resources,
    loggers=LOGGERS,
)
