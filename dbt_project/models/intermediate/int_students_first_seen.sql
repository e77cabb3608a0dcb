{{ config(incremental_strategy=first_seen_incremental_strategy(), partition_by=first_seen_partition_by()) }}
-- The first week each student appeared in each region's ГИС student list, over the whole lake (C4:
-- a student is new in the week they first appear). Kept incrementally so a week's build never scans
-- the history: the first build (or --full-refresh) reads every week once; later runs read only the
-- run's partitions and write the students new to the table or seen earlier than recorded (a
-- backfill of an older week). Raw lake rows, not deduped: a student listed in two regions in one
-- week counts as seen in both. A student removed from an old week by a corrected file keeps its
-- recorded week until a --full-refresh.
with seen as (
    select
        student_id,
        region as region_code,
        min(week) as first_seen_week
    from {{ source('gis', 'gis_students') }}
    {% if is_incremental() %}
        where {{ lake_partitions_in_run() }}
    {% endif %}
    group by student_id, region
)

{{ first_seen_rows('seen') }}
