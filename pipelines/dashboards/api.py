"""Talking to a running Superset through superset-client: import, prune, roles, row-level security.

Everything here goes over Superset's REST API with the client's authenticated session (login
token plus CSRF token), so it works the same against a local or a remote Superset.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from supersetapiclient.base import raise_for_status
from supersetapiclient.client import SupersetClient

from pipelines.config import PROJECT_ROOT, load_config

# Deletion order: what refers to something goes first (a dashboard holds charts, a chart a dataset).
API_RESOURCES = {"dashboards": "dashboard", "charts": "chart", "datasets": "dataset"}
PAGE_SIZE = 100


def rison(value: Any) -> str:
    """Encode the simple values Superset's `q` parameters use (dicts, lists, strings, numbers)."""
    if isinstance(value, bool):
        return "!t" if value else "!f"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("!", "!!").replace("'", "!'") + "'"
    if isinstance(value, list | tuple):
        return "!(" + ",".join(rison(item) for item in value) + ")"
    if isinstance(value, dict):
        return "(" + ",".join(f"{key}:{rison(item)}" for key, item in value.items()) + ")"
    raise TypeError(f"cannot rison-encode {type(value).__name__}")


def connect(url: str, username: str, password: str) -> SupersetClient:
    """A logged-in client. Plain http is allowed for localhost only (STACK.md)."""
    if url.startswith(("http://127.0.0.1", "http://localhost")):
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    return SupersetClient(host=url, username=username, password=password)


def get_json(client: SupersetClient, path: str, **query: Any) -> dict[str, Any]:
    url = client.join_urls(client.base_url, path)
    params = {"q": rison(query)} if query else None
    response = client.get(url, params=params)
    raise_for_status(response)
    result: dict[str, Any] = response.json()
    return result


def send_json(client: SupersetClient, method: str, path: str, body: Any) -> dict[str, Any]:
    url = client.join_urls(client.base_url, path)
    response = client.session.request(method, url, json=body)
    raise_for_status(response)
    result: dict[str, Any] = response.json() if response.content else {}
    return result


def list_all(
    client: SupersetClient, path: str, columns: Iterable[str] = (), **query: Any
) -> list[dict[str, Any]]:
    """Every row of a list endpoint, page by page."""
    rows: list[dict[str, Any]] = []
    page = 0
    while True:
        q: dict[str, Any] = {"page": page, "page_size": PAGE_SIZE, **query}
        if columns:
            q["columns"] = list(columns)
        batch = get_json(client, path, **q).get("result", [])
        rows.extend(batch)
        if len(batch) < PAGE_SIZE:
            return rows
        page += 1


# --- import and prune ----------------------------------------------------------------------


def import_assets(client: SupersetClient, payload: bytes) -> None:
    """POST the rendered bundle ZIP to /api/v1/assets/import/ (it overwrites by UUID)."""
    files = {
        "bundle": ("edumon_bundle.zip", payload, "application/zip"),
        "passwords": (None, "{}"),
    }
    response = client.post(client.assets.import_url, files=files, headers={"Accept": "application/json"})
    raise_for_status(response)


def ids_by_uuid(client: SupersetClient, kind: str) -> dict[str, int]:
    rows = list_all(client, f"{API_RESOURCES[kind]}/", columns=["id", "uuid"])
    return {str(row["uuid"]): int(row["id"]) for row in rows if row.get("uuid")}


def delete_stale(
    client: SupersetClient, keep: Mapping[str, set[str]], managed: Mapping[str, set[str]]
) -> dict[str, list[str]]:
    """Delete assets the bundle once imported (`managed`) and no longer holds (`keep`).

    The import only adds and overwrites, so without this a chart removed from the bundle would
    stay on the server. Assets people made by hand in the UI are never in `managed` and stay.
    """
    deleted: dict[str, list[str]] = {}
    for kind, resource in API_RESOURCES.items():
        stale = managed.get(kind, set()) - keep.get(kind, set())
        present = ids_by_uuid(client, kind) if stale else {}
        for uuid in sorted(stale & set(present)):
            url = client.join_urls(client.base_url, f"{resource}/{present[uuid]}")
            raise_for_status(client.delete(url))
            deleted.setdefault(kind, []).append(uuid)
    return deleted


# --- roles and row-level security ----------------------------------------------------------


@dataclass(frozen=True)
class RegionalRule:
    """dashboards/security.yaml: which datasets are filtered for a regional analyst, and how."""

    base_role: str
    name: str
    group_key: str
    clause: str
    datasets: tuple[str, ...]

    def rule_name(self, region: str) -> str:
        return self.name.format(region=region)

    def rule_clause(self, region: str) -> str:
        if "'" in region:
            raise ValueError(f"region code {region!r} cannot appear in an SQL literal")
        return self.clause.format(region=region)


def load_security(path: Path | None = None) -> RegionalRule:
    path = path or PROJECT_ROOT / load_config().superset.security
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    rule = raw["regional_rule"]
    return RegionalRule(
        base_role=raw["base_role"],
        name=rule["name"],
        group_key=rule["group_key"],
        clause=rule["clause"],
        datasets=tuple(rule["datasets"]),
    )


def role_names(regions: Iterable[str]) -> dict[str | None, str]:
    """Role name per region code; the key None is the ministry role (no row filter)."""
    cfg = load_config().superset
    names: dict[str | None, str] = {None: cfg.ministry_role}
    for region in regions:
        names[region] = f"{cfg.regional_role_prefix}{region}"
    return names


def ensure_role(client: SupersetClient, name: str) -> int:
    for role in list_all(client, "security/roles/", filters=[{"col": "name", "opr": "eq", "value": name}]):
        if role["name"] == name:
            return int(role["id"])
    return int(send_json(client, "POST", "security/roles/", {"name": name})["id"])


def role_permission_ids(client: SupersetClient, role_id: int) -> list[int]:
    result = get_json(client, f"security/roles/{role_id}/permissions/").get("result", [])
    return [int(item["id"]) for item in result]


def database_access_permission(client: SupersetClient, database_name: str, database_id: int) -> int:
    """The id of the permission `database_access on [name].(id:N)` that `superset init` created."""
    view = f"[{database_name}].(id:{database_id})"
    for item in list_all(client, "security/permissions-resources/"):
        if item["permission"]["name"] == "database_access" and item["view_menu"]["name"] == view:
            return int(item["id"])
    raise LookupError(f"no database_access permission for {view}; was the database imported?")


def upsert_rls_rule(client: SupersetClient, body: dict[str, Any]) -> int:
    existing = list_all(
        client, "rowlevelsecurity/", filters=[{"col": "name", "opr": "eq", "value": body["name"]}]
    )
    for rule in existing:
        if rule["name"] == body["name"]:
            send_json(client, "PUT", f"rowlevelsecurity/{rule['id']}", body)
            return int(rule["id"])
    return int(send_json(client, "POST", "rowlevelsecurity/", body)["id"])


def permission_id(client: SupersetClient, permission: str, view: str) -> int:
    for item in list_all(client, "security/permissions-resources/"):
        if item["permission"]["name"] == permission and item["view_menu"]["name"] == view:
            return int(item["id"])
    raise LookupError(f"Superset has no permission {permission} on {view}")


def allow_login_page_translation(client: SupersetClient, public_role: str = "Public") -> None:
    """The login page is drawn before anyone logs in: without this one permission for anonymous
    visitors it cannot load the Russian language pack and shows English."""
    role_id = ensure_role(client, public_role)
    wanted = permission_id(client, "can_language_pack", "Superset")
    current = set(role_permission_ids(client, role_id))
    if wanted not in current:
        body = {"permission_view_menu_ids": sorted(current | {wanted})}
        send_json(client, "POST", f"security/roles/{role_id}/permissions", body)


def apply_security(
    client: SupersetClient, regions: Iterable[str], database_name: str, rule: RegionalRule
) -> dict[str, int]:
    """Create or update the ministry and regional roles and each region's RLS rule (idempotent)."""
    allow_login_page_translation(client)
    databases = list_all(client, "database/", columns=["id", "database_name"])
    database_id = next(int(d["id"]) for d in databases if d["database_name"] == database_name)
    base_id = ensure_role(client, rule.base_role)
    permissions = sorted(
        {
            *role_permission_ids(client, base_id),
            database_access_permission(client, database_name, database_id),
        }
    )
    datasets = list_all(client, "dataset/", columns=["id", "table_name", "database.id"])
    table_ids = sorted(
        int(d["id"])
        for d in datasets
        if d["table_name"] in rule.datasets and d["database"]["id"] == database_id
    )
    roles: dict[str, int] = {}
    for region, name in role_names(regions).items():
        role_id = ensure_role(client, name)
        send_json(
            client, "POST", f"security/roles/{role_id}/permissions", {"permission_view_menu_ids": permissions}
        )
        roles[name] = role_id
        if region is None:
            continue
        upsert_rls_rule(
            client,
            {
                "name": rule.rule_name(region),
                "description": f"Аналитик региона {region} видит только строки своего региона",
                "filter_type": "Regular",
                "tables": table_ids,
                "roles": [role_id],
                "group_key": rule.group_key,
                "clause": rule.rule_clause(region),
            },
        )
    return roles


# --- refresh -------------------------------------------------------------------------------


def refresh_datasets(client: SupersetClient, dataset_ids: Iterable[int]) -> int:
    """Re-read column metadata of the datasets from the serving file."""
    count = 0
    for dataset_id in dataset_ids:
        send_json(client, "PUT", f"dataset/{dataset_id}/refresh", None)
        count += 1
    return count


def warm_chart_caches(client: SupersetClient, chart_ids: Iterable[int]) -> dict[int, str | None]:
    """Run every chart's query once so the first viewer reads from the cache; chart id → error."""
    errors: dict[int, str | None] = {}
    for chart_id in chart_ids:
        result = send_json(client, "PUT", "chart/warm_up_cache", {"chart_id": chart_id})
        for item in result.get("result", []):
            errors[int(item["chart_id"])] = item.get("viz_error")
    return errors


def chart_data(client: SupersetClient, chart_id: int) -> list[dict[str, Any]]:
    """Rows the chart data endpoint returns for a chart's saved query context."""
    payload = get_json(client, f"chart/{chart_id}/data/")
    rows: list[dict[str, Any]] = payload["result"][0]["data"]
    return rows


def dump_state(path: Path, state: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
