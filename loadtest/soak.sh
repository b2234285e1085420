#!/usr/bin/env bash
# RSS soak: the collector (embedded sink) under a steady open-loop pixel load for a long run, its
# resident set sampled every SAMPLE_S seconds; prints start / end / max RSS and the slope of a
# least-squares line through the samples after the first minute (warm-up: heaps and pools grow).
#
#   loadtest/soak.sh                       # 10 min at 80 % of the collector's max rate, sampled every 10 s
#   DURATION=300 LOAD=0.8 loadtest/soak.sh
#
# The max rate is measured first in the same run: wrk -t1 -c64 for 10 s (loadtest/pixel.lua). The
# steady load is loadtest/PixelRate at LOAD x that rate (open loop, 32 connections). Accounting at the
# end from the collector's own counters (/metrics): pixels answered 2xx == records admitted to the
# ring == records routed to the sink (retention is left on: 10 minutes of pixels is ~15 GB).
# Environment: DURATION (600, seconds), SAMPLE_S (10), LOAD (0.8), SKIP_BUILD (0), KEEP (0).
# Exit status: 0 when the accounting is OK, 1 otherwise, 2 on setup errors.
set -euo pipefail
DURATION=${DURATION:-600}
SAMPLE_S=${SAMPLE_S:-10}
LOAD=${LOAD:-0.8}
SKIP_BUILD=${SKIP_BUILD:-0}
KEEP=${KEEP:-0}
root=$(cd "$(dirname "$0")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
. "$root/loadtest/lib.sh" # say, die, free_port

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
tmp=$(mktemp -d /tmp/beacon-soak.XXXXXX)
collector_pid= sampler_pid=
cleanup() {
  local status=$?
  [[ -n $sampler_pid ]] && kill "$sampler_pid" 2>/dev/null || true
  [[ -n $collector_pid ]] && kill -KILL "$collector_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  if [[ $KEEP == 1 ]]; then say "kept $tmp"; else rm -rf "$tmp"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ $SKIP_BUILD != 1 ]]; then
  (cd "$root" && dotnet build Collector -c Release -nologo -clp:ErrorsOnly -v:q && dotnet build loadtest/PixelRate -c Release -nologo -clp:ErrorsOnly -v:q) \
    >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; die "build failed"; }
fi
cp -r "$root/Collector/bin/Release/net10.0" "$tmp/collector"
port=$(free_port)
admin=$(free_port)
dotnet "$tmp/collector/Beacon.Collector.dll" --urls "http://127.0.0.1:$port" --Beacon:DataDirectory="$tmp/data" \
  --Beacon:Admin:Urls="http://127.0.0.1:$admin" >"$tmp/collector.log" 2>&1 &
collector_pid=$!
for _ in $(seq 300); do curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.2; done
curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" || { cat "$tmp/collector.log" >&2; die "the collector did not start"; }

rss_kb() { awk '/^VmRSS:/ { print $2 }' /proc/"$collector_pid"/status; }
say "== soak: load average $(cut -d' ' -f1-3 /proc/loadavg); RSS after start $(($(rss_kb) / 1024)) MiB"
wrk -t1 -c64 -d10s -s "$root/loadtest/pixel.lua" "http://127.0.0.1:$port" -- 10 500 x >"$tmp/max.out" 2>&1 || { cat "$tmp/max.out" >&2; die "wrk failed"; }
max=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/max.out")
rate=$(awk -v m="$max" -v l="$LOAD" 'BEGIN { printf "%d", m * l }')
wrk_ok=$(sed -n 's/^pixel-accounting:.* ok=\([0-9]*\).*/\1/p' "$tmp/max.out")
say "max rate (wrk -t1 -c64 -d10s): $max requests/s; soak rate ${LOAD} x = $rate requests/s for ${DURATION}s"

: >"$tmp/rss.txt"
(
  t0=$(date +%s)
  while kill -0 "$collector_pid" 2>/dev/null; do
    printf '%s %s\n' $(($(date +%s) - t0)) "$(rss_kb)" >>"$tmp/rss.txt"
    sleep "$SAMPLE_S"
  done
) &
sampler_pid=$!
dotnet "$root/loadtest/PixelRate/bin/Release/net10.0/PixelRate.dll" "127.0.0.1:$port" "$rate" --connections 32 \
  --seconds "$DURATION" --warmup 0 --tag s >"$tmp/rate.out" 2>&1 || { cat "$tmp/rate.out" >&2; die "PixelRate failed"; }
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=
cat "$tmp/rate.out"
sleep 2
curl -s "http://127.0.0.1:$admin/metrics" >"$tmp/metrics.txt" || true
metric() { awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $NF; f = 1 } END { printf "%d", (f ? s : -1) }' "$tmp/metrics.txt"; }

say "RSS samples (seconds MiB):"
awk '{ printf "%s %.1f\n", $1, $2 / 1024 }' "$tmp/rss.txt" | paste -sd' ' | fold -w 160
awk -v warm=60 '
  NR == 1 { first = $2 } { last = $2; if ($2 > max) max = $2 }
  $1 >= warm { n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2 }
  END {
    slope = (n > 1) ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0
    printf "RSS: start %.1f MiB, end %.1f MiB, max %.1f MiB; slope after the first 60 s: %.3f MiB/min (%d samples)\n",
      first / 1024, last / 1024, max / 1024, slope * 60 / 1024, n }' "$tmp/rss.txt"

rate_ok=$(sed -n 's/^pixel-rate:.* ok=\([0-9]*\).*/\1/p' "$tmp/rate.out")
answered=$((wrk_ok + rate_ok))
admitted=$(metric beacon_ring_admitted_total)
routed=$(metric beacon_events_routed_total)
shed=$(metric beacon_ring_shed_total)
say "accounting: answered 2xx $answered (wrk $wrk_ok + PixelRate $rate_ok); ring admitted $admitted, shed $shed; routed $routed"
kill -TERM "$collector_pid"
wait "$collector_pid" || true
collector_pid=
if ((admitted == answered && routed == answered)); then
  say "accounting: OK"
else
  say "accounting: MISMATCH (see $tmp/metrics.txt)"
  KEEP=1
  exit 1
fi
