"""Great Expectations on pandas vs inside DuckDB, against a plain DuckDB scan of the same Parquet.

    uv run python -m benchmarks.ge_engines --rows 5000000 [--dir /tmp/ge_engines]

Writes synthetic rows (about 10 columns, a few defects) to Parquet once, then times, each in the
same process: `count(*)` over the Parquet (the floor), the suite through GE's pandas engine (Arrow →
pandas included, as the gate does it), and the suite through GE's SQL engine on DuckDB over a view
of the Parquet and over a table read once into memory. Prints one line per path; the figures go to
docs/performance.md.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.checks.ge_duckdb import SUMMARY_WITH_EXAMPLES, validate_relation

ROLES = ["teacher", "student", "parent", "admin"]


def write_rows(path: Path, rows: int) -> None:
    """Synthetic user-like rows written by DuckDB (fast), with ~0.1 % defects in a few columns."""
    duckdb.execute(
        f"""
        copy (
            select
                range as row_id,
                lpad((7700000000 + range % 40000)::varchar, 10, '0') as org_inn,
                case when range % 997 = 0 then 'robot'
                    else (['teacher', 'student', 'parent', 'admin'])[range % 4 + 1] end as role,
                case when range % 1009 = 0 then null else md5(range::varchar) || md5((range + 1)::varchar) end
                    as snils_hash,
                date '2020-01-01' + (range % 2000)::integer as registered_on,
                (range % 150)::bigint as messages,
                range % 3 = 0 as activated,
                'RU-MOW' as region,
                '2026-W47' as week,
                range + 2 as source_row
            from range({rows})
        ) to '{path}' (format parquet)
        """
    )


def suite() -> gx.ExpectationSuite:
    """Eight expectations of the kinds the ingest suites use."""
    built = gx.ExpectationSuite(name="bench")
    for expectation in (
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToNotBeNull(column="org_inn"),
        gxe.ExpectColumnValuesToBeInSet(column="role", value_set=ROLES),
        gxe.ExpectColumnValuesToBeBetween(column="messages", min_value=0, max_value=10_000),
        gxe.ExpectColumnValuesToMatchRegex(column="org_inn", regex="^[0-9]{10}$"),
        gxe.ExpectColumnValuesToMatchRegex(column="snils_hash", regex="^[0-9a-f]{64}$"),
        gxe.ExpectColumnValuesToBeUnique(column="row_id"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["region", "week", "source_row"]),
    ):
        built.add_expectation(expectation)
    return built


def timed(label: str, action: Callable[[], Any]) -> tuple[float, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    value = action()
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:<44} wall {wall:7.2f} s   cpu {used:7.2f} s   peak RSS so far {rss:7.0f} MB", flush=True)
    return wall, value


def pandas_path(path: Path) -> Any:
    nullable = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(), pa.string(): pd.StringDtype()}
    frame = pq.read_table(path).to_pandas(types_mapper=nullable.get)
    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("p").add_dataframe_asset("a")
    batch = asset.add_batch_definition_whole_dataframe("b")
    definition = gx.ValidationDefinition(name="pandas", data=batch, suite=context.suites.add(suite()))
    return context.validation_definitions.add(definition).run(
        batch_parameters={"dataframe": frame}, result_format=SUMMARY_WITH_EXAMPLES
    )


def duckdb_path(path: Path, *, materialize: bool) -> Any:
    context = gx.get_context(mode="ephemeral")
    return validate_relation(None, str(path), suite(), context=context, materialize=materialize)


def summary(result: Any) -> str:
    counts = [r.result.get("unexpected_count") for r in result.results]
    return f"success={result.success} unexpected_counts={counts}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/ge_engines"))
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / f"rows_{args.rows}.parquet"
    if not path.exists():
        write_rows(path, args.rows)
    size = path.stat().st_size / 2**20
    print(f"{args.rows:,} rows × 10 columns, {size:.0f} MB Parquet, 8 expectations, {duckdb.__version__=}")
    # count(*) over Parquet answers from the footers; hashing every column reads every value once.
    timed("DuckDB count(*) over the Parquet", lambda: duckdb.sql(f"select count(*) from '{path}'").fetchall())
    scan = f"select sum(hash(columns(*))) from '{path}'"
    floor, _ = timed("floor: DuckDB scan of every column", lambda: duckdb.sql(scan).fetchall())
    runs = [("GE on DuckDB, view over Parquet", lambda: duckdb_path(path, materialize=False)),
            ("GE on DuckDB, table read once", lambda: duckdb_path(path, materialize=True))]  # fmt: skip
    if not args.skip_pandas:
        runs.append(("GE on pandas (Arrow → pandas included)", lambda: pandas_path(path)))
    for label, action in runs:
        wall, result = timed(label, action)
        print(f"    {wall / floor:6.1f} × floor; {summary(result)}", flush=True)


if __name__ == "__main__":
    main()
