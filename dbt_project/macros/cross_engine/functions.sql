{#- Expressions whose spelling differs between DuckDB and Spark SQL. Models call these instead of
    branching on target.type (the lists: lists.sql; dates: dates.sql; incremental: incremental.sql). -#}

{#- A cast that yields null for a value that does not convert (dbt.safe_cast is a plain cast on
    both engines, and Spark's ANSI mode fails the query on it). `type` is a DuckDB type name. -#}
{% macro try_cast_to(expression, type) -%}
    {{ return(adapter.dispatch('try_cast_to', 'edumon')(expression, type)) }}
{%- endmacro %}

{% macro default__try_cast_to(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{% macro spark__try_cast_to(expression, type) -%}
    {%- set names = {'varchar': 'string', 'text': 'string', 'integer': 'int', 'timestamp': 'timestamp_ntz'} -%}
    try_cast({{ expression }} as {{ names.get(type | lower, type) }})
{%- endmacro %}

{#- The first day of the period containing a date, as a date (DuckDB's date_trunc returns a date,
    Spark's a timestamp). -#}
{% macro truncate_to_date(part, date_expression) -%}
    cast(date_trunc('{{ part }}', {{ date_expression }}) as date)
{%- endmacro %}

{#- Does a text match a regular expression (search, not full match, as GE's and pandas' checks).
    Spark's parser reads backslashes in string literals as escapes: the pattern's are doubled. -#}
{% macro matches_regex(expression, pattern) -%}
    {{ return(adapter.dispatch('matches_regex', 'edumon')(expression, pattern)) }}
{%- endmacro %}

{% macro default__matches_regex(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern | replace("'", "''") }}')
{%- endmacro %}

{% macro spark__matches_regex(expression, pattern) -%}
    ({{ expression }} rlike '{{ pattern | replace("\\", "\\\\") | replace("'", "\\'") }}')
{%- endmacro %}

{#- `qualify` (DuckDB) does not exist in Spark SQL: rank in a subquery and filter outside it, as
    dedupe_latest (macros/dedupe.sql) does. -#}
