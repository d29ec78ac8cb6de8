#!/usr/bin/env bash
# The encoder and `voc analyze` on whatever device is present: a CUDA GPU when there is one, else the CPU.
#
#   bench/gpu_check.sh                         # sizes by device (GPU: 200,000 sentences, 20,000 items)
#   bench/gpu_check.sh --sentences 2000 --items 300 --json bench/results/gpu_check.json
#
# Every line it prints begins with device=...; the arguments go to bench/gpu_check.py.
# PYTHON overrides the interpreter (default .venv/bin/python, else python3).
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
  if [[ -x .venv/bin/python ]]; then PY=.venv/bin/python; else PY=python3; fi
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

# What the machine has, before torch is asked: a GPU torch cannot see is worth a line of its own.
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/gpu: /' || true
else
  echo "gpu: none (no nvidia-smi)"
fi

exec "$PY" bench/gpu_check.py "$@"
