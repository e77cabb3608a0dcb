-- Numerator and denominator of every school-level indicator, per organisation and week (wide).
-- Only active organisations count (a closed school leaves every denominator); management bodies
-- count only for A8 (int_indicators_rolled_up). Where two systems are compared (A3–A5) the numerator
-- is capped at the school's denominator, so surplus accounts in one school cannot hide another
-- school's gap; the surplus shows in C5.
{%- set without_gis = var('edumon:regions_without_gis') %}
with orgs as (
    select * from {{ ref('int_organisations_joined') }}
    where is_counted_org
),

people as (
    select * from {{ ref('int_people_counted') }}
),

chats as (
    select
        week,
        org_inn,
        count(*) as chats,
        sum({{ flag('is_teacher_chat') }}) as teacher_chats,
        sum({{ flag('is_lively') }}) as lively_teacher_chats,
        sum({{ flag('is_active_teacher_chat') }}) as active_teacher_chats
    from {{ ref('int_chats_classified') }}
    group by week, org_inn
),

classes as (
    select
        week,
        org_inn,
        count(*) as classes,
        sum({{ flag('has_class_chat_with_teacher') }}) as covered_classes
    from {{ ref('int_classes_covered') }}
    group by week, org_inn
),

students as (
    select
        week,
        org_inn,
        count(*) as students,
        -- A flag the region's export does not carry yet is null: counted in neither the numerator
        -- nor the denominator (count() skips nulls), so the share reads «нет данных», never 0.
        sum(cast(has_complete_profile as integer)) as complete_profiles,
        count(has_complete_profile) as profiles_known,
        sum({{ flag('has_portfolio_recommendations') }}) as portfolio_recommendations,
        sum({{ flag('has_individual_plan') }}) as individual_plans,
        sum(cast(has_content_access as integer)) as students_with_content,
        count(has_content_access) as content_access_known,
        {% for field in profile_fields() %}
            sum(cast(present_{{ field }} as integer)) as present_{{ field }},
            count(present_{{ field }}) as known_{{ field }},
        {% endfor %}
        sum({{ flag('enrolment_due') }}) + sum({{ flag('fitness_due') }}) as entries_due,
        sum({{ flag('enrolment_timely') }}) + sum({{ flag('fitness_timely') }}) as entries_timely,
        sum({{ flag('is_in_two_schools') }}) as students_in_two_schools
    from {{ ref('int_students_profiled') }}
    group by week, org_inn
),

exchanges as (
    select * from {{ ref('int_exchanges_windowed') }}
),

joined as (
    select
        orgs.week,
        orgs.org_inn,
        {{ flag('orgs.is_general_school') }} as general_school,
        {{ flag('orgs.is_a1_org') }} as a1_org,
        {{ flag("orgs.org_kind = 'vocational'") }} as vocational_org,
        {{ flag("orgs.org_kind = 'additional'") }} as additional_org,
        {{ flag('orgs.has_community') }} as has_community,
        orgs.region_code in ('{{ without_gis | join("', '") }}') as region_without_gis,
        {{ flag('orgs.has_active_sferum_profile') }} as has_sferum_profile,
        {{ flag('orgs.has_inactive_sferum_profile') }} as has_inactive_sferum_profile,
        {{ flag('orgs.has_ejournal') }} as has_ejournal,
        {{ flag('orgs.has_verified_community') }} as has_verified_community,
        {{ flag('exchanges.successful_exchanges > 0') }} as region_exchanged,
        {{ flag('exchanges.region_code is not null') }} as region_reported_exchanges,
        coalesce(people.gis_students, 0) as gis_students,
        coalesce(people.gis_staff, 0) as gis_staff,
        coalesce(people.gis_teachers, 0) as gis_teachers,
        coalesce(people.gis_teachers_with_content, 0) as gis_teachers_with_content,
        coalesce(people.fgis_users, 0) as fgis_users,
        coalesce(people.fgis_students, 0) as fgis_students,
        coalesce(people.fgis_teachers, 0) as fgis_teachers,
        coalesce(people.fgis_inactive_users, 0) as fgis_inactive_users,
        coalesce(people.fgis_teachers_logged_in_week, 0) as fgis_teachers_logged_in_week,
        coalesce(people.fgis_students_logged_in_week, 0) as fgis_students_logged_in_week,
        coalesce(people.sferum_staff_activated, 0) as sferum_staff_activated,
        coalesce(people.content_teachers, 0) as content_teachers,
        coalesce(people.content_students, 0) as content_students,
        coalesce(people.sferum_students, 0) as sferum_students,
        coalesce(people.sferum_teachers, 0) as sferum_teachers,
        coalesce(people.sferum_teachers_activated, 0) as sferum_teachers_activated,
        coalesce(people.sferum_teachers_active_in_week, 0) as sferum_teachers_active_in_week,
        coalesce(people.sferum_students_active_in_window, 0) as sferum_students_active_in_window,
        coalesce(chats.chats, 0) as chats,
        coalesce(chats.teacher_chats, 0) as teacher_chats,
        coalesce(chats.lively_teacher_chats, 0) as lively_teacher_chats,
        coalesce(chats.active_teacher_chats, 0) as active_teacher_chats,
        coalesce(classes.classes, 0) as classes,
        coalesce(classes.covered_classes, 0) as covered_classes,
        coalesce(students.students, 0) as students,
        coalesce(students.complete_profiles, 0) as complete_profiles,
        coalesce(students.profiles_known, 0) as profiles_known,
        coalesce(students.portfolio_recommendations, 0) as portfolio_recommendations,
        coalesce(students.individual_plans, 0) as individual_plans,
        coalesce(students.students_with_content, 0) as students_with_content,
        coalesce(students.content_access_known, 0) as content_access_known,
        {% for field in profile_fields() %}
            coalesce(students.present_{{ field }}, 0) as present_{{ field }},
            coalesce(students.known_{{ field }}, 0) as known_{{ field }},
        {% endfor %}
        coalesce(students.entries_due, 0) as entries_due,
        coalesce(students.entries_timely, 0) as entries_timely,
        coalesce(students.students_in_two_schools, 0) as students_in_two_schools
    from orgs
    left join people on orgs.week = people.week and orgs.org_inn = people.org_inn
    left join chats on orgs.week = chats.week and orgs.org_inn = chats.org_inn
    left join classes on orgs.week = classes.week and orgs.org_inn = classes.org_inn
    left join students on orgs.week = students.week and orgs.org_inn = students.org_inn
    left join exchanges on orgs.week = exchanges.week and orgs.region_code = exchanges.region_code
)

select
    week,
    org_inn,
    -- A1 over general, vocational and additional education (preschool excluded), and per kind.
    a1_org * has_sferum_profile as a1_numerator,
    a1_org as a1_denominator,
    {% for kind, column in [('general', 'general_school'), ('vocational', 'vocational_org'), ('additional', 'additional_org')] %}
        {{ column }} * has_sferum_profile as a1_{{ kind }}_numerator,
        {{ column }} as a1_{{ kind }}_denominator,
    {% endfor %}
    general_school * {{ flag('active_teacher_chats >= ' ~ var('edumon:using_org_min_active_chats')) }} as a2_numerator,
    general_school as a2_denominator,
    -- A3: all staff (seed 003 p.1.2), the pedagogical staff's share beside it.
    least(sferum_staff_activated, gis_staff) as a3_numerator,
    gis_staff as a3_denominator,
    least(sferum_teachers_activated, gis_teachers) as a3_pedagogical_numerator,
    gis_teachers as a3_pedagogical_denominator,
    least(sferum_teachers_active_in_week, gis_teachers) as a4_numerator,
    gis_teachers as a4_denominator,
    least(sferum_students_active_in_window, gis_students) as a5_numerator,
    gis_students as a5_denominator,
    -- A6 counts the organisation's own inactive Сферум profile and its inactive ФГИС users.
    has_inactive_sferum_profile + fgis_inactive_users as a6_numerator,
    1 + fgis_users as a6_denominator,
    general_school * has_ejournal as a7_numerator,
    general_school as a7_denominator,
    has_verified_community as a9_numerator,
    1 as a9_denominator,
    has_community as a9_created_numerator,
    1 as a9_created_denominator,
    region_exchanged as a10_numerator,
    region_reported_exchanges as a10_denominator, -- 0 without an exchange file: «нет данных», not 0 %
    -- A11: teachers who used verified ФГИС content / pedagogical staff of the ГИС (in a region without
    -- a ГИС: teachers registered in ФГИС, SPEC); students likewise beside it. Capped like A3–A5.
    least(content_teachers, case when region_without_gis then fgis_teachers else gis_teachers end) as a11_numerator,
    case when region_without_gis then fgis_teachers else gis_teachers end as a11_denominator,
    least(content_students, case when region_without_gis then fgis_students else gis_students end)
        as a11_students_numerator,
    case when region_without_gis then fgis_students else gis_students end as a11_students_denominator,
    -- A12: ФГИС logins in the week / registered in ФГИС, teachers and students (students beside).
    fgis_teachers_logged_in_week + fgis_students_logged_in_week as a12_numerator,
    fgis_teachers + fgis_students as a12_denominator,
    fgis_students_logged_in_week as a12_students_numerator,
    fgis_students as a12_students_denominator,
    teacher_chats as b1_numerator,
    chats as b1_denominator,
    lively_teacher_chats as b2_numerator,
    teacher_chats as b2_denominator,
    covered_classes as b3_numerator,
    classes as b3_denominator,
    complete_profiles as c1_numerator,
    profiles_known as c1_denominator,
    portfolio_recommendations as c2_numerator,
    students as c2_denominator,
    individual_plans as c2_individual_plan_numerator,
    students as c2_individual_plan_denominator,
    {% for field in profile_fields() %}present_{{ field }}{{ " + " if not loop.last }}{% endfor %} as c3_numerator,
    {% for field in profile_fields() %}known_{{ field }}{{ " + " if not loop.last }}{% endfor %} as c3_denominator,
    {% for field in profile_fields() %}
        present_{{ field }} as c3_{{ field }}_numerator,
        known_{{ field }} as c3_{{ field }}_denominator,
    {% endfor %}
    entries_timely as c4_numerator,
    entries_due as c4_denominator,
    -- C5: students and teachers counted in ГИС, ФГИС and Сферум differ by at most the tolerance
    -- (relative to the largest count), and no student of the school is also in another school.
    {{ flag(
        '(greatest(gis_students, fgis_students, sferum_students) - least(gis_students, fgis_students, sferum_students))'
        ~ ' <= ' ~ var('edumon:consistency_tolerance') ~ ' * greatest(gis_students, fgis_students, sferum_students)'
        ~ ' and (greatest(gis_teachers, fgis_teachers, sferum_teachers) - least(gis_teachers, fgis_teachers, sferum_teachers))'
        ~ ' <= ' ~ var('edumon:consistency_tolerance') ~ ' * greatest(gis_teachers, fgis_teachers, sferum_teachers)'
        ~ ' and students_in_two_schools = 0'
        ~ ' and not region_without_gis'
    ) }} as c5_numerator,
    -- A region without a ГИС has no ГИС count to compare: C5 «нет ГИС» there (0 / 0), not «inconsistent».
    case when region_without_gis then 0 else 1 end as c5_denominator,
    gis_teachers_with_content as c6_numerator,
    gis_teachers as c6_denominator,
    students_with_content as c7_numerator,
    content_access_known as c7_denominator
from joined
