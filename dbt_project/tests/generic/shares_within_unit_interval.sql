{#- Every share column lies in [0, 1] (null allowed: nothing to count), all of a model's shares in one
    scan. A failing row names its columns out of range (share_columns). -#}
{% test shares_within_unit_interval(model, columns, where_unit=none) %}
select
    concat_ws(', '
    {%- for column in columns %},
        case when {{ column }} < 0 or {{ column }} > 1 then '{{ column }}' end
    {%- endfor %}
    ) as share_columns,
    *
from {{ model }}
where (
    {%- for column in columns %}
    {% if not loop.first %}or {% endif %}{{ column }} < 0 or {{ column }} > 1
    {%- endfor %}
)
{%- if where_unit %}
    and {{ where_unit }}
{%- endif %}
{% endtest %}
