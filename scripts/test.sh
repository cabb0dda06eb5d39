#!/usr/bin/env bash
# Install what the test suite needs (OS packages too, when run as root on Debian) and run it all.
set -euo pipefail
cd "$(dirname "$0")/.."

OS_PACKAGES=(skopeo podman postgresql chromium docker-registry wrk hey nginx-light curl docker.io containerd slapd ldap-utils)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  for pkg in "${OS_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
  fi
fi

. scripts/install.sh
install_berth test,scale,fast
if [ $# -gt 0 ]; then
  exec python -m pytest -q -p no:cacheprovider "$@"
fi
python -m pytest -q -p no:cacheprovider
# The integration tests, tag retention and tag immutability once more on the scale-out stack:
# two Berth processes on PostgreSQL and SeaweedFS behind a round-robin nginx. (The bad-input,
# malformed-HTTP and raw-framing upload tests stay out of this pass: nginx answers malformed
# requests itself and re-frames bodies.)
BERTH_TEST_STACK=scale exec python -m pytest -q -p no:cacheprovider tests/distribution tests/clients/test_skopeo.py \
  tests/api/test_retention.py tests/api/test_immutable_tags.py \
  --ignore=tests/distribution/test_bad_input.py --ignore=tests/distribution/test_malformed_http.py \
  --ignore=tests/distribution/test_upload_pieces.py
