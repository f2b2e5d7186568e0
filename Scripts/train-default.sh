#!/usr/bin/env bash
# The default job: installs what is missing, builds in release, and trains the 32x32 DCGAN
# for one epoch of Fashion-MNIST, writing sample grids to runs/fashion-mnist-dcgan/samples/.
# Extra arguments go to `swiftgan train` (e.g. --steps 200).
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
. Scripts/env.sh
swift build -c release --product swiftgan
exec .build/release/swiftgan train "$@"
