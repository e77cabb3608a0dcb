"""dbt's Jinja context for sqlfluff's plain jinja templater: var() with the values the pipeline passes
(pipelines.transform.project.dbt_vars, from orchestration.yaml), `modules.datetime`, `exceptions` —
enough to render every model offline without dbt."""

import datetime as _datetime
import sys
import types
from pathlib import Path

_REPOSITORY = Path(__file__).resolve().parents[2]
if str(_REPOSITORY) not in sys.path:
    sys.path.insert(0, str(_REPOSITORY))

from pipelines.transform.project import dbt_vars  # noqa: E402

_VARS = dbt_vars()

modules = types.SimpleNamespace(datetime=_datetime)


def var(name: str, default: object = None) -> object:
    return _VARS.get(name, default)


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
