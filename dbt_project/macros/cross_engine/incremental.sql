{#- How the incremental models replace a run's rows, one implementation per engine.

    DuckDB: a full run deletes and re-inserts its weeks (delete+insert on unique key week); a region
    run deletes its region's and the country's rows of its weeks (pre-hook delete_region_rows) and
    appends (docs/architecture.md «Region runs»).

    Spark (Parquet tables: no DELETE, no MERGE): the models are partitioned by week and region_code
    and `insert_overwrite` replaces exactly the partitions the run's rows fall in (dbt-spark sets
    partitionOverwriteMode=dynamic): a full run rewrites every region of its weeks, a region run that
    region's and the country's (RU) partitions, the same rows DuckDB deletes. The pre-hook is a no-op. -#}
{% macro mart_incremental_strategy() -%}
    {{ return(adapter.dispatch('mart_incremental_strategy', 'edumon')()) }}
{%- endmacro %}

{% macro default__mart_incremental_strategy() -%}
    {#- append in a region run, else delete+insert, decided when the model runs (macros/run_scope.sql) -#}
    {{ return('edumon_mart') }}
{%- endmacro %}

{% macro spark__mart_incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{#- mart_region_rating re-ranks every region of its weeks in every run: all of a week's rows go. -#}
{% macro week_incremental_strategy() -%}
    {{ return(adapter.dispatch('week_incremental_strategy', 'edumon')()) }}
{%- endmacro %}

{% macro default__week_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__week_incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{% macro week_partition_by() -%}
    {{ return(adapter.dispatch('week_partition_by', 'edumon')()) }}
{%- endmacro %}

{% macro default__week_partition_by() -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__week_partition_by() -%}
    {{ return(['week']) }}
{%- endmacro %}

{#- The partition columns of a model that keeps weeks × regions (`none`: the engine does not partition). -#}
{% macro mart_partition_by() -%}
    {{ return(adapter.dispatch('mart_partition_by', 'edumon')()) }}
{%- endmacro %}

{% macro default__mart_partition_by() -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__mart_partition_by() -%}
    {{ return(['week', 'region_code']) }}
{%- endmacro %}

{% macro delete_region_rows() -%}
    {{ return(adapter.dispatch('delete_region_rows', 'edumon')()) }}
{%- endmacro %}

{% macro default__delete_region_rows() -%}
    {%- if is_region_run() and is_incremental() -%}
        delete from {{ this }} where {{ week_in_run() }} and region_code in ('{{ run_region() }}', 'RU')
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{% macro spark__delete_region_rows() -%}
    select 1
{%- endmacro %}

{#- int_students_first_seen keeps one row per student and region: the earliest week seen. DuckDB
    replaces the rows of the students the run saw (delete+insert on the key); Spark overwrites the
    region partitions the run saw, so its rows there are the whole region's (kept ∪ seen, earliest). -#}
{% macro first_seen_incremental_strategy() -%}
    {{ return(adapter.dispatch('first_seen_incremental_strategy', 'edumon')()) }}
{%- endmacro %}

{% macro default__first_seen_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__first_seen_incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{% macro first_seen_partition_by() -%}
    {{ return(adapter.dispatch('first_seen_partition_by', 'edumon')()) }}
{%- endmacro %}

{% macro default__first_seen_partition_by() -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__first_seen_partition_by() -%}
    {{ return(['region_code']) }}
{%- endmacro %}

{#- The rows an incremental run of int_students_first_seen writes, from the CTE `seen` (student_id,
    region_code, first_seen_week of the run's partitions). -#}
{% macro first_seen_rows(seen) -%}
    {{ return(adapter.dispatch('first_seen_rows', 'edumon')(seen)) }}
{%- endmacro %}

{#- The students new to the table or seen earlier than recorded (a backfill of an older week). -#}
{% macro default__first_seen_rows(seen) -%}
select
    {{ seen }}.student_id,
    {{ seen }}.region_code,
    {{ seen }}.first_seen_week
from {{ seen }}
{% if is_incremental() %}
    left join {{ this }} as known
        on {{ seen }}.student_id = known.student_id and {{ seen }}.region_code = known.region_code
    where known.student_id is null or {{ seen }}.first_seen_week < known.first_seen_week
{% endif %}
{%- endmacro %}

{#- Every student of the regions seen, with the earlier of the kept and the seen week. -#}
{% macro spark__first_seen_rows(seen) -%}
select student_id, region_code, min(first_seen_week) as first_seen_week
from (
    select student_id, region_code, first_seen_week from {{ seen }}
    {% if is_incremental() %}
        union all
        select student_id, region_code, first_seen_week
        from {{ this }}
        where region_code in (select region_code from {{ seen }})
    {% endif %}
) as kept_and_seen
group by student_id, region_code
{%- endmacro %}
