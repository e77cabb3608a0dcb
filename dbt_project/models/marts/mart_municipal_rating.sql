{{ config(incremental_strategy=mart_incremental_strategy(), partition_by=mart_partition_by(), pre_hook="{{ delete_region_rows() }}") }}
-- D2: the rating inside each region (seed 003): municipalities ranked inside their region, general-
-- education schools inside their municipality (kindergartens, colleges and ДО centres are not schools
-- of seed 003's table), by the same weighted score as D1. rank_change > 0 means moved up. Beside the
-- rank, seed 003's own table: A5 (students who used Сферум in 12 months), the «менее 50 %» flag
-- (edumon:student_low_use_flag) and the school's place by A5 inside its municipality (lowest first).
with weeks as (
    select * from {{ ref('int_weeks') }}
),

general_schools as (
    select week, org_inn from {{ ref('int_organisations_joined') }}
    where is_general_school
),

a5 as (
    select week, level, unit_id, {{ share('numerator', 'denominator') }} as a5_value
    from {{ ref('int_indicators_rolled_up') }}
    where measure = 'A5' and level in ('municipality', 'school')
),

ranked as (
    select
        scores.week,
        scores.level,
        scores.unit_id,
        units.unit_name,
        units.parent_id,
        units.region_code,
        scores.score,
        cast(rank() over (partition by scores.week, scores.level, units.parent_id order by scores.score desc) as bigint) as rank,
        a5.a5_value,
        a5.a5_value < {{ var('edumon:student_low_use_flag') }} as is_below_a5_flag,
        -- Without A5 (a region without a ГИС: «нет ГИС») the schools follow their place, not their ИНН.
        cast(row_number() over (
            partition by scores.week, scores.level, units.parent_id
            order by a5.a5_value asc nulls last, scores.score desc nulls last, scores.unit_id asc
        ) as bigint) as a5_order
    from {{ ref('int_unit_scores') }} as scores
    inner join {{ ref('int_units') }} as units
        on scores.week = units.week and scores.level = units.level and scores.unit_id = units.unit_id
    left join general_schools
        on scores.week = general_schools.week and scores.unit_id = general_schools.org_inn
    left join a5
        on scores.week = a5.week and scores.level = a5.level and scores.unit_id = a5.unit_id
    where scores.level = 'municipality' or (scores.level = 'school' and general_schools.org_inn is not null)
),

history as (
    select week, level, unit_id, score, rank from ranked
    {% if is_incremental() %}
        union all
        select week, level, unit_id, score, rank from {{ this }}
        where week not in (select week from ranked)
    {% endif %}
)

select
    ranked.week,
    ranked.level,
    ranked.unit_id,
    ranked.unit_name,
    ranked.parent_id,
    ranked.region_code,
    ranked.score,
    ranked.rank,
    previous.rank as previous_rank,
    previous.rank - ranked.rank as rank_change,
    previous.score as previous_score,
    ranked.score - previous.score as score_change,
    ranked.a5_value,
    ranked.is_below_a5_flag,
    ranked.a5_order,
    -- Names the dashboards filter and drill on (region → municipality → school).
    regions.region_name,
    case ranked.level
        when 'municipality' then ranked.unit_name
        else coalesce(municipalities.unit_name, ranked.parent_id)
    end as municipality_name
from ranked
inner join weeks on ranked.week = weeks.week
left join history as previous
    on weeks.previous_week = previous.week and ranked.level = previous.level and ranked.unit_id = previous.unit_id
left join {{ ref('ref_regions') }} as regions on ranked.region_code = regions.region_code
left join ranked as municipalities
    on
        ranked.level = 'school'
        and municipalities.level = 'municipality'
        and ranked.week = municipalities.week
        and ranked.parent_id = municipalities.unit_id
