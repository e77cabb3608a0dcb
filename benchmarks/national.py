"""National-scale benchmark of the weekly run (issue 7): one table, per stage, against the floor.

    uv run python -m benchmarks.national --home DIR [--preset national] [--scale 1.0] [--weeks 2]
        [--regions RU-MOW,RU-SMO] [--json OUT]

`--home` should be a fresh folder: the run writes its landing, lake, warehouse and Dagster instance
there (and generated files under DIR/_bench).

1. Generates the preset's exports for `--weeks` weeks (`edumon generate`, excluded from timing)
   and splits them by week.
2. Floor: DuckDB reads every landing byte of a week once, each file in its delivered format
   (read_csv for UTF-8 CSV; JSON Lines through read_json; cp1251 CSV transcoded by pyarrow's
   streaming CSV reader and counted by DuckDB, as DuckDB has no cp1251 without the encodings
   extension; XLSX through python-calamine, the fastest reader installed).
3. Week 1: `edumon run --landing <week 1> --home DIR` as a subprocess (ingest and gate, then every
   downstream stage registered in pipelines/definitions.py: dbt, publish, rating, dashboards).
   Week 2 alone the same way, then a one region-week backfill (`edumon backfill`, RU-MOW, else the
   largest region of the preset).
4. Per command: wall, CPU of the process tree (getrusage of children), peak RSS of the tree (the sum
   over live processes, sampled from /proc) and rows/bytes. Per stage: wall time from the Dagster
   step statistics of the runs the command started (CPU is measured per command, since the steps of
   a run share its process tree). A stage with no registered asset prints "not available".
"""

from __future__ import annotations

import argparse
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


@dataclass
class Measure:
    """One timed piece of work."""

    label: str
    wall_s: float | None = None
    cpu_s: float | None = None
    rows: int | None = None
    bytes: int | None = None
    peak_rss_mb: float | None = None
    note: str = ""


@dataclass
class Report:
    preset: str
    weeks: list[str]
    rows: list[Measure] = field(default_factory=list)
    ratios: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float = 0.0


# --- measuring a command ----------------------------------------------------------------------


class TreeMemory:
    """Peak of the summed resident memory of a process and its descendants, sampled from /proc."""

    def __init__(self, root_pid: int, interval_s: float = 0.2) -> None:
        self.root_pid, self.interval_s, self.peak_bytes = root_pid, interval_s, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak_bytes = max(self.peak_bytes, sum(_rss_bytes(pid) for pid in _tree(self.root_pid)))


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
    cpu_before, started = _children_cpu(), time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=_environment())
        with TreeMemory(process.pid) as memory:
            code = process.wait()
    measure = Measure(label, time.perf_counter() - started, _children_cpu() - cpu_before)
    measure.peak_rss_mb = memory.peak_bytes / 2**20
    if code != 0:
        measure.note = f"exit code {code}, see {log}"
    return measure


def _environment() -> dict[str, str]:
    return {**os.environ, "GX_ANALYTICS_ENABLED": "False", "DAGSTER_DISABLE_TELEMETRY": "1"}


def edumon(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *args]


# --- generation -------------------------------------------------------------------------------


def generator_supports_scale() -> bool:
    helptext = subprocess.run(edumon("generate", "--help"), capture_output=True, text=True, check=True).stdout
    return "--scale" in helptext


def generate(preset: str, scale: float, weeks: int, out: Path, log: Path) -> None:
    command = edumon("generate", "--preset", preset, "--out", str(out), "--weeks", str(weeks))
    if scale != 1.0:
        if not generator_supports_scale():
            raise SystemExit("`edumon generate` has no --scale yet: use --preset demo for a small run")
        command += ["--scale", str(scale)]
    measure = run_command("generate", command, log)
    if measure.note:
        raise SystemExit(f"generation failed: {measure.note}")


def split_by_week(delivery: Path, target: Path, regions: set[str] | None) -> dict[str, list[Path]]:
    """Move each generated file into target/<week>/ (the folder one Monday's delivery would be),
    keeping only `regions` when given."""
    from pipelines.ingest.files import scan_landing

    recognised, unrecognised = scan_landing(delivery)
    if unrecognised:
        raise SystemExit(f"generator wrote unrecognised files: {[u.path.name for u in unrecognised]}")
    by_week: dict[str, list[Path]] = {}
    for item in recognised:
        if regions and item.region not in regions:
            continue
        folder = target / item.week
        folder.mkdir(parents=True, exist_ok=True)
        moved = Path(shutil.move(item.path, folder / item.path.name))
        by_week.setdefault(item.week, []).append(moved)
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
    from pipelines.orchestration_commands import prepare_instance

    return prepare_instance(home)


def stage_walls(home: Path, runs: list[Any]) -> dict[str, float]:
    """Per stage, the union of its steps' intervals across the runs (parallel steps count once)."""
    packages, instance = step_packages(), _instance(home)
    intervals: dict[str, list[tuple[float, float]]] = {}
    for record in runs:
        for stats in instance.get_run_step_stats(record.dagster_run.run_id):
            if stats.start_time and stats.end_time:
                stage = stage_of_step(stats.step_key, packages)
                intervals.setdefault(stage, []).append((stats.start_time, stats.end_time))
    return {stage: _union_length(spans) for stage, spans in intervals.items()}


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
    total, end = 0.0, float("-inf")
    for start, stop in sorted(spans):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


# --- rows and bytes -----------------------------------------------------------------------------


def checked_rows(home: Path, start: int, week: str, region: str | None = None) -> int:
    """Rows of the week's files the command checked (loaded, replaced, or unchanged by checksum).

    `edumon run` re-checks every file still in landing; earlier weeks are not this week's work.
    """
    from pipelines.ingest import load_log
    from pipelines.ingest.load import Home

    entries = load_log.read_entries(Home(home).lake)[start:]
    return sum(
        e.rows or 0
        for e in entries
        if e.status in ("loaded", "replaced", "unchanged") and e.week == week and region in (None, e.region)
    )


def log_length(home: Path) -> int:
    from pipelines.ingest import load_log
    from pipelines.ingest.load import Home

    return len(load_log.read_entries(Home(home).lake))


def stage_volume(home: Path, stage: str) -> tuple[int | None, int | None]:
    """Rows and bytes a downstream stage wrote: its output's size (rows where cheap to know)."""
    from pipelines.config import home_path

    outputs = {"dbt build + tests": "warehouse", "publish": "serving", "rating": "outbox"}
    if stage not in outputs:
        return None, None
    target = home_path(outputs[stage], home)
    if not target.exists():
        return None, None
    files = [target] if target.is_file() else [p for p in target.rglob("*") if p.is_file()]
    return None, _size(files)


# --- the run ------------------------------------------------------------------------------------


def timed_run(
    label: str, command: list[str], home: Path, log: Path, week: str, region: str | None = None
) -> list[Measure]:
    """One edumon command: its total line, then one line per stage from its Dagster runs."""
    start = log_length(home)
    with dagster_runs(home) as runs:
        total = run_command(label, command, log)
    total.rows = checked_rows(home, start, week, region)
    walls, failed = stage_walls(home, runs), failed_stages(home, runs)
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
        elif stage in walls:
            line.wall_s = walls[stage]
            line.note = "FAILED (see the Dagster run)" if stage in failed else ""
            ingest = stage == "ingest + gate"
            line.rows, line.bytes = (total.rows, None) if ingest else stage_volume(home, stage)
        else:
            line.note = "registered, no step ran"
        lines.append(line)
    stepped = sum(walls.values())
    overhead = max(0.0, (total.wall_s or 0.0) - stepped)
    lines.append(Measure("  Dagster/process overhead", overhead, note="wall − steps"))
    return lines


def benchmark(home: Path, preset: str, scale: float, weeks: int, regions: set[str] | None = None) -> Report:
    home.mkdir(parents=True, exist_ok=True)
    work, log = home / "_bench", home / "_bench" / "commands.log"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    generate(preset, scale, weeks, work / "generated", log)
    by_week = split_by_week(work / "generated", work / "weeks", regions)
    report = Report(preset, list(by_week))
    for index, (week, files) in enumerate(by_week.items(), start=1):
        floor = measure_floor(f"floor, week {index} ({week}): DuckDB reads every landing byte", files)
        report.rows.append(floor)
        label = f"week {index} ({week}) `edumon run`" + (" (second week alone)" if index == 2 else "")
        command = edumon("run", "--landing", str(work / "weeks" / week), "--home", str(home))
        lines = timed_run(label, command, home, log, week)
        lines[0].bytes = floor.bytes
        report.rows.extend(lines)
        if floor.wall_s:
            report.ratios[f"week {index} run / floor"] = (lines[0].wall_s or 0.0) / floor.wall_s
    report.rows.extend(backfill(home, by_week, log))
    report.peak_rss_mb = max((m.peak_rss_mb or 0.0) for m in report.rows)
    return report


def backfill(home: Path, by_week: dict[str, list[Path]], log: Path) -> list[Measure]:
    from pipelines.ingest.files import classify

    week, files = list(by_week.items())[-1]
    sizes: dict[str, int] = {}
    for path in files:
        region = getattr(classify(path), "region", "")
        sizes[region] = sizes.get(region, 0) + path.stat().st_size
    region = BACKFILL_REGION if BACKFILL_REGION in sizes else max(sizes, key=lambda r: sizes[r])
    command = edumon("backfill", "--from", week, "--to", week, "--region", region, "--home", str(home))
    lines = timed_run(f"backfill {region} {week} (one region-week)", command, home, log, week, region)
    lines[0].bytes = sizes[region]
    return lines


# --- output -------------------------------------------------------------------------------------


def _fmt(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}{unit}"
    return f"{value:,.2f}{unit}"


def render(report: Report) -> str:
    header = f"{'step':<58} {'wall s':>9} {'CPU s':>9} {'rows':>13} {'MB':>9} {'peak RSS MB':>12}  note"
    title = f"edumon benchmark: preset {report.preset}, weeks {', '.join(report.weeks)}"
    lines = [title, header, "-" * len(header)]
    for m in report.rows:
        size = None if m.bytes is None else m.bytes / 2**20
        lines.append(
            f"{m.label:<58} {_fmt(m.wall_s):>9} {_fmt(m.cpu_s):>9} {_fmt(m.rows):>13} {_fmt(size):>9} "
            f"{_fmt(m.peak_rss_mb):>12}  {m.note}"
        )
    lines.append("-" * len(header))
    lines.append(f"peak resident memory of the run (process tree, sampled): {report.peak_rss_mb:,.0f} MB")
    lines.extend(f"{name}: {value:.1f}×" for name, value in report.ratios.items())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, required=True, help="a fresh working home (landing, lake, …)")
    parser.add_argument("--preset", default="national", help="generator preset (demo for a small run)")
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the preset (generator support)")
    parser.add_argument("--weeks", type=int, default=2, help="weeks to generate and run, one after the other")
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    parser.add_argument("--regions", help="comma-separated region codes: deliver only these (a smaller run)")
    args = parser.parse_args(argv)
    regions = set(args.regions.split(",")) if args.regions else None
    report = benchmark(args.home.resolve(), args.preset, args.scale, args.weeks, regions)
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), ensure_ascii=False, indent=2), encoding="utf-8")
    failed = [m.label for m in report.rows if "exit code" in m.note or "failed in Dagster" in m.note]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
