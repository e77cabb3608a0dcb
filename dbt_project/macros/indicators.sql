{#- Indicator catalogue helpers: target and unit come from orchestration.yaml `indicators`
    (vars edumon:indicator_targets / edumon:indicator_units). A C3 field measure «C3:<field>» takes C3's. -#}
{% macro indicator_case(measure_column, mapping, cast_type) -%}
    case {{ measure_column }}
        {% for indicator, item in mapping.items() -%}
            when '{{ indicator }}' then {% if item is none %}cast(null as {{ cast_type }}){% else %}cast('{{ item }}' as {{ cast_type }}){% endif %}
        {% endfor -%}
    end
{%- endmacro %}

{% macro indicator_target(measure_column) -%}
    {{ indicator_case(indicator_of(measure_column), var('edumon:indicator_targets'), 'double') }}
{%- endmacro %}

{% macro indicator_unit(measure_column) -%}
    {{ indicator_case(indicator_of(measure_column), var('edumon:indicator_units'), dbt.type_string()) }}
{%- endmacro %}

{#- A breakdown measure «C3:fio», «A1:vocational», «A3:pedagogical» → its indicator; an id stays itself. -#}
{% macro indicator_of(measure_column) -%}
    split_part({{ measure_column }}, ':', 1)
{%- endmacro %}

{#- The value of a measure: a share for shares, the count for counts, the median hours for E1. -#}
{% macro indicator_value(unit_column, numerator, denominator, median_hours) -%}
    case {{ unit_column }}
        when 'count' then {{ numerator }}
        when 'hours' then {{ median_hours }}
        else {{ share(numerator, denominator) }}
    end
{%- endmacro %}

{#- Meets the target: a count (A6 «Не активен») meets a target of at most; a share at least. -#}
{% macro meets_target(unit_column, value, target) -%}
    case
        when {{ target }} is null or {{ value }} is null then cast(null as boolean)
        when {{ unit_column }} = 'count' then {{ value }} <= {{ target }}
        else {{ value }} >= {{ target }}
    end
{%- endmacro %}

{#- Wide columns <measure>_numerator, _denominator, _value for each measure, from long rows. -#}
{% macro pivot_measures(measures, measure_column='measure') -%}
    {%- for measure in measures %}
        {%- set name = measure | lower | replace(':', '_') %}
        max(case when {{ measure_column }} = '{{ measure }}' then numerator end) as {{ name }}_numerator,
        max(case when {{ measure_column }} = '{{ measure }}' then denominator end) as {{ name }}_denominator,
        max(case when {{ measure_column }} = '{{ measure }}' then value end) as {{ name }}_value{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- A wide indicator mart (mart_weekly_adoption, mart_chat_activity, mart_profile_completeness): one row
    per week, level and unit, three columns per measure, pivoted from the long int_indicator_values. -#}
{% macro indicator_mart(indicator_values, measures) -%}
select
    week,
    level,
    unit_id,
    unit_name,
    parent_id,
    region_code,
    {{ pivot_measures(measures) }}
from {{ indicator_values }}
where measure in ('{{ measures | join("', '") }}')
group by week, level, unit_id, unit_name, parent_id, region_code
{%- endmacro %}
