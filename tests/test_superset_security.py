"""The serving side lets nobody further than their role: attacks on the real Superset 6.1.

One Superset for the module, started by `edumon superset up` on a copy of the demo home's
serving.duckdb (tests/conftest.py), as in tests/test_superset_e2e.py. Each test is an attack that
worked before the hardening: SQL that reads or writes host files, a session cookie signed with a
published or guessed key, a regional analyst asking the chart data API for more than their region.
On failure read docs/security.md, then pipelines/secrets.py, pipelines/dashboards/bundle.py
(SERVING_CONNECTION) and superset_config.py (DB_CONNECTION_MUTATOR).
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests
from test_superset_e2e import edumon, free_port

from pipelines.config import load_config
from pipelines.dashboards import api, deploy, environment
from pipelines.secrets import SUPERSET_SECRET_KEY_FILE, mark_demo

pytestmark = pytest.mark.superset

REGION = "RU-KB"
# superset_config.py signed every session with this key before the hardening: it is public.
PUBLISHED_SUPERSET_KEY = "edumon-superset-development-key-do-not-use-in-production"


def file_attacks(target: Path) -> dict[str, str]:
    """Statements that reach the host through DuckDB; `target` is a file COPY and ATTACH would create."""
    return {
        "read_csv": "select * from read_csv('/etc/passwd')",
        "read_text": "select content from read_text('/etc/passwd')",
        "glob": "select * from glob('/etc/*')",
        "copy": f"copy (select 1 as a) to '{target}'",
        "attach": f"attach '{target}.duckdb' as other",
        "install": "install httpfs",
        "set": "set enable_external_access = true",
        "reset": "reset enable_external_access",
    }


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory, demo_home: Path) -> Iterator[Path]:
    """A demo home with the demo's serving.duckdb and Superset up on it."""
    home = tmp_path_factory.mktemp("security_home")
    mark_demo(home)  # a copy of generated data: the demo's documented admin account is allowed
    shutil.copyfile(demo_home / "serving.duckdb", home / "serving.duckdb")
    edumon("superset", "up", "--home", str(home), "--port", str(free_port()))
    try:
        yield home
    finally:
        edumon("superset", "down", "--home", str(home))


@pytest.fixture(scope="module")
def admin(secured: Path) -> Any:
    return deploy.client_for(environment.saved_runtime(secured))


@pytest.fixture(scope="module")
def serving_database(admin: Any) -> int:
    databases = api.list_all(admin, "database/", columns=["id", "database_name"])
    return next(int(d["id"]) for d in databases if d["database_name"] == "edumon serving")


def dataset_id(client: Any, table: str) -> int:
    datasets = api.list_all(client, "dataset/", columns=["id", "table_name"])
    return next(int(d["id"]) for d in datasets if d["table_name"] == table)


def user_with_role(admin: Any, secured: Path, username: str, role: str) -> Any:
    """A new Superset user holding only `role`, logged in."""
    roles = {r["name"]: r["id"] for r in api.list_all(admin, "security/roles/")}
    password = f"{username}-pass-1"
    api.send_json(
        admin,
        "POST",
        "security/users/",
        {
            "first_name": username,
            "last_name": "edumon",
            "username": username,
            "email": f"{username}@edumon.local",
            "active": True,
            "password": password,
            "roles": [roles[role]],
        },
    )
    return api.connect(environment.saved_runtime(secured).url, username, password)


def sql_lab(client: Any, database_id: int, sql: str) -> requests.Response:
    """Run one statement through SQL Lab's execute API (synchronously)."""
    url = client.join_urls(client.base_url, "sqllab/execute/")
    body = {
        "database_id": database_id,
        "sql": sql,
        "runAsync": False,
        "schema": "main",
        "client_id": secrets.token_hex(5),  # Superset keeps one query per client id
    }
    response: requests.Response = client.session.post(url, json=body)
    return response


def chart_data(
    client: Any, datasource: int, query: dict[str, Any], result_type: str = "full"
) -> requests.Response:
    """POST a query context of our own to /api/v1/chart/data (not a saved chart's)."""
    base = {
        "columns": [],
        "metrics": [],
        "filters": [],
        "orderby": [],
        "extras": {"where": "", "having": ""},
        "row_limit": 100000,
        "time_range": "No filter",
    }
    body = {
        "datasource": {"id": datasource, "type": "table"},
        "force": True,
        "queries": [{**base, **query}],
        "result_format": "json",
        "result_type": result_type,
    }
    url = client.join_urls(client.base_url, "chart/data")
    response: requests.Response = client.session.post(url, json=body)
    return response


def sql_column(expression: str, label: str) -> dict[str, str]:
    return {"expressionType": "SQL", "sqlExpression": expression, "label": label}


def sql_metric(expression: str, label: str) -> dict[str, str]:
    return {"expressionType": "SQL", "sqlExpression": expression, "label": label}


# --- SQL over the serving DuckDB cannot reach the host ------------------------------------


def assert_refused_by_duckdb(response: requests.Response, name: str) -> None:
    refused = "disabled by configuration" in response.text or "configuration has been locked" in response.text
    assert response.status_code >= 400 and refused, f"{name} was not refused by DuckDB: {response.text[:300]}"
    assert "root:" not in response.text


def test_sql_lab_as_admin_cannot_touch_host_files(admin: Any, serving_database: int, tmp_path: Path) -> None:
    """The admin's SQL Lab (the widest SQL any role has) gets DuckDB's permission or locked-settings
    error for every file function, COPY … TO, ATTACH, INSTALL and attempt to switch external access
    back on (Superset's own DML check lets SET, COPY and ATTACH through), never a line of
    /etc/passwd, and no file is written; a SELECT on a mart still answers (positive control).

    Matters because DuckDB reads and writes host files unless the connection forbids it. On
    failure: check SERVING_CONNECTION in pipelines/dashboards/bundle.py and the database URI.
    """
    ok = sql_lab(admin, serving_database, "select count(*) as n from mart_indicators")
    assert ok.status_code == 200, ok.text
    assert ok.json()["data"][0]["n"] > 0
    target = tmp_path / "copied.csv"
    for name, sql in file_attacks(target).items():
        assert_refused_by_duckdb(sql_lab(admin, serving_database, sql), name)
    assert list(tmp_path.iterdir()) == []


def test_dml_allowed_or_uri_edited_the_files_stay_out_of_reach(
    admin: Any, serving_database: int, tmp_path: Path
) -> None:
    """Even an admin who allows DML on the database, strips the safety settings from its URI and
    asks for external access in its engine parameters gets the same refusals: Superset forces the
    settings on every DuckDB connection.

    Matters because an admin account (or a stolen one) must not become a shell on the host. On
    failure: superset_config.py DB_CONNECTION_MUTATOR and EDUMON_DUCKDB_CONNECTION.
    """
    target = tmp_path / "copied.csv"
    current = api.get_json(admin, f"database/{serving_database}/connection")["result"]
    opened = {"connect_args": {"config": {"enable_external_access": True, "lock_configuration": False}}}
    edited = {
        "allow_dml": True,
        "sqlalchemy_uri": current["sqlalchemy_uri"].split("?")[0] + "?access_mode=read_only",
        "extra": json.dumps({"engine_params": opened}),
    }
    api.send_json(admin, "PUT", f"database/{serving_database}", edited)
    try:
        for name, sql in file_attacks(target).items():
            assert_refused_by_duckdb(sql_lab(admin, serving_database, sql), name)
        assert list(tmp_path.iterdir()) == []
        assert sql_lab(admin, serving_database, "select 1 as a").status_code == 200  # still usable
    finally:
        restored = {key: current[key] for key in ("allow_dml", "sqlalchemy_uri", "extra")}
        api.send_json(admin, "PUT", f"database/{serving_database}", restored)


def test_chart_data_custom_sql_cannot_touch_host_files(admin: Any) -> None:
    """A query context of the admin's own with custom SQL (column, metric, WHERE) that reads files
    is refused and returns nothing of /etc/passwd; the same context without it answers. (Superset
    refuses subqueries in custom SQL first, ALLOW_ADHOC_SUBQUERY being off; DuckDB's settings
    are the second wall: DuckDB reads files only through table functions.)

    On failure: the chart data API ran SQL that reached the host; see SERVING_CONNECTION.
    """
    datasource = dataset_id(admin, "mart_indicators")
    ok = chart_data(admin, datasource, {"metrics": [sql_metric("count(*)", "rows")]})
    assert ok.status_code == 200 and ok.json()["result"][0]["data"][0]["rows"] > 0, ok.text
    attacks = [
        {"columns": [sql_column("(select content from read_text('/etc/passwd'))", "passwd")]},
        {"metrics": [sql_metric("(select count(*) from read_csv('/etc/passwd'))", "lines")]},
        {
            "metrics": [sql_metric("count(*)", "rows")],
            "extras": {"where": "exists (select 1 from read_text('/etc/passwd'))", "having": ""},
        },
    ]
    for query in attacks:
        response = chart_data(admin, datasource, query)
        assert response.status_code >= 400, f"custom SQL ran: {query}: {response.text[:300]}"
        assert "root:" not in response.text


# --- sessions ------------------------------------------------------------------------------


def signed_session(secret: str, user_id: str) -> str:
    """A Flask session cookie for `user_id`, signed as Superset's Flask signs it (its own venv)."""
    program = (
        "import sys, flask\n"
        "app = flask.Flask('forge'); app.secret_key = sys.argv[1]\n"
        "serializer = app.session_interface.get_signing_serializer(app)\n"
        "print(serializer.dumps({'_user_id': sys.argv[2], '_fresh': True}))\n"
    )
    result = subprocess.run(
        [str(environment.venv_bin("python")), "-c", program, secret, user_id],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def whoami(secured: Path, cookie: str) -> requests.Response:
    url = f"{environment.saved_runtime(secured).url}/api/v1/me/"
    return requests.get(url, cookies={"session": cookie}, timeout=30)


def test_a_forged_session_cookie_is_rejected(secured: Path, admin: Any) -> None:
    """A session cookie claiming the admin, signed with the key that used to be written in the
    code or with any guessed key, is not a login (401); the same cookie signed with the home's
    generated key is (the positive control shows the forgery itself is sound).

    Matters because whoever can sign a cookie is whoever they claim. On failure: see
    pipelines/secrets.py superset_secret_key and superset_config.py SECRET_KEY.
    """
    admin_id = str(api.get_json(admin, "me/")["result"]["id"])
    home_key_file = secured / load_config().paths.superset / SUPERSET_SECRET_KEY_FILE
    real_key = home_key_file.read_text(encoding="utf-8").strip()
    assert real_key != PUBLISHED_SUPERSET_KEY
    accepted = whoami(secured, signed_session(real_key, admin_id))
    assert accepted.status_code == 200 and str(accepted.json()["result"]["id"]) == admin_id
    for key in (PUBLISHED_SUPERSET_KEY, "guessed-" + "x" * 40):
        forged = whoami(secured, signed_session(key, admin_id))
        assert forged.status_code == 401, f"a cookie signed with {key!r} logged in: {forged.text[:200]}"


# --- roles ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def analyst(admin: Any, secured: Path) -> Any:
    return user_with_role(admin, secured, "security_analyst_kb", api.role_names([REGION])[REGION])


def serving_count(secured: Path, table: str, where: str) -> int:
    with duckdb.connect(str(secured / "serving.duckdb"), read_only=True) as connection:
        row = connection.execute(f"select count(*) from {table} where {where}").fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    "table", ["mart_indicators", "mart_region_rating", "mart_municipal_rating", "mart_data_quality"]
)
def test_custom_chart_queries_of_a_regional_analyst_see_only_their_region(
    analyst: Any, secured: Path, table: str
) -> None:
    """The regional analyst's own query contexts on a mart: custom SQL columns and metrics, a
    filter asking for other regions, a WHERE trying to widen the rule, raw samples and drill-detail
    rows — every answer holds only their region's rows (row-level security is added to whatever
    they ask), and a metric counting other regions' rows is 0.

    Matters because the chart data API takes any query, not only the saved charts'. On failure: the
    RLS rules (dashboards/security.yaml, api.apply_security) do not cover this dataset.
    """
    datasource = dataset_id(analyst, table)
    own = serving_count(secured, table, f"region_code = '{REGION}'")
    assert own > 0 and serving_count(secured, table, f"region_code <> '{REGION}'") > 0
    counts = [
        sql_metric("count(*)", "rows"),
        sql_metric(f"sum(case when region_code <> '{REGION}' then 1 else 0 end)", "others"),
    ]
    grouped = chart_data(
        analyst,
        datasource,
        {"columns": ["region_code", sql_column("lower(region_code)", "code")], "metrics": counts},
    )
    assert grouped.status_code == 200, grouped.text
    rows = grouped.json()["result"][0]["data"]
    assert {row["region_code"] for row in rows} == {REGION}
    assert sum(row["rows"] for row in rows) == own and sum(row["others"] for row in rows) == 0
    for query in (
        {"metrics": counts, "filters": [{"col": "region_code", "op": "NOT IN", "val": [REGION]}]},
        {"metrics": counts, "extras": {"where": f"region_code <> '{REGION}' or 1 = 1", "having": ""}},
        {"metrics": counts, "extras": {"where": "1 = 1) or (1 = 1", "having": ""}},
    ):
        response = chart_data(analyst, datasource, query)
        if response.status_code != 200:  # an unbalanced clause is refused: nothing leaks either
            assert response.status_code in (400, 422) and REGION not in response.text
            continue
        data = response.json()["result"][0]["data"]
        assert sum(row["others"] or 0 for row in data) == 0, f"{query} saw other regions"
        assert sum(row["rows"] or 0 for row in data) <= own
    for result_type in ("samples", "drill_detail"):  # raw rows, not the query's aggregation
        response = chart_data(analyst, datasource, {"columns": ["region_code"]}, result_type)
        assert response.status_code == 200, response.text
        data = response.json()["result"][0]["data"]
        assert data and {row["region_code"] for row in data} == {REGION}, result_type


def test_regional_and_ministry_roles_have_no_sql_lab(
    admin: Any, secured: Path, serving_database: int
) -> None:
    """Row-level security does not apply to SQL Lab's raw SQL, so neither the regional analyst nor
    the ministry role may run SQL Lab at all: the execute API answers 403 and runs nothing.

    On failure: a role got `can_execute_sql_query on SQLLab` or the sql_lab role; remove it
    (api.apply_security grants the base role's permissions plus database access only).
    """
    regional = user_with_role(admin, secured, "security_analyst_sqllab", api.role_names([REGION])[REGION])
    ministry = user_with_role(admin, secured, "security_ministry", load_config().superset.ministry_role)
    for client in (regional, ministry):
        response = sql_lab(client, serving_database, "select * from mart_indicators")
        assert response.status_code in (401, 403), response.text[:300]
        assert "RU-" not in response.text
