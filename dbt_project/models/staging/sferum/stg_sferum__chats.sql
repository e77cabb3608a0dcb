-- Сферум chats with their activity in the week, one row per week and chat_id.
with deduped as (
    {{ dedupe_latest(source('sferum', 'sferum_chats'), ['chat_id']) }}
)

select
    week,
    region as region_code,
    chat_id,
    org_inn,
    chat_kind,
    class_label,
    creator_role,
    created_on,
    messages as messages_in_week,
    members,
    class_teacher_member as has_class_teacher,
    load_id,
    source_file
from deduped
