"""Dagster: the `rating_edition` asset, its job and the weekly schedule.

(No `from __future__ import annotations` here: Dagster reads the config class from the real annotation.)

The asset sits downstream of the publish asset `serving_snapshot` (pipelines/publish/): an
edition is only ever made from a published, gated snapshot. The schedule fires on Monday 06:00
Moscow (`schedules.weekly_run` in orchestration.yaml) for the week that just ended and skips a
week whose edition already exists. `edumon rating` launches the same job (pipelines.rating.commands).
"""

from datetime import datetime
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    Config,
    Definitions,
    Failure,
    MaterializeResult,
    MetadataValue,
    RunConfig,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    asset,
    define_asset_job,
    schedule,
)

from pipelines.config import home_dir, home_path, load_config
from pipelines.home_lock import busy_reason, home_lock
from pipelines.rating.edition import Edition, EditionExistsError, issue_edition, latest_edition
from pipelines.weeks import MOSCOW, last_complete_week

SERVING_SNAPSHOT = AssetKey("serving_snapshot")
RATING_ASSET = "rating_edition"
RATING_JOB = "rating_job"
WEEK_TAG = "edumon/week"


class RatingEditionConfig(Config):
    """Run configuration of the rating asset; empty strings mean the defaults."""

    week: str = ""  # ISO week label; empty: the last complete week in Moscow
    reissue: bool = False  # write the next version even if the week has an edition
    reason: str = ""  # why a re-issue is made (required with reissue)
    home: str = ""  # the working folder; empty: EDUMON_HOME or ./data


def rating_run_config(
    week: str, reissue: bool = False, reason: str = "", home: str = "", log_level: str | None = None
) -> RunConfig:
    config = RatingEditionConfig(week=week, reissue=reissue, reason=reason, home=home)
    loggers = {"console": {"config": {"log_level": log_level}}} if log_level else {}
    return RunConfig(ops={RATING_ASSET: config}, loggers=loggers)


def _edition_metadata(edition: Edition, status: str) -> dict[str, Any]:
    manifest = edition.read_manifest()
    return {
        "status": status,
        "edition": edition.name,
        "week": edition.week,
        "version": edition.version,
        "reason": manifest["reason"] or "",
        "outbox": MetadataValue.path(str(edition.outbox)),
        "manifest": MetadataValue.path(str(edition.manifest)),
        "serving_sha256": manifest["serving_snapshot"]["sha256"],
        "files": MetadataValue.json({f["name"]: f["sha256"] for f in manifest["files"]}),
    }


@asset(
    name=RATING_ASSET,
    deps=[SERVING_SNAPSHOT],
    group_name="rating",
    kinds={"xlsx", "csv", "json"},
    description="The ministry's weekly rating of regions: outbox/rating_{week}_v{n}.xlsx|.csv|.json "
    "with a manifest (protocol of 18.10.2022 p.11). Editions are immutable; a re-issue is v{n+1}.",
)
def rating_edition(context: AssetExecutionContext, config: RatingEditionConfig) -> MaterializeResult:
    week = config.week or last_complete_week()
    home = config.home or None
    try:
        with home_lock(home_dir(home), "rating"):  # reentrant inside `edumon run` / `edumon rating`
            edition = issue_edition(week, home, config.reissue, config.reason)
        status = "issued"
    except EditionExistsError as error:
        # A re-run of the week (say `edumon run` twice) keeps the edition the ministry already has.
        existing = latest_edition(home_path("outbox", home), week)
        if existing is None or not existing.manifest.is_file():
            raise Failure(description=str(error)) from error
        context.log.info(str(error))
        edition, status = existing, "kept (already issued)"
    context.log.info(f"{edition.name}: {status}")
    return MaterializeResult(metadata=_edition_metadata(edition, status))


rating_job = define_asset_job(
    RATING_JOB,
    selection=AssetSelection.assets(rating_edition),
    description="Issue the rating edition of one week from the published serving snapshot.",
    tags={"edumon/concern": "rating"},
)


def week_to_rate(moment: datetime | None) -> str:
    """The week a schedule tick at `moment` rates: the one that ended before it."""
    return last_complete_week(moment.astimezone(MOSCOW) if moment else None)


@schedule(
    name="weekly_rating_schedule",
    job=rating_job,
    cron_schedule=load_config().schedules.weekly_run.cron,
    execution_timezone=load_config().project.timezone,
    description="Monday 06:00 Moscow: the rating edition of the week that just ended.",
)
def weekly_rating_schedule(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
    week = week_to_rate(context.scheduled_execution_time)
    busy = busy_reason(home_dir())
    if busy:
        return SkipReason(busy)
    existing = latest_edition(home_path("outbox"), week)
    if existing is not None:
        return SkipReason(f"{existing.name} already issued; re-issue by hand: edumon rating --reissue")
    return RunRequest(run_key=f"rating-{week}", run_config=rating_run_config(week), tags={WEEK_TAG: week})


def rating_definitions() -> Definitions:
    """The rating's own definitions: what `edumon rating` executes, merged into pipelines.definitions."""
    return Definitions(assets=[rating_edition], jobs=[rating_job], schedules=[weekly_rating_schedule])
