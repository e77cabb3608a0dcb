#!/usr/bin/env bash
# The main job end to end on the embedded defaults:
# sample exports → Great Expectations gates → lake → dbt marts → serving snapshot → rating → dashboards.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh
HOME_DIR="${EDUMON_HOME:-$PWD/data}"
echo "== generating the demo exports into $HOME_DIR/landing (a demo home: development keys, docs/security.md)"
uv run --frozen edumon generate --preset demo --out "$HOME_DIR/landing" --demo-home "$HOME_DIR"
echo "== running the weekly job"
uv run --frozen edumon run --home "$HOME_DIR"
echo "== starting Superset on the published snapshot (stop it with: uv run edumon superset down)"
uv run --frozen edumon superset up --home "$HOME_DIR"
