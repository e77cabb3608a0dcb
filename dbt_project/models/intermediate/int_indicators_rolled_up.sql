-- Every indicator (and each C3 field as measure «C3:<field>») at every level, long form: numerators
-- and denominators are summed upward from schools, never averaged. A8 starts at the municipality
-- (its unit is the municipality); E1 is a median, computed from the requests at each level. The
-- country sums every region's kept sums (int_region_measures), so a region run that recomputes one
-- region still gives the whole country.
with school_measures as (
    select * from {{ ref('int_school_measures') }}
),

units as (
    select * from {{ ref('int_units') }}
    where level = 'school'
),

region_measures as (
    select * from {{ ref('int_region_measures') }}
    where {{ week_in_run() }}
),

summed as (
    select week, measure, 'school' as level, org_inn as unit_id, numerator, denominator
    from school_measures
    where org_inn is not null

    union all

    select week, measure, 'municipality' as level, municipality_id as unit_id, sum(numerator), sum(denominator)
    from school_measures
    group by week, measure, municipality_id

    union all

    select week, measure, 'region' as level, region_code as unit_id, numerator, denominator
    from region_measures
    where {{ region_in_run('region_code') }}

    union all

    select week, measure, 'country' as level, 'RU' as unit_id, sum(numerator), sum(denominator)
    from region_measures
    group by week, measure
),

requests as (
    select
        requests.week,
        requests.region_code,
        requests.org_inn,
        units.parent_id as municipality_id,
        requests.hours_to_resolve,
        requests.is_escalated
    from {{ ref('int_requests_resolved') }} as requests
    left join units
        on requests.week = units.week and requests.org_inn = units.unit_id
),

requests_by_level as (
    {% for level, unit in [('school', 'org_inn'), ('municipality', 'municipality_id'),
                           ('region', 'region_code'), ('country', "'RU'")] %}
        select
            week,
            'E1' as measure,
            '{{ level }}' as level,
            {{ unit }} as unit_id,
            cast(sum({{ flag('is_escalated') }}) as double) as numerator,
            cast(count(*) as double) as denominator,
            median(hours_to_resolve) as median_hours
        from requests
        where {{ unit }} is not null
        {%- if level != 'country' %} and {{ region_in_run('region_code') }}{% endif %}
        group by week, {{ unit }}
        {{ "union all" if not loop.last }}
    {% endfor %}
)

select
    week,
    measure,
    level,
    unit_id,
    numerator,
    denominator,
    cast(null as double) as median_hours
from summed

union all

select
    week,
    measure,
    level,
    unit_id,
    numerator,
    denominator,
    median_hours
from requests_by_level
