{{ config(incremental_strategy=mart_incremental_strategy(), partition_by=mart_partition_by(), pre_hook="{{ delete_region_rows() }}") }}
-- Teachers' chats in Сферум (B1–B3): one row per week, level and unit, three columns per indicator.
{{ indicator_mart(ref('int_indicator_values'), ['B1', 'B2', 'B3']) }}
