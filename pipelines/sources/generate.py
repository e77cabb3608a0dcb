"""`edumon generate`: realistic sample exports, one file per dataset × region × week.

The demo preset is four small regions: three ГИС formats and one region without a ГИС (RU-NEN); the
national preset is every region at real magnitudes, streamed municipality by municipality so memory
stays bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipelines.config import load_config, region_codes
from pipelines.sources import population as pop
from pipelines.sources.plan import Municipality, RegionPlan, plan_demo_region, plan_national_region
from pipelines.sources.writers import ExportWriter, export_file_name
from pipelines.weeks import shift_week, week_range

MUNICIPAL_DATASETS = (
    "fgis_users",
    "fgis_content",
    "sferum_orgs",
    "sferum_users",
    "sferum_chats",
    "gis_students",
    "gis_staff",
)
DEFAULT_SYSTEM_NAME = "Региональная ГИС «Образование»"


@dataclass
class GenerationResult:
    out: Path
    weeks: list[str]
    regions: list[str]
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # dataset → rows over all files
    defects: dict[str, dict[str, str]] = field(default_factory=dict)


def preset_regions(preset: str) -> list[str]:
    regions = load_config().samples.presets[preset].regions
    return region_codes() if regions == "all" else list(regions)


def plan_region(preset: str, code: str, seed: int, scale: float = 1.0) -> RegionPlan:
    if preset == "demo":
        if scale != 1.0:
            raise ValueError("--scale shrinks the national preset; the demo preset is already small")
        return plan_demo_region(code, seed)
    return plan_national_region(code, seed, scale)


def selected_regions(preset: str, regions: Iterable[str] | None) -> list[str]:
    """The preset's regions, or the named subset of them (in the preset's order)."""
    available = preset_regions(preset)
    if regions is None:
        return available
    wanted = set(regions)
    unknown = sorted(wanted - set(available))
    if unknown:
        raise ValueError(f"regions not in preset {preset!r}: {', '.join(unknown)}")
    return [code for code in available if code in wanted]


def weeks_ending(last_week: str, count: int) -> list[str]:
    return week_range(shift_week(last_week, -(count - 1)), last_week)


def _region_tables(region: RegionPlan, dataset: str, week: pop.Week) -> pa.Table:
    if dataset == "fgis_orgs":
        return pop.fgis_orgs(region, week)
    if dataset == "gis_exchange":
        system = load_config().regions.get(region.code)
        return pop.gis_exchange(region, (system.system_name if system else None) or DEFAULT_SYSTEM_NAME, week)
    return pop.cc_requests(region, week)


def write_region_week(
    region: RegionPlan,
    week: pop.Week,
    out: Path,
    datasets: Iterable[str] | None = None,
    keep_municipality: Callable[[Municipality], bool] = lambda _: True,
    stream: bool = False,
) -> dict[str, ExportWriter]:
    """Write the region's files of one week (all datasets unless named; no gis_* file from a region
    without a regional ГИС, orchestration.yaml regions.<code>.gis: none); returns the closed writers."""
    expected = load_config().expected_datasets(region.code)
    wanted = [d for d in (datasets or expected) if d in expected]
    writers = {
        d: ExportWriter(out / export_file_name(d, region.code, week.label), d, region.code, stream)
        for d in wanted
    }
    try:
        for dataset in wanted:
            if dataset not in MUNICIPAL_DATASETS:
                writers[dataset].write(_region_tables(region, dataset, week))
        municipal = [d for d in wanted if d in MUNICIPAL_DATASETS]
        for muni in region.municipalities:
            if not municipal or not keep_municipality(muni):
                continue
            tables = pop.municipality_tables(region, muni, week)
            for dataset in municipal:
                writers[dataset].write(tables[dataset])
    finally:
        for writer in writers.values():
            writer.close()
    return writers


def generate(
    preset: str,
    out: Path,
    weeks: int | None = None,
    seed: int | None = None,
    last_week: str | None = None,
    with_defects: bool = False,
    progress: Callable[[str], None] | None = None,
    regions: Iterable[str] | None = None,
    scale: float = 1.0,
) -> GenerationResult:
    """Write the preset's files; `regions` keeps a subset, `scale` < 1 shrinks the national preset."""
    samples = load_config().samples
    if preset not in samples.presets:
        raise ValueError(f"unknown preset {preset!r}; known: {sorted(samples.presets)}")
    seed = samples.seed if seed is None else seed
    labels = weeks_ending(last_week or samples.last_week, weeks or samples.presets[preset].weeks)
    result = GenerationResult(out=out, weeks=labels, regions=selected_regions(preset, regions))
    if preset == "demo" and scale != 1.0:
        raise ValueError("--scale shrinks the national preset; the demo preset is already small")
    out.mkdir(parents=True, exist_ok=True)
    plans = {}
    for code in result.regions:
        started = time.monotonic()
        plan = plan_region(preset, code, seed, scale)
        plans[code] = plan
        for label in labels:
            week = pop.Week(label, seed, pop.school_year_of(label))
            for dataset, writer in write_region_week(plan, week, out, stream=preset != "demo").items():
                result.files.append(writer.path)
                result.rows[dataset] = result.rows.get(dataset, 0) + writer.rows
        if progress:
            progress(f"{code}: {len(labels)} weeks in {time.monotonic() - started:.1f} s")
    if with_defects:
        from pipelines.sources.defects import write_defects

        result.defects = write_defects(plans, labels, seed, out)
    return result
