-- The partition calendar (orchestration.yaml calendar): one row per ISO week with its bounds.
select
    week,
    week_start,
    week_end,
    previous_week,
    fitness_due_since,
    delivery_deadline
from (
    values
    {{ calendar_weeks_values() }}
) as calendar_weeks (week, week_start, week_end, previous_week, fitness_due_since, delivery_deadline)
