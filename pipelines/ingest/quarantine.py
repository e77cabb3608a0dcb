"""Quarantine: a rejected file moves here whole, with a machine-readable reason next to it.

`quarantine/{week}/{region}/{file stem}.{sha256[:8]}/` holds the delivered file (as delivered:
it is the region's to fix, so it still holds whatever personal data it was sent with),
`reason.json` (file, rule, rows, masked example rows, Data Docs link) and `validation.json`
(the GE result over the PII-free staged table). Quarantine is not an output: nothing reads it
downstream, and it is kept apart from lake/, the warehouse, the serving file and outbox/.
Unrecognised files go to `quarantine/_unrecognized/`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

MASK = "***"


def quarantine_folder(quarantine: Path, week: str, region: str, file_name: str, sha256: str) -> Path:
    return quarantine / week / region / f"{Path(file_name).stem}.{sha256[:8]}"


def move_to_quarantine(
    source: Path, folder: Path, reason: dict[str, Any], validation: dict[str, Any] | None
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "reason.json").write_text(
        json.dumps(reason, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    if validation is not None:
        (folder / "validation.json").write_text(
            json.dumps(validation, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
    target = folder / source.name
    shutil.move(str(source), target)
    return target


def masked_examples(rows: list[dict[str, Any]], personal: set[str]) -> list[dict[str, Any]]:
    """Example rows for a report with every personal column masked."""
    return [
        {key: (MASK if key in personal and value is not None else value) for key, value in row.items()}
        for row in rows
    ]
