-- Requests (обращения) to the regional competence centre, one row per week and request_id. Every
-- region even in a region run: the country's E1 median needs all requests (a few hundred a region).
with deduped as (
    {{ dedupe_latest(source('competence_centre', 'cc_requests'), ['request_id'], partitions={'all_regions': true}) }}
)

select
    week,
    region as region_code,
    request_id,
    org_inn,
    received_at,
    channel,
    category,
    status as request_status,
    resolved_at,
    escalated_to,
    load_id,
    source_file
from deduped
