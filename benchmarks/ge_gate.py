"""The ingest of one region-week, phase by phase, against the floor of the same files.

    uv run python -m benchmarks.ge_gate --landing DIR --home DIR [--json OUT]

DIR holds one region-week's delivered files (e.g. `edumon generate --preset national` output of
one region). Each file is loaded by the production path (`pipelines.ingest.load.load_file`, into a
fresh home whose landing/ holds hard links to the files) in its own forked process, so the peak
resident memory printed is that file's alone. Per file: the floor (DuckDB reads the file once in
its delivered format, `benchmarks.national.count_rows`, measured in the same child), then the load
phases the outcome records (sha256, parse, normalise, stage, gate, publish) with wall and CPU time.
fgis_orgs goes first, so the other files find the region's organisation registry in the lake as
in a region-week run. Timings on a shared machine are noisy: compare ratios measured in one run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing
import os
import resource
import shutil
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PHASES = ("sha256", "parse", "normalise", "stage", "gate", "publish")


@dataclass
class FileMeasure:
    file: str
    megabytes: float
    rows: int
    status: str
    floor_wall: float
    floor_cpu: float
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    rule: str | None = None

    @property
    def load_wall(self) -> float:
        return sum(wall for wall, _ in self.phases.values())

    @property
    def load_cpu(self) -> float:
        return sum(cpu for _, cpu in self.phases.values())


def _measure_file(path: Path, home: Path) -> FileMeasure:
    """In a child process: the floor of the file, then its load through the production path."""
    from benchmarks.national import count_rows
    from pipelines.home import Home
    from pipelines.ingest.files import LandingFile, classify
    from pipelines.ingest.load import load_file

    started, cpu = time.perf_counter(), time.process_time()
    rows = count_rows(path)
    floor_wall, floor_cpu = time.perf_counter() - started, time.process_time() - cpu
    item = classify(path)
    assert isinstance(item, LandingFile), item
    outcome = load_file(
        LandingFile(home / "landing" / path.name, item.dataset, item.region, item.week), Home(home)
    )
    return FileMeasure(
        file=path.name,
        megabytes=path.stat().st_size / 2**20,
        rows=rows,
        status=outcome.status,
        floor_wall=floor_wall,
        floor_cpu=floor_cpu,
        phases=outcome.phases,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        rule=outcome.rule,
    )


def _child(path: Path, home: Path, sender: Any) -> None:
    try:
        sender.send(asdict(_measure_file(path, home)))
    except BaseException:
        sender.send({"error": traceback.format_exc()})
        raise
    finally:
        sender.close()


def measure(landing: Path, home: Path) -> list[FileMeasure]:
    """Each delivered file of `landing` loaded into `home` (wiped first), fgis_orgs first."""
    if home.exists():
        shutil.rmtree(home)
    (home / "landing").mkdir(parents=True)
    from pipelines.secrets import mark_demo

    mark_demo(home)  # generated data only: the documented development keys are allowed here
    files = sorted(
        (p for p in landing.iterdir() if p.is_file() and p.stat().st_size > 0),
        key=lambda p: (not p.name.startswith("fgis_orgs_"), p.name),
    )
    for path in files:
        os.link(path, home / "landing" / path.name)
    # Imported once in the parent: each forked child starts warm, as a Dagster run's process does
    # after its first file (imports are DAGSTER's fixed cost, not the gate's).
    for module in ("benchmarks.national", "pipelines.ingest.load"):
        importlib.import_module(module)
    from pipelines.config import load_config

    load_config()  # read once: the children share the parent's parsed configuration
    started = time.perf_counter()
    gate = importlib.import_module("pipelines.checks.gate")
    gate.prepare(home / load_config().paths.data_docs)
    print(f"one-off per process: import GE and open the GE context {time.perf_counter() - started:.1f} s")

    fork = multiprocessing.get_context("fork")
    measures = []
    for path in files:
        receiver, sender = fork.Pipe(duplex=False)
        child = fork.Process(target=_child, args=(path, home, sender))
        child.start()
        data = receiver.recv()
        child.join()
        if "error" in data:
            raise RuntimeError(f"{path.name}: {data['error']}")
        data["phases"] = {k: tuple(v) for k, v in data["phases"].items()}
        measures.append(FileMeasure(**data))
        print(_line(measures[-1]), flush=True)
    return measures


def _line(m: FileMeasure) -> str:
    walls = "".join(f"{m.phases.get(p, (0.0, 0.0))[0]:9.2f}" for p in PHASES)
    gate = m.phases.get("gate", (0.0, 0.0))[0]
    ratio = f"{gate / m.floor_wall:7.2f}" if m.floor_wall else "      —"
    return (
        f"{m.file:38.38} {m.megabytes:8.1f} {m.rows:10,} {m.floor_wall:8.2f}{walls}"
        f" {m.load_wall:8.2f} {m.load_cpu:8.2f} {ratio} {m.peak_rss_mb:8.0f}  {m.status}"
        + (f" [{m.rule}]" if m.rule else "")
    )


def header() -> str:
    phases = "".join(f"{p:>9}" for p in PHASES)
    return (
        f"{'file':38} {'MB':>8} {'rows':>10} {'floor s':>8}{phases} {'load s':>8} {'load cpu':>8}"
        f" {'gate/fl':>7} {'RSS MB':>8}  status"
    )


def totals(measures: list[FileMeasure]) -> str:
    floor = sum(m.floor_wall for m in measures)
    phase_sum = {p: sum(m.phases.get(p, (0.0, 0.0))[0] for m in measures) for p in PHASES}
    load = sum(m.load_wall for m in measures)
    cpu = sum(m.load_cpu for m in measures)
    peak = max((m.peak_rss_mb for m in measures), default=0.0)
    lines = [
        f"{'TOTAL':38} {sum(m.megabytes for m in measures):8.1f} {sum(m.rows for m in measures):10,}"
        f" {floor:8.2f}" + "".join(f"{phase_sum[p]:9.2f}" for p in PHASES) + f" {load:8.2f} {cpu:8.2f}"
        f" {phase_sum['gate'] / floor if floor else 0:7.2f} {peak:8.0f}",
        f"gate (all GE gates) / floor = {phase_sum['gate'] / floor:.2f};"
        f" whole load / floor = {load / floor:.2f}; peak RSS of one file's load = {peak:.0f} MB"
        if floor
        else "floor not measured",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--landing", type=Path, required=True, help="one region-week's delivered files")
    parser.add_argument("--home", type=Path, required=True, help="scratch home (wiped)")
    parser.add_argument("--json", type=Path, help="write the measures as JSON here")
    args = parser.parse_args(argv)
    print(header(), flush=True)
    measures = measure(args.landing, args.home)
    print(totals(measures))
    if args.json:
        args.json.write_text(json.dumps([asdict(m) for m in measures], indent=2), encoding="utf-8")
    return 0 if all(m.status in ("loaded", "replaced") for m in measures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
