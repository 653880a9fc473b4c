#!/usr/bin/env bash
# The first thing to run on a GPU machine (the device tool; <= 8 min on one GPU): the CUDA
# tests (graph vs eager, CUDA vs the CPU engine, record_split on the device, the estimators'
# CUDA tests), then the training and estimator benchmarks on CUDA. Writes gpu_smoke.md (and
# logs) to $1, default $OUT or results/gpu_smoke; record what it says in docs/performance.md.
#
#   device run: [install .whl, see ../shared/tools/device-wheels.sh;] bash benchmarks/gpu_smoke.sh
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-${OUT:-results/gpu_smoke}}
mkdir -p "$out"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
report="$out/gpu_smoke.md"
step() {  # step NAME SECONDS COMMAND...: run with a time limit, log it, note its status
  local name=$1 limit=$2; shift 2
  local start=$SECONDS
  timeout "$limit" "$@" >"$out/$name.log" 2>&1
  local status=$?
  printf '| %s | %s | %d s |\n' "$name" "$([ $status = 0 ] && echo ok || echo "FAILED ($status)")" \
    $((SECONDS - start)) >>"$report"
  tail -n 25 "$out/$name.log" | sed 's/^/    /' >>"$out/details.md"
}
{
  echo "# GPU smoke test, $(date -u +%F), commit $(git rev-parse --short HEAD 2>/dev/null)"
  echo
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/GPU: /'
  python -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda)"
  echo
  echo "| step | result | time |"
  echo "| --- | --- | --- |"
} >"$report"
step cuda-tests 240 python -m pytest -p no:xdist -o addopts= -q -k cuda tests
step train-benchmark 150 python benchmarks/train_throughput.py --device cuda \
  --cases szt-tanh,mnist138-tanh --epochs 200
step estimator-benchmark 120 python benchmarks/estimators.py --device cuda
{ echo; echo "## Output tails"; cat "$out/details.md"; } >>"$report"
cat "$report"
