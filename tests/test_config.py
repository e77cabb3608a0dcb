"""orchestration.yaml is validated at load: a wrong key or value stops with the entry's path."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

import pytest
import yaml

from pipelines.config import DEFAULT_CONFIG, ConfigError, load_config, parse_config, region_codes
from pipelines.weeks import (
    MOSCOW,
    last_complete_week,
    shift_week,
    week_label,
    week_monday,
    week_range,
    week_sunday,
)


@pytest.fixture()
def raw_config() -> dict[str, Any]:
    with DEFAULT_CONFIG.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_committed_configuration_is_valid() -> None:
    """The shipped orchestration.yaml loads. If this fails, the message names the bad entry: fix it there."""
    config = load_config()
    assert set(config.datasets) == {
        "fgis_orgs", "fgis_users", "fgis_content", "sferum_orgs", "sferum_users", "sferum_chats",
        "gis_students", "gis_staff", "gis_exchange", "cc_requests",
    }  # fmt: skip
    assert config.file_format("gis_students", "RU-SMO").encoding == "cp1251"
    assert config.file_format("gis_students", "RU-KB").kind == "xlsx"
    assert config.file_format("gis_students", "RU-DA").kind == "csv"  # canonical
    assert config.file_format("fgis_orgs", "RU-KB").kind == "jsonl"


def test_a_misspelt_key_is_an_error_naming_it(raw_config: dict[str, Any]) -> None:
    """A typo must not be silently ignored (STYLE.md: the `+materialzied` trap)."""
    broken = copy.deepcopy(raw_config)
    broken["thresholds"]["lively_chat_min_mesages"] = 10
    with pytest.raises(ConfigError, match=r"thresholds\.lively_chat_min_mesages"):
        parse_config(broken)


def test_a_wrong_value_is_an_error_naming_it(raw_config: dict[str, Any]) -> None:
    """Values are checked: weights not summing to 1 and an unknown format kind both stop the load."""
    broken = copy.deepcopy(raw_config)
    broken["rating"]["weights"]["A1"] = 0.9
    with pytest.raises(ConfigError, match="sum to 1"):
        parse_config(broken)
    broken = copy.deepcopy(raw_config)
    broken["regions"]["RU-SMO"]["formats"]["gis_students"]["kind"] = "xls"
    with pytest.raises(ConfigError, match=r"regions\.RU-SMO\.formats\.gis_students\.kind"):
        parse_config(broken)


def test_regions_and_mappings_are_cross_checked(raw_config: dict[str, Any]) -> None:
    """A region missing from ref_regions.csv, or a column mapping for an unknown field, is refused."""
    broken = copy.deepcopy(raw_config)
    broken["regions"]["RU-XX"] = {"system_name": "?", "formats": {}}
    with pytest.raises(ConfigError, match="RU-XX"):
        parse_config(broken)
    broken = copy.deepcopy(raw_config)
    broken["regions"]["RU-KB"]["formats"]["gis_staff"]["columns"]["nickname"] = "Прозвище"
    with pytest.raises(ConfigError, match="nickname"):
        parse_config(broken)


def test_region_reference_has_89_unique_codes() -> None:
    """Russia has 89 regions in the project's reference; codes are unique (the join key of every mart)."""
    codes = region_codes()
    assert len(codes) == 89
    assert len(set(codes)) == 89
    assert {"RU-KB", "RU-SMO", "RU-DA", "RU-MOW"} <= set(codes)


def test_iso_weeks() -> None:
    """Weeks are ISO weeks, Monday to Sunday; labels cross year ends correctly (2026 has 53 weeks)."""
    assert week_label(date(2026, 11, 22)) == "2026-W47"
    assert week_monday("2026-W47") == date(2026, 11, 16)
    assert week_sunday("2026-W47") == date(2026, 11, 22)
    assert shift_week("2026-W53", 1) == "2027-W01"
    assert week_range("2026-W52", "2027-W02") == ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]
    monday_morning = datetime(2026, 11, 23, 6, 0, tzinfo=MOSCOW)
    assert last_complete_week(monday_morning) == "2026-W47"
    with pytest.raises(ValueError):
        week_monday("2026-47")


def test_duckdb_spill_folder_is_set_when_the_warehouse_opens() -> None:
    """The dbt profile gives DuckDB its spill folder at connect time (`config_options`), and only
    settings DuckDB accepts again on every cursor under `settings`. Matters: dbt-duckdb SETs
    `settings` on each cursor, DuckDB refuses to switch temp_directory once a spill used it, and at
    national scale every model after the first spilling one failed. Resolve: dbt_project/profiles.yml.
    """
    from pipelines.transform.project import DBT_PROJECT_DIR

    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    duckdb_output = profiles["edumon"]["outputs"]["duckdb"]
    assert "temp_directory" in duckdb_output["config_options"]
    assert "temp_directory" not in duckdb_output["settings"]
    assert "memory_limit" in duckdb_output["settings"]


def test_rating_sections_cover_every_weight(raw_config: dict[str, Any]) -> None:
    """rating.sections (protocol 18.10.2022 p.11) list every weighted indicator exactly once: a weight
    outside every section would be in the score but in no section of the edition."""
    from pipelines.config import ConfigError, parse_config

    broken = copy.deepcopy(raw_config)
    broken["rating"]["sections"][0]["indicators"] = []
    with pytest.raises(ConfigError, match="every weighted indicator"):
        parse_config(broken)


def test_region_without_gis_expects_no_gis_dataset(raw_config: dict[str, Any]) -> None:
    """`regions.<code>.gis: none`: no gis_* dataset is expected (nor reported missing) from it. The
    shipped configuration deploys one such region in the demo preset (RU-NEN), so the demo shows
    protocol 18.10.2022 p.11's «Регионы без ГИС»; it sends the federal files and cc_requests."""
    shipped = load_config()
    assert shipped.regions_without_gis() == ["RU-NEN"]
    assert "RU-NEN" in shipped.samples.presets["demo"].regions
    assert shipped.expected_datasets("RU-NEN") == [
        "fgis_orgs", "fgis_users", "fgis_content", "sferum_orgs", "sferum_users", "sferum_chats",
        "cc_requests",
    ]  # fmt: skip
    changed = copy.deepcopy(raw_config)
    changed["regions"]["RU-DA"]["gis"] = "none"
    config = parse_config(changed)
    assert config.regions_without_gis() == ["RU-DA", "RU-NEN"]
    assert not [d for d in config.expected_datasets("RU-DA") if d.startswith("gis_")]
    assert "gis_students" in config.expected_datasets("RU-KB")


def test_gis_none_has_no_gis_format_and_a_region_with_a_gis_names_it(raw_config: dict[str, Any]) -> None:
    """A gis_* format under a region with `gis: none` contradicts it, and a region with a ГИС names
    its system (gis_exchange `system`): both stop the load, naming the entry."""
    broken = copy.deepcopy(raw_config)
    broken["regions"]["RU-SMO"]["gis"] = "none"
    with pytest.raises(ConfigError, match=r"regions\.RU-SMO\.formats\.gis_students: a region with gis: none"):
        parse_config(broken)
    broken = copy.deepcopy(raw_config)
    del broken["regions"]["RU-DA"]["system_name"]
    with pytest.raises(ConfigError, match=r"regions\.RU-DA.*system_name"):
        parse_config(broken)
