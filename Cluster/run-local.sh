#!/usr/bin/env bash
# One node: as many ranks as cores (or $1), one BLAS thread each, bound to cores.
#   Cluster/run-local.sh 2 --steps 200
# Works as root and without ssh (the two flags below are harmless otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
ranks=${1:-$(nproc)}
shift || true
[ -x .build/release/swiftgan ] || { . Scripts/env.sh; swift build -c release --product swiftgan; }
exec mpirun --allow-run-as-root --mca plm isolated -np "$ranks" --bind-to core -x OPENBLAS_NUM_THREADS=1 \
    .build/release/swiftgan train "$@"
