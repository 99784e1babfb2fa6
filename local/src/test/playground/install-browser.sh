#!/usr/bin/env bash
# Installs what the playground's browser test needs: Debian's chromium (no browser download by
# Playwright) and playwright-core from npm. Run as root, or with sudo available.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing Debian's chromium ..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
echo "chromium: $(chromium --version 2>/dev/null || echo missing)"
npm install --no-audit --no-fund --silent
