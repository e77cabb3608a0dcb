-- Students of the regional ГИС at the end of the week, one row per week and student_id. A student
-- listed twice in a week (moved school) keeps the row with the latest enrolment: the end-of-week school.
-- present_<field>: the profile field is filled and valid (personal data only as the ingest's flag).
-- The СНИЛС hash itself is not kept: its one use (C5, one person in two schools) needs only how many
-- schools of the week list it, counted here over the deduped rows (64 incompressible characters a
-- row made the hash the costliest column of this table to write, docs/performance.md).
with deduped as (
    {{ dedupe_latest(source('gis', 'gis_students'), ['student_id'], 'rows_.enrolled_on desc nulls last') }}
),

-- Counting distinct schools per 64-character hash over every row was a third of this model's time on
-- the country. A hash whose rows all name one school counts 1, so only the hashes whose rows differ
-- are counted exactly, found by a group on a 64-bit digest of the hash: a digest collision merely
-- makes two hashes candidates, each still counted by its own text.
snils_candidates as (
    select week, hash(snils_hash) as snils_digest
    from deduped
    where snils_hash is not null
    group by week, hash(snils_hash)
    having min(org_inn) is distinct from max(org_inn) or min(org_inn) is null
),

snils_schools as (
    select deduped.week, deduped.snils_hash, count(distinct deduped.org_inn) as schools
    from deduped
    inner join snils_candidates
        on deduped.week = snils_candidates.week and hash(deduped.snils_hash) = snils_candidates.snils_digest
    where deduped.snils_hash is not null
    group by deduped.week, deduped.snils_hash
)

select
    deduped.week,
    deduped.region as region_code,
    deduped.student_id,
    deduped.org_inn,
    deduped.class_label,
    case when deduped.snils_hash is not null then coalesce(snils_schools.schools, 1) end as snils_hash_schools,
    native_language,
    sex,
    citizenship,
    education_form,
    has_performance,
    has_gia_results,
    has_physical,
    achievements,
    portfolio_docs,
    has_individual_plan,
    has_recommendations,
    -- Contract fields since 2026-W46: null while the region's export does not carry them («нет данных»).
    has_content_access,
    enrolled_on,
    class_label is not null as present_class_label,
    coalesce(has_fio, false) as present_fio,
    coalesce(has_birth_date, false) as present_birth_date,
    native_language is not null as present_native_language,
    sex is not null as present_sex,
    citizenship is not null as present_citizenship,
    coalesce(has_phone, false) as present_phone,
    coalesce(has_email, false) as present_email,
    coalesce(has_snils, false) as present_snils,
    coalesce(has_inn_person, false) as present_inn_person,
    coalesce(has_personal_file_no, false) as present_personal_file_no,
    education_form is not null as present_education_form,
    coalesce(has_id_document, false) as present_id_document,
    coalesce(has_registration_address, false) as present_registration_address,
    coalesce(has_actual_address, false) as present_actual_address,
    coalesce(has_birthplace, false) as present_birthplace,
    enrolled_on is not null as present_enrolled_on,
    has_login as present_login,
    load_id,
    source_file
from deduped
left join snils_schools
    on deduped.week = snils_schools.week and deduped.snils_hash = snils_schools.snils_hash
