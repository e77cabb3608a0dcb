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
),

labels as (
    select * from {{ ref('ref_labels') }}
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
    region_weeks.data_status,
    -- What a person reads in the load log: Russian names, a dash where there is nothing to say.
    coalesce(regions.region_name, loads.region_code) as region_name,
    coalesce(dataset_labels.label, loads.dataset) as dataset_name,
    coalesce(status_labels.label, loads.status) as status_name,
    coalesce(loads.reason, '—') as reason_text,
    coalesce(loads.rule, '—') as rule_text
from loads
inner join region_weeks
    on loads.week = region_weeks.week and loads.region_code = region_weeks.region_code
left join consistency
    on loads.week = consistency.week and loads.region_code = consistency.region_code
left join regions
    on loads.region_code = regions.region_code
left join labels as dataset_labels
    on dataset_labels.kind = 'dataset' and loads.dataset = dataset_labels.code
left join labels as status_labels
    on status_labels.kind = 'load_status' and loads.status = status_labels.code
