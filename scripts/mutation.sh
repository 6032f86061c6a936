#!/usr/bin/env bash
# Mutation testing of plugins/module_utils with mutmut (pinned in requirements-mutation.txt).
# For each file, mutmut changes one thing at a time in place (`>` to `>=`, a constant, a removed
# call, ...) and runs only that file's tests; a mutant the tests still pass on "survived".
# Prints killed / survived / timeout / suspicious and the kill rate per file, and fails when a
# file's kill rate is below MUTATION_MIN (percent, default 90).
#   MUTATION_FILES="postconf postfix_maps" scripts/mutation.sh   # a subset
#   MUTATION_ONLY="plugins/module_utils/net_values.py" scripts/mutation.sh   # some sources only
#   MUTATION_RESUME=1 scripts/mutation.sh   # continue from .cache/mutmut/<file>.db: mutmut keeps
#     its killed mutants killed and tests the others (untested, and after a change to the tests
#     the survivors and timeouts) again; <file>.seconds is then the time of this run only.
# Results: .cache/mutmut/<file>.db (mutmut's cache), .cache/mutmut/<file>.survivors.txt (the
# diff of every surviving mutant). The sources are restored on exit, also after an interrupt.
# Own tests first: a name that mutates a package (smtp_probe: probe/*.py) runs a mutant of a
# module against that module's mirrored test file first (plugins/module_utils/probe/options.py:
# tests/unit/plugins/module_utils/probe/test_options.py, when it is in the name's list) and, only when those
# tests do not kill it, against the name's whole test list (mutmut --rerun-all, through the hook
# scripts/mutation-hook/mutmut_config.py); the face (smtp_probe.py) and modules without a mirrored
# test file run the whole list at once. The verdict is the whole list's either way; a killed
# mutant just costs one small test file instead of the whole list.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
py=$top/.venv/bin/python
out=.cache/mutmut
min=${MUTATION_MIN:-90}
tu=tests/unit/plugins/module_utils

declare -A tests=(
  [relay_settings]="$tu/test_relay_settings.py $tu/test_settings_values.py $tu/test_net_values.py $tu/test_smarthost_settings.py $tu/test_postfix_settings.py $tu/test_relay_fallback.py $tu/test_relay_settings_spellings.py"
  [smtp_probe]="$(for m in options summary runner channel session; do printf '%s ' "$tu/probe/test_$m.py"; done)$tu/test_smtp_probe_netns.py"
  [pmta_config]="$tu/test_pmta_config.py $(printf '%s ' "$tu"/pmta/test_*.py)"
  [postfix_maps]="$tu/test_postfix_maps.py"
  [postconf]="$tu/test_postconf.py"
)
# What each name mutates: a module, or a module and the package it is the public face of.
mu=plugins/module_utils
modules_of() {  # the modules of a package, each followed by a blank
  local f
  for f in "$1"/*.py; do [ "${f##*/}" = __init__.py ] || printf '%s ' "$f"; done
}
declare -A sources=(
  [relay_settings]="$mu/relay_settings.py $mu/settings_values.py $mu/net_values.py $mu/smarthost_settings.py $mu/postfix_settings.py"
  [smtp_probe]="$(modules_of "$mu/probe")$mu/smtp_probe.py"
  [pmta_config]="$mu/pmta_config.py $(modules_of "$mu/pmta")"
  [postfix_maps]="$mu/postfix_maps.py"
  [postconf]="$mu/postconf.py"
)
files=${MUTATION_FILES:-relay_settings smtp_probe pmta_config postfix_maps postconf}
# MUTATION_ONLY="plugins/module_utils/net_values.py ...": mutate only these sources of each name
# (to share one name's run between checkouts: each runs a part, against the same test list).
if [ -n "${MUTATION_ONLY:-}" ]; then
  for f in $files; do
    kept=
    for src in ${sources[$f]}; do
      case " $MUTATION_ONLY " in *" $src "*) kept+="$src " ;; esac
    done
    [ -n "$kept" ] || { echo "mutation: MUTATION_ONLY names no source of '$f' (${sources[$f]})" >&2; exit 2; }
    sources[$f]=${kept% }
  done
fi
for f in $files; do
  [ -n "${tests[$f]:-}" ] || { echo "mutation: no test list for '$f' (known: ${!tests[*]})" >&2; exit 2; }
done
# MUTATION_LIST=1: print "name source" for each source of each name and stop (scripts/mutation-jobs.sh
# runs one job a source).
if [ -n "${MUTATION_LIST:-}" ]; then
  for f in $files; do
    for src in ${sources[$f]}; do echo "$f $src"; done
  done
  exit 0
fi

if ! "$py" -c 'import mutmut' 2>/dev/null; then
  "$py" -m pip install -q --disable-pip-version-check -r requirements-mutation.txt
fi

mkdir -p "$out/orig"
# One run per checkout: a run that is still ending (its mutmut still testing, its restore still to
# come) would put the sources back and move the cache away under the next one. The lock is held by
# this script and the mutmut it starts (they inherit the descriptor; mutmut's pytest runs do not,
# Python closes it for them, but mutmut waits for them), so it is free only when both are gone.
command -v flock >/dev/null || { echo "mutation: flock (util-linux) is needed" >&2; exit 2; }
exec 9>"$out/.lock"
if ! flock -n 9; then
  echo "mutation: another run still uses this checkout ($out/.lock is held); wait until it has ended" >&2
  exit 2
fi
clean_at_start=true
git diff --quiet -- plugins/ || clean_at_start=false
current=

restore() {
  local rc=$? f src
  for f in $files; do
    for src in ${sources[$f]}; do
      if [ -f "$out/orig/$src" ] && ! cmp -s "$out/orig/$src" "$src"; then
        cp "$out/orig/$src" "$src"
        echo "mutation: restored $src" >&2
      fi
      rm -f "$src.bak"
    done
  done
  if [ -f .mutmut-cache ]; then mv .mutmut-cache "$out/${current:-interrupted}.db"; fi
  rm -f .mutmut-cache-journal
  if $clean_at_start && ! git diff --quiet -- plugins/; then
    echo "mutation: plugins/ differs from git after the run:" >&2
    git diff --stat -- plugins/ >&2
    rc=1
  fi
  exit "$rc"
}
child=
stop() {
  if [ -n "$child" ]; then
    kill -TERM -- "-$child" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$child" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  exit "$1"
}
trap restore EXIT
trap 'stop 130' INT
trap 'stop 143' TERM

# pytest, with every failure as exit status 1: mutmut counts only 1 as "killed", so a mutant that
# breaks the import of a module (pytest's 2, "interrupted: errors during collection") would
# otherwise count as survived. Without the xdist and hypothesis plugins: a run of test_checks.py
# takes 0.8 s instead of 2.6 s, most of it their start-up (tests that use hypothesis import it
# themselves and still run; they lose only the plugin's statistics and its example database).
pytest="$py -c 'import sys, pytest; sys.exit(0 if pytest.main(sys.argv[1:]) == 0 else 1)' -x -q -p no:randomly -p no:xdist -p no:hypothesispytest"
progress=()
[ -t 1 ] || progress=(--no-progress)
for f in $files; do
  for src in ${sources[$f]}; do
    mkdir -p "$out/orig/$(dirname "$src")"
    cp "$src" "$out/orig/$src"
  done
done
for f in $files; do
  current=$f
  if [ -n "${MUTATION_RESUME:-}" ] && [ -f "$out/$f.db" ]; then
    mv "$out/$f.db" .mutmut-cache
  else
    rm -f .mutmut-cache "$out/$f.db"
  fi
  # A module's mirrored test file (plugins/X/m.py: tests/unit/plugins/X/test_m.py), run first
  # when it is one file of a longer test list.
  own=
  for src in ${sources[$f]}; do
    mirror=tests/unit/$(dirname "$src")/test_$(basename "$src")
    case " ${tests[$f]} " in
      *" $mirror "*) [ "$mirror" = "${tests[$f]}" ] || own+="$src $mirror"$'\n' ;;
    esac
  done
  echo "== mutation: ${sources[$f]} against ${tests[$f]}"
  [ -z "$own" ] || awk 'NF { print "   first against its own tests: " $2 }' <<<"$own"
  start=$SECONDS
  rc=0
  # Its own process group: mutmut ignores an interrupt while a mutant is tested, so stop()
  # ends the whole group (mutmut, its worker, pytest) and restore() puts the sources back.
  MUTATION_OWN_TESTS="$own" MUTATION_PYTEST="$pytest" \
    PYTHONPATH="$top/scripts/mutation-hook${PYTHONPATH:+:$PYTHONPATH}" \
    setsid "$py" -m mutmut run --paths-to-mutate "$(tr -s ' ' '\n' <<<"${sources[$f]}" | grep . | paste -sd,)" --tests-dir tests/unit \
    --runner "$pytest ${tests[$f]}" --test-time-base 10 \
    ${own:+--rerun-all} --simple-output "${progress[@]}" &
  child=$!
  wait "$child" || rc=$?
  child=
  # exit codes 2, 4, 8 (and their sums) report survivors, timeouts, suspicious; 1 is fatal.
  if [ $((rc & 1)) -ne 0 ]; then echo "mutation: mutmut failed on $f (exit $rc)" >&2; exit 1; fi
  "$py" -m mutmut show all >"$out/$f.survivors.txt" 2>&1 || true
  mv .mutmut-cache "$out/$f.db"
  echo "$((SECONDS - start))" >"$out/$f.seconds"
  current=
done

specs=()
for f in $files; do specs+=("$f=$out/$f.db"); done
"$py" scripts/mutation-report.py "$min" "${specs[@]}"
