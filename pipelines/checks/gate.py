"""The load gate: a dataset's committed suite run over a dataset-week's staged (PII-free) rows.

Great Expectations 1.24 validates inside DuckDB with its own SQL execution engine
(`pipelines.checks.ge_duckdb`). A GE validation costs ≈ 0.35–0.6 CPU s of GE's Python whatever
the rows (metric graph, stores), so the gate validates a dataset-week at once (`gate_week`): a
DuckDB view over every region's staged Parquet (no copy, no pandas), where what depends on the
file is a column beside its rows (suites.PARAMETER columns: expected region, registry membership,
file rows and volume floor, the key scoped to the file). Every rule of the suite then holds row
by row within a file: with every `mostly` at 1.0 the dataset-week passes iff each file does, so a
clean week is ONE stored validation. A failing week is split in halves (probes GE validates
without storing) down to the failing files, and each failing file is validated alone — the union
of one file, exactly the per-file gate — for its findings. (A suite with a `mostly` below 1.0 is
a share per file: then every file is validated alone.) Two passes keep a clean relation cheap:
the first asks GE for verdicts and counts only (BASIC without examples: none of the example scans
GE sends for SUMMARY/COMPLETE even when an expectation passes); only a failing file gets the
detailed pass (COMPLETE, row numbers by `source_row`) that the findings and the quarantine report
cite. The file-mode context lives in `{home}/docs/gx`; every validation is stored there, and the
pages of a batch of loads (one ingest step) and the Data Docs index are built once after the batch
(`publish_data_docs`): GE's index reads every stored result it lists, so an index rebuilt per file
made a year of weeks quadratic. The index lists the newest `gates.data_docs_index_limit`
validations; every validation keeps its page, which the Dagster asset check links to. Neither
pass stores a cell of the file (NO_VALUES): results hold counts and row numbers.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.checks import suites
from pipelines.checks.findings import MAX_ROWS_REPORTED, Finding
from pipelines.checks.suites import load_suite
from pipelines.config import duckdb_memory, load_config

# Great Expectations (and ge_duckdb, which imports it) is imported inside the functions that
# validate: its import costs seconds, and the Definitions (UI, sensor ticks) import this module.

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # no network calls from the gate

STAGED = "staged"
NO_REGISTRY_NOTE = "no organisation registry (fgis_orgs) for this region-week: referential rule not evaluated"
# First pass: verdicts and unexpected counts. GE then sends one bundled aggregate of the map
# metrics plus the queries of the metrics it cannot bundle (uniqueness); its example queries are
# cut to LIMIT 0, which DuckDB answers without a scan. (BOOLEAN_ONLY would drop them as well, but
# also drops the observed values the Data Docs renderer needs.)
# Neither pass lets a cell into a result: GE stores every result under the home and renders it
# into Data Docs, and a region may put a pupil's name into a non-personal column (class_label) or a
# phone into an enum. `exclude_unexpected_values` drops the unexpected values, their counts and the
# value half of the index list; the index query (it names the failing column's rule, not cells) and
# the unexpected rows are off as well. Results carry counts and row numbers only.
NO_VALUES: dict[str, Any] = {
    "exclude_unexpected_values": True,
    "include_unexpected_rows": False,
    "return_unexpected_index_query": False,
}
VERDICTS: dict[str, Any] = {"result_format": "BASIC", "partial_unexpected_count": 0, **NO_VALUES}
# Detailed pass of a failing file: every failing expectation with its count and the row numbers a
# finding cites (GE's SQL engine truncates the index list at partial_unexpected_count).
DETAILED: dict[str, Any] = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": ["source_row"],
    "partial_unexpected_count": MAX_ROWS_REPORTED,
    **NO_VALUES,
}


@dataclass
class GateResult:
    passed: bool
    findings: list[Finding]
    report: str | None
    notes: list[str] = field(default_factory=list)
    statistics: dict[str, Any] = field(default_factory=dict)
    # The stored result's key (GE's ValidationResultIdentifier as a tuple: plain values, so a result
    # crosses from the gate's worker process without importing GE); publish_data_docs builds its page.
    validation_id: tuple[str, ...] | None = None


class _MemoryBytecodeCache:
    """Compiled Jinja templates shared by every Data Docs build of the process.

    GE builds a new Jinja environment for each page it renders and compiles ~50 templates each
    time (0.6 s per validation); a shared bytecode cache makes that a one-off per process.
    """

    def __init__(self) -> None:
        from jinja2 import BytecodeCache

        store: dict[str, bytes] = {}

        class Cache(BytecodeCache):
            def load_bytecode(self, bucket: Any) -> None:
                if bucket.key in store:
                    bucket.bytecode_from_string(store[bucket.key])

            def dump_bytecode(self, bucket: Any) -> None:
                store[bucket.key] = bucket.bytecode_to_string()

        self.cache = Cache()


@cache
def _share_template_cache() -> None:
    from great_expectations.render.view.view import DefaultJinjaView

    shared = _MemoryBytecodeCache().cache
    original_init = DefaultJinjaView.__init__

    def init_with_shared_cache(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.env.bytecode_cache = shared

    DefaultJinjaView.__init__ = init_with_shared_cache  # type: ignore[method-assign]


def _defer_scipy_stats() -> None:
    """GE imports `scipy.stats` at import time (1–1.3 s, a third of GE's own import) in the modules
    of expectations and metrics no suite here uses (KL divergence, KS tests). A lazy module stands in
    for it, the stdlib's `importlib.util.LazyLoader`: the first attribute read loads the real one."""
    if "scipy.stats" in sys.modules:
        return
    spec = importlib.util.find_spec("scipy.stats")
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["scipy.stats"] = module
    spec.loader.exec_module(module)
    # `from scipy import stats` reads the package's attribute; without it scipy's module __getattr__
    # would import the submodule, whose check of `__spec__` loads the lazy module at once.
    sys.modules["scipy"].stats = module  # type: ignore[attr-defined]


def import_great_expectations() -> None:
    """Import GE and the parts of it the gate uses: the gate's fixed cost (`gate_worker` pays it
    while a command starts)."""
    _defer_scipy_stats()
    import great_expectations.data_context.types.base
    import great_expectations.render.renderer.site_builder  # noqa: F401

    import pipelines.checks.ge_duckdb  # noqa: F401  (registers the `duckdb` datasource type first)


@cache
def _context(docs: str) -> Any:
    import_great_expectations()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _share_template_cache()
    context = gx.get_context(mode="file", project_root_dir=docs)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    _limit_index(context)
    context.variables.save()
    _read_config_variables_once(context)
    return context


def _limit_index(context: Any) -> None:
    """The Data Docs index lists the newest validations only: GE loads each listed result to draw it."""
    limit = load_config().gates.data_docs_index_limit
    sites = dict(context.variables.data_docs_sites or {})
    for site in sites.values():
        site.setdefault("site_index_builder", {"class_name": "DefaultSiteIndexBuilder"})
        site["site_index_builder"]["validation_results_limit"] = limit
    context.variables.data_docs_sites = sites


def _read_config_variables_once(context: Any) -> None:
    """GE re-reads and re-parses `uncommitted/config_variables.yml` on every configuration access
    (about 260 times per validation, a quarter of its time on a small file); the gate defines no
    config variables, so the values read once stand for the process."""
    from great_expectations.core.config_provider import _ConfigurationVariablesConfigurationProvider

    provider = context.config_provider.get_provider(_ConfigurationVariablesConfigurationProvider)
    if provider is not None:
        values = provider.get_values()
        provider.get_values = lambda: values


def prepare(docs: Path) -> None:
    """Import GE and open the home's file context once per process (the gate's fixed cost)."""
    docs.mkdir(parents=True, exist_ok=True)
    _context(str(docs))


@cache
def _suite(docs: str, suite_json: str) -> Any:
    """The GE suite object of a suite document (built once per process, context and variant)."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    _context(docs)  # a suite is built inside its context
    document = json.loads(suite_json)
    # All expectations at construction: `add_expectation` on a suite the store already holds (every
    # run after a home's first) rewrites the stored suite once per expectation (0.1–0.3 s a suite).
    return gx.ExpectationSuite(
        name=document["name"],
        meta=document.get("meta"),
        expectations=[ExpectationConfiguration(**item) for item in document["expectations"]],
    )


@dataclass(frozen=True)
class StagedFile:
    """One file of a dataset-week, staged for the gate.

    `gated`: every column normalise produced (the lake's and the `_valid_*` flags only the gate
    reads), which the gate validates; `staged`: its lake columns, published as they are when it
    passes (the same file when the dataset has no `_valid_*` flag). Two files, not a join: a join
    of the flags to the rows on 1.3 M rows cost 3× the validation, once per GE query. `columns`:
    what normalise produced; a file whose columns differ from the contract's cannot join the week's
    relation and is validated alone. `registry`: the organisation ИНН of its region-week, None
    without a registry.
    """

    name: str
    sha256: str
    region: str
    gated: Path
    staged: Path
    rows: int
    min_rows: int
    registry: list[str] | None
    columns: tuple[str, ...]


def gate_week(dataset: str, files: Sequence[StagedFile], docs: Path, run_name: str) -> dict[str, GateResult]:
    """The gate of a dataset-week's staged files: each file's verdict, findings and Data Docs page.

    One stored validation over every file whose columns are the contract's (`run_name`); its page is
    every passing file's report. A failing file's report is its own detailed validation.
    """
    prepare(docs)
    context = _context(str(docs))
    document = load_suite(dataset)
    suite = _suite(str(docs), json.dumps(document, sort_keys=True))
    expected = tuple(c for c in suites.gate_columns(dataset) if c not in suites.parameter_columns(dataset))
    joinable = [f for f in files if f.columns == expected]
    groups = [joinable] if joinable and _rules_hold_per_row(document) else [[f] for f in joinable]
    groups += [[f] for f in files if f.columns != expected]
    results: dict[str, GateResult] = {}
    for group in groups:
        name = run_name if len(group) > 1 else _file_run_name(group[0])
        identifier, validation = _validate(context, suite, dataset, group, VERDICTS, name)
        failing = [] if validation.success else _failing(context, suite, dataset, group)
        report = _report_url(context, identifier)
        for item in group:
            if item not in failing:
                results[item.name] = GateResult(
                    True, [], report, _notes(dataset, item), dict(validation.statistics), _key(identifier)
                )
        for item in failing:
            results[item.name] = _detailed(context, suite, dataset, item)
    return results


def _rules_hold_per_row(document: dict[str, Any]) -> bool:
    """Every rule is a verdict on each row (no share of a file's rows tolerated): a relation of many
    files passes iff every file does."""
    return all(float(e["kwargs"].get("mostly", 1.0)) == 1.0 for e in document["expectations"])


def _failing(context: Any, suite: Any, dataset: str, group: list[StagedFile]) -> list[StagedFile]:
    """The files of a failing relation that fail alone: halves probed (validated, not stored) down
    to single files. A half that passes holds no failing file; when one half passes the other fails."""
    if len(group) == 1:
        return group
    half = len(group) // 2
    left, right = group[:half], group[half:]
    left_fails = not _validate(context, suite, dataset, left, VERDICTS, None)[1].success
    right_fails = not left_fails or not _validate(context, suite, dataset, right, VERDICTS, None)[1].success
    return [
        *(_failing(context, suite, dataset, left) if left_fails else []),
        *(_failing(context, suite, dataset, right) if right_fails else []),
    ]


def _detailed(context: Any, suite: Any, dataset: str, item: StagedFile) -> GateResult:
    """A failing file alone, with the rows its findings cite."""
    identifier, validation = _validate(context, suite, dataset, [item], DETAILED, _file_run_name(item))
    findings = [_finding(result, item) for result in validation.results if not result.success]
    report = _report_url(context, identifier)
    notes, statistics = _notes(dataset, item), dict(validation.statistics)
    return GateResult(bool(validation.success), findings, report, notes, statistics, _key(identifier))


def _key(identifier: Any) -> tuple[str, ...]:
    return tuple(str(part) for part in identifier.to_tuple())


def _notes(dataset: str, item: StagedFile) -> list[str]:
    return [NO_REGISTRY_NOTE] if item.registry is None and suites.registry_fields(dataset) else []


def _file_run_name(item: StagedFile) -> str:
    return f"{Path(item.name).stem}.{item.sha256[:8]}"


def week_run_name(dataset: str, week: str, shas: Sequence[str]) -> str:
    """The run name of a dataset-week's validation: its files' contents, in any order."""
    digest = hashlib.sha256("".join(sorted(shas)).encode()).hexdigest()[:8]
    return f"{dataset}_{week}.{digest}"


def _validate(
    context: Any,
    suite: Any,
    dataset: str,
    files: list[StagedFile],
    result_format: dict[str, Any],
    run_name: str | None,
) -> tuple[Any, Any]:
    """GE over the relation of `files` (stored under `run_name`; None: a probe, not stored)."""
    import duckdb

    from pipelines.checks.ge_duckdb import validate_connection

    # the gate runs once the ingest's workers are done: it may use the ingest's whole share
    connection = duckdb.connect(config=duckdb_memory(load_config().memory.ingest_bytes))
    try:
        create_relation(connection, dataset, files)
        return validate_connection(
            context,
            connection,
            suite,
            relation=STAGED,
            result_format=result_format,
            run_name=run_name,
            store=run_name is not None,
        )
    finally:
        connection.close()


def create_relation(connection: Any, dataset: str, files: list[StagedFile]) -> None:
    """The view `staged` over the files' Parquet: their columns, then the per-file ones."""
    columns = set(files[0].columns)
    per_file = pa.table(
        {
            "source_file": [f.name for f in files],
            "expected_region": [f.region for f in files],
            "file_rows": pa.array([f.rows for f in files], pa.int64()),
            "min_rows": pa.array([f.min_rows for f in files], pa.int64()),
            "has_registry": [f.registry is not None for f in files],
        }
    )
    registry = pa.table(
        {
            "source_file": [f.name for f in files for _ in f.registry or []],
            "inn": pa.array([inn for f in files for inn in f.registry or []], pa.string()),
        }
    )
    connection.register("gate_files_arrow", per_file)
    connection.register("gate_registry_arrow", registry)
    # Tables, not the registered Arrow: GE's cursors are connections of their own.
    connection.execute("create table gate_files as select * from gate_files_arrow")
    connection.execute("create table gate_registry as select distinct * from gate_registry_arrow")
    staged = _parquet(connection, [f.gated for f in files])
    selected = ["s.*"]
    joins = [f"from {staged} s", "join gate_files f on f.source_file = s.source_file"]
    key = load_config().datasets[dataset].key
    for column in suites.parameter_columns(dataset):
        if column == suites.FILE_KEY:
            value = f"s.{_quoted(key[0])}"
            selected.append(
                f"case when {value} is not null then s.source_file || '/' || cast({value} as varchar)"
                f" end as {column}"
                if key[0] in columns
                else f"null::varchar as {column}"
            )
        elif column == suites.EXPECTED_REGION:
            selected.append(f"f.expected_region as {column}")
        elif column.startswith(suites.REGISTERED_PREFIX):
            name = column.removeprefix(suites.REGISTERED_PREFIX)
            if name not in columns:
                selected.append(f"null::boolean as {column}")
                continue
            alias = f"r_{len(joins)}"
            joins.append(
                f"left join gate_registry {alias} on {alias}.source_file = s.source_file"
                f" and {alias}.inn = s.{_quoted(name)}"
            )
            selected.append(
                f"case when f.has_registry and s.{_quoted(name)} is not null then {alias}.inn is not null"
                f" end as {column}"
            )
        elif column == suites.FILE_ROWS:
            selected.append(f"f.file_rows as {column}")
        elif column == suites.MIN_ROWS:
            selected.append(f"f.min_rows as {column}")
        else:  # a per-file column the suite generator added and this view does not build
            raise ValueError(f"no definition for the gate column {column}")
    connection.execute(f"create view {STAGED} as select {', '.join(selected)} {' '.join(joins)}")


def _parquet(connection: Any, paths: Sequence[Path]) -> str:
    """read_parquet of staged files; on a URL lake (fsspec) DuckDB reads through its filesystem."""
    remote = [p for p in paths if not isinstance(p, Path)]
    for path in remote[:1]:
        fs = path.fs  # type: ignore[attr-defined]
        protocols = fs.protocol if isinstance(fs.protocol, tuple | list) else (fs.protocol,)
        if not any(connection.filesystem_is_registered(p) for p in protocols):
            connection.register_filesystem(fs)
    listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
    return f"read_parquet([{listed}])"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def run_gate(
    table: pa.Table, dataset: str, docs: Path, run_name: str, parameters: dict[str, Any]
) -> GateResult:
    """The gate of one in-memory staged table (normalise's output) alone, as `gate_week` runs it on
    a one-file week. `parameters`: `region` ([code]), `registry_inns` (None: no registry), `min_rows`."""
    with tempfile.TemporaryDirectory(prefix="edumon-gate-") as folder:
        path = Path(folder) / f"{run_name}.parquet"
        pq.write_table(table, path)  # every column of normalise's output: no helper file
        item = StagedFile(
            name=table.column("source_file")[0].as_py() if table.num_rows else run_name,
            sha256=run_name,
            region=parameters["region"][0],
            gated=path,
            staged=path,
            rows=table.num_rows,
            min_rows=int(parameters["min_rows"]),
            registry=parameters.get("registry_inns"),
            columns=tuple(table.column_names),
        )
        return gate_week(dataset, [item], docs, run_name)[item.name]


def publish_data_docs(docs: Path, validation_ids: list[tuple[str, ...]]) -> None:
    """Build the Data Docs pages of a batch's validations, their suites' pages and the index, once."""
    if not validation_ids:
        return
    import time

    from pipelines.checks import data_docs

    context = _context(str(docs))
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier

    # the files of a dataset-week share its validation
    unique = [ValidationResultIdentifier.from_tuple(key) for key in dict.fromkeys(validation_ids)]
    suite_ids = {v.expectation_suite_identifier.name: v.expectation_suite_identifier for v in unique}
    started = time.time() - 1  # file times have coarse resolution on some file systems
    context.build_data_docs(resource_identifiers=[*unique, *suite_ids.values()])
    for site in context.get_docs_sites_urls(only_if_exists=False):
        data_docs.localise_site(data_docs.site_root(site["site_url"]), started)


def _finding(item: Any, staged: StagedFile) -> Finding:
    """A failed expectation of one file's validation, as the file's finding (per-file columns are
    reported as the field or the table rule they stand for)."""
    config = item.expectation_config
    kwargs = config.kwargs
    rule = config.meta.get("rule", config.type)
    column = (
        config.meta.get("field")
        or kwargs.get("column")
        or kwargs.get("column_A")
        or (
            ",".join(c for c in kwargs["column_list"] if c != suites.FILE_COLUMN)
            if "column_list" in kwargs and config.type.startswith("expect_compound")
            else None
        )
    )
    result = item.result or {}
    rows = _source_rows(result.get("unexpected_index_list"))
    count = int(result.get("unexpected_count") or len(rows))
    if item.exception_info and item.exception_info.get("raised_exception"):
        # the exception text may quote cells of the file: only its kind is reported
        message = f"{config.type} could not be evaluated (an error inside Great Expectations)"
    elif rule == "volume.drop":  # a table rule of the file: its rows and floor, no row cited
        message = f"{staged.rows} rows, fewer than {staged.min_rows} (volume drop against the previous week)"
        column, rows, count = None, [], 0
    else:
        message = _describe(config.type, rule, kwargs, result, staged.region)
    return Finding(rule, message, column=column, rows=rows, count=count)


def _source_rows(index_list: list[dict[str, Any]] | None) -> list[int]:
    """Row numbers of GE's index list: without values it is one `{"source_row": [rows]}` entry
    (GE 1.24, exclude_unexpected_values); with values, one `{"source_row": n, column: value}` per row."""
    rows: list[int] = []
    for entry in index_list or []:
        value = entry.get("source_row")
        rows += [int(v) for v in value] if isinstance(value, list) else [] if value is None else [int(value)]
    return sorted(rows)


def _describe(kind: str, rule: str, kwargs: dict[str, Any], result: dict[str, Any], region: str) -> str:
    if kind == "expect_table_columns_to_match_ordered_list":
        return f"columns differ from the contract (mismatch: {result.get('details', {}).get('mismatched')})"
    share = result.get("unexpected_percent")
    if rule in ("field.enum", "field.region"):
        # The offending cells are not quoted: a shifted column puts a name or an address here.
        # The allowed values come from the contract (the region: the file's partition), so they may be.
        values = [region] if rule == "field.region" else kwargs.get("value_set") or []
        allowed = sorted(str(v) for v in values)
        allowed_text = f" (allowed: {allowed})" if 0 < len(allowed) <= 10 else ""
        return f"values not in the contract's set{allowed_text}" + (
            f" ({share:.2f} % of rows)" if isinstance(share, float) else ""
        )
    share_text = f" ({share:.2f} % of rows)" if isinstance(share, float) else ""
    return f"{kind.removeprefix('expect_').replace('_', ' ')} failed{share_text}"


def _report_url(context: Any, identifier: Any) -> str | None:
    """The Data Docs page of a stored validation result (built after the batch: publish_data_docs),
    at the docs server `edumon ui` starts: a browser does not open `file://` links from the UI."""
    from pipelines.checks import data_docs
    from pipelines.config import load_config

    page = context.get_docs_sites_urls(resource_identifier=identifier, only_if_exists=False)
    index = context.get_docs_sites_urls(only_if_exists=False)  # the first batch has no index yet
    if not page or not index:
        return None
    gates = load_config().gates
    site = data_docs.site_root(index[0]["site_url"])
    return data_docs.http_url(page[0]["site_url"], site, gates.data_docs_host, gates.data_docs_port)
