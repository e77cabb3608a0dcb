"""The Superset asset bundle in dashboards/bundle: read, render, zip.

The YAML files are Superset's own import format, one UUID-named file per asset. They hold three
kinds of placeholders that Superset does not resolve itself (its import does no templating):
`${serving_uri}` / `${serving_schema}` for the published snapshot, `${target_<indicator>}` for
the target text of the big-number tiles, taken from orchestration.yaml so a target is defined once,
and `${dashboard_css}`, the style every dashboard shares (dashboards/dashboard.css).
Rendering also derives each chart's `query_context` from its params: Superset's chart data API
(/api/v1/chart/{id}/data/, cache warm-up) needs one, and deriving it keeps the two from drifting.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlencode

import duckdb
import yaml

from pipelines.config import PROJECT_ROOT, Indicator, load_config

DASHBOARD_CSS = PROJECT_ROOT / "dashboards" / "dashboard.css"  # every dashboard's `css` (${dashboard_css})
ZIP_ROOT = "edumon_bundle"  # /api/v1/assets/import/ wants every file under one root folder
KINDS = ("databases", "datasets", "charts", "dashboards")


@dataclass(frozen=True)
class Bundle:
    """The parsed (not yet rendered) asset files, keyed by their path inside the bundle."""

    files: dict[str, dict[str, Any]]

    def of_kind(self, kind: str) -> dict[str, dict[str, Any]]:
        return {path: doc for path, doc in self.files.items() if path.startswith(f"{kind}/")}

    def uuids(self, kind: str) -> set[str]:
        return {str(doc["uuid"]) for doc in self.of_kind(kind).values()}

    def datasets_by_uuid(self) -> dict[str, dict[str, Any]]:
        return {str(doc["uuid"]): doc for doc in self.of_kind("datasets").values()}


def bundle_dir() -> Path:
    return PROJECT_ROOT / load_config().superset.bundle


def load_bundle(root: Path | None = None) -> Bundle:
    root = root or bundle_dir()
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(root.rglob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            files[path.relative_to(root).as_posix()] = yaml.safe_load(handle)
    return Bundle(files)


# --- template values -----------------------------------------------------------------------


# How Superset opens the serving file (duckdb-engine passes URI parameters to DuckDB as its config).
# Read-only alone does not stop `COPY … TO` or `read_csv('/etc/passwd')`: external access off keeps
# every role's SQL (SQL Lab, a chart's custom SQL) inside the file, no extension can be fetched or
# loaded to widen that, and the locked configuration cannot be changed back by a `SET`. Security,
# not tuning: deliberately not in orchestration.yaml.
SERVING_CONNECTION = {
    "access_mode": "read_only",  # the pipeline swaps the file; Superset never writes it
    "enable_external_access": "false",
    "autoload_known_extensions": "false",
    "autoinstall_known_extensions": "false",
    "lock_configuration": "true",
}


def serving_uri(serving: Path) -> str:
    """DuckDB URI Superset opens: the absolute path with SERVING_CONNECTION as its parameters."""
    return f"duckdb:///{serving.resolve()}?{urlencode(SERVING_CONNECTION)}"


def serving_schema(serving: Path, probe_table: str = "mart_indicators") -> str:
    """The schema the published marts live in (DuckDB's default `main` when the file is absent)."""
    if not serving.exists():
        return "main"
    with duckdb.connect(str(serving), read_only=True) as connection:
        row = connection.execute(
            "select table_schema from information_schema.tables where table_name = ? limit 1",
            [probe_table],
        ).fetchone()
    return str(row[0]) if row else "main"


def target_text(indicator: Indicator) -> str:
    """Subtitle of a big-number tile: «Цель: 100 %» for shares, «Цель: 0» for counts."""
    if indicator.target is None:
        return "Цель не установлена"
    if indicator.unit == "share":
        return f"Цель: {indicator.target * 100:.0f} %"
    return f"Цель: {indicator.target:g}"


def template_values(serving: Path) -> dict[str, str]:
    values = {
        "serving_uri": serving_uri(serving),
        "serving_schema": serving_schema(serving),
        "dashboard_css": DASHBOARD_CSS.read_text(encoding="utf-8"),
    }
    for key, indicator in load_config().indicators.items():
        values[f"target_{key}"] = target_text(indicator)
    return values


def _substitute(node: Any, values: Mapping[str, str]) -> Any:
    """Fill `${name}` placeholders in every string of a parsed YAML document (unknown names fail)."""
    if isinstance(node, str):
        return Template(node).substitute(values) if "${" in node else node
    if isinstance(node, dict):
        return {key: _substitute(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_substitute(item, values) for item in node]
    return node


# --- chart query contexts ------------------------------------------------------------------


def query_filters(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The chart's simple WHERE filters as query-object filters."""
    filters = []
    for item in params.get("adhoc_filters", []):
        if item.get("expressionType") != "SIMPLE" or item.get("clause") != "WHERE":
            raise ValueError(f"only simple WHERE filters are allowed in the bundle, got {item}")
        filters.append({"col": item["subject"], "op": item["operator"], "val": item["comparator"]})
    return filters


def query_shape(viz_type: str, params: Mapping[str, Any]) -> tuple[list[str], list[str], list[list[Any]]]:
    """Columns, metrics and ordering one chart asks for, by visualisation type."""
    if viz_type == "big_number_total":
        return [], [params["metric"]], []
    if viz_type == "country_map":
        return [params["entity"]], [params["metric"]], [[params["metric"], False]]
    if viz_type == "echarts_timeseries_line":
        return (
            [params["x_axis"], *params.get("groupby", [])],
            list(params["metrics"]),
            [[params["x_axis"], True]],
        )
    if viz_type == "echarts_timeseries_bar":  # categorical x axis (municipalities), bars by the metric
        return (
            [params["x_axis"], *params.get("groupby", [])],
            list(params["metrics"]),
            [[params["metrics"][0], False]],
        )
    if viz_type == "pivot_table_v2":
        columns = [*params["groupbyRows"], *params["groupbyColumns"]]
        return columns, list(params["metrics"]), [[params["metrics"][0], False]]
    if viz_type == "table" and params.get("query_mode") == "raw":
        orderby = [json.loads(item) for item in params.get("order_by_cols", [])]
        return list(params["all_columns"]), [], orderby
    raise ValueError(f"no query shape for viz_type {viz_type!r}: add one in bundle.query_shape")


def query_object(viz_type: str, params: Mapping[str, Any]) -> dict[str, Any]:
    columns, metrics, orderby = query_shape(viz_type, params)
    return {
        "columns": columns,
        "metrics": metrics,
        "orderby": orderby,
        "filters": query_filters(params),
        "extras": {"having": "", "where": ""},
        "applied_time_extras": {},
        "annotation_layers": [],
        "row_limit": int(params.get("row_limit", 10000)),
        "series_limit": 0,
        "order_desc": True,
        "time_range": "No filter",
        "url_params": {},
        "custom_params": {},
        "custom_form_data": {},
    }


def query_context(chart: Mapping[str, Any]) -> dict[str, Any]:
    """What the chart data API runs for this chart (datasource ids are fixed up by the import)."""
    params = dict(chart["params"])
    return {
        "datasource": {"id": 0, "type": "table"},
        "force": False,
        "queries": [query_object(chart["viz_type"], params)],
        "form_data": params,
        "result_format": "json",
        "result_type": "full",
    }


# --- render and zip ------------------------------------------------------------------------


def render(bundle: Bundle, values: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Every asset file with placeholders filled and chart query contexts added."""
    rendered: dict[str, dict[str, Any]] = {}
    for path, doc in bundle.files.items():
        filled = _substitute(doc, values)
        if path.startswith("charts/"):
            filled["query_context"] = json.dumps(query_context(filled), ensure_ascii=False)
        rendered[path] = filled
    return rendered


def zip_bytes(rendered: Mapping[str, dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, doc in sorted(rendered.items()):
            text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
            archive.writestr(f"{ZIP_ROOT}/{path}", text)
    return buffer.getvalue()


def dataset_source(dataset: Mapping[str, Any], values: Mapping[str, str]) -> str:
    """What a dataset's queries read, as a FROM item: its mart, or its own SQL as a subquery
    (a virtual dataset: the mart joined with reference tables), as Superset wraps it."""
    sql = dataset.get("sql")
    if not sql:
        return f'"{dataset["table_name"]}"'
    return f'({_substitute(sql, values)}) as "{dataset["table_name"]}"'


def dataset_columns(dataset: Mapping[str, Any]) -> Iterator[str]:
    for column in dataset.get("columns", []):
        yield str(column["column_name"])
