-- Rating score per unit and week (D1 for regions, D2 for municipalities and schools), protocol
-- 18.10.2022 p.11: Σ weight × share over the weighted indicators (orchestration.yaml rating.weights)
-- that have data, divided by the weight they carry — a missing indicator's weight is spread over the
-- rest, never counted as 0. missing_weight says how much weight lacked data; missing_indicators which
-- («нет ГИС» for an indicator of the regional ГИС in a region without one). A score per section of p.11
-- (rating.sections) beside the total, computed the same way within the section.
{%- set weights = var('edumon:rating_weights') %}
{%- set sections = var('edumon:rating_sections') %}
{%- set section_of = {} %}
{%- for section in sections %}{% for indicator in section.indicators %}{% do section_of.update({indicator: section.id}) %}{% endfor %}{% endfor %}
{%- set without_gis = var('edumon:regions_without_gis') %}
{%- set gis_indicators = var('edumon:gis_indicators') %}
with units as (
    select week, level, unit_id, region_code
    from {{ ref('int_units') }}
    where level in ('school', 'municipality', 'region')
),

weights as (
    {% for indicator, weight in weights.items() %}
        select
            '{{ indicator }}' as measure,
            cast({{ weight }} as double) as weight,
            '{{ section_of[indicator] }}' as section_id,
            {{ 'true' if indicator in gis_indicators else 'false' }} as is_gis_indicator
        {{ "union all" if not loop.last }}
    {% endfor %}
),

shares as (
    select
        week,
        level,
        unit_id,
        measure,
        {{ share('numerator', 'denominator') }} as share_value
    from {{ ref('int_indicators_rolled_up') }}
    where level in ('school', 'municipality', 'region')
),

weighted as (
    select
        units.week,
        units.level,
        units.unit_id,
        weights.measure,
        weights.weight,
        weights.section_id,
        shares.share_value,
        case
            when shares.share_value is not null then null
            when weights.is_gis_indicator and units.region_code in ('{{ without_gis | join("', '") }}')
                then concat(weights.measure, ' (нет ГИС)')
            else weights.measure
        end as missing_label
    from units
    cross join weights
    left join shares
        on
            units.week = shares.week
            and units.level = shares.level
            and units.unit_id = shares.unit_id
            and weights.measure = shares.measure
)

select
    week,
    level,
    unit_id,
    -- Rounded to 6 decimals so floating-point noise never reorders equal scores.
    round(
        sum(weight * share_value) / nullif(sum(case when share_value is not null then weight end), 0), 6
    ) as score,
    round(coalesce(sum(case when share_value is null then weight end), 0), 6) as missing_weight,
    {{ ordered_listagg('missing_label', "', '", 'missing_label') }} as missing_indicators,
    {% for section in sections if section.indicators %}
        round(
            sum(case when section_id = '{{ section.id }}' then weight * share_value end)
            / nullif(sum(case when section_id = '{{ section.id }}' and share_value is not null then weight end), 0),
            6
        ) as section_{{ section.id }}_score{{ "," if not loop.last }}
    {% endfor %}
from weighted
group by week, level, unit_id
