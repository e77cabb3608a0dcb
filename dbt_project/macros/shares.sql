{#- numerator / denominator as a share; null when there is nothing to count (never 0 / 0 = 0). -#}
{% macro share(numerator, denominator) -%}
    case when {{ denominator }} > 0 then cast({{ numerator }} as double) / {{ denominator }} end
{%- endmacro %}

{#- 1 when a boolean condition holds, else 0: sums of these are the indicators' counts. -#}
{% macro flag(condition) -%}
    case when {{ condition }} then 1 else 0 end
{%- endmacro %}
