{{ config(incremental_strategy=mart_incremental_strategy(), partition_by=mart_partition_by(), pre_hook="{{ delete_region_rows() }}") }}
-- Teachers' chats in Сферум (B1–B3): one row per week, level and unit, three columns per indicator.
{%- set measures = ['B1', 'B2', 'B3'] %}
select
    week,
    level,
    unit_id,
    unit_name,
    parent_id,
    region_code,
    {{ pivot_measures(measures) }}
from {{ ref('int_indicator_values') }}
where measure in ('{{ measures | join("', '") }}')
group by week, level, unit_id, unit_name, parent_id, region_code
