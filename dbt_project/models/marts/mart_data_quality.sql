{{ config(incremental_strategy=mart_incremental_strategy(), partition_by=mart_partition_by(), pre_hook="{{ delete_region_rows() }}") }}
-- Data quality of the deliveries: one row per week, region and dataset with the partition's current
-- load state (loaded / replaced / rejected / missing …, reason, gate rule) and the region-week's
-- timeliness, completeness and consistency shares.
with loads as (
    select * from {{ ref('int_loads_current') }}
    where {{ region_in_run('region_code') }}
),

region_weeks as (
    select * from {{ ref('int_region_weeks_assessed') }}
),

consistency as (
    select week, unit_id as region_code, numerator, denominator, value
    from {{ ref('int_indicator_values') }}
    where level = 'region' and measure = 'C5'
),

regions as (
    select * from {{ ref('ref_regions') }}
)

select
    loads.week,
    'region' as level,
    loads.region_code as unit_id,
    coalesce(regions.region_name, loads.region_code) as unit_name,
    'RU' as parent_id,
    loads.region_code,
    loads.dataset,
    loads.status,
    loads.reason,
    loads.rule,
    loads.row_count as rows,
    loads.source_file,
    loads.sha256,
    loads.checked_at,
    loads.report_path,
    loads.is_loaded,
    loads.is_on_time,
    region_weeks.timeliness_share,
    region_weeks.completeness_share,
    consistency.value as consistency_share,
    region_weeks.data_status
from loads
inner join region_weeks
    on loads.week = region_weeks.week and loads.region_code = region_weeks.region_code
left join consistency
    on loads.week = consistency.week and loads.region_code = consistency.region_code
left join regions
    on loads.region_code = regions.region_code
