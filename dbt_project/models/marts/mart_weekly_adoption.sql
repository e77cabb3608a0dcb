{{ config(incremental_strategy=mart_incremental_strategy(), partition_by=mart_partition_by(), pre_hook="{{ delete_region_rows() }}") }}
-- Adoption of ФГИС «Моя школа» and Сферум (A1–A12) with the breakdowns beside them (A1 per kind of
-- organisation, A3 pedagogical staff, A9 communities created, A11 and A12 students): one row per week, level
-- and unit, three columns per measure.
{{ indicator_mart(ref('int_indicator_values'), ['A1', 'A1:general', 'A1:vocational', 'A1:additional', 'A2', 'A3',
    'A3:pedagogical', 'A4', 'A5', 'A6', 'A7', 'A8', 'A9', 'A9:created', 'A10', 'A11', 'A11:students', 'A12', 'A12:students']) }}
