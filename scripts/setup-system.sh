#!/usr/bin/env bash
# Installs the system packages sentencevae builds against (Debian 12 / Ubuntu, as root).
set -euo pipefail
if [ "$(id -u)" != 0 ]; then echo "run as root (sudo bash $0)" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# libgloo-dev: LibTorch 1.13's c10d headers include it. libopenblas0-openmp: without it
# Debian's LibTorch falls back to reference BLAS (~25x slower matmul).
apt-get install -y -qq --no-install-recommends \
  libtorch-dev libgloo-dev libopenblas0-openmp cmake ninja-build g++ make python3 >/dev/null
echo "[sentencevae] system packages installed"
