{{ config(incremental_strategy=mart_incremental_strategy(), partition_by=mart_partition_by(), pre_hook="{{ delete_region_rows() }}") }}
-- Students' digital profile (C1–C6), with each C3 field: one row per week, level and unit, three columns per indicator.
{%- set measures = ['C1', 'C2', 'C3', 'C4', 'C5', 'C6'] %}
{%- for field in profile_fields() %}{%- do measures.append('C3:' ~ field) %}{%- endfor %}
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
