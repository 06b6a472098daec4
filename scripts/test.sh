#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds the unit tests with AddressSanitizer
# and UndefinedBehaviorSanitizer and runs them, then builds Wyvern and runs every unit and
# end-to-end test (CTest). Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== unit tests under ASan + UBSan"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWYVERN_SANITIZE=ON -DWYVERN_E2E=OFF >/dev/null
cmake --build build-asan -j2 --target unit_tests jsonata_tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -R '^(unit|jsonata)$'

echo "== every test: unit and end-to-end with the real AWS clients"
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j2 --timeout 900
