{{ config(incremental_strategy=week_incremental_strategy(), partition_by=week_partition_by()) }}
-- D1: the weekly rating of regions (protocol of 18.10.2022 p.11), SPEC's partial-data rule: a weighted
-- indicator without data has its weight spread over the others (int_unit_scores) and the region is
-- `partial` («неполные данные») with the reason; it is `no_data` (unranked, no score) only when more
-- than edumon:unranked_missing_weight of the weight lacks data. A rejected or missing delivery is
-- named in the reason; it unranks nothing by itself (a missing cc_requests or gis_exchange never does).
-- The previous week comes from this run when it is in the run, else from the mart's history. A
-- region run recomputes one region's score and ranks it among the other regions' kept scores.
{%- set sections = var('edumon:rating_sections') | selectattr('indicators') | list %}
{%- set total_weight = var('edumon:rating_weights').values() | sum %}
{%- set unranked_above = var('edumon:unranked_missing_weight') * total_weight %}
with weeks as (
    select * from {{ ref('int_weeks') }}
),

scores as (
    select
        week, unit_id as region_code, score, missing_weight, missing_indicators
        {%- for section in sections %}, section_{{ section.id }}_score{% endfor %}
    from {{ ref('int_unit_scores') }}
    where level = 'region'
    {% if is_region_run() and is_incremental() %}
        union all
        select
            week, region_code, score, missing_weight, missing_indicators
            {%- for section in sections %}, section_{{ section.id }}_score{% endfor %}
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
            when scores.score is null or scores.missing_weight > {{ unranked_above }} then 'no_data'
            when scores.missing_weight > 0 then 'partial'
            else 'ok'
        end as data_status,
        nullif(concat_ws('; ',
            case
                when scores.score is null then 'нет данных об организациях региона за неделю'
                when scores.missing_weight > {{ unranked_above }}
                    then concat('нет данных: ', scores.missing_indicators, ' — без данных больше половины веса')
                when scores.missing_weight > 0
                    then concat('неполные данные: без данных ', scores.missing_indicators,
                        ' (их вес ', cast(round(scores.missing_weight, 2) as {{ dbt.type_string() }}),
                        ' распределён по остальным показателям)')
            end,
            case when assessed.data_status_reason is not null then concat('поставки: ', assessed.data_status_reason) end
        ), '') as data_status_reason,
        scores.score as computed_score,
        scores.missing_weight,
        scores.missing_indicators
        {%- for section in sections %},
        scores.section_{{ section.id }}_score{% endfor %}
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
        missing_weight,
        missing_indicators,
        {%- for section in sections %}
        case when data_status <> 'no_data' then section_{{ section.id }}_score end as section_{{ section.id }}_score,
        {%- endfor %}
        case when data_status <> 'no_data' then computed_score end as score,
        case
            when data_status <> 'no_data'
                then cast(rank() over (partition by week, data_status = 'no_data' order by computed_score desc) as bigint)
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
    ranked.data_status_reason,
    ranked.missing_weight,
    ranked.missing_indicators,
    {%- for section in sections %}
    ranked.section_{{ section.id }}_score,
    {%- endfor %}
    ranked.region_code not in ('{{ var("edumon:regions_without_gis") | join("', '") }}') as has_gis
from ranked
inner join weeks on ranked.week = weeks.week
left join history as previous
    on weeks.previous_week = previous.week and ranked.region_code = previous.region_code
left join regions on ranked.region_code = regions.region_code
