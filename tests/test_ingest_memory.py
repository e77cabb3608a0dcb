"""The memory budget (orchestration.yaml `memory`, issue 13): its validation, the DuckDB limit dbt
gets from it, and the ingest's admission of files to its workers within its share.

On failure: a budget test names the configuration entry; an admission test names the property
(over the share, a deadlock, a lost or reordered file). pipelines/ingest/admission.py and
pipelines/config.py `Memory` are where to look."""

from __future__ import annotations

import copy
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.config import (
    DEFAULT_CONFIG,
    ConfigError,
    Memory,
    duckdb_size,
    load_config,
    parse_config,
    size_bytes,
)
from pipelines.ingest.admission import MemoryAdmission, file_cost

# --- the budget --------------------------------------------------------------------------------


@pytest.fixture
def raw_config() -> dict[str, Any]:
    with DEFAULT_CONFIG.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_dbt_duckdb_limit_is_the_budget_less_both_processes() -> None:
    """dbt's DuckDB gets budget − edumon_process − dbt_process, passed to profiles.yml in MiB (DuckDB
    reads `GB` as 10**9 bytes). Matters: a 6 GB DuckDB limit alone made a 7.07 GB process tree."""
    from pipelines.transform.project import home_environment

    memory = load_config().memory
    expected = size_bytes(memory.budget) - size_bytes(memory.edumon_process) - size_bytes(memory.dbt_process)
    assert memory.dbt_duckdb_bytes == expected
    assert memory.ingest_bytes == size_bytes(memory.budget) - size_bytes(memory.edumon_process)
    limit = home_environment()["EDUMON_DUCKDB_MEMORY_LIMIT"]
    assert limit == f"{expected >> 20}MiB"
    with duckdb.connect(config={"memory_limit": limit}) as con:
        setting = con.execute("select current_setting('memory_limit')").fetchone()
    assert setting is not None
    amount, unit = setting[0].split()  # DuckDB prints "4.0 GiB", "4.5 GiB"
    assert unit == "GiB" and float(amount) * 2**30 == expected


def test_the_shipped_budget_is_issue_13s() -> None:
    """6 GB for the tree, 4 GB (4,096 MiB) of it for dbt's DuckDB. Resolve: orchestration.yaml memory."""
    memory = load_config().memory
    assert size_bytes(memory.budget) == 6 * 2**30
    assert duckdb_size(memory.dbt_duckdb_bytes) == "4096MiB"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("6GB", 6 * 2**30), ("512MB", 512 * 2**20), ("1.5GiB", 3 * 2**29), ("64 KB", 64 * 1024), ("1TB", 2**40)],
)
def test_sizes_are_binary_units(text: str, expected: int) -> None:
    assert size_bytes(text) == expected


def _with_memory(raw: dict[str, Any], **memory: Any) -> dict[str, Any]:
    changed = copy.deepcopy(raw)
    changed["memory"] = {**changed["memory"], **memory}
    return changed


def test_a_budget_that_leaves_duckdb_nothing_is_an_error(raw_config: dict[str, Any]) -> None:
    """A budget no larger than the two processes' own memory stops at load, naming the entries."""
    with pytest.raises(ConfigError, match=r"memory: .*budget 1GB leaves .* edumon_process 1GB"):
        parse_config(_with_memory(raw_config, budget="1GB"))


@pytest.mark.parametrize(
    ("entry", "value"),
    [("budget", "6 gigs"), ("dbt_process", "512"), ("edumon_process", "-1GB"), ("ingest_bytes_per_byte", 0)],
)
def test_a_malformed_memory_entry_is_an_error_naming_it(
    raw_config: dict[str, Any], entry: str, value: Any
) -> None:
    with pytest.raises(ConfigError, match=rf"memory\.{entry}"):
        parse_config(_with_memory(raw_config, **{entry: value}))


def test_the_old_duckdb_memory_limit_is_refused(raw_config: dict[str, Any]) -> None:
    """`warehouse.memory_limit` is gone (derived now): a configuration still setting it is told so,
    not silently given another limit."""
    old = copy.deepcopy(raw_config)
    old["warehouse"]["memory_limit"] = "6GB"
    with pytest.raises(ConfigError, match=r"warehouse\.memory_limit"):
        parse_config(old)


def test_a_configuration_without_a_budget_is_an_error(raw_config: dict[str, Any]) -> None:
    missing = copy.deepcopy(raw_config)
    del missing["memory"]
    with pytest.raises(ConfigError, match=r"memory: Field required"):
        parse_config(missing)


# --- admission ---------------------------------------------------------------------------------


def _run_admitted(share: int, costs: list[int], workers: int) -> tuple[list[int], list[tuple[int, int]]]:
    """Each cost through the admission on `workers` threads (as load_files maps files): the results
    in order and, per task, (held while it ran, its cost)."""
    admission = MemoryAdmission(share)
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def task(index: int) -> int:
        with admission.admitted(costs[index]):
            with lock:
                seen.append((admission.held, costs[index]))
            time.sleep(0.001)
        return index

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(task, range(len(costs))))
    assert admission.held == 0 and admission.waiting == 0
    return results, seen


@settings(max_examples=60, deadline=None)
@given(
    share=st.integers(min_value=1, max_value=100),
    costs=st.lists(st.integers(min_value=0, max_value=150), max_size=25),
    workers=st.integers(min_value=1, max_value=4),
)
def test_admission_never_exceeds_the_share_but_for_a_lone_oversize_file(
    share: int, costs: list[int], workers: int
) -> None:
    """Whatever the sizes and workers: every file runs, once, results in delivery order, and what is
    held at once stays within the share, except a file larger than the share, which runs alone."""
    outcome: list[Any] = []
    runner = threading.Thread(
        target=lambda: outcome.append(_run_admitted(share, costs, workers)), daemon=True
    )
    runner.start()
    runner.join(timeout=30)
    assert not runner.is_alive(), "deadlock: the admission never let every file run"
    results, seen = outcome[0]
    assert results == list(range(len(costs)))
    assert sorted(cost for _, cost in seen) == sorted(costs)
    for held, cost in seen:
        assert held <= share or held == cost, (held, cost, share)


def _wait_until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_waiting_large_file_is_not_overtaken_by_small_ones() -> None:
    """First come, first served: a small file asking after a large one that waits for room waits
    too (else two workers cycling small files could hold the large one back for the whole run)."""
    admission = MemoryAdmission(10)
    order: list[str] = []
    release_first = threading.Event()

    def hold(name: str, cost: int, until: threading.Event | None = None) -> None:
        with admission.admitted(cost):
            order.append(name)
            if until is not None:
                until.wait(5)

    first = threading.Thread(target=hold, args=("first", 6, release_first))
    first.start()
    _wait_until(lambda: order == ["first"])
    large = threading.Thread(target=hold, args=("large", 6))
    large.start()
    _wait_until(lambda: admission.waiting == 1)
    small = threading.Thread(target=hold, args=("small", 1))
    small.start()
    _wait_until(lambda: admission.waiting == 2)
    time.sleep(0.05)
    assert order == ["first"], "the small file (6 + 1 ≤ 10) overtook the waiting large one"
    release_first.set()
    for thread in (first, large, small):
        thread.join(5)
    assert order == ["first", "large", "small"]


def test_an_oversize_file_waits_for_an_empty_share_and_runs_alone() -> None:
    admission = MemoryAdmission(10)
    release = threading.Event()
    held_by_big: list[int] = []

    def small() -> None:
        with admission.admitted(4):
            release.wait(5)

    def big() -> None:
        with admission.admitted(25):
            held_by_big.append(admission.held)

    threads = [threading.Thread(target=small), threading.Thread(target=big)]
    threads[0].start()
    _wait_until(lambda: admission.held == 4)
    threads[1].start()
    _wait_until(lambda: admission.waiting == 1)
    assert held_by_big == []
    release.set()
    for thread in threads:
        thread.join(5)
    assert held_by_big == [25]
    assert admission.peak == 25


def test_a_file_costs_its_bytes_times_the_measured_factor(tmp_path: Path) -> None:
    """A CSV costs its size × ingest_bytes_per_byte; an XLSX its members' inflated sizes (the reader
    holds the XML, not the compressed zip)."""
    memory = Memory(budget="6GB", edumon_process="1GB", dbt_process="512MB", ingest_bytes_per_byte=3)
    csv = tmp_path / "a.csv"
    csv.write_bytes(b"x" * 1000)
    assert file_cost(csv, memory) == 3000
    xlsx = tmp_path / "b.xlsx"
    with zipfile.ZipFile(xlsx, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "<row/>" * 10_000)
    assert xlsx.stat().st_size < 60_000
    assert file_cost(xlsx, memory) == 3 * 60_000
    assert file_cost(tmp_path / "gone.csv", memory) == 0


# --- the ingest within its share ------------------------------------------------------------------


def test_load_files_admits_each_file_and_returns_arrow_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the production path (load.load_files): with a share smaller than every file's cost
    each file runs alone, all load in delivery order, Arrow's pool is released after each file,
    and the gate's DuckDB connections carry a memory limit. Resolve: load._prepare_admitted,
    checks/gate._validate."""
    import pyarrow as pa

    from pipelines.home import Home
    from pipelines.ingest import load
    from tests.test_gate_week import _inn, _registry, _write_requests

    home = Home(tmp_path / "home")
    config = load_config()
    tight = config.model_copy(
        update={
            "memory": Memory(
                budget="2GB", edumon_process="1GB", dbt_process="512MB", ingest_bytes_per_byte=1e7
            )
        }
    )
    monkeypatch.setattr(load, "load_config", lambda: tight)
    admissions: list[MemoryAdmission] = []

    class Recorded(MemoryAdmission):
        def __init__(self, share: int) -> None:
            super().__init__(share)
            admissions.append(self)

    monkeypatch.setattr(load, "MemoryAdmission", Recorded)
    releases: list[int] = []
    real_pool = pa.default_memory_pool

    class Pool:
        def release_unused(self) -> None:
            releases.append(1)
            real_pool().release_unused()

    monkeypatch.setattr(load.pa, "default_memory_pool", Pool)
    limits: list[str | None] = []
    real_connect = duckdb.connect

    def connect(*args: Any, **kwargs: Any) -> Any:
        if sys._getframe(1).f_globals["__name__"].startswith("pipelines."):  # not a library's probe
            limits.append((kwargs.get("config") or {}).get("memory_limit"))
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", connect)
    files = []
    for prefix, region in (("07", "RU-KB"), ("05", "RU-DA"), ("01", "RU-AD")):
        inns = [_inn(prefix, n) for n in range(1, 4)]
        _registry(home, region, inns)
        files.append(_write_requests(home, region, inns))

    costs = [file_cost(f.path, tight.memory) for f in files]

    outcomes = load.load_files(files, home)

    assert [o.status for o in outcomes] == ["loaded"] * 3, [o.summary() for o in outcomes]
    assert [o.file for o in outcomes] == [f.name for f in files]
    (admission,) = admissions
    assert admission.share == tight.memory.ingest_bytes
    assert min(costs) > admission.share
    assert admission.peak == max(costs), "two files held at once"
    assert len(releases) == len(files)
    assert limits and None not in limits, f"a gate's DuckDB connection without a memory limit: {limits}"
