"""The ingest's committed suites (expectations/*.json) on pandas and inside DuckDB: same verdicts?

    uv run python -m benchmarks.ge_suites_check --lake HOME/lake --region RU-KB --week 2026-W47

For every dataset partition of the region-week in a lake (e.g. the benchmark's home), rebuilds a
staged-like table (the lake rows plus the `_valid_<inn>` flags, some made false), injects defects
(a foreign enum value, malformed ИНН), adds the gate's per-file columns (the gate's own view,
`gate.create_relation`, over it as a one-file week), validates it through GE's pandas engine and through
`validate_relation` on DuckDB, and prints per dataset the expectations whose success or unexpected
count differ. Type-list rules are left out: their type names are engine-specific (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import pandas as pd
import pyarrow as pa
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

from pipelines.checks.gate import StagedFile, create_relation
from pipelines.checks.ge_duckdb import validate_relation
from pipelines.checks.suites import load_suite
from pipelines.contracts import VALID_PREFIX

NULLABLE = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(), pa.string(): pd.StringDtype()}
ENUM_COLUMNS = ("role", "status", "chat_kind", "org_kind", "direction", "channel")


def suite_of(dataset: str) -> tuple[gx.ExpectationSuite, list[str]]:
    """The committed suite without type lists, and the column list it expects."""
    document = load_suite(dataset)
    suite = gx.ExpectationSuite(name=dataset)
    for item in document["expectations"]:
        if item["type"] != "expect_column_values_to_be_in_type_list":
            suite.add_expectation(ExpectationConfiguration(**item).to_domain_obj())
    columns = next(e for e in document["expectations"] if e["type"].endswith("match_ordered_list"))
    return suite, columns["kwargs"]["column_list"]


def staged_with_defects(
    path: Path, dataset: str, columns: list[str], region: str, registry: list[str], folder: Path
) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    flags = [c for c in columns if c.startswith(VALID_PREFIX)]
    # a few invalid ИНН checksums: the flag is false every 13th row
    selected = ", ".join(
        f"(case when source_row % 13 = 0 then null else {c.removeprefix(VALID_PREFIX)} end) is not null "
        f"as {c}"
        for c in flags
    )
    connection.execute(f"create table staged as select *{', ' + selected if flags else ''} from '{path}'")
    present = {row[0] for row in connection.execute("describe staged").fetchall()}
    enum = next((c for c in ENUM_COLUMNS if c in present), None)
    if enum:
        connection.execute(f"update staged set {enum} = 'robot' where source_row % 17 = 0")
    if "org_inn" in present:
        connection.execute("update staged set org_inn = '12' where source_row % 19 = 0")
    staged = folder / f"{dataset}.parquet"
    connection.execute(f"copy staged to '{staged}' (format parquet)")
    rows = connection.execute("select count(*), any_value(source_file) from staged").fetchone()
    assert rows is not None
    described = [row[0] for row in connection.execute("describe staged").fetchall()]
    connection.execute("drop table staged")
    item = StagedFile(rows[1], "benchmark", region, staged, staged, rows[0], 1, registry, tuple(described))
    create_relation(connection, dataset, [item])  # the view `staged`, with the per-file columns
    return connection


def verdicts(result: Any) -> dict[str, tuple[bool, Any]]:
    """Per expectation (type and arguments, batch id aside): success and unexpected count."""
    found = {}
    for item in result.results:
        kwargs = {k: v for k, v in item.expectation_config.kwargs.items() if k != "batch_id"}
        key = f"{item.expectation_config.type} {json.dumps(kwargs, sort_keys=True, default=str)[:80]}"
        found[key] = (bool(item.success), (item.result or {}).get("unexpected_count"))
    return found


def compare(
    path: Path, dataset: str, region: str, registry: list[str], folder: Path
) -> tuple[int, int, dict[str, Any]]:
    suite, columns = suite_of(dataset)
    connection = staged_with_defects(path, dataset, columns, region, registry, folder)
    frame = (
        connection.execute("select * from staged").fetch_arrow_table().to_pandas(types_mapper=NULLABLE.get)
    )
    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("pandas").add_dataframe_asset("staged")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": frame})
    on_pandas = verdicts(batch.validate(suite_of(dataset)[0]))
    on_duckdb = verdicts(validate_relation(connection, "staged", suite))
    differing = {k: (v, on_duckdb.get(k)) for k, v in on_pandas.items() if on_duckdb.get(k) != v}
    return len(frame), sum(1 for ok, _ in on_duckdb.values() if not ok), differing


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--week", required=True)
    args = parser.parse_args()
    partition = f"region={args.region}/week={args.week}/data.parquet"
    gx.get_context(mode="ephemeral")
    registry = duckdb.sql(f"select inn from '{args.lake / 'fgis_orgs' / partition}'").fetchall()
    inns = sorted({row[0] for row in registry if row[0]})
    folder = Path(tempfile.mkdtemp(prefix="ge-suites-check-"))
    for path in sorted(args.lake.glob(f"*/{partition}")):
        dataset = path.parts[-4]
        rows, failing, differing = compare(path, dataset, args.region, inns, folder)
        verdict = differing or "none"
        print(f"{dataset:14} rows {rows:7,}  failing expectations {failing:2}  pandas ≠ DuckDB: {verdict}")


if __name__ == "__main__":
    main()
