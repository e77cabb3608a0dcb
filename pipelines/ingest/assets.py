"""Dagster: one ingest asset per dataset (a factory), partitioned week × region.

Each asset loads the files of its run's partitions through `load.load_files` (staged on
`ingest.workers` threads, one gate per dataset-week, before the lake) and reports the gate as a
BLOCKING asset check `gate`: on failure nothing downstream runs.
A run is either one region-week (the UI, the sensor) or a range of region-weeks (`edumon run`
loads a week's regions in one run: Dagster's per-run and per-step cost is then paid once per week,
not once per region); each partition's materialization carries its own gate metadata.
`landing_inventory` (unpartitioned) moves unrecognised files to quarantine and checks that every
expected delivery arrived by its deadline (the freshness check).
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from pipelines.checks import gate_worker
from pipelines.config import home_dir, load_config, region_codes
from pipelines.home import Home
from pipelines.home_lock import home_lock
from pipelines.ingest import freshness
from pipelines.ingest.files import LandingFile, landing_file_for
from pipelines.ingest.load import LoadOutcome, load_files
from pipelines.secrets import MissingSecret, snils_key
from pipelines.weeks import MOSCOW, shift_week, week_label, week_monday

GROUP = "ingest"
KEY_PREFIX = "lake"
GATE_CHECK = "gate"
INVENTORY_KEY = dg.AssetKey([KEY_PREFIX, "landing_inventory"])
# A week's Dagster partition key is its Monday (2026-W47 → 2026-11-16): Dagster reads time-window
# keys back with strptime, which cannot parse an ISO week label without a weekday.
WEEK_KEY_FORMAT = "%Y-%m-%d"


def week_partitions_def() -> dg.TimeWindowPartitionsDefinition:
    """Monday-to-Monday weeks (Moscow) from calendar.first_week, the week in progress included.

    A time window's end is computed whenever Dagster asks for the keys (the webserver, a sensor, a
    run), not when the code location loads: a location loaded last week lists this week too, with
    no restart. calendar.last_week caps it (its Monday + 7 days is the exclusive end).
    """
    calendar = load_config().calendar
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule="0 0 * * 1",
        start=datetime.combine(week_monday(calendar.first_week), time()),
        end=datetime.combine(week_monday(shift_week(calendar.last_week, 1)), time()),
        timezone=MOSCOW.key,
        fmt=WEEK_KEY_FORMAT,
        end_offset=1,  # the week in progress: a region may deliver before its Sunday
    )


def week_key(week: str) -> str:
    """The Dagster partition key of an ISO week label."""
    return week_monday(week).strftime(WEEK_KEY_FORMAT)


def week_of_key(key: str) -> str:
    """The ISO week label of a week partition key."""
    return week_label(date.fromisoformat(key))


PARTITIONS = dg.MultiPartitionsDefinition(
    {
        "week": week_partitions_def(),
        "region": dg.StaticPartitionsDefinition(region_codes()),
    }
)


class EdumonHome(dg.ConfigurableResource):
    """The home folder the runs work in; empty = EDUMON_HOME, else ./data."""

    home: str = ""

    def folders(self) -> Home:
        return Home(home_dir(self.home or None))

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["EdumonHome"]:
        """A run that loads into the home holds its lock for the whole run (pipelines/home_lock.py):
        a sensor's run under `edumon ui` and an `edumon run` never write the home together."""
        run_id = context.run.run_id if context.run else ""
        with home_lock(self.folders().root, f"Dagster run {run_id[:8]}"):
            yield self


def ingest_key(dataset: str) -> dg.AssetKey:
    return dg.AssetKey([KEY_PREFIX, dataset])


def partition_key(week: str, region: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"week": week_key(week), "region": region})


def _gate_metadata(outcome: LoadOutcome) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "file": outcome.file,
        "sha256": outcome.sha256,
        "status": outcome.status,
        "rows": outcome.rows if outcome.rows is not None else -1,
        "rule": outcome.rule or "",
        "findings": dg.MetadataValue.md(
            "\n".join(f"- {f.describe(outcome.file)}" for f in outcome.findings) or "none"
        ),
    }
    if outcome.report:
        metadata["data_docs"] = dg.MetadataValue.url(outcome.report)
    if outcome.quarantined_to:
        metadata["quarantine"] = dg.MetadataValue.path(outcome.quarantined_to)
    if outcome.notes:
        metadata["notes"] = "; ".join(outcome.notes)
    return metadata


def _phase_metadata(outcome: LoadOutcome) -> dict[str, float]:
    """Wall and CPU seconds of each load phase, on the partition's materialization only (so the
    benchmark's sum of `gate_wall_s` / `gate_cpu_s` counts every load once)."""
    return {
        f"{phase}_{kind}_s": round(seconds, 4)
        for phase, (wall, cpu) in outcome.phases.items()
        for kind, seconds in (("wall", wall), ("cpu", cpu))
    }


def split_partition_key(key: str) -> tuple[str, str]:
    """(week, region) of a partition key of PARTITIONS."""
    dimensions = PARTITIONS.get_partition_key_from_str(str(key)).keys_by_dimension
    return week_of_key(dimensions["week"]), dimensions["region"]


def _deliveries(dataset: str, keys: Sequence[str], home: Home) -> list[tuple[str, LandingFile]]:
    """The landing file of each partition of the run; fails before loading any if one is absent."""
    deliveries, absent = [], []
    for key in keys:
        week, region = split_partition_key(key)
        path = landing_file_for(home.landing, dataset, region, week)
        deliveries.append((key, LandingFile(path, dataset, region, week)))
        if not path.exists():
            absent.append(f"{path.name} ({week}|{region})")
    if absent:
        raise dg.Failure(f"no delivered file in {home.landing} for: " + ", ".join(absent))
    return deliveries


def _range_gate_metadata(outcomes: list[LoadOutcome]) -> dict[str, Any]:
    """The gate over a run of several region-weeks: counts, and every file that failed."""
    failed = [o for o in outcomes if not o.passed]
    return {
        "files": len(outcomes),
        "passed": len(outcomes) - len(failed),
        "rows": sum(o.rows or 0 for o in outcomes),
        "failed": dg.MetadataValue.md(
            "\n".join(f"- {o.file}: [{o.rule or ''}] {o.summary()[:300]}" for o in failed) or "none"
        ),
    }


def build_ingest_asset(dataset: str) -> dg.AssetsDefinition:
    key = ingest_key(dataset)

    @dg.asset(
        key=key,
        group_name=GROUP,
        partitions_def=PARTITIONS,
        kinds={"parquet"},
        description=f"{dataset}: delivered files parsed, PII removed, gated by expectations/{dataset}.json",
        check_specs=[
            dg.AssetCheckSpec(
                GATE_CHECK,
                asset=key,
                blocking=True,
                description="Great Expectations gate of the load; a failure quarantines the file",
            )
        ],
    )
    def ingest(context: AssetExecutionContext, edumon: EdumonHome) -> dg.MaterializeResult:
        home = edumon.folders()
        try:
            snils_key(home.root)  # outside a demo home no key, no ingest: refuse before any file is read
        except MissingSecret as error:
            raise dg.Failure(str(error)) from None
        deliveries = _deliveries(dataset, context.partition_keys, home)
        outcomes = load_files([delivered for _, delivered in deliveries], home)
        for (partition, _), outcome in zip(deliveries, outcomes, strict=True):
            (context.log.info if outcome.passed else context.log.error)(outcome.summary())
            context.add_asset_metadata(
                {**_gate_metadata(outcome), **_phase_metadata(outcome)}, partition_key=partition
            )
        gate_worker.publish_data_docs(home.docs, [o.validation_id for o in outcomes if o.validation_id])
        single = outcomes[0] if len(outcomes) == 1 else None
        return dg.MaterializeResult(
            # One region-week: its file's sha256; a range shares one version, so none is claimed.
            data_version=dg.DataVersion(single.sha256) if single else None,
            check_results=[
                dg.AssetCheckResult(
                    check_name=GATE_CHECK,
                    passed=all(o.passed for o in outcomes),
                    severity=dg.AssetCheckSeverity.ERROR,
                    metadata=_gate_metadata(single) if single else _range_gate_metadata(outcomes),
                )
            ],
        )

    return ingest


INGEST_ASSETS = [build_ingest_asset(name) for name in load_config().datasets]
INGEST_KEYS = [ingest_key(name) for name in load_config().datasets]


@dg.asset(
    key=INVENTORY_KEY,
    group_name=GROUP,
    description="Unrecognised landing files (moved to quarantine/_unrecognized) and missing deliveries",
    check_specs=[
        dg.AssetCheckSpec("no_unrecognized_files", asset=INVENTORY_KEY),
        dg.AssetCheckSpec(
            "delivered_by_deadline",
            asset=INVENTORY_KEY,
            description="Freshness: every deployed region's weekly files arrived by the delivery deadline",
        ),
    ],
)
def landing_inventory(context: AssetExecutionContext, edumon: EdumonHome) -> dg.MaterializeResult:
    home = edumon.folders()
    unrecognised = freshness.quarantine_unrecognized(home)
    missing = freshness.missing_deliveries(home)
    freshness.record_missing(home, missing)
    for item in unrecognised:
        context.log.warning(f"unrecognized {item.path.name}: [{item.rule}] {item.reason}")
    missing_text = [f"{m.dataset}_{m.region}_{m.week} (due {m.deadline:%Y-%m-%d %H:%M})" for m in missing]
    for text in missing_text:
        context.log.warning(f"missing {text}")
    return dg.MaterializeResult(
        metadata={"unrecognized": len(unrecognised), "missing": len(missing)},
        check_results=[
            dg.AssetCheckResult(
                check_name="no_unrecognized_files",
                passed=not unrecognised,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "files": dg.MetadataValue.md(
                        "\n".join(f"- {u.path.name}: {u.reason}" for u in unrecognised) or "none"
                    )
                },
            ),
            dg.AssetCheckResult(
                check_name="delivered_by_deadline",
                passed=not missing,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "missing": dg.MetadataValue.md("\n".join(f"- {t}" for t in missing_text) or "none")
                },
            ),
        ],
    )
