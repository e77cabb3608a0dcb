"""End to end: the real Superset 6.1 started by `edumon superset up` on real pipeline output.

The serving snapshot is the whole pipeline's home over the defective delivery (`defects_home` in
tests/conftest.py: every delivery fault once, so «Качество данных» has rejections to show) when it
exists, else the dbt engineer's fixture lake built and published with the project's own
`dbt build` and publish. Superset's virtualenv is installed once per machine (minutes the first
time); starting and importing takes about a minute. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from support import browser
from support.publish import publish_lake
from test_dbt_fixture_lake import build_lake

from pipelines.config import PROJECT_ROOT, load_config
from pipelines.dashboards import api, bundle, deploy, environment
from pipelines.secrets import mark_demo

pytestmark = pytest.mark.superset

SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def edumon(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run the real `edumon` command line, as a person would."""
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *arguments],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert result.returncode == 0, f"edumon {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def superset_home(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home with a published serving.duckdb and a Superset started on it by `edumon superset up`."""
    home = tmp_path_factory.mktemp("superset_home")
    mark_demo(home)  # a copy of generated data: the demo's documented admin account is allowed
    try:
        pipeline_home: Path = request.getfixturevalue("defects_home")
        shutil.copyfile(pipeline_home / "serving.duckdb", home / "serving.duckdb")
    except pytest.FixtureLookupError:
        build_lake(home / "lake", list(load_config().datasets))
        assert not any("FAILED" in line for line in publish_lake(home))
    up = edumon("superset", "up", "--home", str(home), "--port", str(free_port()))
    assert "Superset is up" in up.stdout and "login:" in up.stdout
    try:
        yield home
    finally:
        edumon("superset", "down", "--home", str(home))


@pytest.fixture(scope="module")
def admin(superset_home: Path) -> Any:
    return deploy.client_for(environment.saved_runtime(superset_home))


# --- the marts, queried directly ---------------------------------------------------------


def expected_rows(
    serving: Path, chart: dict[str, Any], dataset: dict[str, Any], where: str = ""
) -> list[tuple[Any, ...]]:
    """What a chart's query must return, computed by DuckDB on the serving file itself."""
    query = bundle.query_object(chart["viz_type"], chart["params"])
    metric_sql = {m["metric_name"]: m["expression"] for m in dataset["metrics"]}
    computed = {c["column_name"]: c["expression"] for c in dataset["columns"] if c.get("expression")}
    column_sql = {c: f"({computed[c]})" if c in computed else f'"{c}"' for c in query["columns"]}
    select = list(column_sql.values()) + [metric_sql[m] for m in query["metrics"]]
    conditions = [where] if where else []
    for item in query["filters"]:
        values = item["val"] if isinstance(item["val"], list) else [item["val"]]
        literals = ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)
        conditions.append(f'"{item["col"]}" in ({literals})')
    source = bundle.dataset_source(dataset, bundle.template_values(serving))
    sql = f"select {', '.join(select)} from {source}"
    if conditions:
        sql += " where " + " and ".join(conditions)
    if query["metrics"] and query["columns"]:
        sql += " group by " + ", ".join(column_sql[c] for c in query["columns"])
    with duckdb.connect(str(serving), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def normalise(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Rows compare equal across JSON and DuckDB: floats rounded, NaN as None."""
    out = []
    for value in row:
        if isinstance(value, float):
            value = None if math.isnan(value) else round(value, 9)
        out.append(value)
    return tuple(out)


def api_rows(rows: list[dict[str, Any]], chart: dict[str, Any]) -> list[tuple[Any, ...]]:
    query = bundle.query_object(chart["viz_type"], chart["params"])
    keys = [*query["columns"], *query["metrics"]]
    return [tuple(row[key] for key in keys) for row in rows]


def bundle_charts() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    assets = bundle.load_bundle()
    datasets = assets.datasets_by_uuid()
    for chart in assets.of_kind("charts").values():
        yield chart, datasets[str(chart["dataset_uuid"])]


def test_every_chart_returns_the_rows_of_its_mart(superset_home: Path, admin: Any) -> None:
    """Each bundle chart's data endpoint (/api/v1/chart/{id}/data/) returns exactly the rows DuckDB
    computes from serving.duckdb for the same columns, metrics and filters, and the charts are not
    all empty.

    Matters because a dashboard that renders is not yet a dashboard that is right. On failure: the
    message names the chart; compare its params (bundle YAML) with the mart in dbt.
    """
    serving = superset_home / "serving.duckdb"
    ids = api.ids_by_uuid(admin, "charts")
    non_empty = 0
    for chart, dataset in bundle_charts():
        rows = api.chart_data(admin, ids[str(chart["uuid"])])
        got = Counter(normalise(row) for row in api_rows(rows, chart))
        want = Counter(normalise(row) for row in expected_rows(serving, chart, dataset))
        assert got == want, f"chart «{chart['slice_name']}»: API rows differ from {dataset['table_name']}"
        non_empty += bool(rows)
    assert non_empty >= 30, f"only {non_empty} charts have data: is serving.duckdb empty?"


def test_a_region_without_a_gis_reads_no_gis_in_the_region_tables(superset_home: Path, admin: Any) -> None:
    """Through Superset's chart data API, the region tables of «Внедрение», «Активность чатов» and
    «Цифровой профиль» give the demo's region without a ГИС (RU-NEN, regions.<code>.gis: none)
    «нет ГИС» for every ГИС-based indicator they show (A3–A5, A10, B3, C1, C2, C6), its other
    indicators a share, and a region with a ГИС a share for A3.

    Matters because an empty cell blames the region for a ГИС it does not have (issue 16). On failure:
    see the metric share_or_no_gis (mart_indicators dataset) and mart_indicators.no_gis_name.
    """
    config = load_config()
    (without,) = config.regions_without_gis()
    with duckdb.connect(str(superset_home / "serving.duckdb"), read_only=True) as connection:
        names = dict(connection.execute("select region_code, region_name from ref_regions").fetchall())
    gis_indicators = {key for key, spec in config.indicators.items() if spec.gis}
    ids = api.ids_by_uuid(admin, "charts")
    checked: set[str] = set()
    with_gis_a3: list[Any] = []
    for chart, _ in bundle_charts():
        if not str(chart["slice_name"]).startswith("Регионы: "):  # the three region tables
            continue
        cells = {
            (row["region_name"], row["indicator_name"].split(" ")[0]): row["share_or_no_gis"]
            for row in api.chart_data(admin, ids[str(chart["uuid"])])
        }
        assert cells, chart["slice_name"]
        for (region_name, indicator), value in cells.items():
            if region_name == names[without] and indicator in gis_indicators:
                assert value == "нет ГИС", (indicator, value)
                checked.add(indicator)
                continue
            if value is not None:
                assert 0.0 <= float(value) <= 1.0, (region_name, indicator, value)
            if indicator == "A3":
                with_gis_a3.append(value)
    assert {"A3", "A4", "A5", "A10", "B3", "C1", "C2", "C6"} <= checked, checked
    assert with_gis_a3 and all(value is not None for value in with_gis_a3), with_gis_a3


def test_a_regional_analyst_sees_only_their_region(superset_home: Path, admin: Any) -> None:
    """A user holding only the regional role «Аналитик RU-KB» gets, from every chart, exactly the
    rows of RU-KB (row-level security on region_code), and the ministry role exists with no rule.

    Matters because regions must not see each other's schools. On failure: look at the RLS rules in
    Superset (Настройки → Безопасность на уровне строк) and dashboards/security.yaml.
    """
    region = "RU-KB"
    roles = {r["name"]: r["id"] for r in api.list_all(admin, "security/roles/")}
    names = api.role_names(load_config().regions)
    assert set(names.values()) <= set(roles)
    password = "analyst-pass-1"
    api.send_json(
        admin,
        "POST",
        "security/users/",
        {
            "first_name": "Аналитик",
            "last_name": region,
            "username": "analyst_kb",
            "email": "analyst_kb@edumon.local",
            "active": True,
            "password": password,
            "roles": [roles[names[region]]],
        },
    )
    runtime = environment.saved_runtime(superset_home)
    analyst = api.connect(runtime.url, "analyst_kb", password)
    ids = api.ids_by_uuid(admin, "charts")
    serving = superset_home / "serving.duckdb"
    seen_rows = 0
    for chart, dataset in bundle_charts():
        rows = api.chart_data(analyst, ids[str(chart["uuid"])])
        got = Counter(normalise(row) for row in api_rows(rows, chart))
        want = Counter(
            normalise(r) for r in expected_rows(serving, chart, dataset, f"region_code = '{region}'")
        )
        assert got == want, f"chart «{chart['slice_name']}»: the analyst of {region} sees other rows"
        seen_rows += len(rows)
        if "region_code" in bundle.query_object(chart["viz_type"], chart["params"])["columns"]:
            assert {row["region_code"] for row in rows} <= {region}
    assert seen_rows > 0, f"{region} has no rows in serving.duckdb: pick a region with data"


def test_dashboards_render_without_error_panels(superset_home: Path, admin: Any) -> None:
    """Headless Chromium logs in through the login form, opens each of the five dashboards, waits
    for every chart, finds no error alert in the DOM, saves a full-page screenshot under
    artifacts/screenshots/ and finds every chart drawn: shapes, rows or a number in the DOM, no
    "No results" state, and colours inside each chart's body in the saved image.

    Matters because the API can answer while the front end fails (a wrong viz param, a map
    code). On failure: open the screenshot named in the message, and the chart's error text.
    """
    runtime = environment.saved_runtime(superset_home)
    admin_account = deploy.admin_login(superset_home)
    dashboards = api.list_all(admin, "dashboard/", columns=["id", "dashboard_title", "slug"])
    assert len(dashboards) == 5
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with browser.open_page() as page:
        browser.log_in(page, runtime.url, admin_account.user, admin_account.password)
        for dashboard in dashboards:
            charts = api.get_json(admin, f"dashboard/{dashboard['id']}/charts")["result"]
            target = SCREENSHOTS / f"{dashboard['slug']}.png"
            url = f"{runtime.url}/superset/dashboard/{dashboard['slug']}/?standalone=1"
            shot = browser.screenshot_dashboard(page, url, target, expected_charts=len(charts))
            assert not shot.errors, (
                f"«{dashboard['dashboard_title']}» shows errors {shot.errors}; see {target}"
            )
            assert shot.charts == len(charts), f"{shot.charts} of {len(charts)} charts on {target}"
            assert not shot.undrawn, (
                f"«{dashboard['dashboard_title']}» has charts without content {shot.undrawn}; see {target}"
            )


def test_sync_deletes_a_chart_removed_from_the_bundle(
    superset_home: Path, admin: Any, tmp_path: Path
) -> None:
    """`edumon superset sync` with a bundle lacking one chart deletes that chart from Superset,
    keeps the others, and a second sync with the full bundle brings it back.

    Matters because Superset's import only merges: without pruning, a chart deleted in review
    would live on. On failure: look at pipelines/dashboards/api.py::delete_stale and managed.json.
    """
    trimmed = tmp_path / "bundle"
    shutil.copytree(bundle.bundle_dir(), trimmed)
    chart_file = next((trimmed / "charts").glob("quality_load_log_*.yaml"))
    removed = str(yaml.safe_load(chart_file.read_text(encoding="utf-8"))["uuid"])
    chart_file.unlink()
    for dashboard_file in (trimmed / "dashboards").glob("*.yaml"):
        doc = yaml.safe_load(dashboard_file.read_text(encoding="utf-8"))
        position = doc["position"]
        gone = [
            k for k, n in position.items() if isinstance(n, dict) and n.get("meta", {}).get("uuid") == removed
        ]
        for key in gone:
            del position[key]
            for node in position.values():
                if isinstance(node, dict) and key in node.get("children", []):
                    node["children"].remove(key)
        dashboard_file.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    before = api.ids_by_uuid(admin, "charts")
    assert removed in before
    result = edumon("superset", "sync", "--home", str(superset_home), "--bundle", str(trimmed))
    assert "deleted from Superset" in result.stdout
    after = api.ids_by_uuid(admin, "charts")
    assert removed not in after and set(after) == set(before) - {removed}
    edumon("superset", "sync", "--home", str(superset_home))
    assert removed in api.ids_by_uuid(admin, "charts")


def test_refresh_reports_skipped_when_superset_is_down(tmp_path: Path) -> None:
    """The refresh asset's function on a home where Superset never ran: `skipped`, not an error.

    Matters because a weekly run must not fail because nobody started Superset. On failure: see
    pipelines/dashboards/deploy.py::refresh.
    """
    report = deploy.refresh(tmp_path)
    assert report.status == "skipped" and "not running" in report.reason


def test_refresh_warms_every_chart(superset_home: Path) -> None:
    """With Superset up, refresh re-reads every bundle dataset and warms every chart with no error.

    On failure: the report names the chart ids whose query failed; open them in Superset.
    """
    report = deploy.refresh(superset_home)
    assets = bundle.load_bundle()
    assert report.status == "refreshed"
    assert report.datasets == len(assets.of_kind("datasets"))
    assert report.charts == len(assets.of_kind("charts"))
    assert report.chart_errors == {}


@pytest.fixture(autouse=True)
def _no_proxy_for_localhost() -> Iterator[None]:
    """Requests to the local Superset must not go through a proxy from the environment."""
    previous = os.environ.get("NO_PROXY")
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    yield
    if previous is None:
        os.environ.pop("NO_PROXY", None)
    else:
        os.environ["NO_PROXY"] = previous


# --- what an analyst reads and clicks ---------------------------------------------------------

CHART_TEXT_SCRIPT = """
Array.from(document.querySelectorAll('.chart-slice')).map(s => ({
  name: s.getAttribute('data-test-chart-name') || '',
  text: (s.innerText || '').replace(/\\s+/g, ' ').trim()}))
"""
CLICK_SCRIPT = """
(() => {
  const slice = Array.from(document.querySelectorAll('.chart-slice'))
    .find(s => s.getAttribute('data-test-chart-name') === CHART);
  const cell = slice && Array.from(slice.querySelectorAll("th, td")).find(c => (MATCH)(c.innerText.trim()));
  if (!cell) { return false; }
  cell.click();
  return true;
})()
"""
CODES_SHOWN = ("loaded", "rejected", "municipality", "school", "no_data", "N/A", "Мера")


def _chart_texts(page: Any) -> dict[str, str]:
    return {item["name"]: item["text"] for item in page.evaluate(CHART_TEXT_SCRIPT)}


def _click(page: Any, chart: str, match_js: str) -> bool:
    script = CLICK_SCRIPT.replace("CHART", json.dumps(chart)).replace("MATCH", match_js)
    return bool(page.evaluate(script))


def _filter_options(admin: Any, dashboard_slug: str, name: str) -> list[str]:
    """The values a native filter lists: the distinct values of its target column (as Superset's
    filter asks for them, with the filter's own adhoc filters)."""
    dashboard = next(
        d for d in bundle.load_bundle().of_kind("dashboards").values() if d["slug"] == dashboard_slug
    )
    native = next(f for f in dashboard["metadata"]["native_filter_configuration"] if f["name"] == name)
    target = native["targets"][0]
    dataset = bundle.load_bundle().datasets_by_uuid()[target["datasetUuid"]]
    ids = {
        row["table_name"]: row["id"] for row in api.list_all(admin, "dataset/", columns=["id", "table_name"])
    }
    column = target["column"]["name"]
    query = {
        "columns": [column],
        "metrics": [],
        "filters": bundle.query_filters({"adhoc_filters": native["adhoc_filters"]}),
        "row_limit": 1000,
        "orderby": [[column, True]],
    }
    body = {
        "datasource": {"id": ids[dataset["table_name"]], "type": "table"},
        "queries": [query],
        "result_format": "json",
        "result_type": "full",
    }
    result = api.send_json(admin, "POST", "chart/data", body)
    return sorted({str(row[column]) for row in result["result"][0]["data"] if row[column] is not None})


EMPTY_PIVOT_CELLS_SCRIPT = """
Array.from(document.querySelectorAll('.pvtTable td.pvtVal'))
  .filter(c => c.innerText.trim() === '')
  .map(c => getComputedStyle(c, '::after').content)
"""


def _rejections(serving: Path) -> list[tuple[str, str]]:
    """(rule, its Russian description) of every rejected load of the latest week (the dashboards'
    default week)."""
    with duckdb.connect(str(serving), read_only=True) as connection:
        rows = connection.execute(
            "select distinct quality.rule, labels.label from mart_data_quality as quality "
            "join ref_labels as labels on labels.kind = 'rule' and labels.code = quality.rule "
            "where quality.status = 'rejected' and quality.week = (select max(week) from mart_data_quality)"
        ).fetchall()
    return [(str(rule), str(label)) for rule, label in rows]


def test_the_login_page_and_the_dashboards_are_in_russian(superset_home: Path, admin: Any) -> None:
    """The login page a visitor sees before logging in is Russian (Вход, Имя пользователя); on
    every dashboard the charts show Russian names for levels, statuses and datasets, «—» for an
    empty value (never `loaded`, `municipality`, N/A, nor the pivots' «Мера»), an empty pivot cell
    as «—», indicator columns with their names beside the codes, shares with the decimal comma,
    and each rejected load with its rule code and the rule's Russian description.

    Matters because the analysts read Russian only. On failure: open the screenshots named in the
    message; the login page needs the Public role's `can_language_pack` (api.allow_login_page_translation),
    the values the label columns of the marts and the bundle's virtual datasets (ref_labels.csv),
    empty cells dashboards/superset-patches.yaml and dashboards/dashboard.css, numbers
    superset_config.py's D3_FORMAT.
    """
    runtime = environment.saved_runtime(superset_home)
    account = deploy.admin_login(superset_home)
    rejections = _rejections(superset_home / "serving.duckdb")
    assert rejections, "the home has no rejected load: the e2e home must include a faulty delivery"
    dashboards = api.list_all(admin, "dashboard/", columns=["id", "slug"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with browser.open_page() as page:
        page.navigate(f"{runtime.url}/login/")
        page.wait_for("document.body.innerText.includes('Имя пользователя')", 60, "the Russian login form")
        page.screenshot(SCREENSHOTS / "login.png")
        text = page.evaluate("document.body.innerText")
        assert "Вход" in text and "Sign in" not in text and "Username" not in text, text[:300]
        browser.log_in(page, runtime.url, account.user, account.password)
        empty_cells: list[str] = []
        for dashboard in dashboards:
            slug = dashboard["slug"]
            charts = api.get_json(admin, f"dashboard/{dashboard['id']}/charts")["result"]
            url = f"{runtime.url}/superset/dashboard/{slug}/?standalone=1"
            shot = SCREENSHOTS / f"{slug}-ru.png"
            browser.screenshot_dashboard(page, url, shot, expected_charts=len(charts))
            texts = _chart_texts(page)
            for name, shown in texts.items():
                for code in CODES_SHOWN:
                    assert f" {code} " not in f" {shown} ", f"«{name}» shows {code!r}; see {slug}-ru.png"
            empty_cells += page.evaluate(EMPTY_PIVOT_CELLS_SCRIPT)
            if slug == "vnedrenie":
                regions = texts["Регионы: показатели"]
                assert "A1 Подключение ОО к ИКОП «Сферум»" in regions, regions[:300]
                assert re.search(r"\d,\d%", regions), f"no decimal comma in {regions[:300]}"
            if slug == "reyting-regionov":  # a region without (all its) data says why, in Russian
                rating = texts["Рейтинг регионов"]
                assert re.search("нет данных|неполные данные", rating), rating[:400]
                assert re.search(r"отклонён — [а-яё]", rating), rating[:400]
                assert "поставки:" not in rating, "the check's English delivery details reach the rating"
                assert "Контент ФГИС «Моя школа»: балл" in rating, "the sections of p.11 are not shown"
            if slug == "kachestvo-dannyh":
                log = texts["Журнал загрузок и причины отклонения"]
                assert "загружен" in log and "отклонён" in log, log[:300]
                for rule, description in rejections:
                    assert rule in log and description in log, f"{rule} «{description}» not in the load log"
        assert empty_cells, "no empty pivot cell on any dashboard: the faulty delivery leaves some"
        assert set(empty_cells) == {'"—"'}, f"empty pivot cells read {set(empty_cells)}"


def test_filters_list_names_and_municipalities_follow_the_region(superset_home: Path, admin: Any) -> None:
    """The «Регион» filter lists region names (no ISO codes) and «Муниципалитет» lists municipality
    names of the region chosen (it cascades from «Регион»), not ОКТМО codes.

    On failure: see the native_filter_configuration of the dashboard YAML and the name columns of
    mart_indicators (region_name, municipality_name).
    """
    regions = _filter_options(admin, "vnedrenie", "Регион")
    municipalities = _filter_options(admin, "vnedrenie", "Муниципалитет")
    serving = superset_home / "serving.duckdb"
    with duckdb.connect(str(serving), read_only=True) as connection:
        names = {row[0] for row in connection.execute("select region_name from ref_regions").fetchall()}
        oktmo = {
            r[0]
            for r in connection.execute(
                "select unit_id from mart_indicators where level = 'municipality'"
            ).fetchall()
        }
    assert regions and set(regions) <= names
    assert municipalities and not set(municipalities) & oktmo
    assert not any(re.fullmatch(r"\d{8,11}", m) for m in municipalities), municipalities[:5]


def test_a_region_click_drills_down_and_no_click_empties_the_tiles(superset_home: Path, admin: Any) -> None:
    """In «Внедрение»: a click on a region in «Регионы: показатели» leaves only that region in the
    municipality and school tables; the tiles keep their numbers; a click on a column header of the
    school table empties no chart; the laggards table is there with its values.

    Matters because a cross-filter that leaves «Нет данных» made the drill useless. On failure:
    open drill-*.png; see chart_configuration (cross-filter scopes) in the dashboard YAML.
    """
    runtime = environment.saved_runtime(superset_home)
    admin = deploy.admin_login(superset_home)
    user, password = admin.user, admin.password
    serving = superset_home / "serving.duckdb"
    with duckdb.connect(str(serving), read_only=True) as connection:
        region, other = (
            r[0]
            for r in connection.execute(
                "select region_name from mart_indicators where level = 'region' and region_name is not null "
                "group by region_name order by region_name limit 2"
            ).fetchall()
        )
    url = f"{runtime.url}/superset/dashboard/vnedrenie/?standalone=1"
    with browser.open_page() as page:
        browser.log_in(page, runtime.url, user, password)
        browser.screenshot_dashboard(page, url, SCREENSHOTS / "drill-before.png", expected_charts=5)
        tiles = {
            c["slice_name"]
            for c in bundle.load_bundle().of_kind("charts").values()
            if c["viz_type"] == "big_number_total"
        }
        tiles_before = {n: t for n, t in _chart_texts(page).items() if n in tiles}
        assert tiles_before
        assert _click(page, "Регионы: показатели", f"t => t === {json.dumps(region)}")
        municipality_table = "Муниципалитеты: показатели"
        page.wait_for(
            "Array.from(document.querySelectorAll('.chart-slice'))"
            f".some(s => s.getAttribute('data-test-chart-name') === {json.dumps(municipality_table)}"
            f" && !s.innerText.includes({json.dumps(other)}))",
            60,
            "the municipality table to narrow to the clicked region",
        )
        page.screenshot(SCREENSHOTS / "drill-region.png")
        texts = _chart_texts(page)
        assert region in texts[municipality_table] and other not in texts[municipality_table]
        for name, text in tiles_before.items():
            assert texts[name] == text, f"the tile «{name}» changed after a click in the region table"
        assert _click(page, "Образовательные организации: показатели", "t => t.startsWith('A2 ')")
        idle = f"document.querySelectorAll({json.dumps(browser.LOADING_SELECTORS)}).length === 0"
        page.wait_for(idle, 60, "the charts to reload after the header click")
        page.screenshot(SCREENSHOTS / "drill-header.png")
        for name, text in _chart_texts(page).items():
            assert "Нет данных" not in text and "No results" not in text, (
                f"«{name}» emptied by a header click"
            )
        laggards = _chart_texts(page)["Отстающие: ОО и муниципалитеты по показателю"]
        assert "ниже цели" in laggards or "цель достигнута" in laggards, laggards[:300]
