#!/usr/bin/env bash
# Install everything the tests need and run the whole suite: lint, types, import contracts, SQL lint, pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The tests also build the dbt project on Apache Spark (tests/test_spark.py): pyspark's group.
EDUMON_SYNC_GROUPS="--group spark" source scripts/bootstrap.sh
bash scripts/install_browser.sh   # Debian chromium for the dashboard screenshots
echo "== ruff"
uv run --frozen ruff check pipelines tests benchmarks
uv run --frozen ruff format --check pipelines tests benchmarks
echo "== mypy"
uv run --frozen mypy
echo "== import-linter (which way the stages import: pyproject.toml [tool.importlinter])"
uv run --frozen lint-imports
echo "== sqlfluff (dbt models)"
uv run --frozen sqlfluff lint dbt_project/models
echo "== pytest"
uv run --frozen pytest -q "$@"
