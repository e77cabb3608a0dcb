"""Dagster: one ingest asset per dataset (a factory), partitioned week × region.

Each asset loads its partition's file through `load.load_file` (gate before the lake) and
reports the gate as a BLOCKING asset check `gate`: on failure nothing downstream of that
partition runs. `landing_inventory` (unpartitioned) moves unrecognised files to quarantine and
checks that every expected delivery arrived by its deadline (the freshness check).
"""

from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from pipelines.checks import freshness
from pipelines.config import home_dir, load_config, region_codes
from pipelines.ingest.files import LandingFile, calendar_weeks, landing_file_for
from pipelines.ingest.load import Home, LoadOutcome, load_file

GROUP = "ingest"
KEY_PREFIX = "lake"
GATE_CHECK = "gate"
INVENTORY_KEY = dg.AssetKey([KEY_PREFIX, "landing_inventory"])
PARTITIONS = dg.MultiPartitionsDefinition(
    {
        "week": dg.StaticPartitionsDefinition(calendar_weeks()),
        "region": dg.StaticPartitionsDefinition(region_codes()),
    }
)


class EdumonHome(dg.ConfigurableResource):
    """The home folder the runs work in; empty = EDUMON_HOME, else ./data."""

    home: str = ""

    def folders(self) -> Home:
        return Home(home_dir(self.home or None))


def ingest_key(dataset: str) -> dg.AssetKey:
    return dg.AssetKey([KEY_PREFIX, dataset])


def partition_key(week: str, region: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"week": week, "region": region})


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
        keys = context.partition_key.keys_by_dimension
        week, region = keys["week"], keys["region"]
        home = edumon.folders()
        path = landing_file_for(home.landing, dataset, region, week)
        if not path.exists():
            raise dg.Failure(f"no delivered file {path.name} in {home.landing} for partition {week}|{region}")
        outcome = load_file(LandingFile(path, dataset, region, week), home)
        log = context.log.info if outcome.passed else context.log.error
        log(outcome.summary())
        metadata = _gate_metadata(outcome)
        return dg.MaterializeResult(
            metadata=metadata,
            data_version=dg.DataVersion(outcome.sha256),
            check_results=[
                dg.AssetCheckResult(
                    check_name=GATE_CHECK,
                    passed=outcome.passed,
                    severity=dg.AssetCheckSeverity.ERROR,
                    metadata=metadata,
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
