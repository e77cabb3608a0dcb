{#- The run's scope (its weeks and region) is read when a node executes, not when dbt parses, so
    dbt's partial parsing holds from run to run: --vars only carry the configuration, which does
    not change between runs (a change of --vars makes dbt re-parse the whole project, ≈ 10–25 s a
    run). pipelines/transform/project.py passes the scope as EDUMON_RUN_SCOPE (JSON of
    edumon:min_week, edumon:max_week, edumon:region); a bare dbt call, a unit test's overrides and
    the parse itself read the vars (dbt_project.yml's defaults: every week, every region). -#}
{% macro run_scope(key) -%}
    {%- set name = 'edumon:' ~ key -%}
    {%- set in_unit_test = model is defined and model is mapping and model.get('resource_type') == 'unit_test' -%}
    {%- if execute and not in_unit_test -%}
        {%- set scope = fromjson(env_var('EDUMON_RUN_SCOPE', '{}')) -%}
        {%- if name in scope -%}{{ return(scope[name]) }}{%- endif -%}
    {%- endif -%}
    {#- Without --vars (a bare `dbt parse`): the open bounds, every region. -#}
    {{ return(var(name, {'min_week': '0000-W00', 'max_week': '9999-W99', 'region': 'all'}[key])) }}
{%- endmacro %}

{#- A data test's `where` is rendered when dbt parses, i.e. with the open week bounds (dbt_project.yml
    and the models' yml write it with var('edumon:min_week') / var('edumon:max_week')): at execution
    the run's weeks replace those bounds, and `edumon_region_rows` becomes the run's region and
    country rows in a region run (true otherwise). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if not where -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set open_bounds = "between '" ~ var('edumon:min_week', '0000-W00') ~ "' and '" ~ var('edumon:max_week', '9999-W99') ~ "'" -%}
    {%- set run_bounds = "between '" ~ run_scope('min_week') ~ "' and '" ~ run_scope('max_week') ~ "'" -%}
    {%- set region_rows = "region_code in ('" ~ run_region() ~ "', 'RU')" if is_region_run() else "true" -%}
    {%- set where = where | replace(open_bounds, run_bounds) | replace('edumon_region_rows', region_rows) -%}
    {{ return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') }}
{%- endmacro %}

{#- The DuckDB strategy of the week × region marts (macro mart_incremental_strategy), chosen when the
    model runs, as the region is known only then: a full run deletes and re-inserts its weeks
    (delete+insert on week), a region run appends after its pre-hook deleted the region's and the
    country's rows of its weeks (delete_region_rows). -#}
{% macro get_incremental_edumon_mart_sql(arg_dict) -%}
    {%- if is_region_run() -%}
        {{ return(get_incremental_append_sql(arg_dict)) }}
    {%- endif -%}
    {{ return(get_incremental_delete_insert_sql(arg_dict)) }}
{%- endmacro %}
