"""The manifest Dagster's dbt assets load is parsed again when a project file changed since.

A model pulled after the install step's `dbt parse` used to fail every dbt step with dagster-dbt's
KeyError on a test the old manifest did not know (docs/performance.md, session 5). These tests run
the real `dbt parse` on a copy of the project.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from pipelines.transform import project


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("dbt") / "dbt_project"
    shutil.copytree(project.DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    return copy


@pytest.fixture
def copied_project(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(project, "DBT_PROJECT_DIR", project_copy)
    monkeypatch.setattr(project, "MANIFEST_PATH", project_copy / "target" / "manifest.json")
    return project_copy


def _nodes(manifest: Path) -> set[str]:
    return set(json.loads(manifest.read_text(encoding="utf-8"))["nodes"])


def test_a_changed_model_is_parsed_before_the_definitions_load(copied_project: Path) -> None:
    manifest = project.current_manifest()  # no target/ yet: parsed
    assert manifest == copied_project / "target" / "manifest.json"
    assert "model.edumon.mart_indicators" in _nodes(manifest)
    parsed_at = manifest.stat().st_mtime_ns

    assert project.current_manifest().stat().st_mtime_ns == parsed_at  # nothing changed: not parsed again

    model = copied_project / "models" / "marts" / "mart_manifest_probe.sql"
    model.write_text("select 1 as probe\n", encoding="utf-8")
    (copied_project / "models" / "marts" / "mart_manifest_probe.yml").write_text(
        "models:\n  - name: mart_manifest_probe\n    columns:\n      - name: probe\n"
        "        data_tests: [not_null]\n",
        encoding="utf-8",
    )
    earlier = parsed_at / 1e9 - 60  # the last parse happened before the pull wrote these files
    os.utime(manifest, (earlier, earlier))
    assert not project.manifest_is_current()

    nodes = _nodes(project.current_manifest())
    assert "model.edumon.mart_manifest_probe" in nodes
    assert any(node.startswith("test.edumon.not_null_mart_manifest_probe_probe") for node in nodes)
    assert project.manifest_is_current()
