"""Ingest over generated exports through the real Dagster definitions (`edumon run`)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from pipelines.cli import main
from pipelines.contracts import lake_columns
from pipelines.ingest import load_log
from pipelines.ingest.files import scan_landing
from pipelines.ingest.lake import partition_path
from pipelines.orchestration.instance import prepare_instance
from pipelines.sources.defects import REDELIVERED


def _lake_bytes(home: Path) -> dict[str, str]:
    return {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((home / "lake").rglob("*.parquet"))
        if "_staging" not in p.parts
    }


def test_definitions_validate() -> None:
    """`dagster definitions validate` accepts pipelines.definitions. Matters: a broken Definitions
    object stops the UI, the sensor and every `edumon` run. Resolve: run the same command and read
    the error it prints (often an asset key clash after a stage added its assets)."""
    result = subprocess.run(
        ["dagster", "definitions", "validate", "-m", "pipelines.definitions"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_every_demo_file_loads_into_its_partition(demo_landing: Path, demo_home: Path) -> None:
    """Happy path: each clean demo file is loaded, its lake partition exists with exactly the
    contract's lake columns, and the load log says `loaded`. Matters: this is the weekly run.
    Resolve: read the rejected entry's rule/reason in lake/_meta/load_log.jsonl and the GE page
    in its `report`; either the generator or the suite (orchestration.yaml) is wrong."""
    entries = load_log.read_entries(demo_home / "lake")
    delivered = sorted(p.name for p in demo_landing.iterdir() if p.suffix in (".csv", ".jsonl", ".xlsx"))
    loaded = sorted(e.source_file for e in entries if e.status == "loaded")
    problems = [(e.source_file, e.rule, e.reason) for e in entries if e.status == "rejected"]
    assert not problems
    assert loaded == delivered
    recognised, _ = scan_landing(demo_home / "landing")
    for item in recognised:
        path = partition_path(demo_home / "lake", item.dataset, item.region, item.week)
        schema = pq.read_schema(path)
        assert schema.names == [c.name for c in lake_columns(item.dataset)], item.name


def test_every_load_links_to_its_data_docs_page(demo_home: Path) -> None:
    """Each gated load's `report` is a Data Docs page that exists, and the index lists at most
    `gates.data_docs_index_limit` validations. Matters: the engineer on call opens the page from the
    Dagster asset check; pages are built once per ingest step (an index per file read every stored
    result, quadratic over a year). Resolve: publish_data_docs in pipelines/checks/gate.py, called
    by the ingest asset in pipelines/ingest/assets.py."""
    from pipelines.checks.data_docs import local_site
    from pipelines.checks.gate import _context
    from pipelines.config import load_config

    gates = load_config().gates
    server = f"http://{gates.data_docs_host}:{gates.data_docs_port}/"  # `edumon ui` serves the site there
    site = local_site(demo_home / "docs")
    entries = [e for e in load_log.read_entries(demo_home / "lake") if e.status == "loaded"]
    pages = [
        site / e.report.removeprefix(server) for e in entries if e.report and e.report.startswith(server)
    ]
    assert entries and len(pages) == len(entries)
    missing = [p.name for p in pages if not p.exists()]
    assert not missing, missing
    assert list((demo_home / "docs").glob("**/data_docs/*/index.html"))
    sites = _context(str(demo_home / "docs")).variables.data_docs_sites
    limits = {site["site_index_builder"]["validation_results_limit"] for site in sites.values()}
    assert limits == {load_config().gates.data_docs_index_limit}


def test_data_docs_render_offline_and_open_over_http(demo_home: Path) -> None:
    """Every Data Docs page loads its styles and scripts from the site itself (no CDN link left, each
    linked file present), and the site answers over http as `edumon ui` serves it, so the asset
    check's link opens. Matters: offline, GE's CDN links render blank pages; a file:// link from the
    Dagster UI does not open. Resolve: pipelines/checks/data_docs.py (CDN_FILES lists each link GE's
    templates use; a GE upgrade may add one: vendor it from npm into data_docs_assets/)."""
    import re
    import socket
    import urllib.request

    from pipelines.checks import data_docs

    site = data_docs.local_site(demo_home / "docs")
    pages = sorted(site.rglob("*.html"))
    assert pages
    linked = re.compile(r'(?:href|src)="([^"#]+\.(?:css|js))"')
    for page in pages:
        text = page.read_text(encoding="utf-8")
        remote = [url for url in data_docs.CDN_FILES if url in text]
        assert not remote, f"{page.relative_to(site)} still links {remote}"
        for ref in linked.findall(text):
            assert not ref.startswith("http"), f"{page.relative_to(site)} links {ref}"
            assert (page.parent / ref).resolve().is_file(), f"{page.relative_to(site)}: {ref} is missing"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = data_docs.serve(site, "127.0.0.1", port)
    try:
        page = next(p for p in pages if "validations" in p.parts)
        url = data_docs.http_url(page.as_uri(), site, "127.0.0.1", port)
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200 and b"vendor/css/bootstrap.min.css" in response.read()
        css = f"http://127.0.0.1:{port}/static/vendor/css/bootstrap.min.css"
        with urllib.request.urlopen(css, timeout=10) as response:
            assert response.status == 200
    finally:
        server.shutdown()


def test_runs_are_recorded_in_the_home_instance(demo_home: Path) -> None:
    """`edumon run` starts real Dagster runs recorded in {home}/dagster, one ingest run per
    region-week plus the inventory run, with the partition tag. Matters: the UI's run history
    is how an engineer finds a load. Resolve: check prepare_instance() sets DAGSTER_HOME."""
    instance = prepare_instance(demo_home)
    runs = [r.dagster_run for r in instance.get_run_records()]
    ingest_runs = [r for r in runs if r.job_name == "ingest"]
    assert len(ingest_runs) >= 9
    assert all(r.tags.get("dagster/partition") for r in ingest_runs)
    assert any(r.job_name == "landing_inventory" for r in runs)
    settings = yaml.safe_load((demo_home / "dagster" / "dagster.yaml").read_text(encoding="utf-8"))
    limits = settings["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {"key": "edumon/writes-warehouse", "value": "true", "limit": 1} in limits


def test_rerun_leaves_the_lake_byte_identical(demo_home: Path) -> None:
    """A re-run over the same files rewrites nothing: every partition's bytes stay equal. `run`
    does not read a settled, untouched file again (no load-log entry); a file rewritten with the
    same bytes is re-hashed and recorded `unchanged`. Matters: idempotent weeks give idempotent
    marts, and landing keeps every week, so re-reading it all would slow each week down. Resolve:
    a changed byte means the Parquet write is not deterministic or the sha256 comparison broke;
    a missing `unchanged` means _is_settled in pipelines/orchestration/runs.py trusts a
    changed file."""
    before = _lake_bytes(demo_home)
    lake = demo_home / "lake"
    count = len(load_log.read_entries(lake))
    assert main(["run", "--home", str(demo_home)]) == 0
    assert _lake_bytes(demo_home) == before
    assert [e for e in load_log.read_entries(lake)[count:] if e.dataset] == []

    touched = sorted((demo_home / "landing").glob("sferum_orgs_*"))[0]
    touched.write_bytes(touched.read_bytes())  # same bytes, new write: no longer settled
    assert main(["run", "--home", str(demo_home)]) == 0
    assert _lake_bytes(demo_home) == before
    rechecked = [(e.source_file, e.status) for e in load_log.read_entries(lake)[count:] if e.dataset]
    assert rechecked == [(touched.name, "unchanged")]


def test_corrected_redelivery_replaces_its_partition(defects_landing: Path, defects_home: Path) -> None:
    """The generator's late re-delivery (a corrected file of last week under the same name)
    replaces its partition through `edumon backfill`, and the load log records `replaced`.
    Matters: regions correct their exports. Resolve: see load.load_file's sha256 comparison."""
    corrected = next((defects_landing / REDELIVERED).iterdir())
    dataset, region, week = _parts(corrected.name)
    lake_file = partition_path(defects_home / "lake", dataset, region, week)
    rows_before = pq.read_metadata(lake_file).num_rows
    shutil.copy2(corrected, defects_home / "landing" / corrected.name)
    assert main(
        ["backfill", "--from", week, "--to", week, "--region", region, "--home", str(defects_home)]
    ) in (0, 1)
    entry = load_log.accepted_state(load_log.read_entries(defects_home / "lake"), dataset, region, week)
    assert entry is not None and entry.status == "replaced"
    assert pq.read_metadata(lake_file).num_rows > rows_before
    assert entry.sha256 == hashlib.sha256(corrected.read_bytes()).hexdigest()


def _parts(name: str) -> tuple[str, str, str]:
    stem = name.rsplit(".", 1)[0]
    rest, week = stem.rsplit("_", 1)
    dataset, region = rest.rsplit("_", 1)
    return dataset, region, week


def test_load_log_reads_what_was_appended_and_notices_a_replaced_log(tmp_path: Path) -> None:
    """`read_entries` returns every entry in order although a process parses only the lines appended
    since its last read; a half-written last line waits; a replaced log is read from its start.
    Matters: every load reads the log, which grows by 801 entries a national week. Resolve:
    read_entries in pipelines/ingest/load_log.py."""

    def entry(name: str, status: load_log.Status = "loaded") -> load_log.LoadEntry:
        return load_log.LoadEntry(
            "id", "fgis_orgs", "RU-KB", "2026-W47", name, "sha", 1, status, None, None, "t", None
        )

    lake = tmp_path / "lake"
    assert load_log.read_entries(lake) == []
    load_log.append(lake, entry("a"))
    assert [e.source_file for e in load_log.read_entries(lake)] == ["a"]
    load_log.append(lake, entry("b", "rejected"))
    with load_log.log_path(lake).open("a", encoding="utf-8") as handle:
        handle.write('{"load_id": "half')  # a writer is mid-line
    assert [e.source_file for e in load_log.read_entries(lake)] == ["a", "b"]

    replaced = load_log.log_path(lake).with_suffix(".new")
    replaced.write_text("", encoding="utf-8")
    replaced.replace(load_log.log_path(lake))
    load_log.append(lake, entry("c", "unchanged"))
    assert [e.source_file for e in load_log.read_entries(lake)] == ["c"]
