"""The Superset bundle against the dbt manifest: every dashboard → chart → dataset → column link exists.

Fast (no Superset): parses dashboards/bundle, renders it and reads dbt_project/target/manifest.json
(running `dbt parse` when it is missing), so a renamed mart column breaks the build, not a dashboard.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import duckdb
import pytest

from pipelines.config import PROJECT_ROOT, load_config
from pipelines.dashboards import api, bundle
from pipelines.publish.serving import REFERENCE_TABLES
from pipelines.transform.project import current_manifest

TITLES = {"Внедрение", "Активность чатов", "Цифровой профиль", "Качество данных", "Рейтинг регионов"}
IDENTIFIER = re.compile(r"\b([a-z_][a-z0-9_]*)\b")
SQL_WORDS = {
    "sum",
    "count",
    "distinct",
    "avg",
    "min",
    "max",
    "nullif",
    "case",
    "when",
    "then",
    "else",
    "end",
    "coalesce",
    "bool_and",
    "cast",
    "as",
    "varchar",
    "concat",
}
QUOTED = re.compile(r"'([^']*)'")  # string literals in a computed column are not column names


@pytest.fixture(scope="module")
def assets() -> bundle.Bundle:
    return bundle.load_bundle()


@pytest.fixture(scope="module")
def manifest_columns() -> dict[str, set[str]]:
    """Model name → documented columns, from the dbt manifest (parsed now if it is missing)."""
    manifest = current_manifest()  # parsed with the vars dbt needs when a project file changed
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"].values()
    return {node["name"]: set(node["columns"]) for node in nodes if node["resource_type"] == "model"}


def chart_columns(params: dict[str, Any]) -> Iterator[str]:
    """Every dataset column a chart's params name."""
    for key in ("groupby", "groupbyRows", "groupbyColumns", "all_columns"):
        yield from params.get(key, [])
    for key in ("x_axis", "entity"):
        if key in params:
            yield params[key]
    for item in params.get("adhoc_filters", []):
        yield item["subject"]
    for item in params.get("order_by_cols", []):
        yield json.loads(item)[0]


def chart_metrics(params: dict[str, Any]) -> Iterator[str]:
    if "metric" in params:
        yield params["metric"]
    yield from params.get("metrics", [])


def virtual_columns(dataset: dict[str, Any], models: set[str], problems: list[str]) -> set[str]:
    """The columns a virtual dataset's SQL adds to its mart (`… as name`); the tables it reads must
    be marts and the reference tables that publish copies into serving.duckdb."""
    sql = dataset.get("sql")
    if not sql:
        return set()
    published = {m for m in models if m.startswith("mart_")} | {name for _, name in REFERENCE_TABLES}
    tables = re.findall(r"(?:from|join)\s+\$\{serving_schema\}\.(\w+)(?:\s+as\s+(\w+))?", sql.lower())
    problems += [
        f"dataset {dataset['table_name']}: its SQL reads {table}, which is not published"
        for table, _ in tables
        if table not in published
    ]
    aliases = set(re.findall(r"\bas\s+([a-z_][a-z0-9_]*)\b", sql.lower()))
    return aliases - {alias for _, alias in tables}


def test_bundle_files_are_valid_and_uuid_named(assets: bundle.Bundle) -> None:
    """Every asset file parses, carries a UUID that appears in its file name, and no UUID repeats.

    Matters because the import matches assets by UUID: a copied file with the same UUID silently
    overwrites another chart. On failure: give the asset a fresh uuid (python -c 'import uuid;
    print(uuid.uuid4())') and rename the file to end with it.
    """
    seen: dict[str, str] = {}
    for path, doc in assets.files.items():
        if path == "metadata.yaml":
            assert doc["type"] == "assets"
            continue
        uuid = str(doc["uuid"])
        assert path.endswith(f"_{uuid}.yaml"), f"{path}: file name must end with its uuid {uuid}"
        assert uuid not in seen, f"{path} and {seen.get(uuid)} share uuid {uuid}"
        seen[uuid] = path
    assert {doc["dashboard_title"] for doc in assets.of_kind("dashboards").values()} == TITLES


def test_every_dashboard_chart_dataset_and_column_exists_in_the_dbt_manifest(
    assets: bundle.Bundle, manifest_columns: dict[str, set[str]]
) -> None:
    """dashboard → chart → dataset → dbt model → column: each link resolves.

    Matters because a mart column renamed in dbt would otherwise surface as an error panel on a
    dashboard. On failure: the message names the asset and the missing column; rename it in the
    bundle YAML (dataset columns and the charts using it) or restore the column in dbt.
    """
    datasets = assets.datasets_by_uuid()
    charts = {str(doc["uuid"]): doc for doc in assets.of_kind("charts").values()}
    problems: list[str] = []
    for dataset in datasets.values():
        model = dataset["table_name"]
        if model not in manifest_columns:
            problems.append(f"dataset {model}: no dbt model of that name")
            continue
        known = manifest_columns[model] | virtual_columns(dataset, set(manifest_columns), problems)
        for item in dataset.get("columns", []):
            column, expression = str(item["column_name"]), item.get("expression")
            if expression:  # a column computed from the mart's own columns
                used = set(IDENTIFIER.findall(QUOTED.sub("", expression.lower()))) - SQL_WORDS
                problems += [f"dataset {model}: column {column} uses unknown {c}" for c in used - known]
            elif column not in known:
                problems.append(f"dataset {model}: column {column} is not in the dbt model")
        for metric in dataset.get("metrics", []):
            used = set(IDENTIFIER.findall(metric["expression"].lower())) - SQL_WORDS
            problems += [
                f"metric {model}.{metric['metric_name']}: unknown column {c}"
                for c in used - manifest_columns[model]
            ]
    for chart in charts.values():
        dataset = datasets.get(str(chart["dataset_uuid"]))
        if dataset is None:
            problems.append(
                f"chart «{chart['slice_name']}»: dataset {chart['dataset_uuid']} not in the bundle"
            )
            continue
        columns = set(bundle.dataset_columns(dataset))
        metrics = {m["metric_name"] for m in dataset.get("metrics", [])}
        params = chart["params"]
        problems += [
            f"chart «{chart['slice_name']}»: column {c} not in {dataset['table_name']}"
            for c in chart_columns(params)
            if c not in columns
        ]
        problems += [
            f"chart «{chart['slice_name']}»: metric {m} not in {dataset['table_name']}"
            for m in chart_metrics(params)
            if m not in metrics
        ]
    for dashboard in assets.of_kind("dashboards").values():
        title = dashboard["dashboard_title"]
        for node in dashboard["position"].values():
            if isinstance(node, dict) and node.get("type") == "CHART" and node["meta"]["uuid"] not in charts:
                problems.append(f"dashboard «{title}»: chart {node['meta']['uuid']} not in the bundle")
        for native in dashboard["metadata"]["native_filter_configuration"]:
            for target in native["targets"]:
                dataset = datasets.get(target["datasetUuid"])
                if dataset is None or target["column"]["name"] not in set(bundle.dataset_columns(dataset)):
                    problems.append(f"dashboard «{title}»: filter {native['name']} targets a missing column")
    assert not problems, "\n".join(problems)


def test_every_chart_is_on_a_dashboard_and_dashboards_filter_by_week_region_municipality(
    assets: bundle.Bundle,
) -> None:
    """No orphan charts; each dashboard has the week and region filters, the topic ones a municipality one.

    Matters because an orphan chart is never reviewed on screen, and the analysts' drill starts
    from these filters. On failure: place the chart on a dashboard or delete its file.
    """
    placed = set()
    for dashboard in assets.of_kind("dashboards").values():
        placed |= {
            n["meta"]["uuid"]
            for n in dashboard["position"].values()
            if isinstance(n, dict) and n.get("type") == "CHART"
        }
        names = {f["name"] for f in dashboard["metadata"]["native_filter_configuration"]}
        assert {"Неделя", "Регион", "Муниципалитет"} <= names, dashboard["dashboard_title"]
    assert placed == assets.uuids("charts")


def test_filters_and_tables_show_names_not_codes(assets: bundle.Bundle) -> None:
    """The region and municipality filters list names (region_name, municipality_name; the
    municipality one cascades from the region), and every indicator table or trend reads the
    indicator's name beside its code (indicator_name), not A1 … A10 alone.

    Matters because an analyst knows «Сергокалинский район», not ОКТМО 82646000. On failure: point
    the filter or chart at the name column (dbt marts carry them, see mart_indicators.yml).
    """
    for dashboard in assets.of_kind("dashboards").values():
        title = dashboard["dashboard_title"]
        filters = {f["name"]: f for f in dashboard["metadata"]["native_filter_configuration"]}
        assert filters["Регион"]["targets"][0]["column"]["name"] == "region_name", title
        municipality = filters["Муниципалитет"]
        assert municipality["targets"][0]["column"]["name"] == "municipality_name", title
        assert municipality["cascadeParentIds"] == ["NATIVE_FILTER-region"], title
    for chart in assets.of_kind("charts").values():
        params = chart["params"]
        used = {*params.get("groupbyRows", []), *params.get("groupbyColumns", []), *params.get("groupby", [])}
        used |= set(params.get("all_columns", []))
        if params.get("x_axis"):
            used.add(params["x_axis"])
        codes = used & {"indicator", "parent_id", "dataset", "status", "level", "data_status"}
        assert not codes, f"chart «{chart['slice_name']}» shows codes {sorted(codes)}"


def test_a_click_never_reaches_the_tiles_and_a_region_click_narrows_the_tables(assets: bundle.Bundle) -> None:
    """Cross-filters are scoped per chart: a click in the region table reaches the municipality and
    school tables, a click anywhere else reaches at most the tables below it, and no click ever
    reaches a big-number tile, a map or a trend (a click used to leave them «Нет данных»).

    On failure: see chart_configuration in the dashboard YAML (crossFilters.scope.excluded holds the
    chart ids a click must not reach).
    """
    for dashboard in assets.of_kind("dashboards").values():
        position = dashboard["position"]
        ids = {
            k: n["meta"]["chartId"]
            for k, n in position.items()
            if isinstance(n, dict) and n.get("type") == "CHART"
        }
        protected = {cid for key, cid in ids.items() if key.endswith(("_big", "_map", "_trend"))}
        config = dashboard["metadata"]["chart_configuration"]
        assert set(config) == {str(cid) for cid in ids.values()}, dashboard["dashboard_title"]
        for cid, item in config.items():
            excluded = set(item["crossFilters"]["scope"]["excluded"])
            assert protected <= excluded, f"«{dashboard['dashboard_title']}»: chart {cid} reaches a tile"
        for key, cid in ids.items():
            if key.endswith("_region_table"):
                reach = set(ids.values()) - set(config[str(cid)]["crossFilters"]["scope"]["excluded"])
                wanted = {
                    ids[key.replace("_region_table", suffix)]
                    for suffix in ("_municipality_table", "_school_table")
                }
                assert wanted <= reach, dashboard["dashboard_title"]


def test_laggards_view_lists_units_below_target_worst_first(assets: bundle.Bundle) -> None:
    """«Отстающие»: schools and municipalities of the indicator chosen in its own filter, ordered by
    value ascending (worst first), the gap to the target coloured red below and green at or above.

    Matters because finding laggards is the analyst's first task (seed 003 lists schools under
    50 %). On failure: see charts/adoption_laggards_*.yaml and the «Показатель (отстающие)» filter.
    """
    chart = next(c for c in assets.of_kind("charts").values() if c["slice_name"].startswith("Отстающие"))
    params = chart["params"]
    assert json.loads(params["order_by_cols"][0]) == ["value", True]
    assert {"unit_name", "value", "target", "target_gap", "meets_target_name"} <= set(params["all_columns"])
    levels = next(f for f in params["adhoc_filters"] if f["subject"] == "level")
    assert set(levels["comparator"]) == {"school", "municipality"}
    colours = {(r["column"], r["operator"]): r["colorScheme"] for r in params["conditional_formatting"]}
    assert colours == {("target_gap", "<"): "#E04355", ("target_gap", "≥"): "#5AC189"}
    dashboard = next(d for d in assets.of_kind("dashboards").values() if d["dashboard_title"] == "Внедрение")
    chooser = next(
        f
        for f in dashboard["metadata"]["native_filter_configuration"]
        if f["name"] == "Показатель (отстающие)"
    )
    assert chooser["targets"][0]["column"]["name"] == "indicator_name"
    assert not chooser["controlValues"]["multiSelect"]


MART_INDICATORS = "mart_indicators"


def _indicators_dataset(assets: bundle.Bundle) -> dict[str, Any]:
    return next(d for d in assets.of_kind("datasets").values() if d["table_name"] == MART_INDICATORS)


def _shown_indicators(params: dict[str, Any]) -> set[str]:
    """The indicator ids a chart's `indicator` filter selects."""
    shown: set[str] = set()
    for item in params.get("adhoc_filters", []):
        if item["subject"] == "indicator":
            comparator = item["comparator"]
            shown |= set(comparator) if isinstance(comparator, list) else {comparator}
    return shown


def test_gis_indicators_read_no_gis_in_every_table_and_bar_chart(assets: bundle.Bundle) -> None:
    """A region without a regional ГИС (regions.<code>.gis: none) reads «нет ГИС» for the ГИС-based
    indicators (indicators.<id>.gis: true) in every pivot table of mart_indicators and on the
    municipality bars, as the rating table has its «Регионы без ГИС» column (SPEC, p.11).

    Matters because an empty cell («—») says «no data», which blames a region for a ГИС it does not
    have. On failure: give the pivot table the metric share_or_no_gis (it reads the mart's
    no_gis_name), or the bars the x axis municipality_gis_name.
    """
    gis_indicators = {key for key, spec in load_config().indicators.items() if spec.gis}
    dataset = _indicators_dataset(assets)
    uuid = str(dataset["uuid"])
    metrics = {m["metric_name"]: m for m in dataset["metrics"]}
    assert "no_gis_name" in metrics["share_or_no_gis"]["expression"]
    assert metrics["share_or_no_gis"]["d3format"] == metrics["share"]["d3format"]
    checked = []
    for chart in assets.of_kind("charts").values():
        params = chart["params"]
        shown = _shown_indicators(params)
        if chart["dataset_uuid"] != uuid or not shown & gis_indicators:
            continue
        if chart["viz_type"] == "pivot_table_v2":
            assert list(chart_metrics(params)) == ["share_or_no_gis"], chart["slice_name"]
            assert params["aggregateFunction"] == "Sum", chart["slice_name"]  # passes a text cell through
            checked.append(chart["slice_name"])
        elif chart["viz_type"] == "echarts_timeseries_bar":
            assert params["x_axis"] == "municipality_gis_name", chart["slice_name"]
            checked.append(chart["slice_name"])
    # region, municipality and school tables of «Внедрение», «Активность чатов» (B3), «Цифровой профиль»;
    # «Качество данных» by municipality; the C1 bars of «Цифровой профиль»
    assert len(checked) == 11, checked


def test_no_gis_metric_reads_the_label_only_where_every_row_lacks_the_gis() -> None:
    """share_or_no_gis, run in DuckDB as Superset runs it: a region without a ГИС reads «нет ГИС», a
    region with one its share (as text the pivot table formats as a share), a cell over both the
    share of the rows that have data, and 0/0 without the label stays empty (NULL, «—»).

    Hand-computed: R1 12/20 → 0.6; R2 (no ГИС) → «нет ГИС»; R1 + R2 → 12/20 = 0.6; R3 0/0 → NULL.
    On failure: see the metric's expression in the mart_indicators dataset YAML.
    """
    expression = next(
        m["expression"]
        for m in _indicators_dataset(bundle.load_bundle())["metrics"]
        if m["metric_name"] == "share_or_no_gis"
    )
    with (PROJECT_ROOT / "dbt_project" / "seeds" / "ref_labels.csv").open(encoding="utf-8") as handle:
        label = next(r["label"] for r in csv.DictReader(handle) if (r["kind"], r["code"]) == ("gis", "none"))
    assert label == "нет ГИС"
    con = duckdb.connect()
    con.execute(
        "create table mart_indicators as select * from (values "
        "('R1', 12.0, 20.0, false, null), ('R2', 0.0, 0.0, true, 'нет ГИС'), ('R3', 0.0, 0.0, false, null)) "
        "as t(region_code, numerator, denominator, no_gis, no_gis_name)"
    )

    def cell(regions: tuple[str, ...]) -> Any:
        marks = ", ".join("?" for _ in regions)
        sql = f"select {expression} from mart_indicators where region_code in ({marks})"
        return con.execute(sql, list(regions)).fetchone()[0]  # type: ignore[index]

    assert float(cell(("R1",))) == pytest.approx(0.6)
    assert cell(("R2",)) == "нет ГИС"
    assert float(cell(("R1", "R2"))) == pytest.approx(0.6)
    assert cell(("R3",)) is None


def test_rendering_fills_every_placeholder_and_zips_under_one_root(
    assets: bundle.Bundle, tmp_path: Path
) -> None:
    """The rendered bundle has no `${...}` left, the serving URI is read-only and absolute, each
    chart has a query context, tile targets come from orchestration.yaml, and the ZIP has one root.

    Matters because Superset's import does no templating and rejects ZIPs without a root folder;
    the chart data API needs query contexts. On failure: a new placeholder needs a value in
    bundle.template_values, a new viz type a shape in bundle.query_shape.
    """
    values = bundle.template_values(tmp_path / "serving.duckdb")
    rendered = bundle.render(assets, values)
    text = json.dumps(rendered, ensure_ascii=False)
    assert "${" not in text
    database = next(doc for path, doc in rendered.items() if path.startswith("databases/"))
    uri = urlsplit(database["sqlalchemy_uri"])
    assert uri.path == f"/{tmp_path / 'serving.duckdb'}"
    assert dict(parse_qsl(uri.query)) == {
        "access_mode": "read_only",
        "enable_external_access": "false",
        "autoload_known_extensions": "false",
        "autoinstall_known_extensions": "false",
        "lock_configuration": "true",
    }
    a1_target = load_config().indicators["A1"].target
    assert a1_target is not None
    tiles = [
        doc
        for path, doc in rendered.items()
        if path.startswith("charts/") and doc["viz_type"] == "big_number_total"
    ]
    a1 = next(
        doc
        for doc in tiles
        if {"indicator": "A1"}.items()
        <= {f["subject"]: f["comparator"] for f in doc["params"]["adhoc_filters"]}.items()
    )
    assert a1["params"]["subtitle"] == f"Цель: {a1_target * 100:.0f} %"
    for path, doc in rendered.items():
        if path.startswith("charts/"):
            query = json.loads(doc["query_context"])["queries"][0]
            assert query["metrics"] or query["columns"], path
    stylesheet = bundle.DASHBOARD_CSS.read_text(encoding="utf-8")
    assert ".pvtAxisLabel" in stylesheet and "pvtVal:empty" in stylesheet
    assert all(doc["css"] == stylesheet for path, doc in rendered.items() if path.startswith("dashboards/"))
    names = zipfile.ZipFile(io.BytesIO(bundle.zip_bytes(rendered))).namelist()
    assert {name.split("/")[0] for name in names} == {bundle.ZIP_ROOT}
    assert len(names) == len(rendered)


def test_row_level_security_rules_cover_datasets_with_the_group_key(
    assets: bundle.Bundle, manifest_columns: dict[str, set[str]]
) -> None:
    """Each dataset named in dashboards/security.yaml is in the bundle and its mart has region_code;
    every dataset of the bundle is filtered (a mart left out would show all regions to an analyst).

    On failure: add the dataset to security.yaml `datasets`, or the column to the mart.
    """
    rule = api.load_security()
    tables = {doc["table_name"] for doc in assets.of_kind("datasets").values()}
    assert set(rule.datasets) == tables
    for table in rule.datasets:
        assert rule.group_key in manifest_columns[table], table
    assert rule.rule_clause("RU-KB") == "region_code = 'RU-KB'"
    with pytest.raises(ValueError):
        rule.rule_clause("RU-KB' or '1'='1")
    roles = api.role_names(["RU-KB"])
    assert roles[None] == load_config().superset.ministry_role
    assert roles["RU-KB"] == load_config().superset.regional_role_prefix + "RU-KB"


def test_rison_encodes_superset_query_parameters() -> None:
    """The `q` parameter of list endpoints: a wrong quote makes Superset answer 400 to every sync.

    On failure: compare with https://github.com/Nanonid/rison rules for strings (`!` escapes).
    """
    assert api.rison({"page": 0, "columns": ["id", "uuid"]}) == "(page:0,columns:!('id','uuid'))"
    assert api.rison({"value": "Аналитик RU-KB", "flag": True}) == "(value:'Аналитик RU-KB',flag:!t)"
    assert api.rison("it's!") == "'it!'s!!'"


RULE_LITERAL = re.compile(r"\"((?:file|schema|field|key|registry|volume|pii)\.[a-z_]+)\"")


def test_every_gate_rule_has_a_russian_description() -> None:
    """Each rule a load can fail on (the suites' `meta.rule` in expectations/, and the rule codes
    the parser, limits and landing checks write) has a Russian description in ref_labels.csv
    (kind `rule`), which «Качество данных» shows beside the code and the check's own text.

    Matters because the load log otherwise reads `schema.missing_column` and an English sentence.
    On failure: add `rule,<code>,<описание>` to dbt_project/seeds/ref_labels.csv.
    """
    with (PROJECT_ROOT / "dbt_project" / "seeds" / "ref_labels.csv").open(encoding="utf-8") as handle:
        labels = {row["code"]: row["label"] for row in csv.DictReader(handle) if row["kind"] == "rule"}
    rules = set()
    for suite in (PROJECT_ROOT / "expectations").glob("*.json"):
        rules |= {e["meta"]["rule"] for e in json.loads(suite.read_text(encoding="utf-8"))["expectations"]}
    for source in (PROJECT_ROOT / "pipelines").rglob("*.py"):
        rules |= set(RULE_LITERAL.findall(source.read_text(encoding="utf-8")))
    assert {"schema.missing_column", "file.encoding", "file.missing", "volume.drop"} <= rules
    missing = sorted(rules - set(labels))
    assert not missing, f"rules without a Russian description in ref_labels.csv: {missing}"
    assert all(re.search("[а-яё]", label) for label in labels.values())
