#!/usr/bin/env bash
# Runs the microbenchmarks (BenchmarkDotNet, Release) and copies the markdown reports to
# benchmarks/results/ (--quick: benchmarks/results/quick/). Exits non-zero when a benchmark
# went over its [AllocationBudget] (0 B per record on the ring/decode path),
# checked by the benchmark program itself from what [MemoryDiagnoser] measured.
#
#   benchmarks/run.sh                      everything, default job (3 warm-ups, 10 iterations): ~5 min on 2 cores
#   benchmarks/run.sh --quick              BenchmarkDotNet's short job (3 + 3), ~1.5 min: for iterating
#   benchmarks/run.sh --quick --filter '*Pipeline*'   the per-record costs and the allocation budget, ~1 min
#   benchmarks/run.sh --budget             only the allocation budgets (in-process, one short iteration
#                                          each; ./test.sh runs it): seconds, no reports kept, times meaningless
#   benchmarks/run.sh --filter '*Ring*'    any other argument goes to BenchmarkDotNet
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

args=("$@")
results=results
[[ " ${args[*]-} " == *" --quick "* ]] && results=results/quick
budget=0
[[ " ${args[*]-} " == *" --budget "* ]] && budget=1
# Without a filter BenchmarkDotNet asks which benchmarks to run; run them all.
[[ " ${args[*]-} " == *" --filter "* || " ${args[*]-} " == *" -f "* ]] || args+=(--filter '*')

dotnet build Beacon.Benchmarks/Beacon.Benchmarks.csproj -c Release -nologo -clp:ErrorsOnly

artifacts=$PWD/BenchmarkDotNet.Artifacts
# The budget check keeps nothing: its artifacts go to a temporary directory, its reports nowhere.
((budget)) && { artifacts=$(mktemp -d); trap 'rm -rf "$artifacts"' EXIT; }
rm -rf "$artifacts/results"
set +e
dotnet Beacon.Benchmarks/bin/Release/net10.0/Beacon.Benchmarks.dll --artifacts "$artifacts" "${args[@]}"
status=$?
set -e
((budget)) && exit "$status"

mkdir -p "$results"
shopt -s nullglob
reports=("$artifacts"/results/*-report-github.md)
for report in "${reports[@]}"; do
  # Beacon.Benchmarks.Buffering.RingBenchmarks-report-github.md → RingBenchmarks.md
  name=$(basename "$report" -report-github.md)
  cp "$report" "$results/${name##*.}.md"
done
if ((${#reports[@]})); then
  echo "markdown reports: $(cd "$results" && ls -- *.md | tr '\n' ' ')in benchmarks/$results/"
fi
exit "$status"
