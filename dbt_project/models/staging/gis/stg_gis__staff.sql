-- Employees of the regional ГИС at the end of the week, one row per week and staff_id.
with deduped as (
    {{ dedupe_latest(source('gis', 'gis_staff'), ['staff_id']) }}
)

select
    week,
    region as region_code,
    staff_id,
    org_inn,
    snils_hash,
    coalesce(has_snils, false) as present_snils,
    position,
    is_pedagogical,
    hired_on,
    education,
    qualification,
    awards,
    coalesce(has_content_access, false) as has_content_access,
    load_id,
    source_file
from deduped
