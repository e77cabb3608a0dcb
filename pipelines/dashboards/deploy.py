"""What `edumon superset up|sync|down` and the refresh asset do, as functions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from supersetapiclient.client import SupersetClient

from pipelines.config import home_path, load_config
from pipelines.dashboards import api, bundle, environment
from pipelines.dashboards.environment import Runtime, SupersetError
from pipelines.secrets import MissingSecret, SupersetAdmin, superset_admin


@dataclass
class SyncReport:
    imported: dict[str, int]  # kind → number of assets in the bundle
    deleted: dict[str, list[str]] = field(default_factory=dict)
    roles: dict[str, int] = field(default_factory=dict)


def admin_login(home: str | Path | None) -> SupersetAdmin:
    """The admin account of this home's Superset (refused outside a demo without the environment's)."""
    return superset_admin(home)


def managed_file(runtime: Runtime) -> Path:
    """UUIDs the bundle imported last time: what `sync` may delete when the bundle drops them."""
    return runtime.home / "managed.json"


def read_managed(runtime: Runtime) -> dict[str, set[str]]:
    path = managed_file(runtime)
    if not path.exists():
        return {}
    return {kind: set(uuids) for kind, uuids in json.loads(path.read_text(encoding="utf-8")).items()}


def client_for(runtime: Runtime) -> SupersetClient:
    admin = admin_login(runtime.root)
    return api.connect(runtime.url, admin.user, admin.password)


def sync_bundle(runtime: Runtime, serving: Path, bundle_root: Path | None = None) -> SyncReport:
    """Render and import the bundle, delete what it no longer holds, apply roles and RLS."""
    assets = bundle.load_bundle(bundle_root)
    rendered = bundle.render(assets, bundle.template_values(serving))
    client = client_for(runtime)
    api.import_assets(client, bundle.zip_bytes(rendered))
    keep = {kind: assets.uuids(kind) for kind in api.API_RESOURCES}
    deleted = api.delete_stale(client, keep, read_managed(runtime))
    api.dump_state(managed_file(runtime), {kind: sorted(uuids) for kind, uuids in keep.items()})
    database_name = next(iter(assets.of_kind("databases").values()))["database_name"]
    roles = api.apply_security(client, load_config().regions, database_name, api.load_security())
    imported = {kind: len(assets.of_kind(kind)) for kind in bundle.KINDS}
    return SyncReport(imported=imported, deleted=deleted, roles=roles)


def up(
    home: str | Path | None, port: int | None = None, bundle_root: Path | None = None
) -> tuple[Runtime, SyncReport]:
    """Install if needed, prepare the metadata, start Superset, wait for /health, sync the bundle."""
    admin = admin_login(home)  # before installing anything: outside a demo, no password, no Superset
    environment.install()
    runtime = environment.runtime_for(home, port)
    if environment.running_pid(runtime) is None:
        environment.prepare_metadata(runtime, admin.user, admin.password)
        environment.start(runtime)
    environment.wait_until_healthy(runtime, load_config().superset.startup_timeout_seconds)
    return runtime, sync_bundle(runtime, home_path("serving", home), bundle_root)


def running_runtime(home: str | Path | None) -> Runtime:
    runtime = environment.saved_runtime(home)
    if environment.running_pid(runtime) is None or not environment.is_healthy(runtime.url):
        raise SupersetError(f"Superset is not running for {runtime.home}: start it with `edumon superset up`")
    return runtime


@dataclass
class RefreshReport:
    status: str  # refreshed | skipped
    reason: str = ""
    datasets: int = 0
    charts: int = 0
    chart_errors: dict[int, str] = field(default_factory=dict)


def refresh(home: str | Path | None) -> RefreshReport:
    """After a publish: re-read dataset metadata and warm every bundle chart's cache.

    A Superset that is not running is not an error: the dashboards read the new snapshot when
    they are next opened, and the report says the refresh was skipped.
    """
    runtime = environment.saved_runtime(home)
    if environment.running_pid(runtime) is None or not environment.is_healthy(runtime.url):
        return RefreshReport(status="skipped", reason=f"Superset is not running at {runtime.url}")
    assets = bundle.load_bundle()
    try:
        client = client_for(runtime)
    except MissingSecret as error:  # Superset is up, but this process may not log in: say why
        return RefreshReport(status="skipped", reason=str(error))
    dataset_ids = api.ids_by_uuid(client, "datasets")
    chart_ids = api.ids_by_uuid(client, "charts")
    datasets = [dataset_ids[u] for u in sorted(assets.uuids("datasets")) if u in dataset_ids]
    charts = [chart_ids[u] for u in sorted(assets.uuids("charts")) if u in chart_ids]
    api.refresh_datasets(client, datasets)
    warmed = api.warm_chart_caches(client, charts)
    errors = {chart_id: error for chart_id, error in warmed.items() if error}
    return RefreshReport(status="refreshed", datasets=len(datasets), charts=len(charts), chart_errors=errors)
