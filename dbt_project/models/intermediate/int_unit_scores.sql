-- Rating score per unit and week (D1 for regions, D2 for municipalities and schools):
-- Σ weight × share over orchestration.yaml rating.weights; an indicator without data counts as 0.
with shares as (
    select
        week,
        level,
        unit_id,
        measure,
        {{ share('numerator', 'denominator') }} as share_value
    from {{ ref('int_indicators_rolled_up') }}
    where level in ('school', 'municipality', 'region')
)

select
    week,
    level,
    unit_id,
    -- Rounded to 6 decimals so floating-point noise never reorders equal scores.
    round(sum(
        case measure
            {% for indicator, weight in var('edumon:rating_weights').items() %}
                when '{{ indicator }}' then {{ weight }} * coalesce(share_value, 0)
            {% endfor %}
            else 0
        end
    ), 6) as score
from shares
group by week, level, unit_id
