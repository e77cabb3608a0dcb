-- The current state of every expected partition (week × region × dataset): its last load-log entry
-- whose status is not `unchanged`. A dataset of edumon:datasets without any entry for a region-week
-- that has others is `missing` (no gis_* dataset of a region without a ГИС). is_on_time: first accepted before the week's delivery deadline.
{%- set datasets = var('edumon:datasets') %}
with loads as (
    select * from {{ ref('stg_lake__loads') }}
    where {{ week_in_run() }}
),

ranked as (
    select
        loads.*,
        row_number() over (
            partition by week, region_code, dataset order by checked_at desc, load_id desc
        ) as attempt_rank
    from loads
    where status <> 'unchanged'
),

first_accepted as (
    select week, region_code, dataset, min(checked_at) as first_accepted_at
    from loads
    where status in ('loaded', 'replaced', 'unchanged')
    group by week, region_code, dataset
),

expected as (
    -- A region without a ГИС (edumon:regions_without_gis) is expected to send no gis_* dataset.
    select region_weeks.week, region_weeks.region_code, datasets.dataset
    from (select distinct week, region_code from loads) as region_weeks
    cross join (
        {% for dataset in datasets %}
            select '{{ dataset }}' as dataset {{ "union all" if not loop.last }}
        {% endfor %}
    ) as datasets
    where not (
        region_weeks.region_code in ('{{ var("edumon:regions_without_gis") | join("', '") }}')
        and datasets.dataset in ('{{ var("edumon:gis_datasets") | join("', '") }}')
    )
),

weeks as (
    select * from {{ ref('int_weeks') }}
)

select
    expected.week,
    expected.region_code,
    expected.dataset,
    coalesce(ranked.status, 'missing') as status,
    case when ranked.status is null then 'нет записи о файле в журнале загрузок' else ranked.reason end as reason,
    ranked.rule,
    ranked.row_count,
    ranked.source_file,
    ranked.sha256,
    ranked.checked_at,
    ranked.report_path,
    first_accepted.first_accepted_at,
    coalesce(ranked.status in ('loaded', 'replaced'), false) as is_loaded,
    coalesce(first_accepted.first_accepted_at <= weeks.delivery_deadline, false) as is_on_time
from expected
left join ranked
    on
        expected.week = ranked.week
        and expected.region_code = ranked.region_code
        and expected.dataset = ranked.dataset
        and ranked.attempt_rank = 1
left join first_accepted
    on
        expected.week = first_accepted.week
        and expected.region_code = first_accepted.region_code
        and expected.dataset = first_accepted.dataset
left join weeks on expected.week = weeks.week
