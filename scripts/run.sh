#!/usr/bin/env bash
# Starts the broker on http://127.0.0.1:4566 with its durable LMDB store in the per-user data
# directory (~/.local/share/wyvern). Installs and builds first when needed. Arguments go to
# wyvern (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec build/wyvern "$@"
