#!/usr/bin/env bash
# Installs what tests/widget_browser.rs needs: Debian's Chromium (Playwright cannot
# download its own browser builds here) and playwright-core from npm. Idempotent: each
# part is skipped when already present. Run as root (or with sudo available).
set -euo pipefail

cd "$(dirname "$0")/.."
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ! -x "$CHROMIUM" ]; then
  echo "installing chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q
  # CJK fonts so screenshots show Chinese text instead of boxes.
  as_root apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-noto-cjk
else
  echo "chromium present: $CHROMIUM"
fi

if ! command -v node >/dev/null 2>&1; then
  echo "installing nodejs and npm (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q
  as_root apt-get install -y -q --no-install-recommends nodejs npm
fi

if [ ! -d tests/browser/node_modules/playwright-core ]; then
  echo "installing playwright-core (npm)"
  # No lock file is kept: package.json pins the exact version, and a lock would name
  # registry hosts in the repository.
  (cd tests/browser && npm install --no-package-lock --no-audit --no-fund)
else
  echo "playwright-core present"
fi
