{#- Text of a group's values joined in a fixed order (dbt.listagg ignores `order by` on Spark: the
    parts came out in the order Spark's tasks read them). -#}
{% macro ordered_listagg(measure, delimiter_text, order_by) -%}
    {{ return(adapter.dispatch('ordered_listagg', 'edumon')(measure, delimiter_text, order_by)) }}
{%- endmacro %}

{% macro default__ordered_listagg(measure, delimiter_text, order_by) -%}
    string_agg({{ measure }}, {{ delimiter_text }} order by {{ order_by }})
{%- endmacro %}

{#- collect_list skips nulls and an empty array joins to '': null then, as DuckDB's string_agg. -#}
{% macro spark__ordered_listagg(measure, delimiter_text, order_by) -%}
    nullif(array_join(transform(
        array_sort(collect_list(named_struct('sort_key', {{ order_by }}, 'part', {{ measure }}))),
        item -> item.part
    ), {{ delimiter_text }}), '')
{%- endmacro %}

{#- Does a list / array contain a value. -#}
{% macro list_has(list_expression, value) -%}
    {{ return(adapter.dispatch('list_has', 'edumon')(list_expression, value)) }}
{%- endmacro %}

{% macro default__list_has(list_expression, value) -%}
    list_contains({{ list_expression }}, {{ value }})
{%- endmacro %}

{% macro spark__list_has(list_expression, value) -%}
    array_contains({{ list_expression }}, {{ value }})
{%- endmacro %}

{#- The number of elements of a list / array. -#}
{% macro list_size(list_expression) -%}
    {{ return(adapter.dispatch('list_size', 'edumon')(list_expression)) }}
{%- endmacro %}

{% macro default__list_size(list_expression) -%}
    len({{ list_expression }})
{%- endmacro %}

{% macro spark__list_size(list_expression) -%}
    size({{ list_expression }})
{%- endmacro %}

{#- A group's distinct values as a sorted list / array. -#}
{% macro sorted_distinct_list(expression) -%}
    {{ return(adapter.dispatch('sorted_distinct_list', 'edumon')(expression)) }}
{%- endmacro %}

{% macro default__sorted_distinct_list(expression) -%}
    list_sort(list_distinct(list({{ expression }})))
{%- endmacro %}

{% macro spark__sorted_distinct_list(expression) -%}
    array_sort(collect_set({{ expression }}))
{%- endmacro %}
