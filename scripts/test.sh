#!/usr/bin/env bash
# Install everything the tests need and run the whole suite: lint, types, SQL lint, pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh
echo "== ruff"
uv run --frozen ruff check pipelines tests benchmarks
uv run --frozen ruff format --check pipelines tests benchmarks
echo "== mypy"
uv run --frozen mypy
echo "== pytest"
uv run --frozen pytest -q "$@"
