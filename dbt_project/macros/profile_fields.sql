{#- The student profile fields of seed 001 / seed 004 appendix 3 whose presence stg_gis__students
    exposes as present_<field> (C3 fill rates). C1 requires the subset edumon:required_profile_fields. -#}
{% macro profile_fields() -%}
    {{ return(['class_label', 'fio', 'birth_date', 'native_language', 'sex', 'citizenship', 'phone', 'email',
               'snils', 'inn_person', 'personal_file_no', 'education_form', 'id_document',
               'registration_address', 'actual_address', 'birthplace', 'enrolled_on', 'login']) }}
{%- endmacro %}

{#- All required fields present and valid (C1); an entry «phone|email» needs one of its alternatives.
    A required field without a present_ column stops the build: configuration names a field the
    warehouse cannot see. A field the region's export does not carry yet (contract `since`) is null,
    so the result is null («нет данных»), never false. -#}
{% macro all_required_fields_present(alias) -%}
    {%- set required = var("edumon:required_profile_fields") -%}
    {%- for entry in required -%}
        {%- for field in entry.split('|') -%}
            {%- if field not in profile_fields() -%}
                {{ exceptions.raise_compiler_error("edumon:required_profile_fields names '" ~ field ~ "', which is not a profile field of stg_gis__students: " ~ profile_fields() | join(', ')) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    ({% for entry in required %}({% for field in entry.split('|') %}{{ alias }}.present_{{ field }}{{ " or " if not loop.last }}{% endfor %}){{ " and " if not loop.last }}{% endfor %})
{%- endmacro %}
