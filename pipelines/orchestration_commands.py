"""`edumon run | backfill | status | ui | expectations`: real Dagster runs in the home's instance.

Runs are executed with `execute_job` against the job of `pipelines.definitions` and the
persistent instance in `{home}/dagster` (DAGSTER_HOME), so each shows in the UI's run history.
Every run executes in this process (in-process executor: the definitions are imported once per
command, not once per step), and ingest is one run per batch of region-weeks (`plan_ingest_runs`):
a week's regions that are neighbours in the partition order and delivered the same datasets load in
one run over a partition range, since Dagster's cost is per run and per step, not per partition.

Extension point for the later stages: after ingest, `edumon run` materialises every asset of
the Definitions downstream of the ingest assets (dbt → publish → rating → dashboards) through the
job `after_ingest`, which exists as soon as any such asset is registered in definitions.py.
Unpartitioned downstream assets run once; week-partitioned ones once per touched week;
week × region ones once per touched partition.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.config import home_dir, load_config, region_codes
from pipelines.ingest import load_log
from pipelines.ingest.files import LandingFile, scan_landing, stat_signature
from pipelines.ingest.lake import partition_path
from pipelines.ingest.load import Home
from pipelines.weeks import week_range

DAGSTER_YAML = """\
# Written by `edumon` (pipelines/orchestration_commands.py). Runs that write the warehouse
# (tag edumon/writes-warehouse=true) never run concurrently: DuckDB has one writer (STACK.md).
concurrency:
  runs:
    max_concurrent_runs: 2
    tag_concurrency_limits:
      - key: "edumon/writes-warehouse"
        value: "true"
        limit: 1
telemetry:
  enabled: false
"""
DOWNSTREAM_JOB = "after_ingest"
COMMAND_TAG = "edumon/command"
WEEK_TAG = "edumon/week"
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
_RESOLVED: dict[str, Any] = {}


def prepare_instance(home: Path) -> Any:
    """The persistent Dagster instance of a home (writes dagster.yaml on first use)."""
    from dagster import DagsterInstance

    dagster_home = home / load_config().paths.dagster_home
    dagster_home.mkdir(parents=True, exist_ok=True)
    config_file = dagster_home / "dagster.yaml"
    if not config_file.exists() or config_file.read_text(encoding="utf-8") != DAGSTER_YAML:
        config_file.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    os.environ["EDUMON_HOME"] = str(home)
    return DagsterInstance.get()


def ingest_job_def() -> Any:
    from pipelines.definitions import defs

    return defs.resolve_job_def("ingest")


def inventory_job_def() -> Any:
    from pipelines.definitions import defs

    return defs.resolve_job_def("landing_inventory")


def downstream_job_def() -> Any:
    """All assets downstream of ingest, as one job (None while no stage registered any)."""
    if DOWNSTREAM_JOB not in _RESOLVED:  # resolved once per process, not once per call
        _RESOLVED[DOWNSTREAM_JOB] = _resolve_downstream_job()
    return _RESOLVED[DOWNSTREAM_JOB]


def _resolve_downstream_job() -> Any:
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.ingest.assets import INGEST_KEYS, INVENTORY_KEY

    graph = defs.resolve_asset_graph()
    sources = dg.AssetSelection.assets(*INGEST_KEYS, INVENTORY_KEY)
    # Everything after ingest, plus what those stages read that no ingest feeds (dbt seeds, the
    # week calendar model): the downstream's whole upstream, minus ingest itself.
    after_ingest = sources.downstream(include_self=False)
    downstream = (after_ingest.upstream() - sources.upstream()).resolve(graph)
    if not downstream:
        return None
    job = dg.define_asset_job(
        DOWNSTREAM_JOB, selection=dg.AssetSelection.assets(*downstream), executor_def=dg.in_process_executor
    )
    return dg.Definitions(
        assets=defs.assets, asset_checks=defs.asset_checks, resources=defs.resources, jobs=[job]
    ).resolve_job_def(DOWNSTREAM_JOB)


def _run_config(home: Path) -> dict[str, Any]:
    return {"resources": {"edumon": {"config": {"home": str(home)}}}}


@dataclass(frozen=True)
class IngestRun:
    """Region-weeks loaded by one Dagster run: one week, regions adjacent in the partition order
    (so the run's partition range holds exactly them) that delivered the same datasets."""

    week: str
    regions: tuple[str, ...]
    datasets: tuple[str, ...]

    def tags(self, job: Any) -> dict[str, str]:
        """One region: the partition's tags (as the UI sets them); several: a partition range."""
        from pipelines.ingest.assets import partition_key

        first, last = partition_key(self.week, self.regions[0]), partition_key(self.week, self.regions[-1])
        if first == last:
            return dict(job.get_tags_for_partition_key(first, None))
        return {ASSET_PARTITION_RANGE_START_TAG: str(first), ASSET_PARTITION_RANGE_END_TAG: str(last)}


def plan_ingest_runs(by_partition: dict[tuple[str, str], list[str]]) -> list[IngestRun]:
    """The fewest runs whose partition ranges cover exactly the delivered region-weeks."""
    order = {code: index for index, code in enumerate(region_codes())}
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (week, region), datasets in by_partition.items():
        groups.setdefault((week, tuple(sorted(set(datasets)))), []).append(region)
    runs: list[IngestRun] = []
    for (week, delivered), regions in groups.items():
        block: list[str] = []
        for region in sorted(regions, key=order.__getitem__):
            if block and order[region] != order[block[-1]] + 1:
                runs.append(IngestRun(week, tuple(block), delivered))
                block = []
            block.append(region)
        runs.append(IngestRun(week, tuple(block), delivered))
    return sorted(runs, key=lambda run: (run.week, order[run.regions[0]]))


def run_ingest(instance: Any, home: Path, run: IngestRun) -> bool:
    import dagster as dg

    from pipelines.ingest.assets import ingest_key

    result = dg.execute_job(
        dg.reconstructable(ingest_job_def),
        instance=instance,
        run_config=_run_config(home),
        tags={**run.tags(ingest_job_def()), COMMAND_TAG: "run", WEEK_TAG: run.week},
        asset_selection=[ingest_key(d) for d in run.datasets],
    )
    return bool(result.success)


def run_inventory(instance: Any, home: Path) -> bool:
    import dagster as dg

    result = dg.execute_job(
        dg.reconstructable(inventory_job_def), instance=instance, run_config=_run_config(home)
    )
    return bool(result.success)


def rating_week(weeks: list[str]) -> str:
    """The week the run rates: the latest touched week that has ended (else the latest touched)."""
    from pipelines.weeks import last_complete_week

    ended = [week for week in weeks if week <= last_complete_week()]
    return max(ended or weeks)


def downstream_tags(weeks: list[str], region: str | None) -> dict[str, str]:
    """The downstream run's tags: the week range for dbt, the warehouse writer lock, the region."""
    from pipelines.ingest.automation import WRITES_WAREHOUSE_TAG
    from pipelines.transform.project import REGION_TAG

    return {
        WRITES_WAREHOUSE_TAG: "true",
        ASSET_PARTITION_RANGE_START_TAG: weeks[0],
        ASSET_PARTITION_RANGE_END_TAG: weeks[-1],
        **({REGION_TAG: region} if region else {}),
    }


def run_downstream(
    instance: Any, home: Path, partitions: set[tuple[str, str]], region: str | None = None
) -> list[str]:
    """Materialise the downstream stages (dbt → publish → rating → dashboards) in ONE run.

    The week-partitioned dbt assets get the range of touched weeks (single-run backfill policy,
    so dbt builds once); the unpartitioned publish, rating and refresh assets run once after it.
    `region` (a one-region backfill) tags the run so dbt rebuilds only that region's rows.
    """
    import dagster as dg

    from pipelines.rating.assets import RATING_ASSET

    job = downstream_job_def()
    if job is None or not partitions:
        return []
    weeks = sorted({week for week, _ in partitions})
    tags = downstream_tags(weeks, region)
    run_config = {
        **_run_config(home),
        "ops": {RATING_ASSET: {"config": {"week": rating_week(weeks), "home": str(home)}}},
    }
    result = dg.execute_job(
        dg.reconstructable(downstream_job_def), instance=instance, run_config=run_config, tags=tags
    )
    status = "success" if result.success else "FAILED"
    return [f"{DOWNSTREAM_JOB} {weeks[0]}..{weeks[-1]}: {status} (run {result.run_id})"]


def deliver(landing_from: Path, home: Home) -> int:
    """Put files from another landing folder into the home's landing/ (as a delivery would).

    A hard link where both folders share a file system (a national week is 11 GB: copying it
    took minutes of a run that is about the files' contents), else a copy. The ingest moves a
    rejected file out of landing/, which unlinks only the home's name.
    """
    import filecmp
    import shutil

    home.landing.mkdir(parents=True, exist_ok=True)
    delivered = 0
    for path in sorted(landing_from.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        target = home.landing / path.name
        if target.exists() and (target.samefile(path) or filecmp.cmp(target, path, shallow=False)):
            continue
        target.unlink(missing_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
        delivered += 1
    return delivered


CHANGING_STATUSES = ("loaded", "replaced", "rejected", "missing")


def changed_partitions(entries: list[load_log.LoadEntry]) -> set[tuple[str, str]]:
    """Region-weeks whose state this run changed: only these need the marts rebuilt."""
    return {
        (entry.week, entry.region)
        for entry in entries
        if entry.status in CHANGING_STATUSES and entry.week and entry.region
    }


def ingest_everything(
    home_root: Path,
    weeks: set[str] | None = None,
    region: str | None = None,
    downstream: str = "changed",
    recheck: bool = False,
) -> dict[str, Any]:
    """Ingest runs over the region-weeks with files in landing, then inventory, then downstream.

    `downstream`: "changed" rebuilds the weeks whose loads changed (a re-run over the same files
    leaves the marts as they are), "all" every touched week (a backfill), "none" stops after ingest.
    A file settled in the lake and untouched since (same stat signature) is not read again unless
    `recheck` (a backfill re-hashes its files): landing keeps every week, and re-hashing a year
    of national weeks (≈ 11 GB each) on every run would make week 52 the slowest.
    """
    home = Home(home_root)
    instance = prepare_instance(home_root)
    entries_before = load_log.read_entries(home.lake)
    settled = {} if recheck else load_log.settled_files(entries_before)
    recognised, _ = scan_landing(home.landing)
    by_partition: dict[tuple[str, str], list[str]] = {}
    skipped = 0
    for item in recognised:
        if (weeks is not None and item.week not in weeks) or (region is not None and item.region != region):
            continue
        if _is_settled(item, settled, home):
            skipped += 1
            continue
        by_partition.setdefault(item.partition, []).append(item.dataset)
    runs = Counter[str]()
    for run in plan_ingest_runs(by_partition):
        runs["success" if run_ingest(instance, home_root, run) else "failed"] += 1
    run_inventory(instance, home_root)
    entries = load_log.read_entries(home.lake)[len(entries_before) :]
    rebuild = {"all": set(by_partition), "changed": changed_partitions(entries), "none": set()}[downstream]
    if downstream == "changed" and not home.root.joinpath(load_config().paths.serving).exists():
        rebuild = set(by_partition)  # nothing published yet: build what there is
    statuses = run_downstream(instance, home_root, rebuild, region)
    return {
        "entries": entries,
        "runs": runs,
        "downstream": statuses,
        "partitions": len(by_partition),
        "settled": skipped,
    }


def _is_settled(item: LandingFile, settled: dict[str, str], home: Home) -> bool:
    """The file was checked into its lake partition and has not been touched since."""
    signature = settled.get(item.name)
    return (
        signature is not None
        and signature == stat_signature(item.path)
        and partition_path(home.lake, item.dataset, item.region, item.week).exists()
    )


def _exit_code(report: dict[str, Any]) -> int:
    failed = report["runs"].get("failed") or any("FAILED" in line for line in report["downstream"])
    return 1 if failed else 0


def print_summary(report: dict[str, Any]) -> None:
    entries: list[load_log.LoadEntry] = report["entries"]
    counts = Counter(e.status for e in entries)
    print(
        f"ingest runs: {report['partitions']} region-weeks ({dict(report['runs'])}); "
        f"{report['settled']} files already in the lake and untouched, not read again"
    )
    print(
        f"files loaded {counts['loaded']}, replaced {counts['replaced']}, unchanged {counts['unchanged']}, "
        f"rejected {counts['rejected']}, unrecognized {counts['unrecognized']}, missing {counts['missing']}"
    )
    for entry in entries:
        if entry.status in ("rejected", "unrecognized"):
            print(f"  {entry.status}: {entry.source_file} [{entry.rule}] {(entry.reason or '')[:300]}")
        elif entry.status == "missing":
            print(f"  missing: {entry.dataset}_{entry.region}_{entry.week}")
    for line in report["downstream"]:
        print(f"  {line}")


def _run(args: argparse.Namespace) -> int:
    home_root = home_dir(args.home)
    if args.landing:
        deliver(Path(args.landing), Home(home_root))
    report = ingest_everything(home_root, downstream="none" if args.ingest_only else "changed")
    print_summary(report)
    return _exit_code(report)


def _backfill(args: argparse.Namespace) -> int:
    home_root = home_dir(args.home)
    weeks = set(week_range(args.from_week, args.to_week))
    report = ingest_everything(home_root, weeks, args.region, downstream="all", recheck=True)
    print_summary(report)
    return _exit_code(report)


def _status(args: argparse.Namespace) -> int:
    from pipelines.checks.freshness import missing_deliveries

    home_root = home_dir(args.home)
    home = Home(home_root)
    instance = prepare_instance(home_root)
    states = load_log.current_states(load_log.read_entries(home.lake))
    print(f"home {home_root}")
    for (dataset, region, week), entry in sorted(
        states.items(), key=lambda kv: (kv[0][2], kv[0][1], kv[0][0])
    ):
        rows = entry.rows if entry.rows is not None else ""
        print(f"  {week} {region:7} {dataset:13} {entry.status:9} {rows:>7} {entry.rule or ''}")
    for gap in missing_deliveries(home):
        due = f"{gap.deadline:%Y-%m-%d %H:%M}"
        print(f"  {gap.week} {gap.region:7} {gap.dataset:13} missing   (due {due} Moscow)")
    _, unrecognised = scan_landing(home.landing)
    for item in unrecognised:
        print(f"  unrecognized in landing: {item.path.name} [{item.rule}]")
    print("recent Dagster runs:")
    for record in instance.get_run_records(limit=10):
        run = record.dagster_run
        partition = run.tags.get("dagster/partition", "")
        if ASSET_PARTITION_RANGE_START_TAG in run.tags:  # a batch or a week range: first..last
            first, last = run.tags[ASSET_PARTITION_RANGE_START_TAG], run.tags[ASSET_PARTITION_RANGE_END_TAG]
            partition = f"{first}..{last}"
        print(f"  {run.run_id[:8]} {run.job_name:18} {run.status.value:9} {partition}")
    return 0


def _ui(args: argparse.Namespace) -> int:
    home_root = home_dir(args.home)
    prepare_instance(home_root)
    command = ["dagster", "dev", "-m", "pipelines.definitions", "-h", args.host, "-p", str(args.port)]
    print(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})")
    docs = _serve_data_docs(home_root)
    try:
        return subprocess.call(command, env=os.environ.copy())
    finally:
        if docs is not None:
            docs.shutdown()


def _serve_data_docs(home_root: Path) -> Any:
    """The Data Docs site over http while the UI runs: the asset checks' «data_docs» links open."""
    from pipelines.checks import data_docs

    gates = load_config().gates
    site = data_docs.local_site(home_root / load_config().paths.data_docs)
    try:
        server = data_docs.serve(site, gates.data_docs_host, gates.data_docs_port)
    except OSError as error:  # the port is taken: the UI still starts, the links will not open
        print(f"Data Docs not served on port {gates.data_docs_port} ({error}): set gates.data_docs_port")
        return None
    print(f"Data Docs on http://{gates.data_docs_host}:{gates.data_docs_port}/index.html")
    return server


def _expectations(args: argparse.Namespace) -> int:
    from pipelines.checks.suites import stale_suites, write_suites

    if args.check:
        stale = stale_suites()
        for name in stale:
            print(f"expectations/{name}.json differs from orchestration.yaml: run `edumon expectations`")
        return 1 if stale else 0
    for path in write_suites():
        print(f"wrote {path}")
    return 0


def register(subparsers: Any) -> None:
    run = subparsers.add_parser(
        "run", help="ingest and gate everything in landing, then the downstream stages"
    )
    run.add_argument("--landing", help="a folder of delivered files to copy into the home's landing/ first")
    run.add_argument("--home", help="home folder (default EDUMON_HOME or ./data)")
    run.add_argument(
        "--ingest-only", action="store_true", help="stop after ingest and gates (no dbt, publish, rating)"
    )
    run.set_defaults(handler=_run)
    backfill = subparsers.add_parser("backfill", help="re-run ingest (and downstream) for a range of weeks")
    backfill.add_argument("--from", dest="from_week", required=True, help="first ISO week, e.g. 2026-W40")
    backfill.add_argument("--to", dest="to_week", required=True, help="last ISO week, e.g. 2026-W47")
    backfill.add_argument("--region", help="only this region code, e.g. RU-KB")
    backfill.add_argument("--home", help="home folder")
    backfill.set_defaults(handler=_backfill)
    status = subparsers.add_parser("status", help="partition states, missing deliveries, recent Dagster runs")
    status.add_argument("--home", help="home folder")
    status.set_defaults(handler=_status)
    ui = subparsers.add_parser("ui", help="start the Dagster UI (and daemon) on the home's instance")
    ui.add_argument("--home", help="home folder")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(handler=_ui)
    expectations = subparsers.add_parser(
        "expectations", help="write expectations/*.json from orchestration.yaml"
    )
    expectations.add_argument(
        "--check", action="store_true", help="only check the committed suites are current"
    )
    expectations.set_defaults(handler=_expectations)
