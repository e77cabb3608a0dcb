"""Superset's own configuration, loaded by Superset's virtualenv (SUPERSET_CONFIG_PATH points here).

It runs inside Superset's environment, not ours: it imports nothing from `pipelines` and reads
everything deployment-specific from environment variables that `edumon superset up` sets from
orchestration.yaml.

- EDUMON_SUPERSET_HOME: folder for the SQLite metadata, caches, pid file and log (required).
- EDUMON_SUPERSET_SECRET_KEY: the session-signing key (required). `edumon superset up` sets it from
  the operator's environment or the home's generated 0600 key file (pipelines/secrets.py). There
  is no fallback: a key written in code is public, and anyone who knows it can forge a login.
- EDUMON_DUCKDB_CONNECTION: JSON of the DuckDB settings every DuckDB connection is forced to
  (pipelines/dashboards/bundle.py SERVING_CONNECTION; required).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SUPERSET_HOME = Path(os.environ["EDUMON_SUPERSET_HOME"])

SECRET_KEY = os.environ.get("EDUMON_SUPERSET_SECRET_KEY", "")
if len(SECRET_KEY) < 32:  # unset or too short to resist guessing: refuse to start, never default
    raise RuntimeError(
        "EDUMON_SUPERSET_SECRET_KEY is unset or shorter than 32 characters: start Superset with "
        "`edumon superset up`, which generates a key per home (docs/security.md)"
    )
SQLALCHEMY_DATABASE_URI = f"sqlite:///{SUPERSET_HOME / 'superset.db'}"

# The UI in Russian, the login page included: Superset picks the browser's Accept-Language among
# LANGUAGES, so with English listed an English browser got an English UI. Russian only.
BABEL_DEFAULT_LOCALE = "ru"
LANGUAGES = {"ru": {"flag": "ru", "name": "Русский"}}
# Russian number formats in every chart: decimal comma, a no-break space between thousands.
D3_FORMAT = {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", "\u00a0₽"]}

FEATURE_FLAGS: dict[str, bool] = {
    "DASHBOARD_CROSS_FILTERS": True,  # drill: a click on a region or municipality filters the rest
    "DASHBOARD_RBAC": False,  # access follows dataset permissions and row-level security
    "ALERT_REPORTS": False,
    "ENABLE_TEMPLATE_PROCESSING": False,  # no Jinja SQL: every query is a dbt mart
}

# Roles, permissions and row-level-security rules are managed over the REST API.
FAB_ADD_SECURITY_API = True

# Plain http on localhost: no HTTPS redirects; the login form keeps its CSRF protection.
TALISMAN_ENABLED = False
WTF_CSRF_ENABLED = True
SESSION_COOKIE_SECURE = False


def _file_cache(folder: str, timeout_seconds: int) -> dict[str, Any]:
    return {
        "CACHE_TYPE": "FileSystemCache",
        "CACHE_DIR": str(SUPERSET_HOME / "cache" / folder),
        "CACHE_DEFAULT_TIMEOUT": timeout_seconds,
    }


# Chart data is cached until the next published snapshot; the refresh asset warms it weekly.
CACHE_CONFIG = _file_cache("metadata", 24 * 3600)
DATA_CACHE_CONFIG = _file_cache("data", 7 * 24 * 3600)
FILTER_STATE_CACHE_CONFIG = _file_cache("filter_state", 24 * 3600)
EXPLORE_FORM_DATA_CACHE_CONFIG = _file_cache("explore", 24 * 3600)

ROW_LIMIT = 50000
SQLLAB_CTAS_NO_LIMIT = True


# Every DuckDB connection Superset opens, the bundle's or one an admin adds or edits in the UI, is
# forced to the serving settings (no external access, locked configuration): no role's SQL reaches
# the host's files, and a changed URI or engine parameter cannot switch that back on.
if "EDUMON_DUCKDB_CONNECTION" not in os.environ:
    raise RuntimeError("EDUMON_DUCKDB_CONNECTION is unset: start Superset with `edumon superset up`")
DUCKDB_CONNECTION: dict[str, str] = json.loads(os.environ["EDUMON_DUCKDB_CONNECTION"])


def DB_CONNECTION_MUTATOR(  # the name Superset looks up
    uri: Any, params: dict[str, Any], username: str | None, security_manager: Any, source: Any
) -> tuple[Any, dict[str, Any]]:
    if uri.drivername.startswith("duckdb"):
        uri = uri.update_query_dict(DUCKDB_CONNECTION)  # duckdb-engine: URI settings win over params
    return uri, params
