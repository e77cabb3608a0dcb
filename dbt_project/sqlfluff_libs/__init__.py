"""dbt's Jinja context for sqlfluff's plain jinja templater: var() with dbt_project.yml's defaults,
`modules.datetime`, `exceptions` — enough to render every model offline without dbt."""

import datetime as _datetime
import types
from pathlib import Path

import yaml

_PROJECT_FILE = Path(__file__).resolve().parents[1] / "dbt_project.yml"
_PROJECT = yaml.safe_load(_PROJECT_FILE.read_text(encoding="utf-8"))

modules = types.SimpleNamespace(datetime=_datetime)


def var(name: str, default: object = None) -> object:
    return _PROJECT["vars"].get(name, default)


class _Exceptions:
    @staticmethod
    def raise_compiler_error(message: str) -> None:
        raise RuntimeError(message)


exceptions = _Exceptions()


class _Builtins:
    """dbt's `builtins` (macros/lake_sources.sql overrides source() and calls the original)."""

    @staticmethod
    def source(source_name: str, table_name: str) -> str:
        return f"{source_name}__{table_name}"


builtins = _Builtins()
