#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, and runs every test.
# Needs neither Python nor torch: PyTorch's golden values are committed under Tests/Fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
. Scripts/env.sh
# mpirun refuses root without these; they change nothing for other users.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Release: the shipped code is what is tested (the allocation test needs the optimizer's
# specialisation, and the numeric tests run far faster). Nothing relies on @testable.
swift build -c release --build-tests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# All tests are XCTest; the empty Swift Testing pass is skipped.
swift test -c release --skip-build --disable-swift-testing 2>&1 | tee "$log" || status=$?
summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -1 || true)
if [ -n "$summary" ]; then
    total=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
    failed=$(echo "$summary" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
    echo "$((total - failed)) passed, $failed failed"
fi
exit "$status"
