{#- Keep one row per week and key: the lake keeps every accepted file's rows, so the
    same key may arrive from two partitions of a week (two regions, a corrected file). The latest
    load wins (load log checked_at), then `order_first` (e.g. the latest enrolment), then the last
    row of the file. Reads only the run's lake partitions (lake_partitions_in_run, widened by
    `partitions`, its keyword arguments) unless `all_weeks` (a history bootstrap); the week filter
    sits before the window, whose partitions are weeks, so it changes nothing but the files read.

    Only the keys that repeat are ranked: a hash aggregate finds them (`having count(*) > 1`), the
    rows of every other key are kept as they are (an anti join), and the window sorts the repeated
    rows alone — almost every key arrives once, and sorting all of a national week's 17 M student
    rows cost more than the aggregate (docs/performance.md). The rows kept are the same as one
    window over all rows would keep: a key's rows all go one way, by the same order. Keys compare
    null-safe, as the window's partitions do. Each of the three parts reads the lake itself, with
    only the columns it needs (a CTE read twice would be materialised by DuckDB, every column); the
    small set of repeated keys is the one CTE, read by both branches. -#}
{% macro dedupe_latest(relation, key_columns, order_first=none, all_weeks=false, partitions={}) -%}
    {%- set keys = ['week'] + key_columns -%}
    {%- set lake_rows -%}
        select * from {{ relation }}
        {% if not all_weeks %}where {{ lake_partitions_in_run(**partitions) }}{% endif %}
    {%- endset -%}
    with repeated_ as (
        select {{ keys | join(', ') }}
        from ({{ lake_rows }}) as keyed_
        group by {{ keys | join(', ') }}
        having count(*) > 1
    )

    select deduped.* from (
        select
            rows_.*,
            row_number() over (
                partition by {% for key in keys %}rows_.{{ key }}{{ ", " if not loop.last }}{% endfor %}
                order by
                    {% if order_first %}{{ order_first }},{% endif %}
                    loads.loaded_at desc,
                    rows_.source_row desc
            ) as row_rank_
        from ({{ lake_rows }}) as rows_
        inner join repeated_
            on {% for key in keys %}rows_.{{ key }} is not distinct from repeated_.{{ key }}{{ " and " if not loop.last }}{% endfor %}
        left join (
            select load_id, max(checked_at) as loaded_at
            from {{ ref('stg_lake__loads') }}
            group by load_id
        ) as loads
            on rows_.load_id = loads.load_id
    ) as deduped
    where deduped.row_rank_ = 1
    union all
    select
        rows_.*,
        1 as row_rank_
    from ({{ lake_rows }}) as rows_
    where not exists (
        select 1 from repeated_
        where {% for key in keys %}rows_.{{ key }} is not distinct from repeated_.{{ key }}{{ " and " if not loop.last }}{% endfor %}
    )
{%- endmacro %}
