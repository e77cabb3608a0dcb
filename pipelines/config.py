"""Load and validate orchestration.yaml: the one place for deployment configuration.

Every other module reads settings through `load_config()`; a wrong key or value stops with the
path of the offending entry (pydantic's `extra="forbid"` turns a typo into an error, not a
silently ignored setting).
"""

from __future__ import annotations

import csv
import os
import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "orchestration.yaml"
REGIONS_SEED = PROJECT_ROOT / "dbt_project" / "seeds" / "ref_regions.csv"
WEEK_RE = re.compile(r"^\d{4}-W\d{2}$")

FieldType = Literal[
    "string", "int", "bool", "date", "timestamp", "enum", "inn", "snils", "region", "class_label"
]


class ConfigError(ValueError):
    """orchestration.yaml is invalid; the message names the entry and the problem."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Paths(Strict):
    landing: str = "landing"
    lake: str = "lake"
    quarantine: str = "quarantine"
    warehouse: str = "warehouse.duckdb"
    serving: str = "serving.duckdb"
    outbox: str = "outbox"
    dagster_home: str = "dagster"
    data_docs: str = "docs"
    superset: str = "superset"
    logs: str = "logs"

    @field_validator("lake")
    @classmethod
    def _lake_filesystem(cls, value: str) -> str:
        """The lake may be a filesystem URL (s3://…, memory://…; docs/scaling.md): one fsspec opens."""
        if "://" in value:
            import fsspec

            try:
                fsspec.get_filesystem_class(value.split("://", 1)[0])
            except (ValueError, ImportError) as error:
                raise ValueError(f"no filesystem for the lake URL {value!r}: {error}") from None
        return value


class SparkWarehouse(Strict):
    """Apache Spark of the dbt build in session mode (docs/scaling.md): folders relative to the home."""

    warehouse_dir: str = "spark-warehouse"  # the Spark tables (Parquet) of staging … marts
    metastore_dir: str = "spark-metastore"  # the embedded Derby metastore that names them
    master: str = "local[*]"
    driver_memory: str = Field(default="2g", pattern=r"^[0-9]+[kmgt]$")
    shuffle_partitions: int = Field(default=4, ge=1)


class Warehouse(Strict):
    """DuckDB settings of the dbt build: a spill folder (relative to the home); its memory limit is
    derived from `memory` (Memory.dbt_duckdb_bytes)."""

    # The engine of the dbt build; EDUMON_ENGINE overrides it (SPEC.md «Engine»).
    engine: Literal["duckdb", "spark"] = "duckdb"
    temp_directory: str = "tmp/duckdb"
    # dbt.log's level in the home (logs/dbt). dbt's default, debug, writes every statement and
    # connection event: 10 MB and 2–4 s of a region-week's dbt step; `info` keeps each node's start,
    # result and error. DBT_LOG_LEVEL_FILE in the environment overrides it for one command.
    dbt_file_log_level: Literal["debug", "info", "warn", "error", "none"] = "info"
    spark: SparkWarehouse = SparkWarehouse()


SIZE_PATTERN = r"^[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$"
_UNIT_POWER = {"K": 1, "M": 2, "G": 3, "T": 4}
# The smallest DuckDB limit the dbt build is let to run with: below it the budget is a typo, and
# dbt would fail deep in a model with DuckDB's out-of-memory error instead of at load.
MIN_DUCKDB_BYTES = 256 << 20


def size_bytes(text: str) -> int:
    """A size such as `6GB` or `512MiB` in bytes. Binary units either way (1GB = 1024MB = 2**30
    bytes), as the benchmark reports memory, so a budget reads the same as a measured peak."""
    number, unit = re.fullmatch(r"([0-9.]+)\s*([KMGT])i?B", text.strip()).groups()  # type: ignore[union-attr]
    return int(float(number) * 1024 ** _UNIT_POWER[unit])


def duckdb_size(size: int) -> str:
    """Bytes as a DuckDB `memory_limit` value (MiB: DuckDB reads `GB` as 10**9 bytes)."""
    return f"{max(1, size >> 20)}MiB"


def duckdb_memory(size: int) -> dict[str, Any]:
    """`duckdb.connect(config=…)` of a connection bounded to `size` bytes (beyond it DuckDB spills
    or fails; unbounded, it takes 80 % of the machine's RAM)."""
    return {"memory_limit": duckdb_size(size)}


class Memory(Strict):
    """The memory budget of `edumon run`'s whole process tree (issue 13) and how it is shared.

    dbt runs as a child of the edumon process: its DuckDB gets what the budget leaves beside the
    edumon process's own allowance and dbt's Python (`dbt_duckdb_bytes`). The ingest runs inside
    the edumon process: its files' working memory is the budget beside that allowance
    (`ingest_bytes`), a file costing its size × `ingest_bytes_per_byte` (pipelines/ingest/admission.py)."""

    budget: str = Field(pattern=SIZE_PATTERN)  # the peak RSS of the process tree
    edumon_process: str = Field(pattern=SIZE_PATTERN)  # the parent: Python, Dagster, GE, imports
    dbt_process: str = Field(pattern=SIZE_PATTERN)  # dbt's Python beside its DuckDB
    # peak RSS per byte of a delivered file while it is parsed, normalised and staged (measured)
    ingest_bytes_per_byte: float = Field(gt=0)

    @model_validator(mode="after")
    def _budget_fits(self) -> Memory:
        if self.dbt_duckdb_bytes < MIN_DUCKDB_BYTES:
            raise ValueError(
                f"budget {self.budget} leaves {self.dbt_duckdb_bytes >> 20} MiB for dbt's DuckDB beside "
                f"edumon_process {self.edumon_process} and dbt_process {self.dbt_process}; "
                f"at least {MIN_DUCKDB_BYTES >> 20} MiB are needed"
            )
        return self

    @property
    def ingest_bytes(self) -> int:
        """What the ingest's files (and the gate's DuckDB) may hold at once."""
        return size_bytes(self.budget) - size_bytes(self.edumon_process)

    @property
    def dbt_duckdb_bytes(self) -> int:
        """DuckDB's memory_limit in the dbt build: the budget less both processes' own memory."""
        return self.ingest_bytes - size_bytes(self.dbt_process)


class Locking(Strict):
    """One writer per home (pipelines/home_lock.py, docs/operations.md)."""

    wait_seconds: float = Field(default=0, ge=0)  # then the second command exits 75
    lock_file: str = ".edumon.lock"  # relative to the home
    orphan_grace_seconds: float = Field(default=30, gt=0)  # a dead run's dbt: SIGTERM, then SIGKILL


class DagsterSettings(Strict):
    """The home's Dagster instance (pipelines/orchestration/instance.py writes its dagster.yaml)."""

    # PRAGMA synchronous of the SQLite event log under WAL (pipelines/orchestration/storage.py):
    # NORMAL commits without an fsync (a killed run loses nothing; a power cut may lose the last
    # events), FULL is dagster's default durability at an fsync per event.
    event_log_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"


class Retention(Strict):
    """How long landing/ and quarantine/ keep delivered files (personal data): `edumon purge`."""

    landing_weeks: int = Field(default=4, ge=1)
    quarantine_weeks: int = Field(default=8, ge=1)


class Calendar(Strict):
    first_week: str
    last_week: str

    @field_validator("first_week", "last_week")
    @classmethod
    def _iso_week(cls, value: str) -> str:
        if not WEEK_RE.match(value):
            raise ValueError(f"{value!r} is not an ISO week label like 2026-W47")
        return value


class DeliveryDeadline(Strict):
    weekday: int = Field(ge=1, le=7)
    time: str = Field(pattern=r"^\d{2}:\d{2}$")


class WeeklyRun(Strict):
    cron: str


class Schedules(Strict):
    weekly_run: WeeklyRun
    landing_sensor_seconds: int = Field(ge=5)
    delivery_deadline: DeliveryDeadline


class Privacy(Strict):
    snils_key_env: str
    development_key: str


class Gates(Strict):
    volume_drop_threshold: float = Field(ge=0, le=1)
    failing_examples: int = Field(ge=1)
    foreign_inn_tolerance: float = Field(ge=0, le=1)
    invalid_inn_tolerance: float = Field(ge=0, le=1)
    volume_min_previous_rows: int = Field(ge=1)
    data_docs_index_limit: int = Field(ge=1)
    data_docs_host: str = "127.0.0.1"
    data_docs_port: int = Field(default=8095, ge=1, le=65535)
    worker_process: bool = True


class IngestLimits(Strict):
    """What a delivered file may claim before it is read (a larger claim is quarantined unread):
    a sheet's dimension or cells beyond these rows/columns, an archive inflating beyond
    `max_uncompressed_mb` or by more than `max_compression_ratio`, a CSV line longer than
    `max_line_bytes` (also the CSV reader's block size)."""

    max_rows: int = Field(ge=1)
    max_columns: int = Field(ge=1, le=16384)
    max_cells: int = Field(ge=1)
    max_uncompressed_mb: int = Field(ge=1)
    max_compression_ratio: int = Field(ge=2)
    max_line_bytes: int = Field(ge=1024)


class Ingest(Strict):
    limits: IngestLimits
    # Threads that read, parse, normalise and stage one dataset's files of a run before its gate
    # (pyarrow and DuckDB release the GIL); each holds one file's tables at a time.
    workers: int = Field(ge=1)


class Thresholds(Strict):
    lively_chat_min_messages: int = Field(ge=1)
    using_org_min_active_chats: int = Field(ge=1)
    using_org_chat_min_messages: int = Field(ge=1)
    student_active_window_days: int = Field(ge=1)
    student_low_use_flag: float = Field(ge=0, le=1)
    exchange_window_days: int = Field(ge=1)
    consistency_tolerance: float = Field(ge=0, le=1)
    timeliness_entry_days: int = Field(ge=0)
    physical_fitness_months: list[int]
    required_profile_fields: list[str]
    request_deadline_hours: float = Field(gt=0)


class Indicator(Strict):
    name: str
    unit: Literal["share", "count", "score", "hours"]
    target: float | None
    source: str  # the seed document the definition and target come from
    formula: str
    # A threshold, deadline or target no seed fixes: edumon's choice, shown as such (never as a seed's).
    edumon_default: str | None = None
    # Computed from the regional ГИС: in a region without one (regions.<code>.gis: none) it reads «нет ГИС».
    gis: bool = False


class RatingEdition(Strict):
    municipal_indicators: list[str]
    csv_delimiter: str = Field(min_length=1, max_length=1)
    csv_decimal: Literal[".", ","]
    csv_decimals: int = Field(ge=0, le=15)

    @model_validator(mode="after")
    def _separators_differ(self) -> RatingEdition:
        if self.csv_delimiter == self.csv_decimal:
            raise ValueError("csv_delimiter and csv_decimal must differ, or numbers split across columns")
        return self


class RatingSection(Strict):
    """One of the five parts of the weekly report that protocol 18.10.2022 p.11 names."""

    id: str = Field(pattern=r"^[a-z_]+$")
    name: str
    indicators: list[str]  # weighted indicators of the section (the «Регионы без ГИС» part has none)


class Rating(Strict):
    weights: dict[str, float]
    sections: list[RatingSection]
    # D1 (SPEC): a region is unranked only when more than this share of the weight lacks data.
    unranked_missing_weight: float = Field(ge=0, le=1)
    edition: RatingEdition

    @model_validator(mode="after")
    def _sections_cover_weights(self) -> Rating:
        placed = [i for section in self.sections for i in section.indicators]
        if sorted(placed) != sorted(self.weights):
            raise ValueError("rating.sections must list every weighted indicator exactly once")
        return self

    @field_validator("weights")
    @classmethod
    def _sum_to_one(cls, weights: dict[str, float]) -> dict[str, float]:
        if abs(sum(weights.values()) - 1.0) > 1e-9:
            raise ValueError(f"rating weights must sum to 1, they sum to {sum(weights.values()):.4f}")
        return weights


class FieldSpec(Strict):
    type: FieldType
    required: bool = False
    values: list[str] | None = None
    pattern: str | None = None
    min: float | None = None
    pii: Literal["flag", "hash"] | None = None
    registry: bool = False  # the value must exist in the organisation registry (fgis_orgs.inn)
    # The ISO week the field joined the contract: optional on delivery (a file without the column
    # loads, the lake column is empty and the indicators that need it read «нет данных»).
    since: str | None = Field(default=None, pattern=r"^[0-9]{4}-W[0-9]{2}$")

    @model_validator(mode="after")
    def _enum_has_values(self) -> FieldSpec:
        if (self.type == "enum") != (self.values is not None):
            raise ValueError("`values` is given exactly for fields of type enum")
        if self.since and self.required:
            raise ValueError("a field added with `since` is optional on delivery: it cannot be `required`")
        return self


class FileFormat(Strict):
    kind: Literal["csv", "jsonl", "xlsx"]
    encoding: str = "utf-8"
    delimiter: str = ","
    date_format: str = "%Y-%m-%d"
    sheet: str | None = None
    booleans: dict[bool, list[str]] = Field(default_factory=lambda: {True: ["true"], False: ["false"]})
    values: dict[str, dict[str, str]] = Field(default_factory=dict)  # field → {delivered: canonical}
    columns: dict[str, str] = Field(default_factory=dict)  # canonical field → delivered header

    @model_validator(mode="after")
    def _xlsx_has_sheet(self) -> FileFormat:
        if self.kind == "xlsx" and not self.sheet:
            raise ValueError("an xlsx format names its `sheet`")
        return self


class Dataset(Strict):
    system: Literal["fgis", "sferum", "gis", "competence_centre"]
    kind: Literal["snapshot", "activity"]
    key: list[str]
    format: FileFormat
    fields: dict[str, FieldSpec]

    @model_validator(mode="after")
    def _key_fields_exist(self) -> Dataset:
        missing = [k for k in self.key if k not in self.fields]
        if missing:
            raise ValueError(f"key fields {missing} are not among the fields")
        return self

    @property
    def regional(self) -> bool:
        """Regional datasets may arrive in a region's own format (SPEC.md)."""
        return self.system in ("gis", "competence_centre")

    @property
    def extension(self) -> str:
        return self.format.kind


class Region(Strict):
    # `none`: the region has no regional ГИС (protocol 18.10.2022 p.11): no gis_* file is expected.
    gis: Literal["regional", "none"] = "regional"
    system_name: str | None = None  # the regional ГИС's name (gis_exchange `system`); none without a ГИС
    formats: dict[str, FileFormat] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _system_named(self) -> Region:
        if self.gis == "regional" and not self.system_name:
            raise ValueError("system_name: the name of the region's ГИС is required (or gis: none)")
        return self


class SamplePreset(Strict):
    regions: list[str] | Literal["all"]
    weeks: int = Field(ge=1)


class Samples(Strict):
    last_week: str
    seed: int
    presets: dict[str, SamplePreset]

    @field_validator("last_week")
    @classmethod
    def _iso_week(cls, value: str) -> str:
        if not WEEK_RE.match(value):
            raise ValueError(f"{value!r} is not an ISO week label like 2026-W47")
        return value


class Superset(Strict):
    host: str
    port: int
    admin_user_env: str
    admin_password_env: str
    development_admin_user: str
    development_admin_password: str
    secret_key_env: str
    ministry_role: str
    regional_role_prefix: str
    environment: str  # relative to the project root
    requirements: str
    constraints: str
    bundle: str
    security: str
    workers: int = Field(ge=1)
    startup_timeout_seconds: int = Field(ge=10)
    request_timeout_seconds: int = Field(ge=10)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class Project(Strict):
    name: str
    timezone: str


class Config(Strict):
    project: Project
    paths: Paths
    warehouse: Warehouse = Warehouse()
    memory: Memory
    locking: Locking = Locking()
    dagster: DagsterSettings = DagsterSettings()
    retention: Retention = Retention()
    calendar: Calendar
    schedules: Schedules
    privacy: Privacy
    gates: Gates
    ingest: Ingest
    thresholds: Thresholds
    indicators: dict[str, Indicator]
    rating: Rating
    samples: Samples
    datasets: dict[str, Dataset]
    regions: dict[str, Region]
    superset: Superset

    @model_validator(mode="after")
    def _cross_references(self) -> Config:
        unknown = set(self.rating.weights) - set(self.indicators)
        if unknown:
            raise ValueError(f"rating.weights names unknown indicators {sorted(unknown)}")
        unknown = set(self.rating.edition.municipal_indicators) - set(self.indicators)
        if unknown:
            raise ValueError(f"rating.edition.municipal_indicators: unknown indicators {sorted(unknown)}")
        student_fields = self.datasets["gis_students"].fields
        # «phone|email»: one of the alternatives is enough (seed 001: «мобильный телефон, телефон, e-mail»).
        named = [f for entry in self.thresholds.required_profile_fields for f in entry.split("|")]
        bad = [f for f in named if f not in student_fields]
        if bad:
            raise ValueError(f"thresholds.required_profile_fields names unknown gis_students fields {bad}")
        for code, region in self.regions.items():
            for name, fmt in region.formats.items():
                dataset = self.datasets.get(name)
                if dataset is None:
                    raise ValueError(f"regions.{code}.formats.{name}: unknown dataset")
                if not dataset.regional:
                    raise ValueError(f"regions.{code}.formats.{name}: federal datasets have one format")
                if name not in self.expected_datasets(code):
                    raise ValueError(f"regions.{code}.formats.{name}: a region with gis: none sends none")
                stray = set(fmt.columns) - set(dataset.fields)
                if stray:
                    raise ValueError(f"regions.{code}.formats.{name}.columns: unknown fields {sorted(stray)}")
        return self

    def file_format(self, dataset: str, region: str) -> FileFormat:
        """The format a region delivers a dataset in: its own mapping, else the contract's."""
        region_cfg = self.regions.get(region)
        if region_cfg and dataset in region_cfg.formats:
            return region_cfg.formats[dataset]
        return self.datasets[dataset].format

    def has_gis(self, region: str) -> bool:
        region_cfg = self.regions.get(region)
        return region_cfg is None or region_cfg.gis != "none"

    def regions_without_gis(self) -> list[str]:
        return [code for code in self.regions if not self.has_gis(code)]

    def expected_datasets(self, region: str) -> list[str]:
        """The datasets a region delivers weekly: every one, but no gis_* from a region without a ГИС."""
        return [name for name, d in self.datasets.items() if d.system != "gis" or self.has_gis(region)]


def _format_error(error: ValidationError, source: Path) -> str:
    lines = [f"{source}: invalid configuration"]
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        lines.append(f"  {where}: {item['msg']}")
    return "\n".join(lines)


def parse_config(raw: dict[str, Any], source: Path = DEFAULT_CONFIG) -> Config:
    try:
        config = Config.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(_format_error(error, source)) from None
    known = set(region_codes())
    unknown = sorted(set(config.regions) - known)
    if unknown:
        raise ConfigError(f"{source}: regions {unknown} are not in {REGIONS_SEED.name}")
    for name, preset in config.samples.presets.items():
        stray = [] if preset.regions == "all" else sorted(set(preset.regions) - known)
        if stray:
            where = f"samples.presets.{name}.regions"
            raise ConfigError(f"{source}: {where} {stray} are not in {REGIONS_SEED.name}")
    return config


@cache
def load_config(path: str | None = None) -> Config:
    """Read orchestration.yaml (EDUMON_CONFIG overrides the default path)."""
    source = Path(path or os.environ.get("EDUMON_CONFIG") or DEFAULT_CONFIG)
    with source.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return parse_config(raw, source)


@cache
def region_rows() -> tuple[dict[str, str], ...]:
    """Russia's regions from the dbt seed (code, name_ru, federal_district, timezone, ...)."""
    with REGIONS_SEED.open(encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def region_codes() -> list[str]:
    return [row["region_code"] for row in region_rows()]


ENGINE_ENV = "EDUMON_ENGINE"


def warehouse_engine(config: Config | None = None) -> str:
    """The dbt build's engine: EDUMON_ENGINE, else orchestration.yaml warehouse.engine."""
    engine = os.environ.get(ENGINE_ENV) or (config or load_config()).warehouse.engine
    if engine not in ("duckdb", "spark"):
        raise ConfigError(f"{ENGINE_ENV}={engine!r}: the engine is duckdb or spark")
    return engine


def home_dir(home: str | Path | None = None) -> Path:
    """The working folder: --home, else EDUMON_HOME, else ./data."""
    return Path(home or os.environ.get("EDUMON_HOME") or "data").resolve()


def home_path(name: str, home: str | Path | None = None) -> Path:
    """A working path of the home folder by its `paths` key (landing, lake, warehouse, ...)."""
    return home_dir(home) / getattr(load_config().paths, name)
