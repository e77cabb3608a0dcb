"""How `edumon run` shapes its Dagster runs: batches of region-weeks over partition ranges."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from pipelines.config import region_codes
from pipelines.downstream import downstream_tags
from pipelines.home import Home
from pipelines.ingest import load_log
from pipelines.ingest.assets import GATE_CHECK, ingest_key, partition_key
from pipelines.ingest.batching import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    IngestRun,
    plan_ingest_runs,
)
from pipelines.ingest.files import scan_landing
from pipelines.ingest.lake import partition_path
from pipelines.orchestration.delivery import deliver
from pipelines.orchestration.instance import prepare_instance
from pipelines.orchestration.runs import ingest_job_def, run_ingest

REGION = "RU-KB"
DATASETS = ("fgis_orgs", "sferum_orgs")  # two small datasets keep the runs short


def _neighbours() -> tuple[str, str, str]:
    codes = region_codes()
    return codes[0], codes[1], codes[2]


def test_plan_batches_neighbouring_regions_of_a_week() -> None:
    """A week's regions that are neighbours in the partition order and delivered the same datasets
    load in ONE run; a gap in the order, another dataset set or another week starts a new run.
    Matters: Dagster's cost is per run and per step, so 89 regions in one run instead of 89 runs
    is most of the fixed overhead of a national week. Resolve: plan_ingest_runs in
    pipelines/ingest/batching.py (a run's partition range must hold exactly its partitions)."""
    first, second, third = _neighbours()
    far = region_codes()[10]
    all_nine = ["cc_requests", "fgis_orgs"]
    plan = plan_ingest_runs(
        {
            ("2026-W47", second): all_nine,
            ("2026-W47", first): list(reversed(all_nine)),
            ("2026-W47", far): all_nine,
            ("2026-W47", third): ["fgis_orgs"],
            ("2026-W46", first): all_nine,
        }
    )
    assert plan == [
        IngestRun("2026-W46", (first,), ("cc_requests", "fgis_orgs")),
        IngestRun("2026-W47", (first, second), ("cc_requests", "fgis_orgs")),
        IngestRun("2026-W47", (third,), ("fgis_orgs",)),
        IngestRun("2026-W47", (far,), ("cc_requests", "fgis_orgs")),
    ]


def test_one_region_week_keeps_the_partition_tags() -> None:
    """A batch of one region-week is tagged exactly as a UI launch of that partition
    (dagster/partition and its dimensions); a batch of several carries a partition range.
    Matters: the UI's partition view and `edumon status` find a region-week's run by these tags.
    Resolve: IngestRun.tags."""
    first, second, _ = _neighbours()
    job = ingest_job_def()
    single = IngestRun("2026-W47", (first,), DATASETS).tags(job)
    assert single["dagster/partition"] == str(partition_key("2026-W47", first))
    assert single["dagster/partition/region"] == first
    batch = IngestRun("2026-W47", (first, second), DATASETS).tags(job)
    assert batch == {
        ASSET_PARTITION_RANGE_START_TAG: str(partition_key("2026-W47", first)),
        ASSET_PARTITION_RANGE_END_TAG: str(partition_key("2026-W47", second)),
    }


@pytest.fixture(scope="module")
def region_home(tmp_path_factory: pytest.TempPathFactory, demo_landing: Path) -> Path:
    """A fresh home whose landing holds RU-KB's demo files of two datasets, every week."""
    home = tmp_path_factory.mktemp("orchestration") / "home"
    (home / "landing").mkdir(parents=True)
    for item in scan_landing(demo_landing)[0]:
        if item.region == REGION and item.dataset in DATASETS:
            shutil.copy2(item.path, home / "landing" / item.name)
    return home


def test_a_range_run_records_every_partition_with_its_own_gate(region_home: Path) -> None:
    """One run over a partition range (two weeks of RU-KB) loads each partition's file, and each
    partition's materialization names its own file, sha256 and gate time; the gate check passes.
    Matters: a batch must leave the same trace per region-week as a run per region-week (the UI's
    partition page, the load log). Resolve: the ingest asset in pipelines/ingest/assets.py
    (context.partition_keys, add_asset_metadata per partition)."""
    weeks = sorted({item.week for item in scan_landing(region_home / "landing")[0]})[-2:]
    instance = prepare_instance(region_home)
    result = dg.execute_job(
        dg.reconstructable(ingest_job_def),
        instance=instance,
        run_config={"resources": {"edumon": {"config": {"home": str(region_home)}}}},
        tags={
            ASSET_PARTITION_RANGE_START_TAG: str(partition_key(weeks[0], REGION)),
            ASSET_PARTITION_RANGE_END_TAG: str(partition_key(weeks[1], REGION)),
        },
        asset_selection=[ingest_key(d) for d in DATASETS],
    )
    assert result.success
    for dataset in DATASETS:
        for week in weeks:
            key = str(partition_key(week, REGION))
            records = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=ingest_key(dataset), asset_partitions=[key]), limit=1
            ).records
            assert records, f"{dataset} {key} not materialized"
            metadata = records[0].asset_materialization.metadata
            entries = load_log.read_entries(region_home / "lake")
            entry = load_log.accepted_state(entries, dataset, REGION, week)
            assert entry is not None and entry.status == "loaded"
            assert metadata["file"].value == entry.source_file
            assert metadata["sha256"].value == entry.sha256
            assert metadata["gate_cpu_s"].value >= 0  # benchmarks/national.py sums the gate's time
            assert partition_path(region_home / "lake", dataset, REGION, week).exists()
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(ingest_key(dataset), GATE_CHECK)]
        )
        record = check[dg.AssetCheckKey(ingest_key(dataset), GATE_CHECK)]
        assert record.event is not None and record.event.dagster_event is not None
        assert record.event.dagster_event.event_specific_data.passed


def test_a_batch_with_an_undelivered_partition_loads_nothing(region_home: Path) -> None:
    """A run whose range holds a region-week without a delivered file fails before it loads
    anything (no load-log entry, no lake partition). Matters: a range run must never mark an
    undelivered partition as materialized, nor half-load a batch. Resolve: _deliveries in
    pipelines/ingest/assets.py."""
    week = sorted({item.week for item in scan_landing(region_home / "landing")[0]})[0]
    codes = region_codes()
    neighbour = codes[codes.index(REGION) + 1]
    before = len(load_log.read_entries(region_home / "lake"))
    batch = IngestRun(week, (REGION, neighbour), DATASETS)
    assert not run_ingest(prepare_instance(region_home), region_home, batch)
    assert len(load_log.read_entries(region_home / "lake")) == before
    assert not partition_path(region_home / "lake", DATASETS[0], neighbour, week).exists()


def test_a_region_backfill_tags_the_downstream_run_with_its_region() -> None:
    """`edumon backfill --region R` runs the downstream with the region tag dbt reads
    (pipelines.transform.project.REGION_TAG), over the touched weeks; `edumon run` carries none.
    Matters: the RU-MOW region-week backfill rebuilds one region's rows, not the country's week
    (issue 7: ≤ 20 s). Resolve: downstream_tags in pipelines/downstream.py and
    region_of_run in pipelines/transform/project.py must agree on the tag."""
    from pipelines.transform.project import REGION_TAG, region_of_run

    tags = downstream_tags(["2026-W46", "2026-W47"], "RU-MOW")
    assert region_of_run(tags) == "RU-MOW"
    assert tags[REGION_TAG] == "RU-MOW"
    assert (tags[ASSET_PARTITION_RANGE_START_TAG], tags[ASSET_PARTITION_RANGE_END_TAG]) == (
        "2026-11-09",  # the Mondays of 2026-W46 and 2026-W47: the dbt assets' week keys
        "2026-11-16",
    )
    assert tags["edumon/writes-warehouse"] == "true"
    assert region_of_run(downstream_tags(["2026-W47"], None)) is None


def test_deliver_links_new_files_and_replaces_changed_ones(tmp_path: Path) -> None:
    """`edumon run --landing` puts each delivered file into the home's landing/ once: a hard link on
    the same file system (no 11 GB copy for a national week), an unchanged file is left alone, a
    changed one replaces the old. Matters: the benchmark and the demo deliver this way. Resolve:
    deliver in pipelines/orchestration/delivery.py."""
    source = tmp_path / "delivery"
    source.mkdir()
    (source / "a.csv").write_text("x\n1\n", encoding="utf-8")
    (source / ".hidden").write_text("reported", encoding="utf-8")
    home = Home(tmp_path / "home")

    assert deliver(source, home) == 2
    landed = home.landing / "a.csv"
    assert landed.samefile(source / "a.csv")
    assert (home.landing / ".hidden").exists(), "a hidden file is delivered, so the scan reports it"
    assert deliver(source, home) == 0  # unchanged

    (source / "a.csv").unlink()
    (source / "a.csv").write_text("x\n2\n", encoding="utf-8")  # a new file under the same name
    assert deliver(source, home) == 1
    assert landed.read_text(encoding="utf-8") == "x\n2\n"
