-- Classes of the week (from the ГИС student list) and whether each has a class chat in Сферум that
-- includes the class teacher (B3).
with classes as (
    select distinct week, org_inn, class_label
    from {{ ref('stg_gis__students') }}
    where {{ week_in_run() }} and class_label is not null
),

covered as (
    select distinct week, org_inn, class_label
    from {{ ref('int_chats_classified') }}
    where is_class_chat_with_teacher
)

select
    classes.week,
    classes.org_inn,
    classes.class_label,
    covered.class_label is not null as has_class_chat_with_teacher
from classes
left join covered
    on
        classes.week = covered.week
        and classes.org_inn = covered.org_inn
        and classes.class_label = covered.class_label
