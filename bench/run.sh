#!/usr/bin/env bash
# All benchmarks, one after another (about 45 minutes on 2 cores). Numbers, not tests:
# run them on a quiet machine. Results are printed and kept in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.venv/bin:$PATH
mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
for b in probe_bench converge_bench throughput_bench; do
  echo "== bench/$b.py"
  python3 "bench/$b.py" | tee "bench/results/$b-$stamp.md"
done
