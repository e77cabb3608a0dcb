-- People per organisation and week, counted in each system: ГИС students and staff, ФГИС and Сферум
-- accounts. Snapshot datasets: the state at the end of the week.
with weeks as (
    select * from {{ ref('int_weeks') }}
    where {{ week_in_run() }}
),

gis_students as (
    select week, org_inn, count(*) as gis_students
    from {{ ref('stg_gis__students') }}
    where {{ week_in_run() }}
    group by week, org_inn
),

gis_staff as (
    select
        week,
        org_inn,
        count(*) as gis_staff,
        sum({{ flag("is_pedagogical") }}) as gis_teachers,
        sum({{ flag("is_pedagogical and has_content_access") }}) as gis_teachers_with_content
    from {{ ref('stg_gis__staff') }}
    where {{ week_in_run() }}
    group by week, org_inn
),

fgis_users as (
    select
        users.week,
        users.org_inn,
        count(*) as fgis_users,
        sum({{ flag("users.role = 'student'") }}) as fgis_students,
        sum({{ flag("users.role = 'teacher'") }}) as fgis_teachers,
        sum({{ flag("users.profile_status = 'inactive'") }}) as fgis_inactive_users,
        -- A12: a ФГИС login (last_login_on) inside the week.
        sum({{ flag("users.role = 'teacher' and users.last_login_on between weeks.week_start and weeks.week_end") }})
            as fgis_teachers_logged_in_week,
        sum({{ flag("users.role = 'student' and users.last_login_on between weeks.week_start and weeks.week_end") }})
            as fgis_students_logged_in_week
    from {{ ref('stg_fgis__users') }} as users
    inner join weeks on users.week = weeks.week
    group by users.week, users.org_inn
),

sferum_users as (
    select
        users.week,
        users.org_inn,
        sum({{ flag("users.role = 'student'") }}) as sferum_students,
        sum({{ flag("users.role = 'teacher'") }}) as sferum_teachers,
        sum({{ flag("users.role = 'teacher' and users.is_activated") }}) as sferum_teachers_activated,
        -- A3: staff accounts (teachers and administration) registered and activated.
        sum({{ flag("users.role in ('teacher', 'admin') and users.is_activated") }}) as sferum_staff_activated,
        sum({{ flag("users.role = 'teacher' and users.last_active_on between weeks.week_start and weeks.week_end") }})
            as sferum_teachers_active_in_week,
        -- A5: active within the window ending on the week's Sunday: Sunday − 365 days is inside.
        sum({{ flag("users.role = 'student' and users.last_active_on <= weeks.week_end and users.last_active_on >= " ~ add_days('weeks.week_end', -1 * var('edumon:student_active_window_days')) ~ "") }})
            as sferum_students_active_in_window
    from {{ ref('stg_sferum__users') }} as users
    inner join weeks on users.week = weeks.week
    group by users.week, users.org_inn
),

content as (
    -- A11: users of verified ФГИС content in the week. `users` is distinct per content kind, so the
    -- largest kind is a lower bound of the distinct users (a teacher of two kinds counts once).
    select
        week,
        org_inn,
        max(case when role = 'teacher' then users end) as content_teachers,
        max(case when role = 'student' then users end) as content_students
    from {{ ref('stg_fgis__content') }}
    where {{ week_in_run() }}
    group by week, org_inn
),

keys as (
    select week, org_inn from gis_students
    union
    select week, org_inn from gis_staff
    union
    select week, org_inn from fgis_users
    union
    select week, org_inn from sferum_users
    union
    select week, org_inn from content
)

select
    keys.week,
    keys.org_inn,
    coalesce(gis_students.gis_students, 0) as gis_students,
    coalesce(gis_staff.gis_staff, 0) as gis_staff,
    coalesce(gis_staff.gis_teachers, 0) as gis_teachers,
    coalesce(gis_staff.gis_teachers_with_content, 0) as gis_teachers_with_content,
    coalesce(fgis_users.fgis_users, 0) as fgis_users,
    coalesce(fgis_users.fgis_students, 0) as fgis_students,
    coalesce(fgis_users.fgis_teachers, 0) as fgis_teachers,
    coalesce(fgis_users.fgis_inactive_users, 0) as fgis_inactive_users,
    coalesce(fgis_users.fgis_teachers_logged_in_week, 0) as fgis_teachers_logged_in_week,
    coalesce(fgis_users.fgis_students_logged_in_week, 0) as fgis_students_logged_in_week,
    coalesce(sferum_users.sferum_students, 0) as sferum_students,
    coalesce(sferum_users.sferum_teachers, 0) as sferum_teachers,
    coalesce(sferum_users.sferum_teachers_activated, 0) as sferum_teachers_activated,
    coalesce(sferum_users.sferum_staff_activated, 0) as sferum_staff_activated,
    coalesce(sferum_users.sferum_teachers_active_in_week, 0) as sferum_teachers_active_in_week,
    coalesce(sferum_users.sferum_students_active_in_window, 0) as sferum_students_active_in_window,
    coalesce(content.content_teachers, 0) as content_teachers,
    coalesce(content.content_students, 0) as content_students
from keys
left join gis_students on keys.week = gis_students.week and keys.org_inn = gis_students.org_inn
left join gis_staff on keys.week = gis_staff.week and keys.org_inn = gis_staff.org_inn
left join fgis_users on keys.week = fgis_users.week and keys.org_inn = fgis_users.org_inn
left join sferum_users on keys.week = sferum_users.week and keys.org_inn = sferum_users.org_inn
left join content on keys.week = content.week and keys.org_inn = content.org_inn
