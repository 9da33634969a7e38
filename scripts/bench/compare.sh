#!/usr/bin/env bash
# Our engine next to transformers and llama.cpp (see scripts/bench/compare.py --help).
#   scripts/bench/compare.sh [--quick] [--threads 2] [--engines minimax,transformers,llama.cpp] [--json-out FILE]
# Uses the reference venv (torch CPU + transformers); override with PYTHON=/path/to/python.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-}"
if [ -z "$python" ]; then
  for candidate in "$root/.venv-ref/bin/python" /work/main/.venv-ref/bin/python; do
    if [ -x "$candidate" ]; then python="$candidate"; break; fi
  done
fi
if [ -z "$python" ]; then
  echo "compare.sh: no .venv-ref found; set PYTHON to a Python with torch, transformers, safetensors, numpy" >&2
  exit 2
fi
exec "$python" "$here/compare.py" "$@"
