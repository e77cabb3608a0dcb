-- ФГИС organisations, one row per week and org_id (the latest load wins).
with deduped as (
    {{ dedupe_latest(source('fgis', 'fgis_orgs'), ['org_id']) }}
)

select
    week,
    region as region_code,
    org_id,
    inn as org_inn,
    ogrn,
    name as org_name,
    org_kind,
    oktmo,
    -- The municipality (district / urban okrug) is the ОКТМО's first five digits + «000».
    concat(substr(oktmo, 1, 5), '000') as municipality_id,
    municipality as municipality_name,
    is_active,
    ejournal,
    official_community,
    load_id,
    source_file
from deduped
