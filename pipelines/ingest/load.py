"""Load a dataset's delivered files: parse → normalise → stage → gate → lake (pass) or quarantine (fail).

`load_files` takes the files of one dataset in a run (a week's regions, or one region-week):
1. each file, on `ingest.workers` threads (pyarrow and DuckDB release the GIL), is checked before
   it is read (refusal), hashed (unchanged, duplicate), parsed, normalised and staged as Parquet;
   a thread holds one file's tables and drops them once staged; a file starts only when its
   expected memory fits the ingest's share of the budget beside the others' (admission.py);
2. the gate validates each week's staged files at once (pipelines/checks/gate.py: one GE
   validation per dataset-week, a failing file found and validated alone);
3. then, file by file in delivery order, a passing file's staged partition is published and a
   failing one quarantined alone, each a load-log entry.
The gate runs BEFORE anything reaches the lake (STACK.md: a blocking asset check stops downstream
assets, not the checked asset's own write). Every attempt is a load-log entry.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pyarrow as pa

from pipelines.checks import gate_worker
from pipelines.checks.findings import Finding, ParseFailed
from pipelines.checks.gate import GateResult, StagedFile, week_run_name
from pipelines.checks.suites import registry_fields
from pipelines.config import load_config
from pipelines.contracts import VALID_PREFIX, pii_fields
from pipelines.faults import QUARANTINE, fault_point
from pipelines.home import Home
from pipelines.ingest import lake as lake_io
from pipelines.ingest import load_log
from pipelines.ingest.admission import MemoryAdmission, file_cost
from pipelines.ingest.files import LandingFile, landing_file_for, refusal, sha256_of, stat_signature
from pipelines.ingest.normalise import LoadMeta, lake_table, normalise
from pipelines.ingest.parse import read_delivered
from pipelines.ingest.quarantine import masked_examples, move_to_quarantine, quarantine_folder
from pipelines.secrets import snils_key
from pipelines.weeks import shift_week

log = logging.getLogger(__name__)


@dataclass
class LoadOutcome:
    file: str
    dataset: str
    region: str
    week: str
    sha256: str
    status: load_log.Status
    rows: int | None
    findings: list[Finding] = field(default_factory=list)
    report: str | None = None
    notes: list[str] = field(default_factory=list)
    quarantined_to: str | None = None
    # wall and CPU seconds per ingest phase (sha256, parse, normalise, stage, gate, publish)
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)
    # the stored GE validation whose Data Docs page `report` names (built once per batch of loads)
    validation_id: tuple[str, ...] | None = None
    file_stat: str | None = None  # files.stat_signature before the file was read

    @property
    def passed(self) -> bool:
        return self.status in ("loaded", "replaced", "unchanged")

    @property
    def rule(self) -> str | None:
        return self.findings[0].rule if self.findings else None

    def summary(self) -> str:
        if self.passed:
            return f"{self.file}: {self.status} ({self.rows} rows)"
        return "; ".join(f.describe(self.file) for f in self.findings)


@contextmanager
def _phase(outcome: LoadOutcome, name: str, worker: bool = False) -> Iterator[None]:
    """Record the wall and CPU time of one phase (benchmarks/ge_gate.py prints them). A phase on a
    worker thread counts its thread's CPU (the process's would count the other worker's too)."""
    clock = time.thread_time if worker else time.process_time
    wall, cpu = time.perf_counter(), clock()
    try:
        yield
    finally:
        outcome.phases[name] = (time.perf_counter() - wall, clock() - cpu)


@dataclass
class _Prepared:
    """A file after the per-file steps: unchanged, rejected before the gate, or staged for it."""

    delivered: LandingFile
    outcome: LoadOutcome
    rejection: list[Finding] | None = None
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    staged: StagedFile | None = None
    replacing: bool = False
    gate: GateResult | None = None


def load_file(delivered: LandingFile, home: Home) -> LoadOutcome:
    """One delivered file (a dataset-week of one file)."""
    return load_files([delivered], home)[0]


def load_files(deliveries: Sequence[LandingFile], home: Home) -> list[LoadOutcome]:
    """One dataset's delivered files: the outcome of each, in order (see the module's steps).

    Week by week (a week's volume floor reads the previous week's accepted rows, which may be
    loaded by the same call)."""
    outcomes: dict[int, LoadOutcome] = {}
    weeks: dict[str, list[int]] = {}
    for index, delivered in enumerate(deliveries):
        weeks.setdefault(delivered.week, []).append(index)
    key = snils_key(home.root)
    admission = MemoryAdmission(load_config().memory.ingest_bytes)
    for indices in weeks.values():
        entries = load_log.read_entries(home.lake)  # read once here: its cache is not for threads
        week = [deliveries[i] for i in indices]
        workers = min(load_config().ingest.workers, len(week))
        prepare = partial(_prepare_admitted, admission=admission, home=home, entries=entries, key=key)
        with ThreadPoolExecutor(workers, thread_name_prefix="ingest") as pool:
            prepared = list(pool.map(prepare, week))
        _gate(prepared, home)
        for index, item in zip(indices, prepared, strict=True):
            outcomes[index] = _finish(item, home)
    return [outcomes[i] for i in range(len(deliveries))]


def _prepare_admitted(
    delivered: LandingFile,
    admission: MemoryAdmission,
    home: Home,
    entries: list[load_log.LoadEntry],
    key: bytes,
) -> _Prepared:
    """`_prepare` once the file's memory fits the ingest's share (pipelines/ingest/admission.py)."""
    # a file refused unread costs nothing (and its cost must not be read from it either)
    refused = refusal(delivered.path, home.landing) is not None
    cost = 0 if refused else file_cost(delivered.path, load_config().memory)
    with admission.admitted(cost):
        try:
            return _prepare(delivered, home, entries, key)
        finally:
            # The file's tables are gone: give Arrow's freed pages back to the OS (its allocator
            # keeps them otherwise, and the process's RSS would stay at the largest file's peak).
            pa.default_memory_pool().release_unused()


def _prepare(delivered: LandingFile, home: Home, entries: list[load_log.LoadEntry], key: bytes) -> _Prepared:
    base = LoadOutcome(
        delivered.name, delivered.dataset, delivered.region, delivered.week, "", "unchanged", None
    )
    refused = refusal(delivered.path, home.landing)
    if refused is not None:  # not even hashed: hashing reads it
        return _Prepared(delivered, base, [Finding(refused.rule, refused.reason)])
    base.file_stat = stat_signature(delivered.path)
    with _phase(base, "sha256", worker=True):
        base.sha256 = sha = sha256_of(delivered.path)
    accepted = load_log.accepted_state(entries, delivered.dataset, delivered.region, delivered.week)
    target = lake_io.partition_path(home.lake, delivered.dataset, delivered.region, delivered.week)
    if accepted and accepted.sha256 == sha and target.exists():
        base.rows, base.report = accepted.rows, accepted.report
        return _Prepared(delivered, base)
    duplicate = _duplicate_of(entries, sha, delivered)
    if duplicate:
        return _Prepared(delivered, base, [_duplicate_finding(duplicate)])
    return _stage(delivered, home, base, entries, key, replacing=accepted is not None)


def _duplicate_finding(duplicate: str) -> Finding:
    return Finding("file.duplicate_of_previous", f"same content (sha256) as the accepted file {duplicate}")


def _stage(
    delivered: LandingFile,
    home: Home,
    base: LoadOutcome,
    entries: list[load_log.LoadEntry],
    key: bytes,
    replacing: bool,
) -> _Prepared:
    meta = LoadMeta(delivered.week, delivered.region, base.sha256[:16], delivered.name)
    raw: pa.Table | None = None
    try:
        with _phase(base, "parse", worker=True):
            raw = read_delivered(delivered.path, delivered.dataset, delivered.region)
        with _phase(base, "normalise", worker=True):
            staged = normalise(raw, delivered.dataset, meta, key)
    except ParseFailed as failure:
        examples = _examples(raw, failure.findings, delivered.dataset)
        return _Prepared(delivered, base, failure.findings, examples)
    del raw  # the typed table replaces the text cells: keep one copy of the file in memory
    name = f"{meta.load_id}_{delivered.dataset}"
    with _phase(base, "stage", worker=True):
        lake = lake_table(staged, delivered.dataset)
        staged_path = lake_io.write_staged(lake, home.lake, name)
        valid = [c for c in staged.column_names if c.startswith(VALID_PREFIX)]
        # the gate reads every column normalise produced; the lake file drops the `_valid_*` flags
        gated_path = lake_io.write_staged(staged, home.lake, f"{name}.gate") if valid else staged_path
        columns = tuple(staged.column_names)
        del lake
    base.rows = staged.num_rows
    needs_registry = bool(registry_fields(delivered.dataset))
    registry = registry_inns(home, delivered.region, delivered.week) if needs_registry else None
    item = StagedFile(
        name=delivered.name,
        sha256=base.sha256,
        region=delivered.region,
        staged=staged_path,
        gated=gated_path,
        rows=staged.num_rows,
        min_rows=_min_rows(entries, delivered),
        registry=registry,
        columns=columns,
    )
    return _Prepared(delivered, base, staged=item, replacing=replacing)


def _gate(prepared: list[_Prepared], home: Home) -> None:
    """The week's one gate over its staged files; each file's share of the gate's time is its phase."""
    items = [item for item in prepared if item.staged is not None]
    if not items:
        return
    first = items[0].delivered
    wall, cpu = time.perf_counter(), time.process_time()
    run_name = week_run_name(first.dataset, first.week, [i.outcome.sha256 for i in items])
    results = gate_worker.gate_week(first.dataset, [i.staged for i in items if i.staged], home.docs, run_name)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    for item in items:
        item.outcome.phases["gate"] = (wall / len(items), cpu / len(items))
        gate = item.gate = results[item.delivered.name]
        item.outcome.report, item.outcome.notes = gate.report, gate.notes
        item.outcome.validation_id = gate.validation_id


def _finish(item: _Prepared, home: Home) -> LoadOutcome:
    """Record, publish or quarantine one file (in delivery order, on the calling thread)."""
    delivered, base = item.delivered, item.outcome
    if item.rejection is not None:
        return _reject(home, delivered, base, item.rejection, item.examples, None)
    if item.staged is None:  # unchanged
        _record(home, base)
        return base
    staged, gate = item.staged, item.gate
    assert gate is not None  # every staged file went through _gate
    # Another file of this run with the same bytes was accepted just before: a resend.
    duplicate = _duplicate_of(load_log.read_entries(home.lake), base.sha256, delivered)
    if duplicate or not gate.passed:
        examples = {} if duplicate else _examples(_staged_rows(staged), gate.findings, delivered.dataset)
        _remove_staged(staged)
        if duplicate:
            base.rows, base.report, base.notes, base.validation_id = None, None, [], None
            return _reject(home, delivered, base, [_duplicate_finding(duplicate)], {}, None)
        return _reject(home, delivered, base, gate.findings, examples, gate)
    with _phase(base, "publish"):
        target = lake_io.partition_path(home.lake, delivered.dataset, delivered.region, delivered.week)
        lake_io.publish_staged(staged.staged, target)
        _remove_staged(staged)
    base.status = "replaced" if item.replacing else "loaded"
    _record(home, base)
    return base


def _staged_rows(staged: StagedFile) -> pa.Table:
    """A failing file's rows as normalise produced them (for the quarantine's examples)."""
    return lake_io.read_parquet(staged.gated)


def _remove_staged(staged: StagedFile) -> None:
    """The file's staged Parquet (a published one is already gone: renamed into the lake)."""
    for path in (staged.gated, staged.staged):
        path.unlink(missing_ok=True)


def _min_rows(entries: list[load_log.LoadEntry], delivered: LandingFile) -> int:
    """Volume floor: the previous week's accepted rows × threshold (1 row without a baseline)."""
    gates = load_config().gates
    previous = load_log.accepted_state(
        entries, delivered.dataset, delivered.region, shift_week(delivered.week, -1)
    )
    if previous is None or not previous.rows or previous.rows < gates.volume_min_previous_rows:
        return 1
    return max(1, math.ceil(previous.rows * gates.volume_drop_threshold))


def registry_inns(home: Home, region: str, week: str) -> list[str] | None:
    """Organisation ИНН of the region-week: the lake's fgis_orgs partition, else the same run's
    delivered fgis_orgs file, else the region's latest earlier week in the lake; None if none."""
    table = lake_io.read_partition(home.lake, "fgis_orgs", region, week)
    if table is None:
        table = _delivered_orgs(home, region, week)
    if table is None:
        table = _latest_orgs_before(home, region, week)
    if table is None:
        return None
    return sorted({inn for inn in table.column("inn").to_pylist() if inn})


def _delivered_orgs(home: Home, region: str, week: str) -> pa.Table | None:
    path = landing_file_for(home.landing, "fgis_orgs", region, week)
    if not path.exists() or refusal(path, home.landing) is not None:
        return None
    meta = LoadMeta(week, region, "registry", path.name)
    try:
        staged = normalise(read_delivered(path, "fgis_orgs", region), "fgis_orgs", meta, snils_key(home.root))
    except ParseFailed:
        return None
    return staged.filter(staged.column("_valid_inn"))


def _latest_orgs_before(home: Home, region: str, week: str) -> pa.Table | None:
    folder = home.lake / "fgis_orgs" / f"region={region}"
    earlier = sorted(
        p.name.removeprefix("week=") for p in folder.glob("week=*") if p.name.removeprefix("week=") < week
    )
    return lake_io.read_partition(home.lake, "fgis_orgs", region, earlier[-1]) if earlier else None


def _duplicate_of(entries: list[load_log.LoadEntry], sha: str, delivered: LandingFile) -> str | None:
    """The accepted file of another partition with the same bytes, when that means a resend.

    Activity data (chats, exchange, requests) counts one week's events, so last week's bytes
    under this week's name are a resend. A snapshot of a region whose organisations did not
    change is legitimately identical week to week; it is a duplicate only when it is another
    region's or another dataset's file.
    """
    activity = load_config().datasets[delivered.dataset].kind == "activity"
    for entry in load_log.current_states(entries).values():
        if (
            entry.sha256 != sha
            or entry.status not in load_log.ACCEPTED
            or entry.source_file == delivered.name
        ):
            continue
        if activity or entry.region != delivered.region or entry.dataset != delivered.dataset:
            return entry.source_file
    return None


def _reject(
    home: Home,
    delivered: LandingFile,
    outcome: LoadOutcome,
    findings: list[Finding],
    examples: dict[str, list[dict[str, Any]]],
    gate: GateResult | None,
) -> LoadOutcome:
    outcome.status, outcome.findings = "rejected", findings
    folder = quarantine_folder(
        home.quarantine, delivered.week, delivered.region, delivered.name, outcome.sha256 or "unread"
    )
    reason = {
        "file": delivered.name,
        "dataset": delivered.dataset,
        "region": delivered.region,
        "week": delivered.week,
        "sha256": outcome.sha256,
        "status": "rejected",
        "findings": [f.as_dict() for f in findings],
        "examples": examples,
        "report": outcome.report,
        "notes": outcome.notes,
    }
    validation = (
        {"success": False, "statistics": gate.statistics, "findings": [f.as_dict() for f in gate.findings]}
        if gate
        else None
    )
    for finding in findings:
        log.error("rejected %s", finding.describe(delivered.name))
    # Recorded before the move: a run killed in between leaves the file in landing/ with its
    # rejection logged, and the next run checks it again and moves it. Moved first, a kill left a
    # quarantined file that no load-log entry, mart or later run knew of.
    _record(home, outcome)
    fault_point(QUARANTINE)  # the crash tests' kill: the rejection recorded, the file not moved
    outcome.quarantined_to = str(move_to_quarantine(delivered.path, folder, reason, validation))
    return outcome


def _examples(
    table: pa.Table | None, findings: list[Finding], dataset: str
) -> dict[str, list[dict[str, Any]]]:
    """Up to `gates.failing_examples` rows per rule, personal columns masked."""
    if table is None:
        return {}
    limit = load_config().gates.failing_examples
    personal = set(pii_fields(load_config().datasets[dataset])) | {
        n for n in table.column_names if n.endswith("_hash")
    }
    examples: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        rows = [r for r in finding.rows[:limit] if 1 <= r <= table.num_rows]
        if rows:
            picked = table.take(pa.array([r - 1 for r in rows])).to_pylist()
            key = f"{finding.rule}:{finding.column}" if finding.column else finding.rule
            examples[key] = masked_examples(
                [{"source_row": r, **row} for r, row in zip(rows, picked, strict=True)], personal
            )
    return examples


def _record(home: Home, outcome: LoadOutcome) -> None:
    load_log.append(
        home.lake,
        load_log.LoadEntry(
            load_id=outcome.sha256[:16],
            dataset=outcome.dataset,
            region=outcome.region,
            week=outcome.week,
            source_file=outcome.file,
            sha256=outcome.sha256,
            rows=outcome.rows,
            status=outcome.status,
            reason=None if outcome.passed else outcome.summary(),
            rule=outcome.rule,
            checked_at=load_log.now_iso(),
            report=outcome.report,
            file_stat=outcome.file_stat,
        ),
    )
