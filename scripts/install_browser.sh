#!/usr/bin/env bash
# Install Debian's headless-capable Chromium for the dashboard screenshots (tests marked `superset`).
# Never download a browser build (STACK.md): only the distribution's package. Idempotent.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "== chromium already installed: $(chromium --version 2>/dev/null || echo unknown version)"
  exit 0
fi
echo "== installing Debian's chromium (apt-get)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
chromium --version
