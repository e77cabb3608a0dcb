{#- A date moved by a whole number of days, as a date on both engines (dbt.dateadd returns a
    timestamp on DuckDB and, on Spark, goes through unix seconds in the session's time zone). -#}
{% macro add_days(date_expression, days) -%}
    {{ return(adapter.dispatch('add_days', 'edumon')(date_expression, days)) }}
{%- endmacro %}

{% macro default__add_days(date_expression, days) -%}
    cast(({{ date_expression }}) + to_days(cast({{ days }} as integer)) as date)
{%- endmacro %}

{% macro spark__add_days(date_expression, days) -%}
    date_add({{ date_expression }}, {{ days }})
{%- endmacro %}
