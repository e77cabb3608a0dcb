"""End to end: the real Superset 6.1 started by `edumon superset up` on real pipeline output.

The serving snapshot is the whole pipeline's demo home (`demo_home` in tests/conftest.py) when it
exists, else the dbt engineer's fixture lake built and published with the project's own
`dbt build` and publish. Superset's virtualenv is installed once per machine (minutes the first
time); starting and importing takes about a minute. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import math
import os
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
        demo_home: Path = request.getfixturevalue("demo_home")
        shutil.copyfile(demo_home / "serving.duckdb", home / "serving.duckdb")
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
    select = [f'"{c}"' for c in query["columns"]] + [metric_sql[m] for m in query["metrics"]]
    conditions = [where] if where else []
    for item in query["filters"]:
        values = item["val"] if isinstance(item["val"], list) else [item["val"]]
        literals = ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)
        conditions.append(f'"{item["col"]}" in ({literals})')
    sql = f"select {', '.join(select)} from {dataset['table_name']}"
    if conditions:
        sql += " where " + " and ".join(conditions)
    if query["metrics"] and query["columns"]:
        sql += " group by " + ", ".join(f'"{c}"' for c in query["columns"])
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
