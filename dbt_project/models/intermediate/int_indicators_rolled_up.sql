-- Every indicator (and each C3 field as measure «C3:<field>») at every level, long form: numerators
-- and denominators are summed upward from schools, never averaged. A8 starts at the municipality
-- (its unit is the municipality); E1 is a median, computed from the requests at each level.
{%- set school_measures = ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A9', 'A10', 'B1', 'B2', 'B3',
                           'C1', 'C2', 'C3', 'C4', 'C5', 'C6'] %}
with counts as (
    select * from {{ ref('int_school_indicators_counted') }}
),

units as (
    select * from {{ ref('int_units') }}
    where level = 'school'
),

school_long as (
    {% for measure in school_measures %}
        select week, org_inn, '{{ measure }}' as measure,
            {{ measure | lower }}_numerator as numerator, {{ measure | lower }}_denominator as denominator
        from counts
        union all
    {% endfor %}
    {% for field in profile_fields() %}
        select week, org_inn, 'C3:{{ field }}' as measure,
            c3_{{ field }}_numerator as numerator, c3_{{ field }}_denominator as denominator
        from counts
        {{ "union all" if not loop.last }}
    {% endfor %}
),

school_rows as (
    select
        school_long.week,
        school_long.measure,
        school_long.org_inn,
        units.parent_id as municipality_id,
        units.region_code,
        cast(school_long.numerator as double) as numerator,
        cast(school_long.denominator as double) as denominator
    from school_long
    inner join units
        on school_long.week = units.week and school_long.org_inn = units.unit_id
),

municipal_bodies as (
    -- A8: a municipality counts once, registered when it has an active management body.
    select
        week,
        'A8' as measure,
        municipality_id,
        region_code,
        cast(max({{ flag('is_management_body') }}) as double) as numerator,
        cast(1 as double) as denominator
    from {{ ref('int_organisations_joined') }}
    where is_active
    group by week, municipality_id, region_code
),

summed as (
    select week, measure, 'school' as level, org_inn as unit_id, numerator, denominator
    from school_rows

    union all

    select week, measure, 'municipality' as level, municipality_id as unit_id, sum(numerator), sum(denominator)
    from school_rows
    group by week, measure, municipality_id

    union all

    select week, measure, 'municipality' as level, municipality_id as unit_id, numerator, denominator
    from municipal_bodies

    union all

    select week, measure, 'region' as level, region_code as unit_id, sum(numerator), sum(denominator)
    from (
        select week, measure, region_code, numerator, denominator from school_rows
        union all
        select week, measure, region_code, numerator, denominator from municipal_bodies
    ) as region_rows
    group by week, measure, region_code

    union all

    select week, measure, 'country' as level, 'RU' as unit_id, sum(numerator), sum(denominator)
    from (
        select week, measure, numerator, denominator from school_rows
        union all
        select week, measure, numerator, denominator from municipal_bodies
    ) as country_rows
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
