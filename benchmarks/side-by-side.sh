#!/usr/bin/env bash
# One benchmark method of a git revision and of the working tree, timed in turn in one process
# (benchmarks/SideBySide): for changes of 5-20 % that two BenchmarkDotNet runs cannot tell apart on
# this shared VM, where one process runs up to 2x slower than the next. BenchmarkDotNet
# (benchmarks/run.sh, compare.sh) stays the source of absolute figures and allocations.
#
#   benchmarks/side-by-side.sh cd8cebe                                  # PipelineBenchmarks.DecodeAndEnrich, 20 s
#   benchmarks/side-by-side.sh HEAD~1 --method FullPath --seconds 30
#   benchmarks/side-by-side.sh HEAD~1 --class RingBenchmarks --method ...  # any public method without arguments
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: benchmarks/side-by-side.sh GIT_REV [--class C] [--method M] [--seconds S]}
shift
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

tmp=$(mktemp -d /tmp/beacon-side-by-side.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
git archive "$base" | tar -x -C "$tmp"
build() { dotnet build "$1/benchmarks/Beacon.Benchmarks/Beacon.Benchmarks.csproj" -c Release -nologo -clp:ErrorsOnly -o "$2" >"$2.log" 2>&1 || { tail -20 "$2.log"; exit 1; }; }
build "$tmp" "$tmp/before"
build "$PWD" "$tmp/after"
dotnet build benchmarks/SideBySide/SideBySide.csproj -c Release -nologo -clp:ErrorsOnly >"$tmp/host.log" 2>&1 || { tail -20 "$tmp/host.log"; exit 1; }
echo "== $base vs working tree ($(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes')): load average $(cut -d' ' -f1-3 /proc/loadavg)"
# Twice, the second time with the after build loaded first: whichever load context a process
# favours (by up to ~4 % here), each build has it once. The last line is the figure.
host=benchmarks/SideBySide/bin/Release/net10.0/SideBySide.dll
first=$(dotnet "$host" "$tmp/before" "$tmp/after" "$@")
echo "$first"
second=$(dotnet "$host" "$tmp/before" "$tmp/after" "$@" --load-after-first)
echo "$second"
ratio() { sed -E 's/.*median of [0-9]+ rounds ([0-9.]+).*/\1/' <<<"$1"; }
awk -v x="$(ratio "$first")" -v y="$(ratio "$second")" \
  'BEGIN { printf "after/before, both load orders: %.3f (geometric mean of %.3f and %.3f)\n", sqrt(x * y), x, y }'
