{{ config(incremental_strategy=mart_incremental_strategy(), partition_by=mart_partition_by(), pre_hook="{{ delete_region_rows() }}") }}
-- Students' digital profile (C1–C7), the individual plan beside C2 and each C3 field: one row per week,
-- level and unit, three columns per measure.
{%- set measures = ['C1', 'C2', 'C2:individual_plan', 'C3', 'C4', 'C5', 'C6', 'C7'] %}
{%- for field in profile_fields() %}{%- do measures.append('C3:' ~ field) %}{%- endfor %}
{{ indicator_mart(ref('int_indicator_values'), measures) }}
