{{ config(incremental_strategy=mart_incremental_strategy(), pre_hook="{{ delete_region_rows() }}") }}
-- Adoption of ФГИС «Моя школа» and Сферум (A1–A10): one row per week, level and unit, three columns per indicator.
{{ indicator_mart(ref('int_indicator_values'), ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8', 'A9', 'A10']) }}
