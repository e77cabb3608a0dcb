{{ config(incremental_strategy=week_incremental_strategy(), partition_by=week_partition_by()) }}
-- D1: the weekly rating of regions (protocol of 18.10.2022 p.11). Regions with a rejected or missing
-- delivery are `no_data` with the reason, unranked and without a score (never a silent zero).
-- The previous week comes from this run when it is in the run, else from the mart's history. A
-- region run recomputes one region's score and ranks it among the other regions' kept scores.
with weeks as (
    select * from {{ ref('int_weeks') }}
),

scores as (
    select week, unit_id as region_code, score
    from {{ ref('int_unit_scores') }}
    where level = 'region'
    {% if is_region_run() and is_incremental() %}
        union all
        select week, region_code, score
        from {{ this }}
        where
            {{ week_in_run() }}
            and region_code <> '{{ run_region() }}'
            and score is not null
    {% endif %}
),

assessed as (
    select * from {{ ref('int_region_weeks_assessed') }}
),

region_weeks as (
    select week, region_code from scores
    union
    select week, region_code from assessed
),

rated as (
    select
        region_weeks.week,
        region_weeks.region_code,
        case
            when assessed.data_status = 'no_data' then 'no_data'
            when scores.score is null then 'no_data'
            else 'ok'
        end as data_status,
        case
            when assessed.data_status = 'no_data' then assessed.data_status_reason
            when scores.score is null then 'нет данных об организациях региона за неделю'
        end as data_status_reason,
        scores.score as computed_score
    from region_weeks
    left join scores
        on region_weeks.week = scores.week and region_weeks.region_code = scores.region_code
    left join assessed
        on region_weeks.week = assessed.week and region_weeks.region_code = assessed.region_code
),

ranked as (
    select
        week,
        region_code,
        data_status,
        data_status_reason,
        case when data_status = 'ok' then computed_score end as score,
        case
            when data_status = 'ok'
                then cast(rank() over (partition by week, data_status order by computed_score desc) as bigint)
        end as rank
    from rated
),

history as (
    select week, region_code, score, rank from ranked
    {% if is_incremental() %}
        union all
        select week, region_code, score, rank from {{ this }}
        where week not in (select week from ranked)
    {% endif %}
),

regions as (
    select * from {{ ref('ref_regions') }}
)

select
    ranked.week,
    'region' as level,
    ranked.region_code as unit_id,
    coalesce(regions.region_name, ranked.region_code) as unit_name,
    'RU' as parent_id,
    ranked.region_code,
    coalesce(regions.region_name, ranked.region_code) as region_name,
    regions.federal_district,
    regions.map_code,
    ranked.score,
    ranked.rank,
    previous.rank as previous_rank,
    previous.rank - ranked.rank as rank_change,
    previous.score as previous_score,
    ranked.score - previous.score as score_change,
    ranked.data_status,
    ranked.data_status_reason
from ranked
inner join weeks on ranked.week = weeks.week
left join history as previous
    on weeks.previous_week = previous.week and ranked.region_code = previous.region_code
left join regions on ranked.region_code = regions.region_code
