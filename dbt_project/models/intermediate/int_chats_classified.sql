-- Сферум chats of the week with the flags of the chat indicators (B1–B3, A2). Activity datasets:
-- what happened inside the week.
select
    week,
    org_inn,
    chat_id,
    chat_kind,
    class_label,
    messages_in_week,
    creator_role = 'teacher' as is_teacher_chat,
    creator_role = 'teacher' and messages_in_week >= {{ var('edumon:lively_chat_min_messages') }} as is_lively,
    creator_role = 'teacher' and messages_in_week >= {{ var('edumon:using_org_chat_min_messages') }}
        as is_active_teacher_chat,
    chat_kind = 'class' and class_label is not null and coalesce(has_class_teacher, false)
        as is_class_chat_with_teacher
from {{ ref('stg_sferum__chats') }}
where {{ week_in_run() }}
