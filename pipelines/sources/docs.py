"""`edumon docs`: docs/sources.md and the indicator catalogue seed, generated from configuration.

Both files are committed; a test regenerates them in memory and compares, so the documentation
and the seed never drift from orchestration.yaml.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pipelines.config import PROJECT_ROOT, Config, FieldSpec, FileFormat, load_config
from pipelines.sources.defects import DEFECTS, defect_file_name
from pipelines.sources.writers import CANONICAL_TIMESTAMP

SOURCES_MD = PROJECT_ROOT / "docs" / "sources.md"
INDICATORS_SEED = PROJECT_ROOT / "dbt_project" / "seeds" / "ref_indicators.csv"
INDICATOR_COLUMNS = (
    "indicator_id",
    "name",
    "unit",
    "formula",
    "source",
    "target",
    "weight",
    "edumon_default",
)
PII_OUTCOME = {
    None: "as delivered, typed",
    "flag": "only `has_{f}` (present and valid)",
    "hash": "`has_{f}` + `{f}_hash` (keyed HMAC-SHA256)",
}


def indicators_csv(config: Config) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(INDICATOR_COLUMNS)
    for indicator_id, spec in config.indicators.items():
        weight = config.rating.weights.get(indicator_id)
        writer.writerow(
            [
                indicator_id,
                spec.name,
                spec.unit,
                spec.formula,
                spec.source,
                "" if spec.target is None else f"{spec.target:g}",
                "" if weight is None else f"{weight:g}",
                "" if spec.edumon_default is None else f"умолчание edumon: {spec.edumon_default}",
            ]
        )
    return buffer.getvalue()


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _field_rule(spec_type: str, values: list[str] | None, pattern: str | None, minimum: float | None) -> str:
    parts = []
    if values:
        parts.append(" / ".join(values))
    if pattern:
        parts.append(f"`{pattern}`")
    if minimum is not None:
        parts.append(f"≥ {minimum:g}")
    if spec_type == "inn":
        parts.append("10 digits, FNS checksum")
    if spec_type == "snils":
        parts.append("11 digits, ПФР checksum")
    return "; ".join(parts)


def _required(spec: FieldSpec) -> str:
    if spec.since:
        return f"optional on delivery (added {spec.since}; missing: its indicators read «нет данных»)"
    return "yes" if spec.required else ""


def _datasets_section(config: Config) -> list[str]:
    lines = ["## Dataset contracts", ""]
    for name, dataset in config.datasets.items():
        fmt = dataset.format
        lines += [
            f"### `{name}`",
            "",
            f"System `{dataset.system}`, {dataset.kind}, key `{', '.join(dataset.key)}`, "
            f"delivered as {fmt.kind.upper()} ({fmt.encoding}) unless a region below has its own format.",
            "",
            "| field | type | required | rule | PII → what reaches the lake |",
            "| --- | --- | --- | --- | --- |",
        ]
        for field, spec in dataset.fields.items():
            rule = _field_rule(spec.type, spec.values, spec.pattern, spec.min)
            if spec.registry:
                rule = (rule + "; " if rule else "") + "must be in the organisation registry"
            outcome = PII_OUTCOME[spec.pii].format(f=field)
            if spec.pii is None and field == "region":
                outcome = "the partition's `region` column"
            lines.append(
                f"| `{field}` | {spec.type} | {_required(spec)} | {_cell(rule)} | "
                f"{'† ' if spec.pii else ''}{outcome} |"
            )
        lines.append("")
    return lines


def _format_rows(fmt: FileFormat) -> list[str]:
    lines = [
        f"- kind: {fmt.kind}" + (f", sheet «{fmt.sheet}»" if fmt.sheet else ""),
        f"- encoding: {fmt.encoding}; delimiter: `{fmt.delimiter}`; date format: `{fmt.date_format}`",
        f"- booleans: true = {', '.join(fmt.booleans[True])}; false = {', '.join(fmt.booleans[False])}",
    ]
    for field, mapping in fmt.values.items():
        pairs = ", ".join(f"«{k}» → {v}" for k, v in mapping.items())
        lines.append(f"- values of `{field}`: {pairs}")
    if fmt.columns:
        lines += ["", "| field | delivered header |", "| --- | --- |"]
        lines += [f"| `{field}` | {_cell(header)} |" for field, header in fmt.columns.items()]
    return lines


def _regions_section(config: Config) -> list[str]:
    lines = [
        "## Region formats",
        "",
        "The canonical format (every dataset and region without a mapping below): CSV, UTF-8, comma, "
        "one header row with exactly the field names, ISO dates (`2026-11-22`), timestamps "
        f"`{CANONICAL_TIMESTAMP}` in Moscow time, booleans `true` / `false`, empty cell = missing. "
        "`fgis_orgs` is JSON Lines, UTF-8, one object per organisation with its `region`.",
        "",
    ]
    for code, region in config.regions.items():
        if config.has_gis(code):
            lines += [f"### {code}: {region.system_name}", ""]
        else:
            sent = ", ".join(f"`{d}`" for d in config.expected_datasets(code))
            lines += [f"### {code}: нет региональной ГИС (`gis: none`)", ""]
            lines += [f"No `gis_*` file is expected or reported missing; it sends {sent}.", ""]
        if not region.formats:
            lines += ["Every dataset in the canonical format.", ""]
        for dataset, fmt in region.formats.items():
            lines += [f"#### `{dataset}`", "", *_format_rows(fmt), ""]
    return lines


def _defects_section(config: Config) -> list[str]:
    weeks = ["2026-W46", "2026-W47"]
    lines = [
        "## Defect files (`edumon generate --defects`)",
        "",
        "Each fault sits in its own file of the demo regions (weeks shown for the default "
        f"`--last-week {config.samples.last_week}`); every other partition stays clean, so it still "
        "loads. `DIR/defects.json` lists the same files machine-readably "
        "(file name → `kind`, `expected_rule`, `description`).",
        "",
        "| file | kind | what is wrong | rule that must catch it |",
        "| --- | --- | --- | --- |",
    ]
    for defect in DEFECTS:
        name = defect_file_name(defect, weeks).replace("2026-W47", "{week}").replace("2026-W46", "{week-1}")
        lines.append(f"| `{name}` | {defect.kind} | {_cell(defect.description)} | `{defect.rule}` |")
    return [*lines, ""]


def sources_markdown(config: Config) -> str:
    lines = [
        "# Sources: contracts, region formats, sample defects",
        "",
        "Generated by `edumon docs` from `orchestration.yaml` (do not edit by hand; a test fails when "
        "this file and the configuration differ). File names: `{dataset}_{region}_{week}.{ext}`. "
        "Fields marked † are personal data: they never leave the ingest step.",
        "",
        *_datasets_section(config),
        *_regions_section(config),
        *_defects_section(config),
    ]
    return "\n".join(lines).rstrip() + "\n"


def expected_files(config: Config | None = None) -> dict[Path, str]:
    config = config or load_config()
    return {SOURCES_MD: sources_markdown(config), INDICATORS_SEED: indicators_csv(config)}


def write_docs(check_only: bool = False) -> list[Path]:
    """Write the generated files; returns those that were (or, with check_only, would be) changed."""
    changed = []
    for path, text in expected_files().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            changed.append(path)
            if not check_only:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    return changed
