-- Verified content of the ФГИС «Моя школа» library used in the week (A11), one row per week,
-- organisation, role and content kind.
with deduped as (
    {{ dedupe_latest(source('fgis', 'fgis_content'), ['org_inn', 'role', 'content_kind']) }}
)

select
    week,
    region as region_code,
    org_inn,
    role,
    content_kind,
    launches,
    users,
    load_id,
    source_file
from deduped
