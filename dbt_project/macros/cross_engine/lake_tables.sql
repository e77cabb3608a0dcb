{#- The lake as the engine sees it. DuckDB reads the lake's files through each source's
    `external_location` (read_parquet / read_json), so it needs nothing here. Spark names tables in
    its metastore: at the start of every run (on-run-start) each lake source becomes an external
    table over its folder, with the columns and types of the source's yml (the contract), and the
    load log an external JSON table over lake/_meta/load_log.jsonl. The tables declare no partition
    columns: Spark discovers the region=/week= folders when it lists the folder, takes their types
    from the declared columns and prunes them by the models' filters (PartitionFilters, as DuckDB's
    hive_partitioning does), and a dataset never delivered (no folder: a first week without
    gis_exchange) lists no file and reads as an empty table. Partitions kept in the metastore
    instead would need `recover partitions`, which fails on a folder that does not exist
    (FileNotFoundException), and a repair per table per run. Dropping an external table leaves its
    files; re-creating it each run is what makes Spark see what was written since the last run. -#}
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
                    ~ " location '" ~ lake ~ '/' ~ source.identifier ~ "'") -%}
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

{#- Whether a lake source has no file at all (macros/lake_sources.sql then reads it as an empty
    table with the contract's columns). DuckDB: no file matches the glob of its external_location.
    Spark: never, because its lake table over a folder that does not exist already reads as an
    empty table with those columns (register_lake_tables above). -#}
{% macro lake_source_is_empty(node, relation) -%}
    {{ return(adapter.dispatch('lake_source_is_empty', 'edumon')(node, relation)) }}
{%- endmacro %}

{% macro default__lake_source_is_empty(node, relation) -%}
    {%- set files = modules.re.search("read_parquet\\('([^']+)'", node.meta.get('external_location', '')) -%}
    {%- if not files -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(run_query("select count(*) from glob('" ~ files.group(1) ~ "')").columns[0].values()[0] == 0) }}
{%- endmacro %}

{% macro spark__lake_source_is_empty(node, relation) -%}
    {{ return(false) }}
{%- endmacro %}
