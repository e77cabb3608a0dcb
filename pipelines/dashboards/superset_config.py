"""Superset's own configuration, loaded by Superset's virtualenv (SUPERSET_CONFIG_PATH points here).

It runs inside Superset's environment, not ours: it imports nothing from `pipelines` and reads
everything deployment-specific from environment variables that `edumon superset up` sets from
orchestration.yaml.

- EDUMON_SUPERSET_HOME: folder for the SQLite metadata, caches, pid file and log (required).
- EDUMON_SUPERSET_SECRET_KEY: the session-signing key. Unset, the documented development key
  below is used: fine on a laptop, never in production (anyone who knows it can forge sessions).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEVELOPMENT_SECRET_KEY = "edumon-superset-development-key-do-not-use-in-production"

SUPERSET_HOME = Path(os.environ["EDUMON_SUPERSET_HOME"])

SECRET_KEY = os.environ.get("EDUMON_SUPERSET_SECRET_KEY") or DEVELOPMENT_SECRET_KEY
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
