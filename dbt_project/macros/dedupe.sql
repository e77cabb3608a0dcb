{#- Keep one row per week and key: the lake keeps every accepted file's rows, so the
    same key may arrive from two partitions of a week (two regions, a corrected file). The latest
    load wins (load log checked_at), then `order_first` (e.g. the latest enrolment), then the last
    row of the file. Reads only the run's lake partitions (lake_partitions_in_run, widened by
    `partitions`, its keyword arguments) unless `all_weeks` (a history bootstrap); the week filter sits before the window, whose partitions
    are weeks, so it changes nothing but the files read. -#}
{% macro dedupe_latest(relation, key_columns, order_first=none, all_weeks=false, partitions={}) -%}
    select deduped.* from (
        select
            rows_.*,
            row_number() over (
                partition by rows_.week{% for key in key_columns %}, rows_.{{ key }}{% endfor %}
                order by
                    {% if order_first %}{{ order_first }},{% endif %}
                    loads.loaded_at desc,
                    rows_.source_row desc
            ) as row_rank_
        from (
            select * from {{ relation }}
            {% if not all_weeks %}where {{ lake_partitions_in_run(**partitions) }}{% endif %}
        ) as rows_
        left join (
            select load_id, max(checked_at) as loaded_at
            from {{ ref('stg_lake__loads') }}
            group by load_id
        ) as loads
            on rows_.load_id = loads.load_id
    ) as deduped
    where deduped.row_rank_ = 1
{%- endmacro %}
