"""Shared fixtures: generated demo exports and a home folder after a real `edumon run`.

Session-scoped and built once: other test modules (dbt, rating, dashboards) reuse them.
`demo_landing` is the generator's clean demo preset over 3 weeks; `demo_home` is a home after
`edumon run` over it (real Dagster runs in its own DAGSTER_HOME); `defects_landing` and
`defects_home` are the same for `generate --defects` over 2 weeks (every delivery fault once).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.secrets import mark_demo

# Outside a demo home the ingest refuses to run without a СНИЛС key (pipelines/secrets.py). Homes
# that tests build by hand are not demo homes, so the suite brings its own (not a published) key;
# tests of the refusal itself unset it with monkeypatch.
os.environ.setdefault("EDUMON_SNILS_KEY", "edumon-test-suite-snils-key-only-for-generated-data")


def _generate(out: Path, weeks: int, defects: bool) -> Path:
    argv = ["generate", "--preset", "demo", "--out", str(out), "--weeks", str(weeks)]
    assert main([*argv, "--defects"] if defects else argv) == 0, "the demo generator failed"
    return out


def _run(landing: Path, home: Path) -> Path:
    # Deliver only the export files: defects.json and redelivered/ are the generator's notes.
    delivery = home.parent / f"{home.name}_delivery"
    delivery.mkdir()
    mark_demo(home)  # generated data: Superset may start on the demo's documented admin account
    for path in landing.iterdir():
        if path.is_file() and path.name != "defects.json":
            shutil.copy2(path, delivery / path.name)
    main(["run", "--landing", str(delivery), "--home", str(home)])
    return home


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Clean demo exports, 3 weeks × (RU-KB, RU-SMO, RU-DA × 10 datasets + RU-NEN, a region without
    a ГИС, × its 7: no gis_*) = 111 files."""
    return _generate(tmp_path_factory.mktemp("demo") / "landing", weeks=3, defects=False)


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory, demo_landing: Path) -> Path:
    """A home folder after `edumon run --landing demo_landing` (ingest stage at least)."""
    return _run(demo_landing, tmp_path_factory.mktemp("demo_home") / "home")


@pytest.fixture(scope="session")
def defects_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Demo exports over 2 weeks with one file per delivery fault (DIR/defects.json lists them)."""
    return _generate(tmp_path_factory.mktemp("defects") / "landing", weeks=2, defects=True)


@pytest.fixture(scope="session")
def defects_home(tmp_path_factory: pytest.TempPathFactory, defects_landing: Path) -> Path:
    """A home folder after `edumon run` over the defective delivery."""
    return _run(defects_landing, tmp_path_factory.mktemp("defects_home") / "home")
