-- Students of the week with their digital-profile flags: C1 (all required fields), C2 (recommendations
-- on a portfolio, individual plan), C7 (content access),
-- C3 (each field, from stg_gis__students), C4 (timeliness) and C5 (the same СНИЛС in two schools).
with weeks as (
    select * from {{ ref('int_weeks') }}
),

first_seen as (
    -- First appearance of each student and of each region's student list, over the whole lake
    -- (int_students_first_seen keeps it): a student new in the week was entered since the previous
    -- snapshot; in the region's first delivered week everyone is new. A region run looks up its own
    -- students only (their rows of every region still count): aggregating the whole country's
    -- history for one region was the costliest node of a region backfill (docs/performance.md).
    select student_id, min(first_seen_week) as first_seen_week
    from {{ ref('int_students_first_seen') }}
    {% if is_region_run() -%}
        where student_id in (select student_id from {{ ref('stg_gis__students') }})
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
        first_seen.first_seen_week,
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
    students.first_seen_week = students.week and students.region_first_week < students.week as enrolment_due,
    students.first_seen_week = students.week
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
