{#- The lake as the engine sees it. DuckDB reads the lake's files through each source's
    `external_location` (read_parquet / read_json), so it needs nothing here. Spark names tables in
    its metastore: at the start of every run (on-run-start) each lake source becomes an external
    table over its folder, partitioned by the hive columns region and week (Spark prunes them as
    DuckDB does), with the columns and types of the source's yml (the contract), and the load log an
    external JSON table over lake/_meta/load_log.jsonl. Dropping an external table leaves its files;
    re-creating it each run is what makes Spark see the partitions written since the last run. -#}
{% macro register_lake_tables() -%}
    {{ return(adapter.dispatch('register_lake_tables', 'edumon')()) }}
{%- endmacro %}

{% macro default__register_lake_tables() -%}
{%- endmacro %}

{% macro spark__register_lake_tables() -%}
    {%- if execute -%}
        {%- set lake = env_var('EDUMON_LAKE', '../data/lake') -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- if source.schema not in schemas -%}
                {%- do schemas.append(source.schema) -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
            {%- endif -%}
            {%- set relation = source.schema ~ '.' ~ source.identifier -%}
            {%- set columns = [] -%}
            {%- for column in source.columns.values() -%}
                {%- do columns.append('`' ~ column.name ~ '` ' ~ spark_lake_type(column.data_type)) -%}
            {%- endfor -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- if source.identifier == 'load_log' -%}
                {%- do run_query('create table ' ~ relation ~ ' (' ~ columns | join(', ') ~ ") using json options (path '"
                    ~ lake ~ "/_meta/load_log.jsonl')") -%}
            {%- else -%}
                {%- do run_query('create table ' ~ relation ~ ' (' ~ columns | join(', ') ~ ') using parquet'
                    ~ " partitioned by (region, week) location '" ~ lake ~ '/' ~ source.identifier ~ "'") -%}
                {%- do run_query('alter table ' ~ relation ~ ' recover partitions') -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- A source column's yml type (DuckDB's names) as Spark DDL. -#}
{% macro spark_lake_type(data_type) -%}
    {%- set mapping = {'varchar': 'string', 'bigint': 'bigint', 'integer': 'int', 'boolean': 'boolean',
                       'date': 'date', 'timestamp': 'timestamp', 'double': 'double'} -%}
    {%- if data_type | lower not in mapping -%}
        {{ exceptions.raise_compiler_error("no Spark type for the lake column type '" ~ data_type ~ "'") }}
    {%- endif -%}
    {{ mapping[data_type | lower] }}
{%- endmacro %}
