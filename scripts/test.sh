#!/usr/bin/env bash
# Install what the test suite needs (OS packages too, when run as root on Debian) and run it all.
set -euo pipefail
cd "$(dirname "$0")/.."

OS_PACKAGES=(skopeo podman postgresql chromium docker-registry wrk nginx-light curl)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  for pkg in "${OS_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

. scripts/install.sh
install_berth test,scale,fast
exec python3 -m pytest -q -p no:cacheprovider "$@"
