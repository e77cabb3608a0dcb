"""A home: the folders one installation works in (landing, lake, quarantine, Data Docs).

Every stage takes its paths from here or from `pipelines.config.home_path`; nothing writes
outside the home.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

from upath import UPath

from pipelines.config import load_config


@dataclass(frozen=True)
class Home:
    """The working folders of one home (landing, lake, quarantine, Data Docs)."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / load_config().paths.landing

    @property
    def lake(self) -> Path:
        """A folder of the home, or orchestration.yaml's filesystem URL (pipelines/ingest/lake.py)."""
        return lake_root(self.root, load_config().paths.lake)

    @property
    def quarantine(self) -> Path:
        return self.root / load_config().paths.quarantine

    @property
    def docs(self) -> Path:
        return self.root / load_config().paths.data_docs


def is_url(location: str) -> bool:
    """A filesystem URL (`s3://…`, `memory://…`, `file://…`), not a path of the home."""
    return "://" in location


def lake_root(home: Path, location: str) -> Path:
    """The lake of a home: `location` (orchestration.yaml paths.lake) under it, or the URL itself.

    A URL gives a UPath typed as Path: it implements the pathlib API the lake code uses.
    """
    if not is_url(location):
        return home / location
    return cast(Path, UPath(location))
