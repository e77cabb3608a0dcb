"""The Dagster Definitions of edumon: `dagster dev -m pipelines.definitions`, `edumon ui`.

Each stage adds its assets, checks, jobs, schedules and sensors to the lists below with a
one-line edit. `edumon run` materialises, after ingest, every asset of these Definitions that
lies downstream of the ingest assets (see pipelines/orchestration_commands.py).
"""

from __future__ import annotations

import dagster as dg

from pipelines.ingest.assets import INGEST_ASSETS, EdumonHome, landing_inventory
from pipelines.ingest.automation import ingest_job, inventory_job, landing_sensor, weekly_schedule

assets: list[dg.AssetsDefinition] = [*INGEST_ASSETS, landing_inventory]
asset_checks: list[dg.AssetChecksDefinition] = []
jobs: list[dg.UnresolvedAssetJobDefinition] = [ingest_job, inventory_job]
schedules: list[dg.ScheduleDefinition] = [weekly_schedule]
sensors: list[dg.SensorDefinition] = [landing_sensor]
resources: dict[str, object] = {"edumon": EdumonHome()}

defs = dg.Definitions(
    assets=assets,
    asset_checks=asset_checks,
    jobs=jobs,
    schedules=schedules,
    sensors=sensors,
    resources=resources,
)
