-- Students of the week with their digital-profile flags: C1 (all required fields), C2 (recommendations
-- on a portfolio, individual plan), C7 (content access),
-- C3 (each field, from stg_gis__students), C4 (timeliness) and C5 (the same СНИЛС in two schools).
with weeks as (
    select * from {{ ref('int_weeks') }}
),

first_seen as (
    -- First appearance of each student and of each region's student list, over the whole lake
    -- (int_students_first_seen keeps it): a student new in the week was entered since the previous
    -- snapshot; in the region's first delivered week everyone is new. Only a student first seen in
    -- one of the run's weeks can be new in it (int_students_first_seen already holds the run's
    -- weeks), so only those are looked up, their rows of every region still counting; a region run
    -- looks up its own students only. Aggregating every student's history was the costliest join of
    -- this model on the country and of a region backfill (docs/performance.md).
    select student_id, min(first_seen_week) as first_seen_week
    from {{ ref('int_students_first_seen') }}
    where student_id in (
        select student_id from {{ ref('int_students_first_seen') }}
        where {{ week_in_run('first_seen_week') }}
    )
    {%- if is_region_run() %}
        and student_id in (select student_id from {{ ref('stg_gis__students') }})
    {%- endif %}
    group by student_id
),

region_first as (
    select region_code, min(first_seen_week) as region_first_week
    from {{ ref('int_students_first_seen') }}
    where {{ region_in_run() }}
    group by region_code
),

students as (
    select
        students.*,
        -- not looked up: first seen before the run's weeks, so not new in any of them
        coalesce(first_seen.first_seen_week = students.week, false) as is_first_week,
        region_first.region_first_week
    from {{ ref('stg_gis__students') }} as students
    left join first_seen on students.student_id = first_seen.student_id
    left join region_first on students.region_code = region_first.region_code
    where {{ week_in_run('students.week') }}
)

select
    students.week,
    students.region_code,
    students.org_inn,
    students.student_id,
    students.class_label,
    {{ all_required_fields_present('students') }} as has_complete_profile,
    -- C2 (показатель 4.2): recommendations made on the basis of a portfolio (≥ 1 document or
    -- achievement); a portfolio alone or recommendations without one count nothing.
    coalesce(students.has_recommendations, false)
    and (coalesce(students.portfolio_docs, 0) >= 1 or coalesce(students.achievements, 0) >= 1)
        as has_portfolio_recommendations,
    coalesce(students.has_individual_plan, false) as has_individual_plan,
    -- C7 (показатель 4.4): null while the region's export does not carry the field.
    students.has_content_access,
    {% for field in profile_fields() %}
        students.present_{{ field }},
    {% endfor %}
    -- C4 enrolment: due for a student new in the week (not in the region's first delivered week,
    -- where everyone is new); timely when enrolled at most timeliness_entry_days before the Sunday.
    students.is_first_week and students.region_first_week < students.week as enrolment_due,
    students.is_first_week
    and students.region_first_week < students.week
    and students.enrolled_on >= {{ add_days('weeks.week_end', -1 * var('edumon:timeliness_entry_days')) }}
        as enrolment_timely,
    -- C4 physical fitness: due for a student enrolled before the latest measurement month ended.
    coalesce(students.enrolled_on < weeks.fitness_due_since, true) as fitness_due,
    coalesce(students.enrolled_on < weeks.fitness_due_since, true) and coalesce(students.has_physical, false)
        as fitness_timely,
    -- C5: the student's СНИЛС hash is listed at another school of the week too (stg_gis__students
    -- counts the schools per hash over the week's rows).
    coalesce(students.snils_hash_schools, 1) > 1 as is_in_two_schools
from students
inner join weeks on students.week = weeks.week
