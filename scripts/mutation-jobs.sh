#!/usr/bin/env bash
# `make mutation`: scripts/mutation.sh over every source of every name, MUTATION_JOBS (default 3)
# at once, each in a git worktree of its own under .cache/mutmut/jobs/ (mutmut edits sources in
# place), then one kill-rate table per name summed over its sources.
#   MUTATION_FILES="postconf postfix_maps" make mutation   # some names (default: all five)
#   MUTATION_JOBS=2 make mutation
#   MUTATION_RESUME=1 make mutation   # each job goes on from its cache in .cache/mutmut/parts/ (a job
#     that was interrupted keeps the cache of what it had tested)
# The worktrees hold what git tracks as it is on disk (`git stash create`, nothing is stashed):
# a file git does not track under plugins/, tests/ or scripts/ stops the run before it starts.
# Three jobs on 2 cores: smtp_probe's tests wait on sockets most of their time.
# Results: .cache/mutmut/parts/<name>/<module>.{db,survivors.txt,seconds,log}.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
out=$top/.cache/mutmut
jobs_max=${MUTATION_JOBS:-3}
min=${MUTATION_MIN:-90}
case "$jobs_max" in '' | *[!0-9]* | 0) echo "mutation: MUTATION_JOBS must be a positive number, not '$jobs_max'" >&2; exit 2 ;; esac

untracked=$(git ls-files --others --exclude-standard -- plugins tests scripts)
if [ -n "$untracked" ]; then
  printf 'mutation: git does not track these files, so the jobs would not have them (git add them):\n%s\n' "$untracked" >&2
  exit 2
fi
# smtp_probe first: its jobs are the longest (tests that wait on sockets) and use little CPU.
mapfile -t job_list < <(MUTATION_FILES=${MUTATION_FILES:-smtp_probe pmta_config relay_settings postconf postfix_maps} \
  MUTATION_LIST=1 bash scripts/mutation.sh)
[ "${#job_list[@]}" -gt 0 ] || { echo "mutation: no job" >&2; exit 2; }
[ -x .venv/bin/python ] || { echo "mutation: .venv is missing: run make setup" >&2; exit 2; }
.venv/bin/python -c 'import mutmut' 2>/dev/null ||
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-mutation.txt

mkdir -p "$out/jobs" "$out/parts"
command -v flock >/dev/null || { echo "mutation: flock (util-linux) is needed" >&2; exit 2; }
exec 9>"$out/.jobs.lock"
if ! flock -n 9; then
  echo "mutation: another make mutation uses this checkout ($out/.jobs.lock is held)" >&2
  exit 2
fi
# Worktrees a run that was killed outright left behind.
for dir in "$out"/jobs/*/; do
  if [ -d "$dir" ]; then git worktree remove --force "$dir" 2>/dev/null || rm -rf "$dir"; fi
done
git worktree prune
rev=$(git stash create)
rev=${rev:-HEAD}

declare -A pid_job=()
cleanup() {
  local pid
  # Each job's bash passes the TERM to its mutation.sh (which stops its mutmut and restores the
  # sources), then keeps the cache and removes its worktree before it ends.
  for pid in "${!pid_job[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${!pid_job[@]}"; do wait "$pid" 2>/dev/null || true; done
  for dir in "$out"/jobs/*/; do
    if [ -d "$dir" ]; then git worktree remove --force "$dir" 2>/dev/null || true; fi
  done
  git worktree prune
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One job: a worktree, mutation.sh on one source there, its results kept under parts/.
run_job() {
  local name=$1 src=$2 id=$3 dir=$out/jobs/$3 part=$out/parts/$1
  local stem
  stem=$(basename "$src" .py)
  git worktree add -q --detach "$dir" "$rev"
  ln -s "$top/.venv" "$dir/.venv"
  mkdir -p "$dir/.cache/mutmut" "$part"
  [ -e "$top/.cache/postfix" ] && ln -s "$top/.cache/postfix" "$dir/.cache/postfix"
  if [ -n "${MUTATION_RESUME:-}" ] && [ -f "$part/$stem.db" ]; then cp "$part/$stem.db" "$dir/.cache/mutmut/$name.db"; fi
  rm -f "$part/$stem.seconds" "$part/$stem.survivors.txt"  # written again only by a run that ends
  local rc=0 child
  (cd "$dir" && MUTATION_FILES=$name MUTATION_ONLY=$src MUTATION_MIN=0 exec bash scripts/mutation.sh) >"$part/$stem.log" 2>&1 &
  child=$!
  # Stopped (make mutation interrupted): mutation.sh gets the TERM, stops its mutmut and puts the
  # sources and the cache back; this job waits for that, then keeps the cache in parts/
  # (MUTATION_RESUME=1 goes on from there) and removes the worktree.
  trap 'kill -TERM "$child" 2>/dev/null || true' TERM INT
  while :; do
    rc=0
    wait "$child" || rc=$?
    kill -0 "$child" 2>/dev/null || break
  done
  if [ -f "$dir/.cache/mutmut/$name.db" ]; then
    cp "$dir/.cache/mutmut/$name.db" "$part/$stem.db"
    cp "$dir/.cache/mutmut/$name.seconds" "$part/$stem.seconds" 2>/dev/null || true
    cp "$dir/.cache/mutmut/$name.survivors.txt" "$part/$stem.survivors.txt" 2>/dev/null || true
  fi
  git worktree remove --force "$dir"
  return "$rc"
}

start=$SECONDS
failed=()
next=0
echo "== mutation: ${#job_list[@]} jobs, $jobs_max at once (logs: $out/parts/<name>/<module>.log)"
while [ "$next" -lt "${#job_list[@]}" ] || [ "${#pid_job[@]}" -gt 0 ]; do
  while [ "$next" -lt "${#job_list[@]}" ] && [ "${#pid_job[@]}" -lt "$jobs_max" ]; do
    read -r name src <<<"${job_list[$next]}"
    id="$name--$(basename "$src" .py)"
    setsid bash -c "set -euo pipefail; $(declare -f run_job); out='$out' top='$top' rev='$rev' run_job '$name' '$src' '$id'" &
    pid_job[$!]="$name $src"
    next=$((next + 1))
  done
  done_pid=
  rc=0
  wait -n -p done_pid "${!pid_job[@]}" || rc=$?
  read -r name src <<<"${pid_job[$done_pid]}"
  unset "pid_job[$done_pid]"
  stem=$(basename "$src" .py)
  if [ "$rc" -ne 0 ] && [ ! -f "$out/parts/$name/$stem.db" ]; then
    failed+=("$src")
    echo "mutation: $src failed (exit $rc), see $out/parts/$name/$stem.log" >&2
  else
    # mutation.sh's own exit: 0, or 1 when its kill rate is below 0% (never) or mutmut failed
    grep -E "^$name " "$out/parts/$name/$stem.log" | tail -1 | sed "s|^$name|$src|" || true
    [ "$rc" -eq 0 ] || { failed+=("$src"); echo "mutation: $src failed (exit $rc), see $out/parts/$name/$stem.log" >&2; }
  fi
done
echo "mutation: all jobs ended in $((SECONDS - start)) s"

specs=()
declare -A seen=()
for line in "${job_list[@]}"; do
  read -r name src <<<"$line"
  spec=${seen[$name]:+${seen[$name]},}$out/parts/$name/$(basename "$src" .py).db
  seen[$name]=$spec
done
for line in "${job_list[@]}"; do
  name=${line%% *}
  [ -n "${seen[$name]:-}" ] || continue
  specs+=("$name=${seen[$name]}")
  unset "seen[$name]"
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "mutation: failed jobs: ${failed[*]} (the table leaves out their names)" >&2
  kept=()
  for spec in "${specs[@]}"; do
    dbs=${spec#*=}
    ok=true
    for db in ${dbs//,/ }; do [ -f "${db%.db}.seconds" ] || ok=false; done
    if $ok; then kept+=("$spec"); fi
  done
  [ "${#kept[@]}" -eq 0 ] || .venv/bin/python scripts/mutation-report.py "$min" "${kept[@]}" || true
  exit 1
fi
.venv/bin/python scripts/mutation-report.py "$min" "${specs[@]}"
