#!/usr/bin/env bash
# `make test`: run each make target in order, stop at the first that fails, and print a table
# of each step's wall time (with the molecule scenarios' own table before it) either way.
# Usage: scripts/timed-steps.sh STEP...
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
mkdir -p build
rm -f build/timings-molecule.md build/timings.md
rows=()
total=0
status=0
for step in "$@"; do
  start=$(date +%s)
  make --no-print-directory "$step"
  rc=$?
  seconds=$(( $(date +%s) - start ))
  total=$(( total + seconds ))
  rows+=("| $step | $([ $rc = 0 ] && echo ok || echo "FAILED ($rc)") | $seconds |")
  if [ $rc != 0 ]; then status=$rc; break; fi
done
{
  echo
  echo "make test: wall time per step, seconds"
  echo "| step | result | s |"
  echo "|---|---|---:|"
  printf '%s\n' "${rows[@]}"
  echo "| total | | $total |"
  if [ -s build/timings-molecule.md ]; then echo; cat build/timings-molecule.md; fi
} | tee build/timings.md
if [ $status = 0 ]; then echo "make test: all checks passed"; else echo "make test: FAILED"; fi
exit $status
