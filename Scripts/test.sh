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
exec swift test -c release --skip-build
