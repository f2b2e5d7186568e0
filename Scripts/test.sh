#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, and runs every test.
# Needs neither Python nor torch: PyTorch's golden values are committed under Tests/Fixtures.
#
# The golden, distributed and resume tests run again on the reference backend (im2col +
# OpenBLAS, SWIFTGAN_BACKEND=blas). On a CPU with AVX-512 the numeric tests (NeuralTests,
# TrainingTests) run twice more: with OpenBLAS and oneDNN held to AVX2 (OPENBLAS_CORETYPE=Haswell,
# ONEDNN_MAX_CPU_ISA=AVX2: what AVX2-only machines run, oneDNN's 8-channel blocks) and with
# OpenBLAS on its AVX-512 kernels (SkylakeX, which it may not pick by itself on a CPU newer than
# it knows), so every code path is covered whatever machine runs the suite.
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
passed=0
failed=0
skipped=0
# One pass of XCTest (the empty Swift Testing pass is skipped); adds to the totals.
run_pass() {
    local label=$1
    shift
    echo "== tests: $label"
    "$@" swift test -c release --skip-build --disable-swift-testing "${filter[@]}" 2>&1 | tee "$log" || status=1
    local summary
    # "Executed N tests, with F failures" or "Executed N tests, with S tests skipped and F failures"
    summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with ([0-9]+ tests? skipped and )?[0-9]+ failures?" "$log" | tail -1 || true)
    if [ -z "$summary" ]; then
        echo "no test summary for pass '$label'"
        status=1
        return
    fi
    local total fails skips
    total=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
    fails=$(echo "$summary" | sed -E 's/.* ([0-9]+) failures?.*/\1/')
    skips=0
    if echo "$summary" | grep -q skipped; then skips=$(echo "$summary" | sed -E 's/.*with ([0-9]+) tests? skipped.*/\1/'); fi
    passed=$((passed + total - fails - skips))
    failed=$((failed + fails))
    skipped=$((skipped + skips))
    # Why anything was skipped (e.g. no network namespaces or Slurm on this machine).
    grep -E "Test skipped" "$log" | sed -E 's/.*Test skipped - /skipped: /' | sort -u || true
}
filter=()
run_pass "all: oneDNN backend, the libraries' own kernel choice" env
filter=(--filter 'NeuralTests|TrainingTests|DistributedTrainingTests|CheckpointTests')
run_pass "numeric, distributed and resume on the reference backend (SWIFTGAN_BACKEND=blas)" env SWIFTGAN_BACKEND=blas
if grep -qw avx512f /proc/cpuinfo; then
    filter=(--filter 'NeuralTests|TrainingTests')
    run_pass "numeric, AVX2 only (OPENBLAS_CORETYPE=Haswell, ONEDNN_MAX_CPU_ISA=AVX2)" env OPENBLAS_CORETYPE=Haswell ONEDNN_MAX_CPU_ISA=AVX2
    run_pass "numeric, OPENBLAS_CORETYPE=SkylakeX" env OPENBLAS_CORETYPE=SkylakeX
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
