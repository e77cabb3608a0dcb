"""De-duplication strategies of macros/dedupe.sql on a real lake (issue 13, lever «hash aggregate»).

    uv run python -m benchmarks.dedupe --lake HOME/lake [--threads 2]

For each de-duplicated dataset with many rows, the same ranking (latest load, then the last row of
the file; students: latest enrolment first) as the sorting window the staging models run, as a
hash aggregate of the whole row (`arg_max(row, ranking)`), and as a narrow `arg_max` joined back;
CPU and wall of each, and whether the results are the same rows. The plain scan is the floor.
"""

from __future__ import annotations

import argparse
import time

import duckdb

DATASETS = {
    "gis_students": ("student_id", "enrolled_on"),
    "fgis_users": ("user_key", None),
    "sferum_users": ("user_key", None),
}


def variants(lake: str, dataset: str, key: str, prefer: str | None) -> dict[str, str]:
    source = f"read_parquet('{lake}/{dataset}/*/*/*.parquet', hive_partitioning = true)"
    rows = f"from (select * from {source}) as rows_ left join loads on rows_.load_id = loads.load_id"
    first = f"rows_.{prefer} desc nulls last, " if prefer else ""
    order = first + "loads.loaded_at desc nulls last, rows_.source_row desc"
    ranked = f"rows_.{prefer} is not null, rows_.{prefer}, " if prefer else ""
    ranking = ranked + "loads.loaded_at is not null, loads.loaded_at, rows_.source_row"
    group = f"group by rows_.week, rows_.{key}"
    window = f"row_number() over (partition by rows_.week, rows_.{key} order by {order})"
    narrow = f"arg_max((rows_.load_id, rows_.source_row), ({ranking}))"
    return {
        "scan (floor)": f"select * from {source}",
        "window (row_number)": "select * exclude (row_rank_) from "
        f"(select rows_.*, {window} as row_rank_ {rows}) where row_rank_ = 1",
        "arg_max of the row": "select unnest(winner_) from "
        f"(select arg_max(rows_, ({ranking})) as winner_ {rows} {group})",
        "narrow arg_max + join": f"with winners as (select {narrow} as w {rows} {group}) "
        f"select rows_.* from {source} as rows_ semi join winners "
        "on rows_.load_id = w[1] and rows_.source_row = w[2]",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lake", required=True)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    con = duckdb.connect()
    con.execute(f"set threads = {args.threads}; set preserve_insertion_order = false")
    con.execute(
        "create temp table loads as select load_id, max(checked_at::timestamp) as loaded_at "
        f"from read_json('{args.lake}/_meta/load_log.jsonl', format = 'newline_delimited', "
        "columns = {'load_id': 'VARCHAR', 'checked_at': 'VARCHAR'}) group by load_id"
    )
    for dataset, (key, prefer) in DATASETS.items():
        reference = None
        for name, sql in variants(args.lake, dataset, key, prefer).items():
            wall, cpu = time.perf_counter(), time.process_time()
            con.execute(f"create or replace temp table result_ as {sql}")
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            digest = con.execute("select count(*), sum(hash(result_)::hugeint) from result_").fetchone()
            same = (
                ""
                if reference is None or name.startswith("window")
                else f"  same rows: {digest == reference}"
            )
            if name.startswith("window"):
                reference = digest
            print(f"{dataset:13} {name:24} wall {wall:7.2f} s  CPU {cpu:6.2f} s  rows {digest[0]:>10,}{same}")  # type: ignore[index]


if __name__ == "__main__":
    main()
