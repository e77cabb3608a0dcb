-- The reporting hierarchy of each week: school (ИНН) → municipality (ОКТМО) → region → country (RU).
-- Schools are the active organisations other than management bodies.
with orgs as (
    select * from {{ ref('int_organisations_joined') }}
    where is_active
),

regions as (
    select * from {{ ref('ref_regions') }}
)

select
    week,
    'school' as level,
    org_inn as unit_id,
    org_name as unit_name,
    municipality_id as parent_id,
    region_code
from orgs
where is_counted_org

union all

select
    week,
    'municipality' as level,
    municipality_id as unit_id,
    min(municipality_name) as unit_name,
    region_code as parent_id,
    region_code
from orgs
group by week, municipality_id, region_code

union all

select
    orgs.week,
    'region' as level,
    orgs.region_code as unit_id,
    coalesce(min(regions.region_name), orgs.region_code) as unit_name,
    'RU' as parent_id,
    orgs.region_code
from orgs
left join regions on orgs.region_code = regions.region_code
group by orgs.week, orgs.region_code

union all

select distinct
    week,
    'country' as level,
    'RU' as unit_id,
    'Российская Федерация' as unit_name,
    cast(null as {{ dbt.type_string() }}) as parent_id,
    'RU' as region_code
from orgs
