{#- Week helpers. A run recomputes the weeks between edumon:min_week and edumon:max_week (the run's
    scope, macros/run_scope.sql; ISO labels sort as text); the calendar comes from edumon:first_week / edumon:last_week. -#}

{% macro week_in_run(column='week') -%}
    {{ column }} between '{{ run_scope("min_week") }}' and '{{ run_scope("max_week") }}'
{%- endmacro %}

{#- Inline table of the calendar's weeks: label, Monday, Sunday, previous week's label. Computed in
    Jinja (Python's ISO calendar), so the SQL stays the same on DuckDB and Spark. Also: the first
    day of the latest physical-fitness month (edumon:physical_fitness_months) that ended by the
    Sunday (C4), and the delivery deadline of the week's files (mart_data_quality). -#}
{% macro calendar_weeks_values() -%}
    {%- set dt = modules.datetime -%}
    {%- set first = var("edumon:first_week").split("-W") -%}
    {%- set last = var("edumon:last_week").split("-W") -%}
    {%- set start = dt.date.fromisocalendar(first[0] | int, first[1] | int, 1) -%}
    {%- set stop = dt.date.fromisocalendar(last[0] | int, last[1] | int, 1) -%}
    {%- set n_weeks = ((stop - start).days // 7) + 1 -%}
    {%- for i in range(n_weeks) -%}
        {%- set monday = start + dt.timedelta(days=7 * i) -%}
        {%- set iso = monday.isocalendar() -%}
        {%- set prev = (monday - dt.timedelta(days=7)).isocalendar() -%}
        {%- set sunday = monday + dt.timedelta(days=6) -%}
        {%- set deadline = sunday + dt.timedelta(days=var("edumon:delivery_deadline_weekday") | int) -%}
        ('{{ "%04d-W%02d" | format(iso[0], iso[1]) }}', date '{{ monday }}', date '{{ sunday }}', '{{ "%04d-W%02d" | format(prev[0], prev[1]) }}', date '{{ fitness_month_start(sunday) }}', timestamp '{{ deadline }} {{ var("edumon:delivery_deadline_time") }}:00'){{ "," if not loop.last }}
    {% endfor -%}
{%- endmacro %}

{#- The first day of the latest measurement month that has fully ended by `sunday` (a date). -#}
{% macro fitness_month_start(sunday) -%}
    {%- set dt = modules.datetime -%}
    {%- set starts = [] -%}
    {%- for month in var("edumon:physical_fitness_months") -%}
        {%- set this_year = dt.date(sunday.year, month | int, 1) -%}
        {%- set month_end = dt.date(sunday.year + (1 if month | int == 12 else 0), (month | int) % 12 + 1, 1) -%}
        {%- do starts.append(this_year if month_end <= sunday + dt.timedelta(days=1) else dt.date(sunday.year - 1, month | int, 1)) -%}
    {%- endfor -%}
    {{ starts | max }}
{%- endmacro %}

{#- The region a run rebuilds: edumon:region names one region code (a region-week backfill), `all`
    (the default) every region. In region mode staging reads only that region's lake partitions and
    the marts replace only its rows (and the country rows, recomputed from every region's rows). -#}
{% macro run_region() -%}
    {{ return(run_scope("region")) }}
{%- endmacro %}

{% macro is_region_run() -%}
    {{ return(run_region() != "all") }}
{%- endmacro %}

{#- True for every row in a full run; in region mode only for the run's region. -#}
{% macro region_in_run(column='region_code') -%}
    {%- if is_region_run() -%}{{ column }} = '{{ run_region() }}'{%- else -%}true{%- endif -%}
{%- endmacro %}

{#- The lake partitions a run reads: the run's weeks (and region). On the hive columns `week` and
    `region`, DuckDB skips every other partition's file (partition pruning), so a week's build costs
    the same in week 1 and week 52. `weeks_before` / `weeks_after` widen the range for windows that
    reach into neighbouring weeks; `all_regions` reads every region (small datasets whose country
    figure is not a sum of the regions', e.g. the E1 median). -#}
{% macro lake_partitions_in_run(weeks_before=0, weeks_after=0, all_regions=false) -%}
    week between '{{ shift_week_label(run_scope("min_week"), -1 * weeks_before) }}'
        and '{{ shift_week_label(run_scope("max_week"), weeks_after) }}'
    {%- if not all_regions %} and {{ region_in_run('region') }}{% endif %}
{%- endmacro %}

{#- An ISO week label moved by `weeks` weeks (the open bounds 0000-W00 / 9999-W99 stay as they are). -#}
{% macro shift_week_label(label, weeks) -%}
    {%- set parts = label.split("-W") -%}
    {%- set year = parts[0] | int -%}
    {%- if weeks == 0 or year < 1 or year > 9998 -%}
        {{ label }}
    {%- else -%}
        {%- set dt = modules.datetime -%}
        {%- set monday = dt.date.fromisocalendar(year, parts[1] | int, 1) + dt.timedelta(days=7 * weeks) -%}
        {%- set iso = monday.isocalendar() -%}
        {{ "%04d-W%02d" | format(iso[0], iso[1]) }}
    {%- endif -%}
{%- endmacro %}

{#- The incremental strategies per engine: macros/cross_engine/incremental.sql. -#}
