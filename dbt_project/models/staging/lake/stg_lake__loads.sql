-- The load log, typed: one row per load attempt (not deduped: every attempt is history).
select
    load_id,
    dataset,
    region as region_code,
    week,
    source_file,
    sha256,
    rows as row_count,
    status,
    reason,
    rule,
    -- Moscow wall clock as written; an offset suffix, if present, is dropped.
    try_cast(replace(substr(checked_at, 1, 19), 'T', ' ') as timestamp) as checked_at,
    report as report_path
from {{ source('lake_meta', 'load_log') }}
