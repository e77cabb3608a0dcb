-- Organisations of the week joined across systems by ИНН: ФГИС registry + Сферум profile.
-- Flags say which denominators an organisation belongs to; a closed one (is_active = false) belongs to none.
with orgs as (
    select * from {{ ref('stg_fgis__orgs') }}
    where {{ week_in_run() }}
),

sferum as (
    select
        week,
        org_inn,
        max({{ flag("sferum_status = 'active'") }}) as has_active_profile,
        max({{ flag("sferum_status = 'inactive'") }}) as has_inactive_profile
    from {{ ref('stg_sferum__orgs') }}
    where {{ week_in_run() }}
    group by week, org_inn
)

select
    orgs.week,
    orgs.region_code,
    orgs.org_inn,
    orgs.org_id,
    orgs.org_name,
    orgs.org_kind,
    orgs.municipality_id,
    orgs.municipality_name,
    orgs.is_active,
    orgs.is_active and orgs.org_kind = 'general' as is_general_school,
    -- A1: educational organisations of general, vocational and additional education (preschool excluded).
    orgs.is_active and orgs.org_kind in ('general', 'vocational', 'additional') as is_a1_org,
    orgs.is_active and orgs.org_kind <> 'management' as is_counted_org,
    orgs.is_active and orgs.org_kind = 'management' as is_management_body,
    orgs.ejournal in ('fgis', 'regional_connected') as has_ejournal,
    orgs.official_community = 'verified' as has_verified_community,
    orgs.official_community in ('created', 'verified') as has_community,
    coalesce(sferum.has_active_profile, 0) = 1 as has_active_sferum_profile,
    coalesce(sferum.has_inactive_profile, 0) = 1 as has_inactive_sferum_profile
from orgs
left join sferum
    on orgs.week = sferum.week and orgs.org_inn = sferum.org_inn
