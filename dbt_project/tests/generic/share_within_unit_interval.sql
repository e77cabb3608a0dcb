{#- A share column lies in [0, 1] (null allowed: nothing to count). -#}
{% test share_within_unit_interval(model, column_name, where_unit=none) %}
select *
from {{ model }}
where {{ column_name }} is not null
    and ({{ column_name }} < 0 or {{ column_name }} > 1)
    {% if where_unit %}and {{ where_unit }}{% endif %}
{% endtest %}
