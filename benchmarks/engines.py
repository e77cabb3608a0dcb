"""The dbt build on DuckDB against Spark (session mode, local) on the same lake (issue 14).

    uv run python -m benchmarks.engines --home DIR [--preset demo] [--weeks 2] [--regions RU-KB]
        [--landing GENERATED] [--engines duckdb,spark] [--json OUT]

`--home` should be a fresh folder. The files (generated, or `--landing` linked as in
benchmarks.national) are split by week; each week is delivered with `edumon run` on DuckDB (the
ingest and gates are the same on either engine), then on the lake of the weeks delivered so far
each engine runs `dbt build --full-refresh` (models, data tests, unit tests: the whole project) as
its own process. Per build: wall, CPU and peak resident memory of the process tree (dbt's Python
and, on Spark, the JVM it starts; sampled from /proc as in benchmarks.national) and dbt's result
counts from its run_results.json. Run it under `nice -n 10` on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.national import Measure, edumon, generate, run_sampled, split_by_week

ENGINES = ("duckdb", "spark")


@dataclass
class EngineReport:
    preset: str
    weeks: list[str]
    rows: list[Measure] = field(default_factory=list)


def build_command(home: Path, engine: str, artifacts: Path) -> tuple[list[str], dict[str, str]]:
    """`dbt build --full-refresh` on the home's lake with `engine`: the command and its environment."""
    from pipelines.transform.project import dbt_executable, dbt_vars, home_environment

    env = home_environment(home) | {"EDUMON_DBT_TARGET": engine, "EDUMON_ENGINE": engine}
    env |= {"DBT_TARGET_PATH": str(artifacts), "DBT_LOG_PATH": str(artifacts)}
    return [dbt_executable(), "build", "--full-refresh", "--vars", json.dumps(dbt_vars())], env


def dbt_results(artifacts: Path) -> str:
    """dbt's node statuses of the build, e.g. `pass 225` (a failed node names itself)."""
    path = artifacts / "run_results.json"
    if not path.exists():
        return "no run_results.json"
    results = json.loads(path.read_text(encoding="utf-8"))["results"]
    counts = Counter(result["status"] for result in results)
    failed = [r["unique_id"] for r in results if r["status"] in ("error", "fail")]
    summary = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
    return summary + (f"; failed: {', '.join(failed[:5])}" if failed else "")


def timed_build(home: Path, engine: str, label: str, work: Path) -> Measure:
    from pipelines.transform.project import DBT_PROJECT_DIR

    artifacts = work / "dbt" / re.sub(r"[^\w-]+", "_", label)
    artifacts.mkdir(parents=True, exist_ok=True)
    command, env = build_command(home, engine, artifacts)
    measure, memory = run_sampled(label, command, work / "commands.log", env=env, cwd=DBT_PROJECT_DIR)
    # dbt does not reap the JVM it starts, so the JVM's CPU never reaches the rusage of children:
    # the tree's CPU as last sampled from /proc (live processes and what they reaped) counts it.
    measure.cpu_s = max(measure.cpu_s or 0.0, max((cpu for _, cpu in memory.cpu_samples), default=0.0))
    measure.note = "; ".join(part for part in (dbt_results(artifacts), measure.note) if part)
    return measure


def benchmark(
    home: Path,
    preset: str,
    weeks: int,
    regions: set[str] | None,
    landing: Path | None,
    engines: list[str],
) -> EngineReport:
    from pipelines.secrets import mark_demo

    home.mkdir(parents=True, exist_ok=True)
    mark_demo(home)  # generated data only: the documented development keys are allowed here
    work = home / "_bench"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    log = work / "commands.log"
    if landing is None:
        generate(preset, 1.0, weeks, work / "generated", log, regions)
        by_week = split_by_week(work / "generated", work / "weeks", regions)
    else:
        by_week = split_by_week(landing, work / "weeks", regions, link=True, weeks=weeks)
    report = EngineReport(preset, list(by_week))
    for index, week in enumerate(by_week, start=1):
        command = edumon("run", "--landing", str(work / "weeks" / week), "--home", str(home))
        delivered, _ = run_sampled(f"deliver week {index} ({week}): `edumon run`, DuckDB", command, log)
        report.rows.append(delivered)
        for engine in engines:
            label = f"{engine}: dbt build --full-refresh, {index} week{'s' if index > 1 else ''}"
            report.rows.append(timed_build(home, engine, label, work))
    return report


def render(report: EngineReport) -> str:
    header = f"{'command':<58} {'wall s':>9} {'CPU s':>9} {'peak RSS MB':>12}  note"
    lines = [f"edumon engines: preset {report.preset}, weeks {', '.join(report.weeks)}", header]
    lines.append("-" * len(header))
    for m in report.rows:
        wall, cpu, rss = (f"{v:,.1f}" if v is not None else "—" for v in (m.wall_s, m.cpu_s, m.peak_rss_mb))
        lines.append(f"{m.label:<58} {wall:>9} {cpu:>9} {rss:>12}  {m.note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, required=True, help="a fresh working home")
    parser.add_argument("--preset", default="demo", help="generator preset")
    parser.add_argument("--weeks", type=int, default=2, help="weeks delivered one after the other")
    parser.add_argument("--regions", help="comma-separated region codes: deliver only these")
    parser.add_argument("--landing", type=Path, help="files `edumon generate` already wrote: linked")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated: duckdb,spark")
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    args = parser.parse_args(argv)
    engines = args.engines.split(",")
    if unknown := set(engines) - set(ENGINES):
        parser.error(f"unknown engine(s) {sorted(unknown)}: {', '.join(ENGINES)}")
    regions = set(args.regions.split(",")) if args.regions else None
    landing = args.landing.resolve() if args.landing else None
    report = benchmark(args.home.resolve(), args.preset, args.weeks, regions, landing, engines)
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if any("exit code" in m.note for m in report.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
