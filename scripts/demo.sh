#!/usr/bin/env bash
# The main job end to end on the embedded defaults:
# sample exports → Great Expectations gates → lake → dbt marts → serving snapshot → rating → dashboards.
# One delivery is faulty on purpose, so a newcomer sees a rejection (quarantine/, «Качество данных»).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh
HOME_DIR="${EDUMON_HOME:-$PWD/data}"
echo "== generating the demo exports into $HOME_DIR/landing (a demo home: development keys, docs/security.md)"
uv run --frozen edumon generate --preset demo --out "$HOME_DIR/landing" --demo-home "$HOME_DIR"

# The faulty file: the generator's `missing_column` defect (Smolensk's staff list without the column
# «Педагогический работник»), generated aside over 2 weeks and put in place of the clean file.
FAULTS="$(mktemp -d)"
trap 'rm -rf "$FAULTS"' EXIT
uv run --frozen edumon generate --preset demo --weeks 2 --defects --out "$FAULTS" >/dev/null
FAULTY="$(uv run --frozen python -c 'import json, sys
notes = json.load(open(sys.argv[1], encoding="utf-8"))
print(next(name for name, note in sorted(notes.items()) if note["kind"] == "missing_column"))' "$FAULTS/defects.json")"
cp "$FAULTS/$FAULTY" "$HOME_DIR/landing/$FAULTY"
echo "== one faulty delivery added on purpose: $FAULTY"

echo "== running the weekly job"
status=0
uv run --frozen edumon run --home "$HOME_DIR" || status=$?
# Exit code 1 means a delivered file was rejected and the rest published: the demo accepts it when
# its faulty file is in quarantine (`edumon status` lists every rejection); anything else stops it.
if [ "$status" -eq 1 ] && compgen -G "$HOME_DIR/quarantine/*/*/${FAULTY%.*}.*" >/dev/null; then
  echo "== as planned, $FAULTY was rejected (see $HOME_DIR/quarantine/ and the «Качество данных» dashboard)"
elif [ "$status" -ne 0 ]; then
  echo "== edumon run exited with $status" >&2
  exit "$status"
fi
# The demo's region(s) without a regional ГИС (orchestration.yaml regions.<code>.gis: none): no gis_*
# file expected, ranked on the ФГИС and Сферум indicators, «Регионы без ГИС» in the edition.
NO_GIS="$(uv run --frozen python -c 'from pipelines.config import load_config
print(", ".join(load_config().regions_without_gis()))')"
if [ -n "$NO_GIS" ]; then
  echo "== without a regional ГИС: $NO_GIS (no gis_* file expected; ГИС indicators «нет ГИС»; ranked on the rest:" \
    "«Регионы без ГИС» in $HOME_DIR/outbox/rating_*.xlsx, its own edition in $HOME_DIR/outbox/regions/)"
fi
echo "== starting Superset on the published snapshot (stop it with: uv run edumon superset down)"
uv run --frozen edumon superset up --home "$HOME_DIR"
