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
    -- The log writes UTC with an offset; the week bounds and deadlines are Moscow wall clock.
    {{ moscow_timestamp('checked_at') }} as checked_at,
    report as report_path
from {{ source('lake_meta', 'load_log') }}
