"""Are two builds' marts the same rows? (issue 13: before/after a performance change)

    uv run python -m benchmarks.compare_marts A.duckdb B.duckdb [--schema-a main] [--schema-b main]

Every `mart_*` table of A against B (serving.duckdb: schema main; warehouse.duckdb: marts), as
multisets of rows. mart_data_quality's `checked_at` and `report_path` are the run's clock (when the
load log recorded an entry, the GE run id in its Data Docs URL), so two runs of the same files
differ there by design and are compared without them.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

RUN_CLOCK = {"mart_data_quality": "checked_at, report_path"}


def _marts(con: duckdb.DuckDBPyConnection, database: str, schema: str) -> list[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ? "
        "and table_name like 'mart_%' order by table_name",
        [database, schema],
    ).fetchall()
    return [name for (name,) in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--schema-a", default="main")
    parser.add_argument("--schema-b", default="main")
    args = parser.parse_args(argv)
    con = duckdb.connect()
    con.execute(f"attach '{args.a}' as a (read_only)")
    con.execute(f"attach '{args.b}' as b (read_only)")
    marts = _marts(con, "a", args.schema_a)
    same = marts == _marts(con, "b", args.schema_b) and bool(marts)
    for mart in marts:
        columns = f"* exclude ({RUN_CLOCK[mart]})" if mart in RUN_CLOCK else "*"
        left = f"select {columns} from a.{args.schema_a}.{mart}"
        right = f"select {columns} from b.{args.schema_b}.{mart}"
        rows = con.execute(f"select count(*) from a.{args.schema_a}.{mart}").fetchone()[0]  # type: ignore[index]
        differing = con.execute(
            f"select count(*) from (({left} except all {right}) union all ({right} except all {left}))"
        ).fetchone()[0]  # type: ignore[index]
        print(f"{mart:28} rows {rows:>10,}  differing {differing}")
        same = same and differing == 0
    print("ALL EQUAL" if same else "DIFFERENT")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
