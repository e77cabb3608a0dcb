{#- A count never exceeds the population it is counted in: numerator ≤ denominator, both ≥ 0. -#}
{% test numerator_within_denominator(model, numerator, denominator, where=none) %}
select *
from {{ model }}
where ({{ numerator }} > {{ denominator }} or {{ numerator }} < 0 or {{ denominator }} < 0)
    {% if where %}and {{ where }}{% endif %}
{% endtest %}
