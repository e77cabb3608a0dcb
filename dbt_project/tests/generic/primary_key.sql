{#- The columns are filled and together identify one row (the model's grain): the uniqueness and the
    not-null of every key column in one query. A failing row is a key that repeats (rows_with_key > 1)
    or has an empty column. `nullable` names key columns empty by design in some rows (they still
    take part in the uniqueness). -#}
{% test primary_key(model, columns, nullable=[]) %}
select {{ columns | join(', ') }}, count(*) as rows_with_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{%- for column in columns if column not in nullable %}
    or {{ column }} is null
{%- endfor %}
{% endtest %}
