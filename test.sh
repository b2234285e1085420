#!/usr/bin/env bash
# Passes every test: installs what the tests need when missing, restores, builds, runs them all.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the tests use. Installed only when missing (CI starts from a bare machine).
packages=()
command -v curl >/dev/null || packages+=(curl)
# prlimit makes a disk full for one collector process (DiskFullTests); util-linux is essential, so normally there.
command -v prlimit >/dev/null || packages+=(util-linux)
# The Kafka sink's native client; -dev provides the unversioned librdkafka.so Confluent.Kafka loads.
for pkg in librdkafka1 librdkafka-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || packages+=("$pkg")
done
# promtool (from Debian's prometheus package) checks a real /metrics scrape.
command -v promtool >/dev/null || packages+=(prometheus)
# uap-core's own test corpora (/usr/share/uap-core/tests/test_{ua,os,device}.yaml, 3.5 MB) check the
# User-Agent parser; the npm package the parser's regexes.yaml comes from ships no tests.
dpkg -s uap-core >/dev/null 2>&1 || packages+=(uap-core)
# The tracker's browser tests drive Debian's Chromium (never a downloaded build: no `playwright install`).
[ -x /usr/bin/chromium ] || packages+=(chromium)
# node + npm check that the committed Collector/Tracker/beacon.js is the build of tracker/src.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
if ((${#packages[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi

# The collector embeds the committed build; fail early when it is not what the source builds to.
(cd tracker && npm ci --no-audit --no-fund --loglevel=error && node build.mjs --check)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Beacon.sln -c Release -nologo -clp:ErrorsOnly

log=$(mktemp)
budget_log=$(mktemp)
trap 'rm -f "$log" "$budget_log"' EXIT
set +e
dotnet test Beacon.sln -c Release --no-build -nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The decoder marks 64 bytes at a time with the widest vectors the CPU has (PairScanner.Marks512,
# Marks256, Marks128): on an AVX-512 machine the narrower paths never run. The decoding tests again
# with AVX-512, then AVX2 too, turned off; counted apart from the run above.
narrow=0
for knobs in "DOTNET_EnableAVX512=0" "DOTNET_EnableAVX512=0 DOTNET_EnableAVX2=0"; do
  echo "== the decoding tests with $knobs"
  # shellcheck disable=SC2086 # knobs: one or two NAME=VALUE words for env
  env $knobs dotnet test tests/Parser.Tests -c Release --no-build -nologo \
    --filter 'FullyQualifiedName~Beacon.Parser.Tests.Decoding' || narrow=1
done

# The allocation budgets: every benchmark with an [AllocationBudget] (0 B per record on the ring and
# decode path) measured by BenchmarkDotNet's [MemoryDiagnoser] in its short in-process mode, a few
# seconds. AllocationTests in the run above count the same path with the runtime's own counter.
echo "== the allocation budgets (benchmarks/run.sh --budget)"
budget=0
benchmarks/run.sh --budget >"$budget_log" 2>&1 || budget=1
((budget == 0)) || cat "$budget_log"
grep '^allocation budget:' "$budget_log"
set -e

# One closing line for the whole run, summed over the test projects.
awk '/(Passed|Failed)! +- +Failed:/ {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1)); if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     END { printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
((narrow == 0)) || { echo "The decoding tests failed on narrower vectors (see above)."; exit 1; }
((budget == 0)) || { echo "An allocation budget was missed, or not measured (see above)."; exit 1; }
exit "$status"
