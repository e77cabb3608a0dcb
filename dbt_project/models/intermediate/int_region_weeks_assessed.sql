-- Per region and week: can it be rated? `no_data` when any expected partition is rejected or
-- missing (never a silent zero), with the reason in Russian; shares of partitions loaded and on time.
with loads as (
    select * from {{ ref('int_loads_current') }}
),

problems as (
    select
        week,
        region_code,
        concat(
            dataset, ': ',
            case status when 'rejected' then 'файл отклонён' else 'файл не поступил' end,
            case when reason is not null then concat(' (', reason, ')') else '' end
        ) as problem
    from loads
    where status in ('rejected', 'missing')
)

select
    loads.week,
    loads.region_code,
    count(*) as expected_partitions,
    sum({{ flag('loads.is_loaded') }}) as loaded_partitions,
    sum({{ flag('loads.is_on_time') }}) as on_time_partitions,
    {{ share('sum(' ~ flag('loads.is_loaded') ~ ')', 'count(*)') }} as completeness_share,
    {{ share('sum(' ~ flag('loads.is_on_time') ~ ')', 'count(*)') }} as timeliness_share,
    case when max({{ flag("loads.status in ('rejected', 'missing')") }}) = 1 then 'no_data' else 'ok' end
        as data_status,
    max(reasons.data_status_reason) as data_status_reason
from loads
left join (
    select week, region_code, {{ ordered_listagg('problem', "'; '", 'problem') }} as data_status_reason
    from problems
    group by week, region_code
) as reasons
    on loads.week = reasons.week and loads.region_code = reasons.region_code
group by loads.week, loads.region_code
