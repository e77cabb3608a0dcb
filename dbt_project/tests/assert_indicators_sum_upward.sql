{{ config(description="Checks that every region's numerator and denominator equal the sums over its schools (A8 and E1 excepted: they start above the school). Matters because averaging shares instead of summing counts misweights small schools. On failure: look at int_indicators_rolled_up's group-bys for the failing measure.") }}
-- Rows returned = regions whose counts are not the sums of their schools' counts.
with values_ as (
    select * from {{ ref('int_indicator_values') }}
    where measure not in ('A8', 'E1')
),

schools as (
    select week, region_code, measure, sum(numerator) as numerator, sum(denominator) as denominator
    from values_
    where level = 'school'
    group by week, region_code, measure
)

select regions.week, regions.unit_id, regions.measure
from values_ as regions
left join schools
    on regions.week = schools.week and regions.unit_id = schools.region_code and regions.measure = schools.measure
where
    regions.level = 'region'
    and (
        abs(regions.numerator - coalesce(schools.numerator, 0)) > 1e-9
        or abs(regions.denominator - coalesce(schools.denominator, 0)) > 1e-9
    )
