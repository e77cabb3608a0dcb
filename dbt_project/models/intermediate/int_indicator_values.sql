-- Every measure at every level with its unit's names, value, target and whether it meets it.
with rolled as (
    select * from {{ ref('int_indicators_rolled_up') }}
),

units as (
    select * from {{ ref('int_units') }}
),

valued as (
    select
        rolled.*,
        {{ indicator_unit('rolled.measure') }} as measure_unit,
        {{ indicator_target('rolled.measure') }} as target
    from rolled
)

select
    valued.week,
    valued.level,
    valued.unit_id,
    units.unit_name,
    units.parent_id,
    units.region_code,
    valued.measure,
    valued.measure_unit,
    valued.numerator,
    valued.denominator,
    {{ indicator_value('valued.measure_unit', 'valued.numerator', 'valued.denominator', 'valued.median_hours') }}
        as value,
    valued.target
from valued
inner join units
    on valued.week = units.week and valued.level = units.level and valued.unit_id = units.unit_id
