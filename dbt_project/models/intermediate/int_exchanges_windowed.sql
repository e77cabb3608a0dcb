-- Per region and week: was there a successful ГИС ↔ ФГИС exchange in the exchange_window_days days
-- ending on the week's Sunday (A10)? Reads every week's exchanges, so a window may reach back.
with weeks as (
    select * from {{ ref('int_weeks') }}
    where {{ week_in_run() }}
)

-- A region with no exchange record in the window (no gis_exchange delivered, or no ГИС) has no row:
-- A10 is then «нет данных» / «нет ГИС», never a failed exchange.
select
    weeks.week,
    exchanges.region_code,
    sum({{ flag("exchanges.exchange_status = 'ok'") }}) as successful_exchanges
from {{ ref('stg_gis__exchanges') }} as exchanges
inner join weeks
    on
        exchanges.exchanged_at >= cast({{ dbt.dateadd('day', 1 - var('edumon:exchange_window_days'), 'weeks.week_end') }} as timestamp)
        and exchanges.exchanged_at < cast({{ dbt.dateadd('day', 1, 'weeks.week_end') }} as timestamp)
group by weeks.week, exchanges.region_code
