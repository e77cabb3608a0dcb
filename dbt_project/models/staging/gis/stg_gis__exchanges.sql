-- Data exchanges between a regional ГИС and ФГИС, one row per week, region, system, time and direction.
with deduped as (
    {{ dedupe_latest(source('gis', 'gis_exchange'), ['region', 'system', 'exchanged_at', 'direction']) }}
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
