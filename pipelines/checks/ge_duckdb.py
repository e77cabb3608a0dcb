"""Great Expectations 1.24 validating inside DuckDB, through GE's own SQL execution engine.

Why GE's SQL datasource over duckdb-engine returned empty metrics (STACK.md, upstream GE issue 11579):
`SqlAlchemyExecutionEngine.execute_query` runs each query inside `with engine.connect()` and returns
the un-fetched result; GE calls `.fetchall()` after the block has closed the connection. Closing a
SQLAlchemy connection ends its transaction with a ROLLBACK on the DBAPI connection, and a
duckdb-engine "cursor" is that same DuckDB connection, so the ROLLBACK replaces the pending result
and `fetchall()` returns `[]` (→ IndexError in `resolve_metric_bundle`). GE already keeps one
connection open for SQLite and SQL Server (`_PERSISTED_CONNECTION_DIALECTS`); `DuckDBExecutionEngine`
does the same for DuckDB, and `DuckDBDatasource` is a fluent datasource (type `duckdb`) that uses it.
The metrics themselves are GE's unchanged SQL metrics (duckdb-engine speaks the PostgreSQL dialect).

Entry points: `validate_relation` (one call, returns GE's ExpectationSuiteValidationResult) and
`duckdb_batch_definition` (a batch definition to put into the caller's own ValidationDefinition and
Checkpoint, e.g. one with an UpdateDataDocsAction in a file context).
"""

from __future__ import annotations

import builtins
import functools
import json
import os
import re
import uuid
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import great_expectations as gx
import pyarrow as pa
import sqlalchemy
from duckdb_engine import ConnectionWrapper
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context import AbstractDataContext, FileDataContext
from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier
from great_expectations.datasource.fluent import SQLDatasource
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.metrics import ColumnAggregateMetricProvider, column_condition_partial
from great_expectations.expectations.metrics.column_map_metrics.column_values_match_regex import (
    ColumnValuesMatchRegex,
)
from great_expectations.expectations.metrics.column_map_metrics.column_values_not_match_regex import (
    ColumnValuesNotMatchRegex,
)
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metrics.table_column_types import ColumnTypes

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # no network calls from a gate

# SUMMARY keeps the unexpected counts and a handful of examples; COMPLETE lists every failing row.
SUMMARY_WITH_EXAMPLES: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": 5}
DATASOURCE_NAME = "edumon_duckdb"
BATCH_DEFINITION_NAME = "whole_relation"
_PARQUET_HINT = re.compile(r"\.parquet$|[*?\[]|/", re.IGNORECASE)
_SHARED_PREFIX = "duckdb:///:memory:edumon_shared_"

DuckDBSource = duckdb.DuckDBPyConnection | str | Path | None


@dataclass(frozen=True)
class _Lent:
    """A connection lent to GE, and Arrow tables every GE cursor sees under their names."""

    connection: duckdb.DuckDBPyConnection
    arrow: Mapping[str, pa.Table] = field(default_factory=dict)

    def cursor(self) -> ConnectionWrapper:
        # A registered Arrow table belongs to the DuckDB connection that registered it (a cursor is
        # a connection of its own), so each cursor registers them: a zero-copy scan of the buffers.
        cursor = self.connection.cursor()
        for name, table in self.arrow.items():
            cursor.register(name, table)
        return ConnectionWrapper(cursor)


# Connections lent to GE, by the datasource's connection string. GE opens each of its connections
# as a cursor of the lent one: the same database and catalog, its own transaction, and no second
# `duckdb.connect` (which DuckDB refuses for an open database with a different configuration).
_shared_connections: dict[str, _Lent] = {}


class DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
    """GE's SQL engine with one connection kept open, so each result is fetched before anything else runs."""

    @contextmanager
    def get_connection(self) -> Generator[sqlalchemy.Connection, None, None]:
        if self._connection is None or self._connection.closed:
            self._connection = self.engine.connect()
        yield self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.engine.dispose()


# GE has no regex expression for the `duckdb` dialect ("Regex is not supported"). PostgreSQL's `~`,
# which duckdb-engine would inherit, is a FULL match in DuckDB, while GE's pandas path searches
# (`str.contains`): `regexp_matches` is DuckDB's search, so both engines flag the same rows.
class DuckDBColumnValuesMatchRegex(ColumnValuesMatchRegex):
    @column_condition_partial(engine=DuckDBExecutionEngine)
    def _duckdb(cls, column: Any, regex: str, **kwargs: Any) -> Any:
        return sqlalchemy.func.regexp_matches(column, sqlalchemy.literal(regex))


class DuckDBColumnValuesNotMatchRegex(ColumnValuesNotMatchRegex):
    @column_condition_partial(engine=DuckDBExecutionEngine)
    def _duckdb(cls, column: Any, regex: str, **kwargs: Any) -> Any:
        return sqlalchemy.not_(sqlalchemy.func.regexp_matches(column, sqlalchemy.literal(regex)))


# GE reads column types by SQLAlchemy reflection; SQLAlchemy 2.1's PostgreSQL reflection, which
# duckdb-engine 0.17 inherits, queries pg_catalog.pg_collation, which DuckDB lacks, so every column
# type came back missing (KeyError 'type' in expect_column_values_to_be_in_type_list). DuckDB's own
# DESCRIBE gives the types; they are mapped to SQLAlchemy's type classes, which GE compares with
# isinstance, so a type list names them as SQL does: VARCHAR, BIGINT, BOOLEAN, DATE, TIMESTAMP.
_SQLALCHEMY_TYPES: dict[str, Any] = {
    "TIMESTAMP WITH TIME ZONE": lambda: sqlalchemy.TIMESTAMP(timezone=True),
    "DOUBLE": sqlalchemy.DOUBLE,
    "HUGEINT": sqlalchemy.NUMERIC,
}


def sqlalchemy_type(duckdb_type: str) -> Any:
    """The SQLAlchemy type instance of a DuckDB type name (`DECIMAL(18,3)` → DECIMAL)."""
    base = duckdb_type.split("(")[0].strip().upper()
    factory = _SQLALCHEMY_TYPES.get(base) or getattr(sqlalchemy.types, base.replace(" ", "_"), None)
    return factory() if factory is not None else sqlalchemy.types.NullType()


class DuckDBColumnTypes(ColumnTypes):
    @metric_value(engine=DuckDBExecutionEngine)
    def _duckdb(
        cls,
        execution_engine: DuckDBExecutionEngine,
        metric_domain_kwargs: dict[str, Any],
        metric_value_kwargs: dict[str, Any],
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any],
    ) -> list[dict[str, Any]]:
        selectable, _, _ = execution_engine.get_compute_domain(
            metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE
        )
        if isinstance(selectable, sqlalchemy.Select):
            selectable = selectable.subquery()
        query = sqlalchemy.select(sqlalchemy.text("*")).select_from(selectable)  # type: ignore[arg-type]
        sql = query.compile(execution_engine.engine, compile_kwargs={"literal_binds": True})
        rows = execution_engine.execute_query(sqlalchemy.text(f"describe {sql}")).fetchall()
        return [{"name": row[0], "type": sqlalchemy_type(row[1])} for row in rows]


def _column_domain(
    execution_engine: DuckDBExecutionEngine, metric_domain_kwargs: dict[str, Any]
) -> tuple[Any, Any]:
    """The FROM (a subquery when GE hands a SELECT) and the column a column metric counts over."""
    selectable, _, accessor = execution_engine.get_compute_domain(
        metric_domain_kwargs, domain_type=MetricDomainTypes.COLUMN
    )
    if isinstance(selectable, sqlalchemy.Select):
        selectable = selectable.subquery()
    return selectable, sqlalchemy.column(accessor["column"])


# GE 1.24 counts a column's duplicates with a window (`count(*) over (partition by column)`), which
# DuckDB evaluates by partitioning and sorting every row. One hash aggregate gives the same number
# (rows whose non-null value occurs more than once), so the verdict and the reported count are
# unchanged; the rows themselves (COMPLETE results) still come from GE's own queries.
class DuckDBColumnValuesUniqueUnexpectedCount(ColumnAggregateMetricProvider):
    metric_name = "column_values.unique.unexpected_count"

    @metric_value(engine=DuckDBExecutionEngine)
    def _duckdb(
        cls,
        execution_engine: DuckDBExecutionEngine,
        metric_domain_kwargs: dict[str, Any],
        metric_value_kwargs: dict[str, Any],
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any],
    ) -> int:
        selectable, column = _column_domain(execution_engine, metric_domain_kwargs)
        repeated = (
            sqlalchemy.select(sqlalchemy.func.count().label("rows"))
            .select_from(selectable)
            .where(column.is_not(None))
            .group_by(column)
            .having(sqlalchemy.func.count() > 1)
            .subquery()
        )
        query = sqlalchemy.select(sqlalchemy.func.coalesce(sqlalchemy.func.sum(repeated.c.rows), 0))
        return int(execution_engine.execute_query(query).scalar() or 0)


# GE bundles in-set checks into its one aggregate as `sum(case when col not in ($1 … $n) …)`; with the
# registry rule's thousand organisation ИНН DuckDB tests each row against the list one by one
# (≈9 CPU s per 1.6 M rows, most of a large file's gate). As a filter over a VALUES list DuckDB
# uses a hash anti-join (≈0.1 s). Same count: non-null values outside the set.
class DuckDBColumnValuesInSetUnexpectedCount(ColumnAggregateMetricProvider):
    metric_name = "column_values.in_set.unexpected_count"
    value_keys = ("value_set",)

    @metric_value(engine=DuckDBExecutionEngine)
    def _duckdb(
        cls,
        execution_engine: DuckDBExecutionEngine,
        metric_domain_kwargs: dict[str, Any],
        metric_value_kwargs: dict[str, Any],
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any],
    ) -> int:
        value_set = metric_value_kwargs.get("value_set")
        if value_set is None:  # GE: no set means every value is expected
            return 0
        selectable, column = _column_domain(execution_engine, metric_domain_kwargs)
        query = sqlalchemy.select(sqlalchemy.func.count()).select_from(selectable).where(column.is_not(None))
        values = list(value_set)
        if values:
            expected = sqlalchemy.values(sqlalchemy.column("value"), name="expected_values").data(
                [(value,) for value in values]
            )
            query = query.where(column.not_in(sqlalchemy.select(expected.c.value)))
        return int(execution_engine.execute_query(query).scalar() or 0)


class DuckDBDatasource(SQLDatasource):
    """A fluent SQL datasource (type `duckdb`): GE's SQL metrics on `DuckDBExecutionEngine`.

    Its `connection_string` is a DuckDB file (`duckdb:////abs/path.duckdb`) or the key of a
    connection lent with `share_connection`; the datasource and its execution engine use one
    SQLAlchemy engine.
    """

    type: Literal["duckdb"] = "duckdb"  # type: ignore[assignment]  # GE narrows `type` per datasource

    @property
    def execution_engine_type(self) -> builtins.type[SqlAlchemyExecutionEngine]:
        return DuckDBExecutionEngine

    def _create_engine(self) -> sqlalchemy.Engine:
        shared = _shared_connections.get(str(self.connection_string))
        if shared is None:
            return super()._create_engine()
        return sqlalchemy.create_engine("duckdb://", creator=shared.cursor, poolclass=sqlalchemy.NullPool)

    def get_execution_engine(self) -> SqlAlchemyExecutionEngine:
        if self._execution_engine is None or self._execution_engine.engine is not self.get_engine():
            self._execution_engine = DuckDBExecutionEngine(
                name=self.name, engine=self.get_engine(), create_temp_table=self.create_temp_table
            )
        return self._execution_engine

    def release(self) -> None:
        """Close GE's connections (the lent DuckDB connection stays the caller's)."""
        if self._execution_engine is not None:
            self._execution_engine.close()
            self._execution_engine = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def share_connection(
    connection: duckdb.DuckDBPyConnection, arrow: Mapping[str, pa.Table] | None = None
) -> str:
    """Lend a DuckDB connection to GE; returns the connection string a `DuckDBDatasource` uses.

    `arrow`: in-memory Arrow tables GE reads by name (scanned in place, never copied).
    """
    key = f"{_SHARED_PREFIX}{uuid.uuid4().hex}"
    _shared_connections[key] = _Lent(connection, dict(arrow or {}))
    return key


def unshare_connection(key: str) -> None:
    _shared_connections.pop(key, None)


def is_parquet(relation: str) -> bool:
    """A path or glob of Parquet files rather than a table or view name."""
    return bool(_PARQUET_HINT.search(relation))


def expose_parquet(
    connection: duckdb.DuckDBPyConnection, name: str, parquet: str, *, materialize: bool
) -> None:
    """Make Parquet files a relation GE can reflect (column names and types): a view that scans them
    per query, or a table that reads them once into DuckDB's memory."""
    kind = "table" if materialize else "view"
    literal = "'" + parquet.replace("'", "''") + "'"  # DDL cannot take a prepared parameter
    connection.execute(
        f"create or replace {kind} {_identifier(name)} as select * from read_parquet({literal})"
    )


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def duckdb_batch_definition(
    context: AbstractDataContext,
    connection_string: str,
    relation: str,
    *,
    datasource_name: str = DATASOURCE_NAME,
) -> BatchDefinition:
    """A whole-table batch definition of `relation` over DuckDB, (re)registered in `context`.

    The caller keeps using it in its own ValidationDefinition / Checkpoint (with Data Docs actions).
    """
    datasource = context.data_sources.add_or_update_duckdb(  # generated per registered type
        name=datasource_name, connection_string=connection_string
    )
    asset = datasource.add_table_asset(name=relation, table_name=relation)
    batch_definition: BatchDefinition = asset.add_batch_definition_whole_table(BATCH_DEFINITION_NAME)
    return batch_definition


def validate_relation_stored(
    source: DuckDBSource,
    relation: str,
    suite: gx.ExpectationSuite,
    *,
    expectation_parameters: Mapping[str, Any] | None = None,
    result_format: Mapping[str, Any] | str = SUMMARY_WITH_EXAMPLES,
    context: AbstractDataContext | None = None,
    run_name: str | None = None,
    materialize: bool = False,
    arrow: Mapping[str, pa.Table] | None = None,
) -> tuple[ValidationResultIdentifier, ExpectationSuiteValidationResult]:
    """Run `suite` inside DuckDB with GE's SQL engine: the stored result's identifier (for its Data Docs
    page) and GE's ExpectationSuiteValidationResult.

    `source`: an open DuckDB connection (lent, never closed), a DuckDB file path (opened read-only),
    or None. `relation`: a table or view of `source`, or a Parquet path/glob (then `source` must be
    None: the files are exposed as a view named after the suite in a private in-memory database,
    or copied into a table with `materialize=True`). The run goes through a ValidationDefinition and
    a Checkpoint that stores the result and updates Data Docs in `context` (a file context gives
    browsable pages; default: an ephemeral context). `arrow`: in-memory Arrow tables by name, which
    `relation` may name (then `source` may be None): GE's queries scan them in place.
    """
    context = context or gx.get_context(mode="ephemeral")
    connection, owned = _open(source, relation, arrow or {})
    key = share_connection(connection, arrow)
    try:
        if is_parquet(relation):
            expose_parquet(connection, suite.name, relation, materialize=materialize)
            relation = suite.name
        return _run_checkpoint(context, key, relation, suite, expectation_parameters, result_format, run_name)
    finally:
        unshare_connection(key)
        if owned:
            connection.close()


def validate_relation(
    source: DuckDBSource,
    relation: str,
    suite: gx.ExpectationSuite,
    **options: Any,
) -> ExpectationSuiteValidationResult:
    """`validate_relation_stored` without the identifier: GE's ExpectationSuiteValidationResult."""
    return validate_relation_stored(source, relation, suite, **options)[1]


def _open(
    source: DuckDBSource, relation: str, arrow: Mapping[str, pa.Table]
) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """The connection to lend to GE and whether this module opened it (and must close it)."""
    if relation in arrow and source is None:
        return duckdb.connect(), True
    if is_parquet(relation):
        if source is not None:
            raise ValueError("a Parquet relation is read in a private in-memory database: pass source=None")
        return duckdb.connect(), True
    if isinstance(source, duckdb.DuckDBPyConnection):
        return source, False
    if source is None:
        raise ValueError(f"table {relation!r} needs a DuckDB connection or database file")
    return duckdb.connect(str(source), read_only=True), True


def _run_checkpoint(
    context: AbstractDataContext,
    key: str,
    relation: str,
    suite: gx.ExpectationSuite,
    expectation_parameters: Mapping[str, Any] | None,
    result_format: Mapping[str, Any] | str,
    run_name: str | None,
) -> tuple[ValidationResultIdentifier, ExpectationSuiteValidationResult]:
    name = f"{DATASOURCE_NAME}_{suite.name}"  # apart from the caller's own checkpoints of the suite
    batch_definition = duckdb_batch_definition(context, key, relation, datasource_name=name)
    try:
        validation = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(
                name=name, data=batch_definition, suite=context.suites.add_or_update(suite)
            )
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=name,
                validation_definitions=[validation],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
                result_format=dict(result_format) if isinstance(result_format, Mapping) else result_format,  # type: ignore[arg-type]
            )
        )
        outcome = checkpoint.run(
            expectation_parameters=dict(expectation_parameters or {}),
            run_id=RunIdentifier(run_name=run_name) if run_name else None,
        )
    finally:
        _forget(context, name)
    ((identifier, result),) = outcome.run_results.items()
    return identifier, result


def _forget(context: AbstractDataContext, name: str) -> None:
    """Close GE's connections and drop the run's checkpoint, validation definition and datasource.

    The stored result, the suite and the Data Docs stay. The datasource points at a lent connection
    that is gone after the run, and a file context listing a `duckdb` datasource cannot be opened by
    a process that has not imported this module (GE: "type duckdb was not found").
    """
    datasource = context.data_sources.all().get(name)
    if isinstance(datasource, DuckDBDatasource):
        datasource.release()
    if name in {c.name for c in context.checkpoints.all()}:
        context.checkpoints.delete(name)
    if name in {v.name for v in context.validation_definitions.all()}:
        context.validation_definitions.delete(name)
    if datasource is not None:
        context.data_sources.delete(name)
        if isinstance(context, FileDataContext):
            if not context.data_sources.all():
                # GE 1.24 skips writing `fluent_datasources` once empty, leaving the last one in the file
                context.config._commented_map.pop("fluent_datasources", None)
            context._save_project_config()


# --- one checkpoint per suite and process, over in-memory Arrow tables ------------------------

# Each process lends its current connection under this one key, so the datasource registered in a
# context can stay there between validations (registering and dropping it, its validation
# definition and checkpoint costs more GE time per file than validating a small file).
PROCESS_KEY = f"{_SHARED_PREFIX}process"
REUSED_NAME = "edumon_gate"
_reused: dict[tuple[int, str, str, str], gx.Checkpoint] = {}


def validate_arrow(
    context: AbstractDataContext,
    table: pa.Table,
    suite: gx.ExpectationSuite,
    *,
    relation: str = "staged",
    expectation_parameters: Mapping[str, Any] | None = None,
    result_format: Mapping[str, Any] = SUMMARY_WITH_EXAMPLES,
    run_name: str | None = None,
) -> tuple[ValidationResultIdentifier, ExpectationSuiteValidationResult]:
    """Validate an in-memory Arrow table inside DuckDB (scanned in place): `validate_connection` over
    a private in-memory database that sees the table as `relation`."""
    connection = duckdb.connect()
    try:
        identifier, result = validate_connection(
            context,
            connection,
            suite,
            relation=relation,
            arrow={relation: table},
            expectation_parameters=expectation_parameters,
            result_format=result_format,
            run_name=run_name,
        )
    finally:
        connection.close()
    assert identifier is not None
    return identifier, result


def validate_connection(
    context: AbstractDataContext,
    connection: duckdb.DuckDBPyConnection,
    suite: gx.ExpectationSuite,
    *,
    relation: str,
    arrow: Mapping[str, pa.Table] | None = None,
    expectation_parameters: Mapping[str, Any] | None = None,
    result_format: Mapping[str, Any] = SUMMARY_WITH_EXAMPLES,
    run_name: str | None = None,
    store: bool = True,
) -> tuple[ValidationResultIdentifier | None, ExpectationSuiteValidationResult]:
    """Validate `relation` (a table or view) of an open DuckDB connection, lent to GE for the call.

    `store=True`: through a Checkpoint that stores the result (its Data Docs page is the caller's:
    `pipelines.checks.gate.publish_data_docs`); returns the stored result's identifier and the result.
    `store=False`: GE validates the batch and stores nothing (identifier None): a probe.
    The datasource (`edumon_gate`), validation definition and checkpoint are registered in `context`
    on first use and reused by the process. A file context then lists a `duckdb` datasource: open
    it in processes that import this module (the gate does).
    """
    _shared_connections[PROCESS_KEY] = _Lent(connection, dict(arrow or {}))
    batch_definition = _reused_batch_definition(context, relation)
    parameters = dict(expectation_parameters or {})
    try:
        if store:
            checkpoint = _reused_checkpoint(context, suite, relation, result_format)
            outcome = checkpoint.run(
                expectation_parameters=parameters,
                run_id=RunIdentifier(run_name=run_name) if run_name else None,
            )
            ((identifier, result),) = outcome.run_results.items()
            return identifier, result
        probe = batch_definition.get_batch().validate(
            suite,
            result_format=dict(result_format),
            expectation_parameters=parameters,
        )
        return None, probe
    finally:
        datasource = batch_definition.data_asset.datasource
        if isinstance(datasource, DuckDBDatasource):
            datasource.release()  # GE's connection is a cursor of the caller's connection
        _shared_connections.pop(PROCESS_KEY, None)


def _reused_checkpoint(
    context: AbstractDataContext, suite: gx.ExpectationSuite, relation: str, result_format: Mapping[str, Any]
) -> gx.Checkpoint:
    """The checkpoint of a suite and result format (a saved checkpoint is immutable in GE)."""
    detail = str(result_format.get("result_format", "SUMMARY")).lower()
    key = (id(context), suite.name, relation, json.dumps(dict(result_format), sort_keys=True))
    if key not in _reused:
        batch_definition = _reused_batch_definition(context, relation)
        name = f"{REUSED_NAME}_{suite.name}_{detail}"
        validation = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(
                name=f"{REUSED_NAME}_{suite.name}",
                data=batch_definition,
                suite=context.suites.add_or_update(suite),
            )
        )
        # No Data Docs action: a page per file rebuilds GE's index, which reads every stored
        # result (quadratic over a year); the gate builds a batch's pages once (gate.publish_data_docs).
        _reused[key] = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=name,
                validation_definitions=[validation],
                actions=[],
                result_format=dict(result_format),
            )
        )
    return _reused[key]


@functools.cache
def _reused_batch_definition(context: AbstractDataContext, relation: str) -> BatchDefinition:
    return duckdb_batch_definition(context, PROCESS_KEY, relation, datasource_name=REUSED_NAME)
