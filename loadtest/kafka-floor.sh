#!/usr/bin/env bash
# Kafka floor: what one Kafka message per event costs on this machine with nothing else running.
# loadtest/KafkaFloor produces ready-made batch-event records from one thread, as fast as the producer
# takes them, with Beacon's producer settings, to librdkafka's mock cluster (the collector's own
# mock-kafka command) — no HTTP, no parsing, no routing. Compare its events/s and CPU per event with
# loadtest/batch.sh's: the difference is everything Beacon does besides producing.
#
#   loadtest/kafka-floor.sh                                  # 15 s after a 10 s warm-up
#   HEADERS=true loadtest/kafka-floor.sh                     # with the four beacon.* headers (Beacon:Kafka:Headers=true)
#   FLOOR_ARGS="--property linger.ms=10" loadtest/kafka-floor.sh
#
# Environment: DURATION (15), WARMUP (10), KAFKA_PARTITIONS (64 per topic), HEADERS (false, as Beacon ships), FLOOR_ARGS,
# FLOOR_ENV (environment for the producer process, e.g. LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2),
# SKIP_BUILD (0), KEEP (0). Talks to 127.0.0.1 only. Exit status: 0 when every delivered record is in
# Kafka's end offsets, 1 otherwise, 2 on setup errors.
set -euo pipefail

DURATION=${DURATION:-15}
WARMUP=${WARMUP:-10}
KAFKA_PARTITIONS=${KAFKA_PARTITIONS:-64}
HEADERS=${HEADERS:-false}
FLOOR_ARGS=${FLOOR_ARGS:-}
FLOOR_ENV=${FLOOR_ENV:-}
SKIP_BUILD=${SKIP_BUILD:-0}
KEEP=${KEEP:-0}

root=$(cd "$(dirname "$0")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
. "$(dirname "$0")/lib.sh"
command -v kcat >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat >/dev/null; }

tmp=$(mktemp -d /tmp/beacon-kafka-floor.XXXXXX)
mock_pid= floor_pid=
cleanup() {
  local status=$?
  [[ -n $floor_pid ]] && stop_pid "$floor_pid" 5
  [[ -n $mock_pid ]] && stop_pid "$mock_pid" 5
  if [[ $KEEP == 1 ]]; then say "kept $tmp"; else rm -rf "$tmp"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ $SKIP_BUILD != 1 ]]; then
  say "building the collector (for its mock cluster) and loadtest/KafkaFloor (Release)"
  build_release "$tmp/build.log" Collector loadtest/KafkaFloor
fi
cp -r "$root/Collector/bin/Release/net10.0" "$tmp/collector"
cp -r "$root/loadtest/KafkaFloor/bin/Release/net10.0" "$tmp/floor"

start_mock_kafka "$tmp/collector/Beacon.Collector.dll" "$KAFKA_PARTITIONS" "$tmp"

topics=(beacon.p0 beacon.p1 beacon.p2 beacon.p3)

say "== Kafka floor: one producer thread, Beacon's producer settings, headers $HEADERS, ${DURATION}s after a ${WARMUP}s warm-up;" \
  "$(nproc) CPUs; mock cluster, $KAFKA_PARTITIONS partitions per topic"
# shellcheck disable=SC2086 # FLOOR_ENV and FLOOR_ARGS are lists
env $FLOOR_ENV dotnet "$tmp/floor/KafkaFloor.dll" "$boot" --seconds "$DURATION" --warmup "$WARMUP" --headers "$HEADERS" \
  $FLOOR_ARGS >"$tmp/floor.out" 2>"$tmp/floor.log" &
floor_pid=$!
wait_for_line "$tmp/floor.out" '^kafka-floor: warm-up done' "$floor_pid"
mock_before=$(ticks "$mock_pid")
status=0
wait "$floor_pid" || status=$?
floor_pid=
mock_after=$(ticks "$mock_pid")
line=$(grep '^kafka-floor: seconds' "$tmp/floor.out") || { cat "$tmp/floor.out" "$tmp/floor.log" >&2; die "no result line from KafkaFloor"; }
((status == 0)) || say "KafkaFloor exited $status (failed deliveries)"
say "$line"
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$line"; }
awk -v hz="$(getconf CLK_TCK)" -v n="$(field delivered)" -v cpu="$(field cpu_s)" -v s="$(field seconds)" -v mock=$((mock_after - mock_before)) \
  'BEGIN { if (n > 0) printf "events/s %.0f; CPU per event: producer %.2f us, mock brokers %.2f us, together %.2f us (%.2f cores)\n",
    n / s, cpu / n * 1e6, mock / hz / n * 1e6, (cpu + mock / hz) / n * 1e6, (cpu + mock / hz) / s }'

expected=$(field total_delivered)
got=$(end_offsets "$boot" "$KAFKA_PARTITIONS" "${topics[@]}" 2>>"$tmp/kcat.log")
say "accounting: delivered (warm-up included) $expected; records in Kafka $got"
if [[ $got == "$expected" && $status == 0 ]]; then say "accounting: OK"; exit 0; fi
say "accounting: MISMATCH"
exit 1
