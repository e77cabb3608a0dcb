-- Data exchanges between a regional ГИС and ФГИС, one row per week, region, system, time and direction.
-- Reads the weeks the exchange window of the run's weeks can reach (and the week after, whose file
-- may list a late exchange), not the whole history.
{%- set window_weeks = ((var('edumon:exchange_window_days') | int) + 6) // 7 %}
with deduped as (
    {{ dedupe_latest(source('gis', 'gis_exchange'), ['region', 'system', 'exchanged_at', 'direction'],
                     partitions={'weeks_before': window_weeks, 'weeks_after': 1}) }}
)

select
    week,
    region as region_code,
    system as system_name,
    exchanged_at,
    direction,
    status as exchange_status,
    records,
    load_id,
    source_file
from deduped
