#!/usr/bin/env bash
# What Kafka compression buys on Beacon's own records: the collector (Kafka sink, mock cluster) takes
# a few seconds of loadtest/pixel.lua pixels, kcat reads RECORDS of them back from beacon.p1, and
# they are cut into batches of 1, 5, 20 and 100 records (the size of a producer batch per partition
# depends on the rate per partition and linger.ms) and compressed per batch with the zstd and lz4
# command-line tools at librdkafka's default levels (zstd 3, lz4 1). Prints the ratio per batch size.
#
#   loadtest/kafka-compression.sh            # 2,000 records
#   RECORDS=5000 loadtest/kafka-compression.sh
#
# Environment: RECORDS (2000), SKIP_BUILD (0), KEEP (0). Talks to 127.0.0.1 only.
set -euo pipefail
RECORDS=${RECORDS:-2000}
SKIP_BUILD=${SKIP_BUILD:-0}
KEEP=${KEEP:-0}
root=$(cd "$(dirname "$0")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
. "$(dirname "$0")/lib.sh"

missing=()
for tool in wrk kcat zstd lz4; do command -v $tool >/dev/null || missing+=($tool); done
if ((${#missing[@]})); then
  say "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

tmp=$(mktemp -d /tmp/beacon-compression.XXXXXX)
collector_pid= mock_pid=
cleanup() {
  local status=$?
  [[ -n $collector_pid ]] && stop_pid "$collector_pid" 20
  [[ -n $mock_pid ]] && stop_pid "$mock_pid" 5
  if [[ $KEEP == 1 ]]; then say "kept $tmp"; else rm -rf "$tmp"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $SKIP_BUILD == 1 ]] || build_release "$tmp/build.log" Collector/Beacon.Collector.csproj
cp -r "$root/Collector/bin/Release/net10.0" "$tmp/collector"
dll="$tmp/collector/Beacon.Collector.dll"
start_mock_kafka "$dll" 4 "$tmp"
port=$(free_port)
admin=$(free_port)
dotnet "$dll" --urls "http://127.0.0.1:$port" --Beacon:DataDirectory="$tmp/data" --Beacon:Admin:Urls="http://127.0.0.1:$admin" \
  --Beacon:Kafka:BootstrapServers="$boot" >"$tmp/collector.log" 2>&1 &
collector_pid=$!
wait_http "http://127.0.0.1:$port/healthz" 60 "$collector_pid" || { cat "$tmp/collector.log" >&2; die "the collector did not become healthy"; }
wrk -t1 -c8 -d3s -s "$root/loadtest/pixel.lua" "http://127.0.0.1:$port" -- 3 500 c >"$tmp/wrk.out"
stop_pid "$collector_pid" 30 # flushes the producer
collector_pid=
timeout 60 kcat -b "$boot" -C -t beacon.p1 -o beginning -e -q -c "$RECORDS" -f '%s\n' >"$tmp/records" 2>"$tmp/kcat.log" \
  || { cat "$tmp/kcat.log" >&2; die "kcat could not read beacon.p1"; }
count=$(wc -l <"$tmp/records")
((count == RECORDS)) || die "read $count records from beacon.p1, wanted $RECORDS"

say "== $count pixel records from beacon.p1, $(wc -c <"$tmp/records") bytes ($(awk -v b="$(wc -c <"$tmp/records")" -v n="$count" 'BEGIN { printf "%.0f", b / n }') per record)"
printf '%-18s %12s %12s\n' "records per batch" "zstd -3" "lz4 -1"
for per in 1 5 20 100; do
  rm -rf "$tmp/batches" && mkdir "$tmp/batches"
  split -l "$per" -a 5 "$tmp/records" "$tmp/batches/b"
  raw=0 z=0 l=0
  for batch in "$tmp/batches"/b*; do
    raw=$((raw + $(wc -c <"$batch")))
    z=$((z + $(zstd -3 -q -c "$batch" | wc -c)))
    l=$((l + $(lz4 -1 -q -c "$batch" | wc -c)))
  done
  awk -v p="$per" -v r="$raw" -v z="$z" -v l="$l" 'BEGIN { printf "%-18s %11.1fx %11.1fx\n", p, r / z, r / l }'
done
