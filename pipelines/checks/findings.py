"""What a failed load reports: the rule, the column, the rows — never a personal value."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MAX_ROWS_REPORTED = 50


@dataclass(frozen=True)
class Finding:
    """One broken rule of one file. `rows` are 1-based data row numbers of the delivered file."""

    rule: str
    message: str
    column: str | None = None
    rows: list[int] = field(default_factory=list)
    count: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rows"] = self.rows[:MAX_ROWS_REPORTED]
        return data

    def describe(self, file_name: str) -> str:
        where = f" rows {_rows_text(self.rows, self.count)}" if self.rows else ""
        column = f" column {self.column}" if self.column else ""
        return f"{file_name}{where}{column}: [{self.rule}] {self.message}"


def _rows_text(rows: list[int], count: int) -> str:
    shown = ", ".join(str(row) for row in rows[:10])
    total = max(count, len(rows))
    return shown + (f" … ({total} in all)" if total > 10 else "")


class ParseFailed(Exception):
    """The file cannot be read into the contract's columns; the findings say where and why."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("; ".join(f"[{f.rule}] {f.message}" for f in findings))
