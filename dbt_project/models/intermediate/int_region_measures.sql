{{ config(incremental_strategy=mart_incremental_strategy(), partition_by=mart_partition_by(), pre_hook="{{ delete_region_rows() }}") }}
-- Every summed measure per region and week: the sums of the region's schools (and, for A8, of its
-- municipalities). Kept for every region and week so a region run, which recomputes one region,
-- still sums the country from every region (int_indicators_rolled_up); a run replaces only its
-- weeks (and region).
select
    week,
    region_code,
    measure,
    sum(numerator) as numerator,
    sum(denominator) as denominator
from {{ ref('int_school_measures') }}
group by week, region_code, measure
