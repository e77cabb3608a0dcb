"""The national benchmark harness (benchmarks/national.py) runs end to end at a tiny size.

Checks that it works and prints its table — never timings (they vary with the machine's load).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.national import STAGES, TARGETS, main

SMOKE_REGION = "RU-SMO"  # its students arrive as cp1251 CSV: the floor's transcoding path runs too


pytestmark = pytest.mark.e2e  # drives the real edumon run: Dagster, the gates, dbt, publish, rating


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any], int, Path]:
    """The harness on the demo preset, one week, one region: `edumon run` and a backfill.

    One week, not two, keeps it to two pipeline runs (each costs minutes of fixed Dagster/dbt time);
    the second week is the same loop with another label.
    """
    home = tmp_path_factory.mktemp("bench_home")
    table_json = home / "table.json"
    capture = home / "stdout.txt"
    with capture.open("w", encoding="utf-8") as out, contextlib.redirect_stdout(out):
        code = main(
            [*("--home", str(home), "--preset", "demo", "--weeks", "1", "--regions", SMOKE_REGION),
             *("--json", str(table_json))]
        )  # fmt: skip
    return capture.read_text(encoding="utf-8"), json.loads(table_json.read_text(encoding="utf-8")), code, home


def test_every_benchmarked_command_succeeds(smoke_run: tuple[str, dict[str, Any], int, Path]) -> None:
    """The harness exits 0: every `edumon` command and every Dagster run it started succeeded.

    A benchmark of a failing run measures nothing. On failure: the table's notes name the failed
    stage; its log is in <home>/_bench/commands.log (path in the message).
    """
    printed, _, code, home = smoke_run
    assert code == 0, f"{printed}\nsee {home}/_bench/commands.log"


def test_harness_prints_the_table(smoke_run: tuple[str, dict[str, Any], int, Path]) -> None:
    """The table has the floor, the week with every stage, the backfill with every stage, peak memory
    and the ratio to the floor.

    Matters because issue 7's figures come from this table. On failure: read the printed table in
    the assertion message; a stage line missing means STAGES and the printing drifted apart, a
    missing week means the generator's weeks or the split by week changed.
    """
    printed, table, _, _ = smoke_run
    for expected in ("floor, week 1", "week 1 (", "backfill RU-SMO", "Dagster/process overhead"):
        assert expected in printed, printed
    for stage in STAGES:
        assert printed.count(f"  {stage} ") == 2, printed  # the week's run and the backfill
    assert printed.count("of which GE gates (validation)") == 2, printed
    assert printed.count("dbt fixed overhead") == 2, printed
    assert "peak resident memory of the run" in printed
    expected_ratios = {
        "week 1 run / floor",
        "weekly run / floor",
        "fixed Dagster + dbt overhead share",
        "peak resident memory GB",
    }
    assert expected_ratios <= set(table["ratios"]), table["ratios"]
    for name in TARGETS:
        assert f"{name}: " in printed, printed  # measured with its verdict, or "not measured"
    assert table["peak_rss_mb"] > 0


def test_floor_and_ingest_count_the_same_rows(smoke_run: tuple[str, dict[str, Any], int, Path]) -> None:
    """The floor's readers count exactly the rows the ingest loaded, week by week.

    Matters because the ratio to the floor is only fair when both read the same input. On
    failure: a format reader in benchmarks/national.py (count_rows) disagrees with the ingest's
    parser for one format — compare per file.
    """
    rows = {m["label"]: m["rows"] for m in smoke_run[1]["rows"]}
    floors = [label for label in rows if label.startswith("floor")]
    runs = [label for label in rows if label.startswith("week")]
    assert len(floors) == len(runs) == 1
    for floor, run in zip(floors, runs, strict=True):
        assert rows[floor] > 0
        assert rows[floor] == rows[run], (floor, run)
