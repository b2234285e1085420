#!/usr/bin/env bash
# Where a pixel's CPU goes, part by part: Beacon (embedded sink) against the bare Kestrel app
# (loadtest/KestrelFloor), each under the same wrk load (pixel.lua, -t1 -c64) and recorded with
# `perf record -g` while it runs. Every sample is put in the first part of the request path its stack
# passes through (the table's order), and each part's share of the samples is turned into CPU-µs per
# request with the server's own CPU time and answered pixels over the same run. The difference column
# is what Beacon adds to a Kestrel app that only answers the GIF.
#
#   loadtest/profile.sh                 # two rounds of each server, alternated: 5 s warm-up, 10 s recorded
#   ROUNDS=3 DURATION=20 loadtest/profile.sh
#
# Environment: ROUNDS (2; the table sums them), DURATION (10, seconds recorded), WARMUP (5), CONNECTIONS
# (64), FREQUENCY (999, samples per second per thread), COLLECTOR_ENV, COLLECTOR_ARGS, SKIP_BUILD (0).
# Needs perf (Debian: linux-perf) and wrk. Both servers run with the JIT's perf map on and W^X off so perf can name JIT'd code; that costs
# both the same. Talks to 127.0.0.1 only.
set -euo pipefail
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-5}
CONNECTIONS=${CONNECTIONS:-64}
FREQUENCY=${FREQUENCY:-999}
COLLECTOR_ENV=${COLLECTOR_ENV:-}
COLLECTOR_ARGS=${COLLECTOR_ARGS:-}
SKIP_BUILD=${SKIP_BUILD:-0}
root=$(cd "$(dirname "$0")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
. "$root/loadtest/lib.sh"

missing=()
for tool in perf wrk curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
((${#missing[@]} == 0)) || die "missing ${missing[*]} (Debian: apt-get install -y linux-perf wrk curl)"

tmp=$(mktemp -d /tmp/beacon-profile.XXXXXX)
server_pid=
cleanup() {
  local status=$?
  [[ -n $server_pid ]] && { stop_pid "$server_pid" 10; rm -f "/tmp/perf-$server_pid.map"; }
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $SKIP_BUILD == 1 ]] || build_release "$tmp/build.log" Collector loadtest/KestrelFloor
lua="$root/loadtest/pixel.lua"
hz=$(getconf CLK_TCK)

# The parts, in the order a sample is matched against them: "name|pattern|pattern...". A pattern is a
# fixed string looked for in the sample's stack; "@THREAD" matches the samples of thread THREAD, and
# "@THREAD:STRING" those of its samples whose stack holds STRING. "[Beacon.Parser] " (with the space) is
# in the frame of every method of the Parser assembly and in no other frame. A method the JIT inlined
# has no frame of its own: its samples count toward its caller's part.
parts=(
  "pipeline: decoding and enrichment (Parser)|@beacon-pipeline:[Beacon.Parser] "
  "pipeline: the record's JSON|@beacon-pipeline:RecordWriter::"
  "pipeline: segment files (buffer copies, page-cache writes)|@beacon-pipeline:SegmentFileSink::|@beacon-pipeline:SegmentLog::"
  "pipeline: routing, ring, counters, waits|@beacon-pipeline"
  "socket send (and loopback delivery to wrk)|__send"
  "socket receive|__libc_recv"
  "epoll: waiting and waking|epoll_wait"
  "edge: the pixel copied into the ring|PixelEndpoint::Enqueue"
  "response: headers and body written|FirstWriteAsyncInternal|WritePipeAsync"
  "the handler, besides the above|PixelEndpoint::HandlePixelAsync|<Main>$"
  "CORS and config-version middlewares|CorsPolicy::HandleAsync|ConfigEndpoint::StampVersionAsync"
  "endpoint routing|Microsoft.AspNetCore.Routing"
  "hosting: request context and metrics|Microsoft.AspNetCore.Hosting|PrometheusExporter"
  "Kestrel: request parsing|TryParseRequest"
  "Kestrel: the rest|Kestrel"
)

# profile NAME ROUND DLL ARGS...: warm-up, then DURATION s of wrk with perf recording the server; leaves
# $tmp/NAME.ROUND.parts ("part-index samples" lines, index ${#parts[@]} = other) and
# $tmp/NAME.ROUND.summary ("answered ticks samples").
profile() {
  local name=$1 round=$2 dll=$3 port before after answered
  shift 3
  port=$(free_port)
  # shellcheck disable=SC2086 # COLLECTOR_ENV is a list
  env $COLLECTOR_ENV DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 \
    dotnet "$dll" --urls "http://127.0.0.1:$port" "$@" >"$tmp/$name.log" 2>&1 &
  server_pid=$!
  wait_http "http://127.0.0.1:$port/healthz" 60 "$server_pid" || { cat "$tmp/$name.log" >&2; die "$name did not start"; }
  timeout $((WARMUP + 60)) wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$lua" "http://127.0.0.1:$port" -- "$WARMUP" 500 w \
    >"$tmp/$name-warmup.out" 2>&1 || { cat "$tmp/$name-warmup.out" >&2; die "wrk failed against $name"; }
  perf record -q -N -F "$FREQUENCY" -g -p "$server_pid" -o "$tmp/$name.data" >"$tmp/$name-perf.log" 2>&1 &
  local perf_pid=$!
  sleep 1 # perf attaches to every thread before the load starts
  before=$(ticks "$server_pid")
  timeout $((DURATION + 60)) wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s "$lua" "http://127.0.0.1:$port" -- "$DURATION" 500 m \
    >"$tmp/$name.out" 2>&1 || { cat "$tmp/$name.out" >&2; die "wrk failed against $name"; }
  after=$(ticks "$server_pid")
  kill -INT "$perf_pid"
  wait "$perf_pid" || true # perf exits with the signal's status
  [[ -s $tmp/$name.data ]] || { cat "$tmp/$name-perf.log" >&2; die "perf record failed"; }
  answered=$(sed -n 's/^pixel-accounting:.* answered=\([0-9]*\).*/\1/p' "$tmp/$name.out")
  [[ ${answered:-0} -gt 0 ]] || { cat "$tmp/$name.out" >&2; die "no pixels answered by $name"; }
  # Resolve JIT'd names while the server (and its perf map) is still there.
  perf script -i "$tmp/$name.data" -F comm,ip,sym 2>/dev/null | awk -v spec="$(printf '%s\n' "${parts[@]}")" '
    BEGIN {
      n = split(spec, lines, "\n")
      for (i = 1; i <= n; i++) { k = split(lines[i], f, "|"); count[i - 1] = k - 1; for (j = 2; j <= k; j++) pat[i - 1, j - 2] = f[j] }
      parts = n
    }
    function matches(p,   colon) {
      if (substr(p, 1, 1) != "@") return index(stack, p) > 0
      colon = index(p, ":")
      if (!colon) return comm == substr(p, 2)
      return comm == substr(p, 2, colon - 2) && index(stack, substr(p, colon + 1)) > 0
    }
    function classify(   i, j) {
      for (i = 0; i < parts; i++) for (j = 0; j < count[i]; j++) if (matches(pat[i, j])) { hits[i]++; return }
      hits[parts]++
    }
    /^[^ \t]/ { if (open) classify(); comm = $1; stack = ""; open = 1; next }
    /^[ \t]*$/ { if (open) classify(); open = 0; next }
    { stack = stack "\n" $0 }
    END { if (open) classify(); for (i = 0; i <= parts; i++) print i, hits[i] + 0 }' >"$tmp/$name.$round.parts"
  printf '%s %s %s\n' "$answered" "$((after - before))" "$(awk '{ s += $2 } END { print s }' "$tmp/$name.$round.parts")" \
    >"$tmp/$name.$round.summary"
  rm -f "$tmp/$name.data"
  say "$name, round $round: $((answered / DURATION)) pixels/s, $(awk -v t=$((after - before)) -v hz="$hz" -v a="$answered" \
    'BEGIN { printf "%.2f", t / hz / a * 1e6 }') CPU-µs per pixel, $(cut -d' ' -f3 "$tmp/$name.$round.summary") samples"
  stop_pid "$server_pid" 10
  rm -f "/tmp/perf-$server_pid.map"
  server_pid=
}

say "== where a pixel's CPU goes: wrk -t1 -c$CONNECTIONS, ${WARMUP} s warm-up, ${DURATION} s recorded at ${FREQUENCY} Hz; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 1; round <= ROUNDS; round++)); do
  # shellcheck disable=SC2086 # COLLECTOR_ARGS is a list
  profile beacon "$round" "$root/Collector/bin/Release/net10.0/Beacon.Collector.dll" --Beacon:DataDirectory="$tmp/data.$round" \
    --Beacon:Admin:Urls="http://127.0.0.1:$(free_port)" $COLLECTOR_ARGS
  rm -rf "$tmp/data.$round"
  profile floor "$round" "$root/loadtest/KestrelFloor/bin/Release/net10.0/KestrelFloor.dll"
done
# The rounds summed: samples per part, and answered pixels, ticks and samples per server.
for name in beacon floor; do
  cat "$tmp/$name".*.parts | awk '{ s[$1] += $2 } END { for (i in s) print i, s[i] }' | sort -n >"$tmp/$name.parts"
  cat "$tmp/$name".*.summary | awk '{ a += $1; t += $2; n += $3 } END { print a, t, n }' >"$tmp/$name.summary"
done

printf '%-58s %10s %10s %10s\n' "CPU-µs per pixel, $ROUNDS rounds summed" Beacon floor difference
{ printf '%s\n' "${parts[@]}" | cut -d'|' -f1; echo "other: GC, runtime, timers, unattributed"; } >"$tmp/names"
paste -d'\t' "$tmp/names" <(cut -d' ' -f2 "$tmp/beacon.parts") <(cut -d' ' -f2 "$tmp/floor.parts") | awk -F'\t' -v hz="$hz" \
  -v b="$(cat "$tmp/beacon.summary")" -v f="$(cat "$tmp/floor.summary")" '
  BEGIN { split(b, B, " "); split(f, F, " "); ub = B[2] / hz / B[1] * 1e6; uf = F[2] / hz / F[1] * 1e6 }
  { x = ub * $2 / B[3]; y = uf * $3 / F[3]; printf "%-58s %10.2f %10.2f %+10.2f\n", $1, x, y, x - y }
  END { printf "%-58s %10.2f %10.2f %+10.2f\n", "all", ub, uf, ub - uf }'
