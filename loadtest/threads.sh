#!/usr/bin/env bash
# Where the collector's CPU goes at a fixed pixel rate, thread by thread. Starts the collector (embedded
# sink), sends RATE pixels/s open-loop with loadtest/PixelRate for DURATION seconds (after a 3 s warm-up at the
# same rate), and prints for each thread name, summed over the threads of that name: CPU-seconds,
# voluntary context switches (the thread blocked) and involuntary ones (it was preempted, or called
# sched_yield, as the runtime's thread-pool workers do while they spin for work).
#
#   loadtest/threads.sh                                                         # 20,000 pixels/s for 15 s
#   RATE=28000 COLLECTOR_ENV=DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=70 loadtest/threads.sh
#
# Environment: RATE (20000), DURATION (15, seconds), COLLECTOR_ENV (environment for the collector only),
# COLLECTOR_ARGS (extra collector arguments), SKIP_BUILD (0). Talks to 127.0.0.1 only.
set -euo pipefail
RATE=${RATE:-20000}
DURATION=${DURATION:-15}
COLLECTOR_ENV=${COLLECTOR_ENV:-}
COLLECTOR_ARGS=${COLLECTOR_ARGS:-}
SKIP_BUILD=${SKIP_BUILD:-0}
root=$(cd "$(dirname "$0")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
. "$root/loadtest/lib.sh"

tmp=$(mktemp -d /tmp/beacon-threads.XXXXXX)
collector_pid=
cleanup() {
  local status=$?
  [[ -n $collector_pid ]] && stop_pid "$collector_pid" 10
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $SKIP_BUILD == 1 ]] || build_release "$tmp/build.log" Collector loadtest/PixelRate
cp -r "$root/Collector/bin/Release/net10.0" "$tmp/collector"
port=$(free_port)
admin=$(free_port)
# shellcheck disable=SC2086 # COLLECTOR_ENV and COLLECTOR_ARGS are lists
env $COLLECTOR_ENV dotnet "$tmp/collector/Beacon.Collector.dll" --urls "http://127.0.0.1:$port" --Beacon:DataDirectory="$tmp/data" \
  --Beacon:Admin:Urls="http://127.0.0.1:$admin" $COLLECTOR_ARGS >"$tmp/collector.log" 2>&1 &
collector_pid=$!
wait_http "http://127.0.0.1:$port/healthz" 60 "$collector_pid" || { cat "$tmp/collector.log" >&2; die "the collector did not start"; }

snapshot() { # one line per thread: "tid name voluntary involuntary ticks" (a thread may exit between the glob and the read)
  local task
  for task in /proc/"$collector_pid"/task/*; do
    { printf '%s %s %s %s\n' "${task##*/}" "$(tr ' ' _ <"$task/comm")" \
      "$(awk '/^voluntary_ctxt_switches/ { v = $2 } /^nonvoluntary_ctxt_switches/ { n = $2 } END { print v, n }' "$task/status")" \
      "$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$task/stat")"; } 2>/dev/null || true
  done | sort
}

rate_dll="$root/loadtest/PixelRate/bin/Release/net10.0/PixelRate.dll"
dotnet "$rate_dll" "127.0.0.1:$port" "$RATE" --seconds 3 --warmup 0 --tag w >/dev/null
snapshot >"$tmp/before"
dotnet "$rate_dll" "127.0.0.1:$port" "$RATE" --seconds "$DURATION" --warmup 0 --tag m >"$tmp/rate.out"
snapshot >"$tmp/after"

say "== collector threads at $RATE pixels/s for ${DURATION}s (load average $(cut -d' ' -f1-3 /proc/loadavg))${COLLECTOR_ENV:+; env $COLLECTOR_ENV}"
grep -o 'achieved_per_s=[^ ]*\| p50_ms=[^ ]*\| p99_ms=[^ ]*\|send_late_p99_ms=[^ ]*' "$tmp/rate.out" | tr '\n' ' ' 
echo
printf '%-22s %8s %12s %12s %10s\n' thread cpu-s voluntary involuntary us/pixel
# Threads present at both snapshots (tid joined; a thread born during the run is left out).
join "$tmp/before" "$tmp/after" | awk -v hz="$(getconf CLK_TCK)" -v n="$((RATE * DURATION))" '
  { c[$2] += $9 - $5; v[$2] += $7 - $3; i[$2] += $8 - $4; tc += $9 - $5; tv += $7 - $3; ti += $8 - $4 }
  END {
    for (k in c) if (c[k] + v[k] + i[k] > 0) printf "%-22s %8.2f %12d %12d %10.2f\n", k, c[k] / hz, v[k], i[k], c[k] / hz / n * 1e6
    printf "%-22s %8.2f %12d %12d %10.2f\n", "(all)", tc / hz, tv, ti, tc / hz / n * 1e6
  }' | sort -k2 -g -r
