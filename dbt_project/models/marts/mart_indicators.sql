{{ config(incremental_strategy=mart_incremental_strategy(), partition_by=mart_partition_by(), pre_hook="{{ delete_region_rows() }}") }}
-- The long form every dashboard and the rating read: one row per week, level, unit and indicator.
-- An indicator of the regional ГИС (orchestration.yaml indicators.*.gis) in a region without one
-- (regions.<code>.gis: none) is no_gis: the dashboards read no_gis_name («нет ГИС») there, not an empty cell.
{%- set without_gis = var('edumon:regions_without_gis') %}
{%- set gis_indicators = var('edumon:gis_indicators') %}
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
),

municipalities as (
    select week, unit_id, unit_name from {{ ref('int_units') }}
    where level = 'municipality'
),

labels as (
    select * from {{ ref('ref_labels') }}
)

select
    long_rows.*,
    -- The key of Superset's Country Map (ref_regions.map_code); null for the country row.
    regions.map_code,
    -- What a person reads beside the codes (dashboards filter and drill on these names).
    regions.region_name,
    case long_rows.level
        when 'municipality' then long_rows.unit_id
        when 'school' then long_rows.parent_id
    end as municipality_id,
    case long_rows.level
        when 'municipality' then long_rows.unit_name
        when 'school' then coalesce(municipalities.unit_name, long_rows.parent_id)
    end as municipality_name,
    level_labels.label as level_name,
    concat(long_rows.indicator, ' ', indicators.name) as indicator_name,
    target_labels.label as meets_target_name,
    long_rows.region_code not in ('{{ without_gis | join("', '") }}') as has_gis,
    long_rows.indicator in ('{{ gis_indicators | join("', '") }}') as is_gis_indicator,
    (
        long_rows.indicator in ('{{ gis_indicators | join("', '") }}')
        and long_rows.region_code in ('{{ without_gis | join("', '") }}')
    ) as no_gis,
    case
        when
            long_rows.indicator in ('{{ gis_indicators | join("', '") }}')
            and long_rows.region_code in ('{{ without_gis | join("', '") }}')
            then gis_labels.label
    end as no_gis_name
from long_rows
left join {{ ref('ref_regions') }} as regions
    on long_rows.region_code = regions.region_code
left join municipalities
    on
        long_rows.level = 'school'
        and long_rows.week = municipalities.week
        and long_rows.parent_id = municipalities.unit_id
left join {{ ref('ref_indicators') }} as indicators
    on long_rows.indicator = indicators.indicator_id
left join labels as level_labels
    on level_labels.kind = 'level' and long_rows.level = level_labels.code
left join labels as gis_labels
    on gis_labels.kind = 'gis' and gis_labels.code = 'none'
left join labels as target_labels
    on target_labels.kind = 'meets_target' and cast(long_rows.meets_target as {{ dbt.type_string() }}) = target_labels.code
