"""The ingest's share of the memory budget: a file goes to a worker only when its cost fits.

A worker holds one file's tables while it parses, normalises and stages it; its peak is about the
file's size × `memory.ingest_bytes_per_byte` (orchestration.yaml, measured). Two workers on two
large regions' files could together exceed the budget, so each file is admitted only when its cost
fits the share beside the files already admitted; a file costing more than the whole share still
runs, alone. Files are admitted in the order they ask (first come, first served: a large file
waiting is not overtaken for ever by small ones).
"""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.config import Memory


class MemoryAdmission:
    """Admit work whose cost (bytes) fits `share` beside the work admitted and not yet done."""

    def __init__(self, share: int) -> None:
        self.share = share
        self.held = 0  # the cost admitted and not yet released
        self.peak = 0  # the most ever held at once (the tests read it)
        self._changed = threading.Condition()
        self._issued = 0  # tickets handed out, one per request, in the order they come
        self._serving = 0  # the ticket whose turn it is

    @property
    def waiting(self) -> int:
        """Requests not admitted yet."""
        with self._changed:
            return self._issued - self._serving

    @contextmanager
    def admitted(self, cost: int) -> Iterator[None]:
        """Wait for this cost's turn and room (or an empty share), hold it inside the block."""
        with self._changed:
            ticket, self._issued = self._issued, self._issued + 1
            self._changed.wait_for(lambda: ticket == self._serving and self._fits(cost))
            self._serving += 1
            self.held += cost
            self.peak = max(self.peak, self.held)
            self._changed.notify_all()  # the next ticket may fit beside this one
        try:
            yield
        finally:
            with self._changed:
                self.held -= cost
                self._changed.notify_all()

    def _fits(self, cost: int) -> bool:
        return self.held == 0 or self.held + cost <= self.share


def file_cost(path: Path, memory: Memory) -> int:
    """A delivered file's expected peak memory while a worker holds it: its bytes × the factor.
    An XLSX counts its members as declared inflated (the reader holds the XML, not the zip).
    Only for a file `files.refusal` lets through: an XLSX's directory is read."""
    return int(_content_bytes(path) * memory.ingest_bytes_per_byte)


def _content_bytes(path: Path) -> int:
    try:
        size = path.stat().st_size
    except OSError:
        return 0  # gone since the scan: _prepare reports it
    if path.suffix.lower() != ".xlsx":
        return size
    try:
        with zipfile.ZipFile(path) as archive:
            return max(size, sum(member.file_size for member in archive.infolist()))
    except (zipfile.BadZipFile, OSError):
        return size  # refused or rejected by the limits before it is read
