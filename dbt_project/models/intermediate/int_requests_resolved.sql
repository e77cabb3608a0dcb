-- Competence-centre requests of the week with their resolution time, escalation and deadline (E1).
-- The deadline (edumon:request_deadline_hours) is an edumon default: no seed fixes one.
with weeks as (
    select * from {{ ref('int_weeks') }}
),

requests as (
    select
        requests.week,
        requests.region_code,
        requests.org_inn,
        requests.request_id,
        requests.channel,
        requests.category,
        requests.request_status,
        requests.received_at,
        requests.escalated_to <> 'none' as is_escalated,
        case
            when requests.request_status = 'resolved' and requests.resolved_at is not null
                then cast({{ dbt.datediff('requests.received_at', 'requests.resolved_at', 'second') }} as double) / 3600
        end as hours_to_resolve,
        -- Hours from receipt to the end of the week (Sunday 24:00): how long an open request has waited.
        cast({{ dbt.datediff('requests.received_at', 'cast(' ~ add_days('weeks.week_end', 1) ~ ' as timestamp)', 'second') }} as double)
        / 3600 as hours_open_at_week_end
    from {{ ref('stg_competence_centre__requests') }} as requests
    inner join weeks on requests.week = weeks.week
    where {{ week_in_run('requests.week') }}
)

select
    week,
    region_code,
    org_inn,
    request_id,
    channel,
    category,
    request_status,
    is_escalated,
    hours_to_resolve,
    coalesce(hours_to_resolve <= {{ var('edumon:request_deadline_hours') }}, false) as is_resolved_in_time,
    request_status in ('open', 'in_progress')
    and hours_open_at_week_end > {{ var('edumon:request_deadline_hours') }} as is_open_past_deadline
from requests
