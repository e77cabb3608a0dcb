"""National-scale benchmark of the weekly run (issue 7): one table, per stage, against the floor.

    uv run python -m benchmarks.national --home DIR [--preset national] [--scale 1.0] [--weeks 2]
        [--regions RU-MOW,RU-SMO] [--landing GENERATED] [--last-week 2027-W26] [--json OUT]

`--home` should be a fresh folder: the run writes its landing, lake, warehouse and Dagster instance
there (and its working files under DIR/_bench).

1. Input: `--landing GENERATED` reuses files `edumon generate` already wrote (hard links, the
   folder is left as it is); otherwise the preset is generated for `--weeks` weeks (`--scale`
   shrinks the national preset; excluded from timing). The files are split by week.
2. Floor: DuckDB reads every landing byte of a week once, each file in its delivered format
   (read_csv for UTF-8 CSV; JSON Lines through read_json; cp1251 CSV transcoded by pyarrow's
   streaming CSV reader and counted by DuckDB, as DuckDB has no cp1251 without the encodings
   extension; XLSX through python-calamine, the fastest reader installed).
3. Week 1: `edumon run --landing <week 1> --home DIR` as a subprocess (ingest and gate, then every
   downstream stage registered in pipelines/definitions.py: dbt, publish, rating, dashboards).
   Week 2 alone the same way (and every further week), then a one region-week backfill
   (`edumon backfill`, RU-MOW, else the largest region of the preset).
4. Per command: wall, CPU of the process tree, peak RSS of the tree (the sum over live processes)
   and rows/bytes. The tree's CPU is sampled from /proc with the memory, so each stage's CPU is
   the tree's CPU during that stage's Dagster steps (steps of one run share its processes). Per
   stage: wall time from the Dagster step statistics; rows and bytes from the stage's output.
   Validation: the gate's own time when the ingest reports it in its materialization metadata
   (`gate_wall_s`, `gate_cpu_s`). Fixed overhead: the command's wall outside any Dagster step plus
   the dbt step's wall outside dbt's nodes (dagster-dbt's "Execution Duration" per model and test).
5. Ratios against issue 7's targets, printed under the table.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MB = 2**20  # the table's MB and GB are binary, as orchestration.yaml's memory budget

STAGES = ("ingest + gate", "dbt build + tests", "publish", "rating", "dashboard refresh")
# Which stage a Dagster step belongs to: by the package its asset is defined in, else its name.
STAGE_OF_PACKAGE = {
    "pipelines.ingest": "ingest + gate",
    "pipelines.checks": "ingest + gate",
    "pipelines.transform": "dbt build + tests",
    "pipelines.publish": "publish",
    "pipelines.rating": "rating",
    "pipelines.dashboards": "dashboard refresh",
}
STAGE_OF_NAME = (("dbt", "dbt build + tests"), ("serving", "publish"), ("publish", "publish"),
                 ("rating", "rating"), ("superset", "dashboard refresh"), ("dashboard", "dashboard refresh"),
                 ("ingest", "ingest + gate"), ("inventory", "ingest + gate"))  # fmt: skip
BACKFILL_REGION = "RU-MOW"
# The targets (each a limit the measured value must not exceed): issue 13's, and issue 7's where
# issue 13 sets none (the overhead share).
TARGETS = {
    "weekly run / floor": 4.0,  # issue 7: 3
    "validation (GE gates) / floor": 1.0,  # issue 7: 0.5
    "fixed Dagster + dbt overhead share": 0.10,
    "peak resident memory GB": 6.0,  # issue 7: 8
    "RU-MOW region-week backfill s": 20.0,
    "last week / first week run": 1.1,
}


@dataclass
class Measure:
    """One timed piece of work."""

    label: str
    wall_s: float | None = None
    cpu_s: float | None = None
    rows: int | None = None
    bytes: int | None = None
    peak_rss_mb: float | None = None  # the process tree's (edumon and its children)
    peak_edumon_mb: float | None = None  # the edumon process's own RSS at that peak
    note: str = ""

    def set_peak(self, sample: MemorySample | None) -> None:
        if sample is not None:
            self.peak_rss_mb, self.peak_edumon_mb = sample.tree_bytes / MB, sample.root_bytes / MB


@dataclass
class Report:
    preset: str
    weeks: list[str]
    rows: list[Measure] = field(default_factory=list)
    ratios: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float = 0.0


# --- measuring a command ----------------------------------------------------------------------


@dataclass(frozen=True)
class MemorySample:
    """The resident memory of the tree at one instant, and the root (edumon) process's part of it."""

    at: float  # unix time
    tree_bytes: int
    root_bytes: int


class TreeMemory:
    """The summed resident memory of a process and its descendants (the edumon process and its
    dbt) and the tree's CPU over time, sampled from /proc every `interval_s` in a thread: the peak
    of the whole command, and of each stage from the samples inside its steps (`peak_during`)."""

    def __init__(self, root_pid: int, interval_s: float = 0.2) -> None:
        self.root_pid, self.interval_s = root_pid, interval_s
        self.cpu_samples: list[tuple[float, float]] = []  # (unix time, CPU seconds of the tree)
        self.memory_samples: list[MemorySample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak(self) -> MemorySample | None:
        return max(self.memory_samples, key=lambda s: s.tree_bytes, default=None)

    @property
    def peak_bytes(self) -> int:
        return self.peak.tree_bytes if self.peak else 0

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            pids = _tree(self.root_pid)
            rss = {pid: _rss_bytes(pid) for pid in pids}
            now = time.time()
            self.memory_samples.append(MemorySample(now, sum(rss.values()), rss.get(self.root_pid, 0)))
            self.cpu_samples.append((now, sum(_cpu_seconds(pid) for pid in pids)))


def peak_during(samples: list[MemorySample], spans: list[tuple[float, float]]) -> MemorySample | None:
    """The sample of the highest tree memory taken inside the spans (a stage's steps), if any."""
    merged = _merged(spans)
    inside = [s for s in samples if any(start <= s.at <= stop for start, stop in merged)]
    return max(inside, key=lambda s: s.tree_bytes, default=None)


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process plus its reaped children's (a finished step's CPU stays counted)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def cpu_during(samples: list[tuple[float, float]], spans: list[tuple[float, float]]) -> float:
    """CPU the tree spent inside the time spans: each sampling interval's CPU, by its overlap."""
    total = 0.0
    for (t0, c0), (t1, c1) in itertools.pairwise(samples):
        if t1 <= t0:
            continue
        overlap = sum(max(0.0, min(t1, stop) - max(t0, start)) for start, stop in _merged(spans))
        total += max(0.0, c1 - c0) * overlap / (t1 - t0)
    return total


def _merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def _children_of() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def _tree(root: int) -> list[int]:
    children, found, stack = _children_of(), [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def _rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_command(label: str, command: list[str], log: Path) -> Measure:
    """Run an `edumon` command; wall, CPU of its process tree, peak tree RSS. Fails loudly."""
    return run_sampled(label, command, log)[0]


def run_sampled(
    label: str, command: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[Measure, TreeMemory]:
    """`run_command` and the tree's CPU and memory samples over time (`env` is added to the environment)."""
    cpu_before, started = _children_cpu(), time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        environment = {**_environment(), **(env or {})}
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=environment, cwd=cwd)
        with TreeMemory(process.pid) as memory:
            code = process.wait()
    measure = Measure(label, time.perf_counter() - started, _children_cpu() - cpu_before)
    measure.set_peak(memory.peak)
    if code != 0:
        measure.note = f"exit code {code}, see {log}"
    return measure, memory


def _environment() -> dict[str, str]:
    return {**os.environ, "GX_ANALYTICS_ENABLED": "False", "DAGSTER_DISABLE_TELEMETRY": "1"}


def edumon(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *args]


# --- generation -------------------------------------------------------------------------------


def generate(
    preset: str,
    scale: float,
    weeks: int,
    out: Path,
    log: Path,
    regions: set[str] | None,
    last_week: str | None = None,
) -> None:
    command = edumon("generate", "--preset", preset, "--out", str(out), "--weeks", str(weeks))
    if last_week:
        command += ["--last-week", last_week]
    if scale != 1.0:
        command += ["--scale", str(scale)]
    if regions:
        command += ["--regions", ",".join(sorted(regions))]
    measure = run_command("generate", command, log)
    if measure.note:
        raise SystemExit(f"generation failed: {measure.note}")


def split_by_week(
    delivery: Path, target: Path, regions: set[str] | None, link: bool = False, weeks: int | None = None
) -> dict[str, list[Path]]:
    """Move (or hard-link, leaving `delivery` as it is) each generated file into target/<week>/
    (the folder one Monday's delivery would be), keeping only `regions` and the last `weeks`."""
    from pipelines.ingest.files import scan_landing

    recognised, unrecognised = scan_landing(delivery)
    if unrecognised:
        raise SystemExit(f"generator wrote unrecognised files: {[u.path.name for u in unrecognised]}")
    kept_weeks = sorted({item.week for item in recognised})[-weeks:] if weeks else None
    by_week: dict[str, list[Path]] = {}
    for item in recognised:
        if (regions and item.region not in regions) or (kept_weeks and item.week not in kept_weeks):
            continue
        folder = target / item.week
        folder.mkdir(parents=True, exist_ok=True)
        destination = folder / item.path.name
        if link:
            os.link(item.path, destination)
        else:
            destination = Path(shutil.move(item.path, destination))
        by_week.setdefault(item.week, []).append(destination)
    return dict(sorted(by_week.items()))


# --- the floor --------------------------------------------------------------------------------


def count_rows(path: Path) -> int:
    """Rows of one landing file, read once by DuckDB (or the fastest reader of its format)."""
    import duckdb

    from pipelines.config import load_config
    from pipelines.ingest.files import classify

    item = classify(path)
    fmt = load_config().file_format(item.dataset, item.region)  # type: ignore[union-attr]
    quoted = str(path).replace("'", "''")
    if fmt.kind == "jsonl":
        query = f"select count(*) from read_json('{quoted}', format='newline_delimited')"
        return int(duckdb.sql(query).fetchone()[0])  # type: ignore[index]
    if fmt.kind == "xlsx":
        return _count_xlsx(path, str(fmt.sheet))
    if fmt.encoding.lower().replace("-", "") in ("utf8", "utf8sig"):
        delimiter = fmt.delimiter.replace("'", "''")
        options = f"delim='{delimiter}', header=true, all_varchar=true"
        query = f"select count(*) from read_csv('{quoted}', {options})"
        return int(duckdb.sql(query).fetchone()[0])  # type: ignore[index]
    return _count_transcoded_csv(path, fmt.encoding, fmt.delimiter)


def _count_transcoded_csv(path: Path, encoding: str, delimiter: str) -> int:
    """DuckDB counts a CSV in another encoding through pyarrow's streaming, transcoding reader."""
    import duckdb
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=encoding),
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(column_types={}, strings_can_be_null=False),
    ) as reader:
        batches = pa.RecordBatchReader.from_batches(reader.schema, reader)
        return int(duckdb.from_arrow(batches).aggregate("count(*)").fetchone()[0])  # type: ignore[index]


def _count_xlsx(path: Path, sheet: str) -> int:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=True)
    return max(0, len(rows) - 1)


def measure_floor(label: str, files: Iterable[Path]) -> Measure:
    files = list(files)
    started, cpu = time.perf_counter(), time.process_time()
    rows = sum(count_rows(path) for path in files)
    return Measure(label, time.perf_counter() - started, time.process_time() - cpu, rows, _size(files))


def _size(files: Iterable[Path]) -> int:
    return sum(path.stat().st_size for path in files)


# --- per-stage split from Dagster ---------------------------------------------------------------


def stage_of_step(step_key: str, packages: dict[str, str]) -> str:
    package = packages.get(step_key.split("[")[0], "")
    for prefix, stage in STAGE_OF_PACKAGE.items():
        if package.startswith(prefix):
            return stage
    lowered = step_key.lower()
    return next((stage for word, stage in STAGE_OF_NAME if word in lowered), "other")


def step_packages() -> dict[str, str]:
    """Op name → Python module of its asset function, for every asset in the Definitions."""
    from pipelines.definitions import defs

    packages = {}
    for assets_def in defs.assets or []:
        op = getattr(assets_def, "op", None)
        function = getattr(getattr(op, "compute_fn", None), "decorated_fn", None)
        if op is not None:
            packages[op.name] = getattr(function, "__module__", "")
    return packages


def registered_stages() -> set[str]:
    packages = step_packages()
    return {stage_of_step(name, packages) for name in packages}


@contextmanager
def dagster_runs(home: Path) -> Iterator[list[Any]]:
    """The Dagster runs started inside the block (read from the home's instance afterwards)."""
    found: list[Any] = []
    before = {record.dagster_run.run_id for record in _instance(home).get_run_records()}
    yield found
    found.extend(r for r in _instance(home).get_run_records() if r.dagster_run.run_id not in before)


def _instance(home: Path) -> Any:
    from pipelines.orchestration.instance import prepare_instance

    return prepare_instance(home)


def stage_spans(home: Path, runs: list[Any]) -> dict[str, list[tuple[float, float]]]:
    """Per stage, the (start, end) unix times of its steps across the runs."""
    packages, instance = step_packages(), _instance(home)
    intervals: dict[str, list[tuple[float, float]]] = {}
    for record in runs:
        for stats in instance.get_run_step_stats(record.dagster_run.run_id):
            if stats.start_time and stats.end_time:
                stage = stage_of_step(stats.step_key, packages)
                intervals.setdefault(stage, []).append((stats.start_time, stats.end_time))
    return intervals


def stage_walls(home: Path, runs: list[Any]) -> dict[str, float]:
    """Per stage, the union of its steps' intervals across the runs (parallel steps count once)."""
    return {stage: _union_length(spans) for stage, spans in stage_spans(home, runs).items()}


def failed_stages(home: Path, runs: list[Any]) -> set[str]:
    """Stages with a failed step in the runs (a command can exit 0 while a downstream run failed)."""
    packages, instance = step_packages(), _instance(home)
    return {
        stage_of_step(stats.step_key, packages)
        for record in runs
        for stats in instance.get_run_step_stats(record.dagster_run.run_id)
        if stats.status is not None and stats.status.value == "FAILURE"
    }


def _union_length(spans: list[tuple[float, float]]) -> float:
    return sum(stop - start for start, stop in _merged(spans))


def _event_metadata(home: Path, runs: list[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(asset key path, metadata) of every materialization and asset check evaluation of the runs."""
    from dagster import DagsterEventType

    instance = _instance(home)
    for record in runs:
        for kind in (DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.ASSET_CHECK_EVALUATION):
            for event in instance.get_records_for_run(record.dagster_run.run_id, of_type=kind).records:
                data = event.event_log_entry.dagster_event.event_specific_data
                payload = getattr(data, "materialization", None) or getattr(data, "evaluation", None) or data
                key = getattr(payload, "asset_key", None)
                yield "/".join(key.path) if key else "", dict(getattr(payload, "metadata", {}) or {})


def _number(value: Any) -> float | None:
    raw = getattr(value, "value", value)
    return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None


def gate_seconds(home: Path, runs: list[Any]) -> tuple[float, float] | None:
    """(wall, CPU) of the Great Expectations gates, summed from the ingest's metadata, if reported."""
    wall = cpu = 0.0
    found = False
    for _, metadata in _event_metadata(home, runs):
        wall_value, cpu_value = _number(metadata.get("gate_wall_s")), _number(metadata.get("gate_cpu_s"))
        if wall_value is not None:
            found, wall, cpu = True, wall + wall_value, cpu + (cpu_value or 0.0)
    return (wall, cpu) if found else None


def dbt_node_seconds(home: Path, runs: list[Any]) -> float:
    """dbt's own work: the sum of dagster-dbt's "Execution Duration" over models and tests."""
    return sum(_number(m.get("Execution Duration")) or 0.0 for _, m in _event_metadata(home, runs))


# --- rows and bytes -----------------------------------------------------------------------------


def checked_rows(home: Path, start: int, week: str, region: str | None = None) -> int:
    """Rows of the week's files the command checked (loaded, replaced, or unchanged by checksum).

    `edumon run` re-checks every file still in landing; earlier weeks are not this week's work.
    """
    from pipelines.home import Home
    from pipelines.ingest import load_log

    entries = load_log.read_entries(Home(home).lake)[start:]
    return sum(
        e.rows or 0
        for e in entries
        if e.status in ("loaded", "replaced", "unchanged") and e.week == week and region in (None, e.region)
    )


def log_length(home: Path) -> int:
    from pipelines.home import Home
    from pipelines.ingest import load_log

    return len(load_log.read_entries(Home(home).lake))


def stage_volume(home: Path, stage: str) -> tuple[int | None, int | None]:
    """Rows and bytes a downstream stage wrote: its output's size, rows of its tables or files."""
    from pipelines.config import home_path

    outputs = {"dbt build + tests": "warehouse", "publish": "serving", "rating": "outbox"}
    if stage not in outputs:
        return None, None
    target = home_path(outputs[stage], home)
    if not target.exists():
        return None, None
    if target.is_file():
        return _database_rows(target), target.stat().st_size
    files = [p for p in target.rglob("*") if p.is_file()]
    rows = sum(len(p.read_bytes().splitlines()) - 1 for p in files if p.suffix == ".csv")
    return rows, _size(files)


def _database_rows(path: Path) -> int | None:
    """Rows in the tables of a DuckDB file (DuckDB's exact count kept per table)."""
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute("select sum(estimated_size) from duckdb_tables()").fetchone()
    except duckdb.Error:
        return None
    return int(row[0]) if row and row[0] is not None else 0


# --- the run ------------------------------------------------------------------------------------


@dataclass
class RunFigures:
    """What one timed command adds up to, for the ratios."""

    wall_s: float
    gate: tuple[float, float] | None
    fixed_overhead_s: float
    cpu_s: float | None = None  # on a loaded machine CPU ratios are steadier than wall ratios


def timed_run(
    label: str, command: list[str], home: Path, log: Path, week: str, region: str | None = None
) -> tuple[list[Measure], RunFigures]:
    """One edumon command: its total line, then one line per stage from its Dagster runs."""
    start = log_length(home)
    with dagster_runs(home) as runs:
        total, memory = run_sampled(label, command, log)
    samples = memory.cpu_samples
    total.rows = checked_rows(home, start, week, region)
    spans, failed = stage_spans(home, runs), failed_stages(home, runs)
    if failed:
        total.note = (
            total.note + "; " if total.note else ""
        ) + f"failed in Dagster: {', '.join(sorted(failed))}"
    stages = registered_stages()  # read after the command: stages get registered while work goes on
    lines = [total]
    for stage in STAGES:
        line = Measure(f"  {stage}")
        if stage not in stages:
            line.note = "not available (no asset registered in pipelines/definitions.py)"
        elif stage in spans:
            line.wall_s, line.cpu_s = _union_length(spans[stage]), cpu_during(samples, spans[stage])
            line.set_peak(peak_during(memory.memory_samples, spans[stage]))
            line.note = "FAILED (see the Dagster run)" if stage in failed else ""
            ingest = stage == "ingest + gate"
            line.rows, line.bytes = (total.rows, total.bytes) if ingest else stage_volume(home, stage)
        else:
            line.note = "registered, no step ran"
        lines.append(line)
    gate = gate_seconds(home, runs)
    validation = Measure("    of which GE gates (validation)", note="not reported in the ingest's metadata")
    if gate:
        validation.wall_s, validation.cpu_s, validation.note = gate[0], gate[1], "summed over files"
    lines.insert(2, validation)
    wall = total.wall_s or 0.0
    stepped = _union_length([span for stage_spans_ in spans.values() for span in stage_spans_])
    dagster_overhead = max(0.0, wall - stepped)
    dbt_wall = _union_length(spans.get("dbt build + tests", []))
    dbt_overhead = max(0.0, dbt_wall - dbt_node_seconds(home, runs)) if dbt_wall else 0.0
    lines.append(Measure("  Dagster/process overhead", dagster_overhead, note="wall outside any step"))
    lines.append(Measure("  dbt fixed overhead", dbt_overhead, note="dbt step outside models and tests"))
    return lines, RunFigures(wall, gate, dagster_overhead + dbt_overhead, total.cpu_s)


def benchmark(
    home: Path,
    preset: str,
    scale: float,
    weeks: int,
    regions: set[str] | None = None,
    landing: Path | None = None,
    floor_only: bool = False,
    last_week: str | None = None,
) -> Report:
    home.mkdir(parents=True, exist_ok=True)
    from pipelines.secrets import mark_demo

    mark_demo(home)  # generated data only: the documented development keys are allowed here
    work, log = home / "_bench", home / "_bench" / "commands.log"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    if landing is None:
        generate(preset, scale, weeks, work / "generated", log, regions, last_week)
        by_week = split_by_week(work / "generated", work / "weeks", regions)
    else:
        by_week = split_by_week(landing, work / "weeks", regions, link=True, weeks=weeks)
    report = Report(preset if scale == 1.0 else f"{preset} × {scale:g}", list(by_week))
    if floor_only:
        for index, (week, files) in enumerate(by_week.items(), start=1):
            report.rows.append(
                measure_floor(f"floor, week {index} ({week}): DuckDB reads every landing byte", files)
            )
        return report
    runs: list[tuple[Measure, RunFigures]] = []
    for index, (week, files) in enumerate(by_week.items(), start=1):
        floor = measure_floor(f"floor, week {index} ({week}): DuckDB reads every landing byte", files)
        report.rows.append(floor)
        label = f"week {index} ({week}) `edumon run`" + (" (second week alone)" if index == 2 else "")
        command = edumon("run", "--landing", str(work / "weeks" / week), "--home", str(home))
        lines, figures = timed_run(label, command, home, log, week)
        lines[0].bytes = floor.bytes
        lines[1].bytes = floor.bytes
        report.rows.extend(lines)
        runs.append((floor, figures))
    backfill_lines, backfill_figures = backfill(home, by_week, log)
    report.rows.extend(backfill_lines)
    report.peak_rss_mb = max((m.peak_rss_mb or 0.0) for m in report.rows)
    report.ratios = ratios(runs, report.peak_rss_mb, backfill_lines[0].label, backfill_figures)
    return report


def ratios(
    runs: list[tuple[Measure, RunFigures]], peak_rss_mb: float, backfill_label: str, backfill: RunFigures
) -> dict[str, float]:
    """The figures issues 7 and 13 set targets for (TARGETS), from the last week's run unless noted."""
    floor, last = runs[-1]
    result = {f"week {i} run / floor": f.wall_s / m.wall_s for i, (m, f) in enumerate(runs, 1) if m.wall_s}
    if floor.wall_s:
        result["weekly run / floor"] = last.wall_s / floor.wall_s
        if last.gate:
            result["validation (GE gates) / floor"] = last.gate[0] / floor.wall_s
    if floor.cpu_s and last.cpu_s:
        result["weekly run / floor, CPU"] = last.cpu_s / floor.cpu_s
        if last.gate:
            result["validation (GE gates) / floor, CPU"] = last.gate[1] / floor.cpu_s
    if last.wall_s:
        result["fixed Dagster + dbt overhead share"] = last.fixed_overhead_s / last.wall_s
    result["peak resident memory GB"] = peak_rss_mb / 1024
    if BACKFILL_REGION in backfill_label:
        result["RU-MOW region-week backfill s"] = backfill.wall_s
    if len(runs) > 1 and runs[0][1].wall_s:
        result["last week / first week run"] = last.wall_s / runs[0][1].wall_s
    return result


def backfill(home: Path, by_week: dict[str, list[Path]], log: Path) -> tuple[list[Measure], RunFigures]:
    from pipelines.ingest.files import classify

    week, files = list(by_week.items())[-1]
    sizes: dict[str, int] = {}
    for path in files:
        region = getattr(classify(path), "region", "")
        sizes[region] = sizes.get(region, 0) + path.stat().st_size
    region = BACKFILL_REGION if BACKFILL_REGION in sizes else max(sizes, key=lambda r: sizes[r])
    command = edumon("backfill", "--from", week, "--to", week, "--region", region, "--home", str(home))
    lines, figures = timed_run(
        f"backfill {region} {week} (one region-week)", command, home, log, week, region
    )
    lines[0].bytes = sizes[region]
    return lines, figures


# --- output -------------------------------------------------------------------------------------


def _fmt(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}{unit}"
    return f"{value:,.2f}{unit}"


def render(report: Report) -> str:
    header = (
        f"{'step':<58} {'wall s':>9} {'CPU s':>9} {'rows':>13} {'MB':>9} {'peak RSS MB':>12}"
        f" {'of it edumon':>12}  note"
    )
    title = f"edumon benchmark: preset {report.preset}, weeks {', '.join(report.weeks)}"
    lines = [title, header, "-" * len(header)]
    for m in report.rows:
        size = None if m.bytes is None else m.bytes / 2**20
        lines.append(
            f"{m.label:<58} {_fmt(m.wall_s):>9} {_fmt(m.cpu_s):>9} {_fmt(m.rows):>13} {_fmt(size):>9} "
            f"{_fmt(m.peak_rss_mb):>12} {_fmt(m.peak_edumon_mb):>12}  {m.note}"
        )
    lines.append("-" * len(header))
    lines.append(
        f"peak resident memory of the run (process tree: edumon and its children, sampled every 0.2 s;"
        f" per stage on its line): {report.peak_rss_mb:,.0f} MB"
    )
    for name, value in report.ratios.items():
        target = TARGETS.get(name)
        verdict = (
            "" if target is None else f"  (target ≤ {target:g}: {'met' if value <= target else 'NOT met'})"
        )
        lines.append(f"{name}: {value:.2f}{verdict}")
    lines.extend(f"{name}: not measured in this run" for name in TARGETS if name not in report.ratios)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, required=True, help="a fresh working home (landing, lake, …)")
    parser.add_argument("--preset", default="national", help="generator preset (demo for a small run)")
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the national preset (0 < F ≤ 1)")
    parser.add_argument("--weeks", type=int, default=2, help="weeks to run, one after the other")
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    parser.add_argument("--regions", help="comma-separated region codes: deliver only these (a smaller run)")
    parser.add_argument(
        "--landing", type=Path, help="files `edumon generate` already wrote: linked, not generated again"
    )
    parser.add_argument(
        "--floor-only", action="store_true", help="only the floor of each week (no pipeline run)"
    )
    parser.add_argument(
        "--last-week",
        help="last generated week (default: the preset's); 52 weeks need one ≥ 2027-W26, as the "
        "calendar starts at 2026-W27",
    )
    args = parser.parse_args(argv)
    regions = set(args.regions.split(",")) if args.regions else None
    landing = args.landing.resolve() if args.landing else None
    home = args.home.resolve()
    report = benchmark(
        home, args.preset, args.scale, args.weeks, regions, landing, args.floor_only, args.last_week
    )
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), ensure_ascii=False, indent=2), encoding="utf-8")
    failed = [m.label for m in report.rows if "exit code" in m.note or "failed in Dagster" in m.note]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
