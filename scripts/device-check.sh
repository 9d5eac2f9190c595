#!/usr/bin/env bash
# One command for a GPU machine (the `device` tool): build the addon against the Python
# PyTorch's CUDA LibTorch there, run the test suite on CUDA, print a summary. < 8 minutes.
#
# The device image has no Node.js and no network: carry this machine's Node binary and the
# node_modules in the git-ignored .device/ folder (scripts/device-pack.sh prepares it):
#   run(command="bash scripts/device-check.sh", carry=[".device", "node_modules", "dist"])
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$(mktemp -d)}
start=$(date +%s)

if ! command -v node >/dev/null; then
  if [ -f .device/node.xz ]; then
    mkdir -p /tmp/svae-node && xz -dc .device/node.xz > /tmp/svae-node/node && chmod +x /tmp/svae-node/node
    export PATH=/tmp/svae-node:$PATH
  else
    echo "no node on this machine and no .device/node.xz carried" | tee "$OUT/summary.txt"; exit 1
  fi
fi
{
  echo "== device"; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1
  echo "== python torch"; python3 -c 'import torch; print(torch.__version__, torch.version.cuda, torch.cuda.is_available())' 2>&1
  echo "== node $(node --version)"
} | tee "$OUT/summary.txt"

# Build against the Python PyTorch (the discovery order's second step).
unset LIBTORCH Torch_DIR
export PYTHON=python3 SENTENCEVAE_BUILD_JOBS=16
build_start=$(date +%s)
node scripts/install.mjs --force > "$OUT/build.log" 2>&1; build_rc=$?
echo "== build rc=$build_rc in $(( $(date +%s) - build_start ))s ($(grep -m1 'LibTorch from' "$OUT/build.log"))" | tee -a "$OUT/summary.txt"
[ $build_rc -eq 0 ] || { tail -40 "$OUT/build.log"; exit 1; }
node -e "import('./dist/lib/index.js').then(m => { const {buildConfig, ...i} = m.info(); console.log(JSON.stringify(i)) })" | tee -a "$OUT/summary.txt"

# The whole suite with model tests on CUDA.
SENTENCEVAE_TEST_DEVICE=cuda node node_modules/ava/entrypoints/cli.mjs --tap > "$OUT/tests.tap" 2>&1; test_rc=$?
grep -E '^not ok' "$OUT/tests.tap" | head -20 | tee -a "$OUT/summary.txt"
grep -E '^# (tests|pass|skip|fail)' "$OUT/tests.tap" | tee -a "$OUT/summary.txt"
echo "== tests rc=$test_rc, total $(( $(date +%s) - start ))s" | tee -a "$OUT/summary.txt"
