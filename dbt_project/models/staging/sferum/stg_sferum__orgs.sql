-- Сферум organisation profiles, one row per week and ИНН.
with deduped as (
    {{ dedupe_latest(source('sferum', 'sferum_orgs'), ['org_inn']) }}
)

select
    week,
    region as region_code,
    org_inn,
    sferum_org_id,
    connected_on,
    status as sferum_status,
    load_id,
    source_file
from deduped
