-- ФГИС user accounts (pseudonymous), one row per week and user_key.
with deduped as (
    {{ dedupe_latest(source('fgis', 'fgis_users'), ['user_key']) }}
)

select
    week,
    region as region_code,
    user_key,
    org_inn,
    role,
    registered_on,
    profile_status,
    last_login_on,
    load_id,
    source_file
from deduped
