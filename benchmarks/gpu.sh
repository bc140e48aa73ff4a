#!/usr/bin/env bash
# CUDA benchmark of every torch-based task, for a GPU machine that has only this repository and a
# Python with torch (no network, nothing installed). Finishes within 8 minutes; the summary table is
# printed last. Usage: bash benchmarks/gpu.sh [extra `ais bench` options, e.g. --tasks ocr]
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

if [[ -x "$REPO/.venv/bin/python" ]]; then
  PY="$REPO/.venv/bin/python"
else
  PY="$(command -v python3 || command -v python)"
  export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
fi
if [[ -z "${PY:-}" ]]; then echo "gpu.sh: no python found" >&2; exit 2; fi
echo "gpu.sh: python = $PY ($("$PY" -c 'import sys; print(sys.version.split()[0])'))"

# The harness itself needs these; tasks whose own packages are missing are skipped with a reason.
missing="$("$PY" - <<'PY'
import importlib.util
need = ["pydantic", "typer", "rich", "numpy", "PIL", "torch"]
print(" ".join(m for m in need if importlib.util.find_spec(m) is None))
PY
)"
if [[ -n "$missing" ]]; then
  echo "gpu.sh: cannot run: this python lacks $missing (the harness needs pydantic, typer, rich, numpy, pillow, torch)" >&2
  exit 2
fi
for optional in matplotlib psutil; do
  "$PY" -c "import $optional" 2>/dev/null || echo "gpu.sh: $optional not installed: $( [[ $optional == matplotlib ]] && echo 'no PNG plots' || echo 'physical core count unknown')"
done
if ! "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  echo "gpu.sh: torch sees no CUDA device; nothing to do" >&2
  exit 2
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

# 8 minutes in all: each task gets a fair share of what is left of --budget (time a fast task does
# not use goes to the next), a task still running at its share is stopped and keeps what it
# measured; `timeout` is the last guard. Quick plan; precisions from AIS_BENCH_PRECISIONS.
precisions=()
for p in ${AIS_BENCH_PRECISIONS:-fp16 fp32}; do precisions+=(--precision "$p"); done
timeout --kill-after=20 470 "$PY" -m benchmarks \
  --device cuda --torch-only --quick "${precisions[@]}" \
  --budget "${AIS_BENCH_BUDGET:-400}" --task-timeout 200 \
  --out "${AIS_BENCH_OUT:-$REPO/runs}" "$@"
status=$?
if [[ $status -eq 124 || $status -eq 137 ]]; then
  echo "gpu.sh: stopped by the 470 s guard; partial runs are not written" >&2
fi
exit $status
