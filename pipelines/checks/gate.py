"""The load gate: a dataset's committed suite run over the staged (already PII-free) table.

Great Expectations 1.24 validates a pandas batch (its SQL datasource over DuckDB is broken, see
STACK.md). The file-mode context lives in `{home}/docs/gx`; every validation is stored there and
its Data Docs page is rebuilt, so the Dagster asset check can link to it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from pipelines.checks.suites import load_suite
from pipelines.ingest.findings import Finding

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # no network calls from the gate

DATASOURCE = "edumon"
RULES_NEEDING_REGISTRY = frozenset({"registry.foreign_inn"})
_NULLABLE_TYPES = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(), pa.string(): pd.StringDtype()}


@dataclass
class GateResult:
    passed: bool
    findings: list[Finding]
    report: str | None
    notes: list[str] = field(default_factory=list)
    statistics: dict[str, Any] = field(default_factory=dict)


def to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow → pandas with nullable dtypes, so an int column with gaps stays an int column."""
    return table.to_pandas(types_mapper=_NULLABLE_TYPES.get)


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

    _share_template_cache()
    context = gx.get_context(mode="file", project_root_dir=docs)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.variables.save()
    return context


_checkpoints: dict[tuple[str, str, str], Any] = {}


def _checkpoint(docs: str, dataset: str, suite_doc: dict[str, Any]) -> Any:
    """The dataset's checkpoint, stored once per process and suite variant (storing costs 0.4 s)."""
    key = (docs, dataset, json.dumps(suite_doc, sort_keys=True))
    if key not in _checkpoints:
        _checkpoints[key] = _store_checkpoint(_context(docs), dataset, suite_doc)
    return _checkpoints[key]


def _store_checkpoint(context: Any, dataset: str, suite_doc: dict[str, Any]) -> Any:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    existing = context.data_sources.all()
    source = existing[DATASOURCE] if DATASOURCE in existing else context.data_sources.add_pandas(DATASOURCE)
    names = [asset.name for asset in source.assets]
    asset = source.get_asset(dataset) if dataset in names else source.add_dataframe_asset(dataset)
    batch = (
        asset.batch_definitions[0]
        if asset.batch_definitions
        else asset.add_batch_definition_whole_dataframe("load")
    )
    name = suite_doc["name"]  # the variant without the registry rule has its own name
    suite = gx.ExpectationSuite(name=name, meta=suite_doc.get("meta"))
    for item in suite_doc["expectations"]:
        suite.add_expectation(ExpectationConfiguration(**item).to_domain_obj())
    suite = context.suites.add_or_update(suite)
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch, suite=suite)
    )
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=name,
            validation_definitions=[validation],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["source_row"]},
        )
    )


def run_gate(
    table: pa.Table, dataset: str, docs: Path, run_name: str, parameters: dict[str, Any]
) -> GateResult:
    """Validate a staged table; findings carry rule, column and row numbers (no values)."""
    from great_expectations.core.run_identifier import RunIdentifier

    suite_doc = load_suite(dataset)
    notes: list[str] = []
    if parameters.get("registry_inns") is None:
        suite_doc = {
            **suite_doc,
            "name": f"{dataset}__without_registry",
            "expectations": [
                e for e in suite_doc["expectations"] if e["meta"]["rule"] not in RULES_NEEDING_REGISTRY
            ],
        }
        notes.append(
            "no organisation registry (fgis_orgs) for this region-week: referential rule not evaluated"
        )
        parameters = {k: v for k, v in parameters.items() if k != "registry_inns"}
    docs.mkdir(parents=True, exist_ok=True)
    context = _context(str(docs))
    checkpoint = _checkpoint(str(docs), dataset, suite_doc)
    result = checkpoint.run(
        batch_parameters={"dataframe": to_frame(table)},
        expectation_parameters=parameters,
        run_id=RunIdentifier(run_name=run_name),
    )
    ((identifier, validation),) = result.run_results.items()
    findings = [_finding(item) for item in validation.results if not item.success]
    report = _report_url(context, identifier)
    return GateResult(result.success, findings, report, notes, dict(validation.statistics))


def _finding(item: Any) -> Finding:
    config = item.expectation_config
    kwargs = config.kwargs
    column = kwargs.get("column") or (
        ",".join(kwargs["column_list"])
        if "column_list" in kwargs and config.type.startswith("expect_compound")
        else None
    )
    result = item.result or {}
    rows = sorted(
        int(entry["source_row"])
        for entry in result.get("unexpected_index_list") or []
        if "source_row" in entry
    )
    count = int(result.get("unexpected_count") or len(rows))
    if item.exception_info and item.exception_info.get("raised_exception"):
        message = f"{config.type} could not be evaluated: {item.exception_info.get('exception_message')}"
    else:
        message = _describe(config.type, config.meta.get("rule", ""), kwargs, result)
    return Finding(config.meta.get("rule", config.type), message, column=column, rows=rows, count=count)


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
        # enum and region codes are not personal: the offending values help the region fix it
        shown = sorted({str(v) for v in result.get("partial_unexpected_list") or []})[:5]
        return f"values {shown} are not allowed" + (
            f" ({share:.2f} % of rows)" if isinstance(share, float) else ""
        )
    share_text = f" ({share:.2f} % of rows)" if isinstance(share, float) else ""
    return f"{kind.removeprefix('expect_').replace('_', ' ')} failed{share_text}"


def _report_url(context: Any, identifier: Any) -> str | None:
    sites = context.get_docs_sites_urls(resource_identifier=identifier)
    return sites[0]["site_url"] if sites else None
