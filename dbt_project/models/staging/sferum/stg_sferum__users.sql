-- Сферум accounts (pseudonymous), one row per week and user_key.
with deduped as (
    {{ dedupe_latest(source('sferum', 'sferum_users'), ['user_key']) }}
)

select
    week,
    region as region_code,
    user_key,
    org_inn,
    role,
    registered_on,
    activated as is_activated,
    last_active_on,
    load_id,
    source_file
from deduped
