{#- Layers land in schemas named exactly as configured (staging, intermediate, marts, reference),
    not dbt's default «<target schema>_<custom>», so publish and readers use stable names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
