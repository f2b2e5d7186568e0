#!/usr/bin/env bash
# Installs what SwiftGAN needs from Debian and is not there yet; safe to run again.
# An apt step that fails is retried once (mirrors fail now and then for no lasting reason).
set -euo pipefail

# The last line: what the cluster tests use (network-namespace hosts, a real single-node Slurm).
packages=(libopenmpi-dev openmpi-bin libopenblas-dev libpng-dev libturbojpeg0-dev zlib1g-dev libdnnl-dev liblinear-dev liblinear-tools pkg-config dataset-fashion-mnist
          iproute2 slurmctld slurmd slurm-client munge)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

retry() {
    "$@" || { echo "install-deps: '$*' failed; retrying once" >&2; sleep 5; "$@"; }
}

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    retry $sudo apt-get update -qq
    retry $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v swift >/dev/null 2>&1 && [ ! -x /opt/swift/usr/bin/swift ]; then
    echo "install-deps: Swift 6 not found (expected on PATH or at /opt/swift/usr/bin)" >&2
    exit 1
fi
