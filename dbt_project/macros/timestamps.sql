{#- An ISO 8601 text with an offset (the load log writes UTC, e.g. 2026-11-23T01:00:00+00:00) as
    a Moscow wall-clock timestamp, comparable with the week bounds. One implementation per engine. -#}
{% macro moscow_timestamp(column) -%}
    {{ return(adapter.dispatch('moscow_timestamp', 'edumon')(column)) }}
{%- endmacro %}

{% macro default__moscow_timestamp(column) -%}
    cast(timezone('Europe/Moscow', try_cast({{ column }} as timestamptz)) as timestamp)
{%- endmacro %}

{% macro spark__moscow_timestamp(column) -%}
    cast(from_utc_timestamp(to_timestamp_ltz({{ column }}), 'Europe/Moscow') as timestamp_ntz)
{%- endmacro %}
