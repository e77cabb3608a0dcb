"""The load gate: a dataset's committed suite run over the staged (already PII-free) table.

Great Expectations 1.24 validates inside DuckDB with its own SQL execution engine
(`pipelines.checks.ge_duckdb`): the staged Arrow table is registered in an in-memory DuckDB
connection and scanned in place (no copy, no pandas). Two passes keep a clean file cheap: the
first asks GE for verdicts and counts only (BASIC without examples: none of the example scans GE
sends for SUMMARY/COMPLETE even when an expectation passes); only a failing file gets the
detailed pass (COMPLETE, row numbers by `source_row`) that the findings and the quarantine report
cite. The file-mode context lives in `{home}/docs/gx`; every validation is stored there, and the
pages of a batch of loads (one ingest step) and the Data Docs index are built once after the batch
(`publish_data_docs`): GE's index reads every stored result it lists, so an index rebuilt per file
made a year of weeks quadratic. The index lists the newest `gates.data_docs_index_limit`
validations; every validation keeps its page, which the Dagster asset check links to. Neither
pass stores a cell of the file (NO_VALUES): results hold counts and row numbers.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines.checks.findings import MAX_ROWS_REPORTED, Finding
from pipelines.checks.suites import load_suite
from pipelines.config import load_config

# Great Expectations (and ge_duckdb, which imports it) is imported inside the functions that
# validate: its import costs seconds, and the Definitions (UI, sensor ticks) import this module.

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # no network calls from the gate

RULES_NEEDING_REGISTRY = frozenset({"registry.foreign_inn"})
STAGED = "staged"
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
    validation_id: Any = None  # GE's ValidationResultIdentifier: its page is built by publish_data_docs


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


@cache
def _context(docs: str) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    import pipelines.checks.ge_duckdb  # noqa: F401  (registers the `duckdb` datasource type first)

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
    suite = gx.ExpectationSuite(name=document["name"], meta=document.get("meta"))
    for item in document["expectations"]:
        suite.add_expectation(ExpectationConfiguration(**item).to_domain_obj())
    return suite


def _suite_for_load(
    dataset: str, parameters: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The suite document, its parameters and notes; without a registry the referential rule is left out."""
    suite_doc = load_suite(dataset)
    if parameters.get("registry_inns") is not None:
        return suite_doc, parameters, []
    suite_doc = {
        **suite_doc,
        "name": f"{dataset}__without_registry",
        "expectations": [
            e for e in suite_doc["expectations"] if e["meta"]["rule"] not in RULES_NEEDING_REGISTRY
        ],
    }
    note = "no organisation registry (fgis_orgs) for this region-week: referential rule not evaluated"
    return suite_doc, {k: v for k, v in parameters.items() if k != "registry_inns"}, [note]


def run_gate(
    table: pa.Table, dataset: str, docs: Path, run_name: str, parameters: dict[str, Any]
) -> GateResult:
    """Validate a staged table; findings carry rule, column and row numbers (no values)."""
    from pipelines.checks.ge_duckdb import validate_arrow

    suite_doc, parameters, notes = _suite_for_load(dataset, parameters)
    prepare(docs)
    context = _context(str(docs))
    suite = _suite(str(docs), json.dumps(suite_doc, sort_keys=True))
    for result_format in (VERDICTS, DETAILED):
        identifier, validation = validate_arrow(
            context,
            table,
            suite,
            relation=STAGED,
            expectation_parameters=parameters,
            result_format=result_format,
            run_name=run_name,
        )
        if validation.success:
            break
    findings = [_finding(item) for item in validation.results if not item.success]
    report = _report_url(context, identifier)
    statistics = dict(validation.statistics)
    return GateResult(bool(validation.success), findings, report, notes, statistics, identifier)


def publish_data_docs(docs: Path, validation_ids: list[Any]) -> None:
    """Build the Data Docs pages of a batch's validations, their suites' pages and the index, once."""
    if not validation_ids:
        return
    import time

    from pipelines.checks import data_docs

    context = _context(str(docs))
    suites = {v.expectation_suite_identifier.name: v.expectation_suite_identifier for v in validation_ids}
    started = time.time() - 1  # file times have coarse resolution on some file systems
    context.build_data_docs(resource_identifiers=[*validation_ids, *suites.values()])
    for site in context.get_docs_sites_urls(only_if_exists=False):
        data_docs.localise_site(data_docs.site_root(site["site_url"]), started)


def _finding(item: Any) -> Finding:
    config = item.expectation_config
    kwargs = config.kwargs
    column = kwargs.get("column") or (
        ",".join(kwargs["column_list"])
        if "column_list" in kwargs and config.type.startswith("expect_compound")
        else None
    )
    result = item.result or {}
    rows = _source_rows(result.get("unexpected_index_list"))
    count = int(result.get("unexpected_count") or len(rows))
    if item.exception_info and item.exception_info.get("raised_exception"):
        # the exception text may quote cells of the file: only its kind is reported
        message = f"{config.type} could not be evaluated (an error inside Great Expectations)"
    else:
        message = _describe(config.type, config.meta.get("rule", ""), kwargs, result)
    return Finding(config.meta.get("rule", config.type), message, column=column, rows=rows, count=count)


def _source_rows(index_list: list[dict[str, Any]] | None) -> list[int]:
    """Row numbers of GE's index list: without values it is one `{"source_row": [rows]}` entry
    (GE 1.24, exclude_unexpected_values); with values, one `{"source_row": n, column: value}` per row."""
    rows: list[int] = []
    for entry in index_list or []:
        value = entry.get("source_row")
        rows += [int(v) for v in value] if isinstance(value, list) else [] if value is None else [int(value)]
    return sorted(rows)


def _describe(kind: str, rule: str, kwargs: dict[str, Any], result: dict[str, Any]) -> str:
    observed = result.get("observed_value")
    if kind == "expect_table_columns_to_match_ordered_list":
        return f"columns differ from the contract (mismatch: {result.get('details', {}).get('mismatched')})"
    if kind == "expect_table_row_count_to_be_between":
        return (
            f"{observed} rows, fewer than {kwargs.get('min_value')} (volume drop against the previous week)"
        )
    share = result.get("unexpected_percent")
    if kind == "expect_column_values_to_be_in_set" and rule in ("field.enum", "field.region"):
        # The offending cells are not quoted: a shifted column puts a name or an address here.
        # The allowed values come from the contract, so they may be.
        allowed = sorted(str(v) for v in kwargs.get("value_set") or [])
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
