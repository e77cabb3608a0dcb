"""docs/sources.md and dbt_project/seeds/ref_indicators.csv are generated from orchestration.yaml."""

from __future__ import annotations

import csv

from pipelines.config import load_config
from pipelines.sources.defects import DEFECTS
from pipelines.sources.docs import INDICATORS_SEED, SOURCES_MD, expected_files


def test_committed_files_equal_what_the_configuration_generates() -> None:
    """The committed docs and indicator seed match orchestration.yaml. Fails after a config change:
    run `uv run edumon docs` and commit both files."""
    for path, text in expected_files().items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run `uv run edumon docs`"


def test_indicator_seed_carries_every_indicator_and_weight() -> None:
    """Every indicator of the configuration is in the seed, with its rating weight. If it fails,
    the generator dropped a column or an indicator: see docs.indicators_csv."""
    config = load_config()
    with INDICATORS_SEED.open(encoding="utf-8") as handle:
        rows = {row["indicator_id"]: row for row in csv.DictReader(handle)}
    assert list(rows) == list(config.indicators)
    for indicator_id, weight in config.rating.weights.items():
        assert float(rows[indicator_id]["weight"]) == weight


def test_sources_doc_names_every_dataset_region_field_and_defect() -> None:
    """A reader finds each contract, each region's format and each defect in docs/sources.md.
    On failure extend docs.sources_markdown."""
    text = SOURCES_MD.read_text(encoding="utf-8")
    config = load_config()
    for name, dataset in config.datasets.items():
        assert f"### `{name}`" in text
        assert all(f"| `{field}` |" in text for field in dataset.fields)
    for code, region in config.regions.items():
        system = region.system_name if config.has_gis(code) else "нет региональной ГИС (`gis: none`)"
        assert f"### {code}: {system}" in text
        for fmt in region.formats.values():
            assert all(header in text for header in fmt.columns.values())
    assert all(f"| {d.kind} |" in text and d.rule in text for d in DEFECTS)
