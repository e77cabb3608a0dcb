{#- The student profile fields of seed 001 / seed 004 appendix 3 whose presence stg_gis__students
    exposes as present_<field> (C3 fill rates). C1 requires the subset edumon:required_profile_fields. -#}
{% macro profile_fields() -%}
    {{ return(['class_label', 'fio', 'birth_date', 'native_language', 'sex', 'citizenship', 'phone', 'email',
               'snils', 'inn_person', 'personal_file_no', 'education_form', 'id_document',
               'registration_address', 'actual_address', 'birthplace', 'enrolled_on']) }}
{%- endmacro %}

{#- All required fields present and valid (C1). A required field without a present_ column stops
    the build: configuration names a field the warehouse cannot see. -#}
{% macro all_required_fields_present(alias) -%}
    {%- set required = var("edumon:required_profile_fields") -%}
    {%- for field in required -%}
        {%- if field not in profile_fields() -%}
            {{ exceptions.raise_compiler_error("edumon:required_profile_fields names '" ~ field ~ "', which is not a profile field of stg_gis__students: " ~ profile_fields() | join(', ')) }}
        {%- endif -%}
    {%- endfor -%}
    ({% for field in required %}{{ alias }}.present_{{ field }}{{ " and " if not loop.last }}{% endfor %})
{%- endmacro %}
