-- Competence-centre requests of the week with their resolution time and escalation (E1).
select
    requests.week,
    requests.region_code,
    requests.org_inn,
    requests.request_id,
    requests.channel,
    requests.category,
    requests.request_status,
    requests.escalated_to <> 'none' as is_escalated,
    case
        when requests.request_status = 'resolved' and requests.resolved_at is not null
            then cast({{ dbt.datediff('requests.received_at', 'requests.resolved_at', 'second') }} as double) / 3600
    end as hours_to_resolve
from {{ ref('stg_competence_centre__requests') }} as requests
where {{ week_in_run('requests.week') }}
