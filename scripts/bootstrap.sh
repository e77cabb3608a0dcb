#!/usr/bin/env bash
# Install what edumon needs into the project's own environment (.venv via uv, from uv.lock).
# Idempotent; sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v uv >/dev/null 2>&1; then
  echo "== installing uv (the project's package manager) with pip"
  python3 -m pip install --quiet --user "uv==0.13.9"
  export PATH="$HOME/.local/bin:$PATH"
fi
echo "== installing the pipeline environment (.venv) from uv.lock"
# EDUMON_SYNC_GROUPS: extra dependency groups, e.g. "--group spark" (scripts/test.sh: dbt on Spark).
# shellcheck disable=SC2086
uv sync --frozen --quiet ${EDUMON_SYNC_GROUPS:-}
echo "== preparing the dbt manifest (dbt parse)"
uv run --frozen edumon dbt -- parse --quiet  # with orchestration.yaml's vars; --quiet still prints errors
