-- Every school-level measure (and each C3 field as «C3:<field>») per school and week, long form,
-- with the school's municipality and region; A8 (whose unit is the municipality) as one row per
-- municipality with a null org_inn. int_region_measures and int_indicators_rolled_up sum these upward.
{%- set school_measures = ['A1', 'A1:general', 'A1:vocational', 'A1:additional', 'A2', 'A3', 'A3:pedagogical',
                           'A4', 'A5', 'A6', 'A7', 'A9', 'A9:created', 'A10', 'A11', 'A11:students', 'A12', 'A12:students',
                           'B1', 'B2', 'B3', 'C1', 'C2', 'C2:individual_plan', 'C3', 'C4', 'C5', 'C6', 'C7'] %}
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
            {{ measure | lower | replace(':', '_') }}_numerator as numerator,
            {{ measure | lower | replace(':', '_') }}_denominator as denominator
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
    -- A8: a municipality counts once, registered when its management body is registered in Сферум.
    select
        week,
        'A8' as measure,
        municipality_id,
        region_code,
        -- registered in Сферум (protocol 14.11.2022): the management body has an active Сферум profile.
        cast(max({{ flag('is_management_body and has_active_sferum_profile') }}) as double) as numerator,
        cast(1 as double) as denominator
    from {{ ref('int_organisations_joined') }}
    where is_active
    group by week, municipality_id, region_code
)

select week, measure, org_inn, municipality_id, region_code, numerator, denominator
from school_rows

union all

select week, measure, cast(null as {{ dbt.type_string() }}) as org_inn, municipality_id, region_code, numerator, denominator
from municipal_bodies
