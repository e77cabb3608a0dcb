{{ config(incremental_strategy=mart_incremental_strategy(), partition_by=mart_partition_by(), pre_hook="{{ delete_region_rows() }}") }}
-- Adoption of ФГИС «Моя школа» and Сферум (A1–A10): one row per week, level and unit, three columns per indicator.
{%- set measures = ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8', 'A9', 'A10'] %}
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
