{#- `source()` for the lake: a dataset with no partition yet (a first week delivered without
    gis_exchange or cc_requests) reads as an empty table with the contract's columns (the source's
    columns and data types, generated from pipelines.contracts.lake_columns), so the build goes on
    and the dataset's indicators read «нет данных»; DuckDB's read_parquet would stop it with
    "No files found that match the pattern". Whether a source is empty is the engine's question
    (lake_source_is_empty, macros/cross_engine/lake_tables.sql: on Spark the lake table over a
    missing folder is empty already); every other source, as dbt has it. -#}
{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {#- a unit test's sources are its fixture rows (and its graph has no sources) -#}
    {%- set sources = graph.get('sources') if graph is mapping else none -%}
    {%- set in_unit_test = model is defined and model is mapping and model.get('resource_type') == 'unit_test' -%}
    {%- if not execute or not sources or in_unit_test -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set node = sources.get('source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name) -%}
    {%- if not node or not lake_source_is_empty(node, relation) -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for column in node.columns.values() -%}
        {%- do columns.append('cast(null as ' ~ column.data_type ~ ') as ' ~ adapter.quote(column.name)) -%}
    {%- endfor -%}
    {{ return('(select ' ~ columns | join(', ') ~ ' where false)') }}
{%- endmacro %}
