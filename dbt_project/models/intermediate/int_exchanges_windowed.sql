-- Per region and week: was there a successful ГИС ↔ ФГИС exchange in the exchange_window_days days
-- ending on the week's Sunday (A10)? Reads every week's exchanges, so a window may reach back.
with weeks as (
    select * from {{ ref('int_weeks') }}
    where {{ week_in_run() }}
)

select
    weeks.week,
    exchanges.region_code,
    count(*) as successful_exchanges
from {{ ref('stg_gis__exchanges') }} as exchanges
inner join weeks
    on
        exchanges.exchanged_at >= cast({{ add_days('weeks.week_end', 1 - var('edumon:exchange_window_days')) }} as timestamp)
        and exchanges.exchanged_at < cast({{ add_days('weeks.week_end', 1) }} as timestamp)
where exchanges.exchange_status = 'ok'
group by weeks.week, exchanges.region_code
