#!/usr/bin/env bash
# Before/after microbenchmarks in one invocation: the same BenchmarkDotNet filter on a git revision
# (exported to a temp dir with git archive) and then on the working tree, back to back, each with the
# load average printed before it. The working tree's reports land in benchmarks/results/ as usual;
# both tables are printed at the end.
#
#   benchmarks/compare.sh b4b4b3e                          # PipelineBenchmarks, full job
#   benchmarks/compare.sh HEAD~1 --quick --filter '*Decode*'
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: benchmarks/compare.sh GIT_REV [run.sh arguments]}
shift
args=("$@")
((${#args[@]})) || args=(--filter '*PipelineBenchmarks*')

tmp=$(mktemp -d /tmp/beacon-compare.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
git archive "$base" | tar -x -C "$tmp"
# The revision's own run.sh may predate Median/Min; run it as it was.
echo "== before ($base): load average $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$tmp" && benchmarks/run.sh "${args[@]}") >"$tmp/before.log" 2>&1 || { tail -30 "$tmp/before.log"; exit 1; }
echo "== after (working tree $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes')): load average $(cut -d' ' -f1-3 /proc/loadavg)"
benchmarks/run.sh "${args[@]}" >"$tmp/after.log" 2>&1 || { tail -30 "$tmp/after.log"; exit 1; }
echo "== done: load average $(cut -d' ' -f1-3 /proc/loadavg)"
for side in before after; do
  echo "-- $side"
  grep -E '^\|' "$tmp/$side.log" || true
  grep -E '^allocation budget' "$tmp/$side.log" || true
done
