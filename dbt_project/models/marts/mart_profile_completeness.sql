{{ config(incremental_strategy=mart_incremental_strategy(), pre_hook="{{ delete_region_rows() }}") }}
-- Students' digital profile (C1–C6), with each C3 field: one row per week, level and unit, three columns per indicator.
{%- set measures = ['C1', 'C2', 'C3', 'C4', 'C5', 'C6'] %}
{%- for field in profile_fields() %}{%- do measures.append('C3:' ~ field) %}{%- endfor %}
{{ indicator_mart(ref('int_indicator_values'), measures) }}
