{{ config(incremental_strategy=mart_incremental_strategy(), partition_by=mart_partition_by(), pre_hook="{{ delete_region_rows() }}") }}
-- E1 by channel and category (seed 000 sections III, V, VII): requests to the competence centre per
-- week, level and unit, with «все» rows for every channel and every category. The deadline is an
-- edumon default (edumon:request_deadline_hours), not a seed number.
with requests as (
    select
        requests.week,
        requests.region_code,
        units.parent_id as municipality_id,
        requests.org_inn,
        requests.channel,
        requests.category,
        requests.request_status,
        requests.is_escalated,
        requests.hours_to_resolve,
        requests.is_resolved_in_time,
        requests.is_open_past_deadline
    from {{ ref('int_requests_resolved') }} as requests
    left join {{ ref('int_units') }} as units
        on requests.week = units.week and units.level = 'school' and requests.org_inn = units.unit_id
),

by_level as (
    {% for level, unit in [('school', 'org_inn'), ('municipality', 'municipality_id'),
                           ('region', 'region_code'), ('country', "'RU'")] %}
        select
            week,
            '{{ level }}' as level,
            {{ unit }} as unit_id,
            coalesce(channel, 'все') as channel,
            coalesce(category, 'все') as category,
            count(*) as requests,
            sum({{ flag("request_status = 'resolved'") }}) as resolved,
            sum({{ flag('is_resolved_in_time') }}) as resolved_in_time,
            sum({{ flag('is_open_past_deadline') }}) as open_past_deadline,
            sum({{ flag('is_escalated') }}) as escalated,
            median(hours_to_resolve) as median_hours
        from requests
        where {{ unit }} is not null
        {%- if level != 'country' %} and {{ region_in_run('region_code') }}{% endif %}
        group by grouping sets ((week, {{ unit }}, channel, category), (week, {{ unit }}, channel),
            (week, {{ unit }}, category), (week, {{ unit }}))
        {{ "union all" if not loop.last }}
    {% endfor %}
)

select
    by_level.week,
    by_level.level,
    by_level.unit_id,
    units.unit_name,
    units.parent_id,
    units.region_code,
    by_level.channel,
    by_level.category,
    by_level.requests,
    by_level.resolved,
    by_level.resolved_in_time,
    {{ share('by_level.resolved_in_time', 'by_level.requests') }} as resolved_in_time_share,
    by_level.open_past_deadline,
    by_level.escalated,
    {{ share('by_level.escalated', 'by_level.requests') }} as escalated_share,
    by_level.median_hours
from by_level
inner join {{ ref('int_units') }} as units
    on by_level.week = units.week and by_level.level = units.level and by_level.unit_id = units.unit_id
