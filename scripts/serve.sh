#!/usr/bin/env bash
# Install Berth and start it with the embedded defaults (filesystem + SQLite under ./data,
# listening on 127.0.0.1:5000). Extra arguments go to `berth serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/install.sh
install_berth fast
exec "$VENV/bin/python" -m registry serve "$@"
