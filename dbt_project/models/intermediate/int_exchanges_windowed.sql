-- Per region and week: was there a successful ГИС ↔ ФГИС exchange in the exchange_window_days days
-- ending on the week's Sunday (A10)? Reads every week's exchanges, so a window may reach back.
-- A region has a row when it reported exchanges for the week (its file of the week, or any event in
-- the window), with 0 successful ones if none succeeded; a region with no row has no data («нет данных»).
{%- set in_window -%}
    (exchanges.exchanged_at >= cast({{ add_days('weeks.week_end', 1 - var('edumon:exchange_window_days')) }} as timestamp)
    and exchanges.exchanged_at < cast({{ add_days('weeks.week_end', 1) }} as timestamp))
{%- endset %}
with weeks as (
    select * from {{ ref('int_weeks') }}
    where {{ week_in_run() }}
)

-- A region with no row (no gis_exchange delivered, or no ГИС) has A10 «нет данных» / «нет ГИС»,
-- never a failed exchange.
select
    weeks.week,
    exchanges.region_code,
    sum({{ flag("exchanges.exchange_status = 'ok' and " ~ in_window) }}) as successful_exchanges
from {{ ref('stg_gis__exchanges') }} as exchanges
inner join weeks
    on {{ in_window }} or exchanges.week = weeks.week
group by weeks.week, exchanges.region_code
