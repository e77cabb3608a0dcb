"""Dagster: `superset_refresh`, downstream of the publish asset `serving_snapshot`.

(No `from __future__ import annotations` here: Dagster reads the config class from the real annotation.)

Dashboards only ever read the published, gated snapshot; this asset runs after each publish. If
Superset is up it re-reads the datasets' column metadata and warms every bundle chart's cache, so
the first analyst to open a dashboard sees the new week at once. If Superset is not running the
asset succeeds and reports `skipped`: the dashboards read the new file when it starts.
"""

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset

from pipelines.dashboards.deploy import refresh

SERVING_SNAPSHOT = AssetKey("serving_snapshot")
SUPERSET_REFRESH = "superset_refresh"


class SupersetRefreshConfig(Config):
    home: str = ""  # the working folder; empty: EDUMON_HOME or ./data


@asset(
    name=SUPERSET_REFRESH,
    deps=[SERVING_SNAPSHOT],
    group_name="dashboards",
    kinds={"superset"},
    description="Superset: dataset metadata re-read and chart caches warmed from the new serving snapshot "
    "(skipped when Superset is not running).",
)
def superset_refresh(context: AssetExecutionContext, config: SupersetRefreshConfig) -> MaterializeResult:
    report = refresh(config.home or None)
    if report.status == "skipped":
        context.log.info(f"Superset refresh skipped: {report.reason}")
    else:
        context.log.info(f"refreshed {report.datasets} datasets, warmed {report.charts} charts")
    for chart_id, error in report.chart_errors.items():
        context.log.warning(f"chart {chart_id} failed to warm: {error}")
    return MaterializeResult(
        metadata={
            "status": report.status,
            "reason": report.reason,
            "datasets_refreshed": report.datasets,
            "charts_warmed": report.charts,
            "chart_errors": MetadataValue.json({str(k): v for k, v in report.chart_errors.items()}),
        }
    )


DASHBOARD_ASSETS = [superset_refresh]
