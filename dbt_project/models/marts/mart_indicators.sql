{{ config(incremental_strategy=mart_incremental_strategy(), partition_by=mart_partition_by(), pre_hook="{{ delete_region_rows() }}") }}
-- The long form every dashboard and the rating read: one row per week, level, unit and indicator.
with valued as (
    select * from {{ ref('int_indicator_values') }}
    where measure not like '%:%'  -- breakdowns («C3:fio», «A1:vocational») live in the wide marts
),

scores as (
    select
        scores.week,
        scores.level,
        scores.unit_id,
        units.unit_name,
        units.parent_id,
        units.region_code,
        case scores.level when 'region' then 'D1' else 'D2' end as indicator,
        scores.score
    from {{ ref('int_unit_scores') }} as scores
    inner join {{ ref('int_units') }} as units
        on scores.week = units.week and scores.level = units.level and scores.unit_id = units.unit_id
),

long_rows as (
select
    week,
    level,
    unit_id,
    unit_name,
    parent_id,
    region_code,
    measure as indicator,
    numerator,
    denominator,
    value,
    target,
    {{ meets_target('measure_unit', 'value', 'target') }} as meets_target
from valued

union all

select
    week,
    level,
    unit_id,
    unit_name,
    parent_id,
    region_code,
    indicator,
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    score as value,
    cast(null as double) as target,
    cast(null as boolean) as meets_target
from scores
)

select
    long_rows.*,
    -- The key of Superset's Country Map (ref_regions.map_code); null for the country row.
    regions.map_code
from long_rows
left join {{ ref('ref_regions') }} as regions
    on long_rows.region_code = regions.region_code
