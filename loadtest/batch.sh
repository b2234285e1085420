#!/usr/bin/env bash
# Batch load test: the collector with the Kafka sink (librdkafka's mock cluster) under N connections
# posting 100-event gzip batches to /v1/batch, then end-to-end accounting: every event the collector
# accepted (answered 200) must be in Kafka. Kafka's count is the sum of every partition's end offset
# once the collector has stopped (ACCOUNTING=offsets, the default: nothing but the system under test
# and its load client runs on the box during the run), or a kcat consumer group reading every record
# while the load runs (ACCOUNTING=consume: ~5 us of CPU per event on the same cores).
#
#   loadtest/batch.sh                        # 32 connections, 15 s after a 10 s warm-up
#   CONNECTIONS=64 DURATION=30 loadtest/batch.sh
#
# Environment: CONNECTIONS (32), DURATION (15, seconds), WARMUP (10, seconds: the JIT is still busy after 3), EVENTS (100 per batch),
# KAFKA_PARTITIONS (64 per topic), KAFKA_DRAIN_S (120), SKIP_BUILD (0), KEEP (0: keep the temp dir),
# ACCOUNTING (offsets | consume), COLLECTOR_ARGS (extra collector arguments), COLLECTOR_ENV (environment for the collector process only,
# e.g. "DOTNET_GCDynamicAdaptationMode=0"). Talks to 127.0.0.1 only.
# Exit status: 0 when the accounting is OK, 1 otherwise, 2 on setup errors.
set -euo pipefail

CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-10}
EVENTS=${EVENTS:-100}
KAFKA_PARTITIONS=${KAFKA_PARTITIONS:-64}
KAFKA_DRAIN_S=${KAFKA_DRAIN_S:-120}
SKIP_BUILD=${SKIP_BUILD:-0}
KEEP=${KEEP:-0}
COLLECTOR_ARGS=${COLLECTOR_ARGS:-}
COLLECTOR_ENV=${COLLECTOR_ENV:-}
ACCOUNTING=${ACCOUNTING:-offsets}
[[ $ACCOUNTING == offsets || $ACCOUNTING == consume ]] || { echo "ACCOUNTING must be offsets or consume" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
. "$(dirname "$0")/lib.sh"

command -v kcat >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat >/dev/null; }
command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }


# thread_cpu PID: one line per thread, "ticks<TAB>group": user + system clock ticks so far, and the
# thread's group by name (threads that ended before the snapshot are only in the process total).
thread_cpu() {
  local task name ticks
  for task in /proc/"$1"/task/*; do
    name=$(cat "$task/comm" 2>/dev/null) || continue
    ticks=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$task/stat" 2>/dev/null) || continue
    case $name in
      beacon-pipeline) name=pipeline ;;
      ".NET Long Runni") name=delivery-reports ;; # Confluent.Kafka's poll loop: delivery reports
      rdk:*) name=librdkafka ;;
      ".NET TP Worker"|".NET Sockets"|".NET TP Gate") name=http+gunzip+json ;;
      ".NET Server GC"|".NET BGC"|".NET Background") name=gc ;;
      *) name="other:$name" ;;
    esac
    printf '%s\t%s\t%s\n' "${task##*/}" "$ticks" "$name"
  done
}

tmp=$(mktemp -d /tmp/beacon-batch.XXXXXX)
collector_pid= mock_pid= consumer_pid= load_pid=
cleanup() {
  local status=$?
  [[ -n $load_pid ]] && stop_pid "$load_pid" 5
  [[ -n $collector_pid ]] && stop_pid "$collector_pid" 5
  [[ -n $consumer_pid ]] && stop_pid "$consumer_pid" 5
  [[ -n $mock_pid ]] && stop_pid "$mock_pid" 5
  if [[ $KEEP == 1 ]]; then say "kept $tmp"; else rm -rf "$tmp"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


if [[ $SKIP_BUILD != 1 ]]; then
  say "building the collector and the load client (Release)"
  build_release "$tmp/build.log" Collector loadtest/BatchLoad
fi
# Private copies: a concurrent build rewriting bin/Release must not change a running process.
cp -r "$root/Collector/bin/Release/net10.0" "$tmp/collector"
cp -r "$root/loadtest/BatchLoad/bin/Release/net10.0" "$tmp/load"

start_mock_kafka "$tmp/collector/Beacon.Collector.dll" "$KAFKA_PARTITIONS" "$tmp"

topics=(beacon.p0 beacon.p1 beacon.p2 beacon.p3 beacon.dlq)
if [[ $ACCOUNTING == consume ]]; then
  # One consumer for every topic, from the beginning, one line per record (its topic), read while the
  # load runs (the mock forgets old data past a few MiB per partition).
  kcat -b "$boot" -C -G "beacon-batch-$$-$RANDOM" "${topics[@]}" -o beginning -u -q -f '%t\n' >"$tmp/kafka.out" 2>"$tmp/kcat.log" &
  consumer_pid=$!
fi

in_kafka() { end_offsets "$boot" "$KAFKA_PARTITIONS" "${topics[@]}" 2>>"$tmp/kcat.log"; } # records in the five topics

port=$(free_port)
admin_port=$(free_port)
# shellcheck disable=SC2086 # COLLECTOR_ENV and COLLECTOR_ARGS are lists
env $COLLECTOR_ENV dotnet "$tmp/collector/Beacon.Collector.dll" --urls "http://127.0.0.1:$port" --Beacon:DataDirectory="$tmp/data" \
  --Beacon:Admin:Urls="http://127.0.0.1:$admin_port" --Beacon:Kafka:BootstrapServers="$boot" \
  $COLLECTOR_ARGS >"$tmp/collector.log" 2>&1 &
collector_pid=$!
wait_http "http://127.0.0.1:$port/healthz" 60 "$collector_pid" || { cat "$tmp/collector.log" >&2; die "the collector did not start"; }

# The consumer group must have joined before the load, or the first records wait for the rebalance.
probe='{"events":[{"event":"pv","probe":"yes"}]}'
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$probe" "http://127.0.0.1:$port/v1/batch")
[[ $code == 200 ]] || die "the probe batch was answered $code"
if [[ $ACCOUNTING == consume ]]; then
  for _ in $(seq 600); do [[ -s $tmp/kafka.out ]] && break; sleep 0.1; done
  [[ -s $tmp/kafka.out ]] || { cat "$tmp/kcat.log" >&2; die "the probe never reached the consumer"; }
else
  [[ $(in_kafka) == 1 ]] || { cat "$tmp/kcat.log" >&2; die "the probe is not in Kafka's end offsets"; }
fi

say "== batch load: $CONNECTIONS connections, ${EVENTS}-event gzip batches, ${DURATION}s after a ${WARMUP}s warm-up; $(nproc) CPUs; Kafka: mock cluster, $KAFKA_PARTITIONS partitions per topic"
dotnet "$tmp/load/BatchLoad.dll" "http://127.0.0.1:$port" --connections "$CONNECTIONS" --seconds "$DURATION" \
  --events "$EVENTS" --warmup "$WARMUP" >"$tmp/load.out" &
load_pid=$!
# The collector's CPU is counted over the timed run only: the client says when its warm-up is over.
wait_for_line "$tmp/load.out" '^batch-load: warm-up done' "$load_pid"
cpu_before=$(ticks "$collector_pid")
thread_cpu "$collector_pid" >"$tmp/threads.before"
mock_before=$(ticks "$mock_pid") consumer_before=$([[ -n $consumer_pid ]] && ticks "$consumer_pid" || echo 0)
status=0
wait "$load_pid" || status=$?
load_pid=
(( status == 0 )) || die "the load client failed ($status): $(cat "$tmp/load.out")"
cpu_after=$(ticks "$collector_pid")
thread_cpu "$collector_pid" >"$tmp/threads.after"
mock_after=$(ticks "$mock_pid") consumer_after=$([[ -n $consumer_pid ]] && ticks "$consumer_pid" || echo 0)
grep '^batch-load: connections' "$tmp/load.out"
curl -s --max-time 5 "http://127.0.0.1:$admin_port/metrics" >"$tmp/metrics.txt" || true

line=$(grep '^batch-load: connections' "$tmp/load.out") || die "no result line from the load client"
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$line"; }
accepted=$(( $(field accepted_events) + $(field warmup_accepted_events) + 1 )) # + the probe

stop_pid "$collector_pid" 60
collector_pid=
if [[ $ACCOUNTING == consume ]]; then
  deadline=$((SECONDS + KAFKA_DRAIN_S))
  while (( $(wc -l <"$tmp/kafka.out") < accepted && SECONDS < deadline )); do sleep 0.5; done
  sleep 2 # duplicates, if any, arrive too
  in_kafka=$(wc -l <"$tmp/kafka.out")
else
  # The collector flushed its producer before it exited: the end offsets are final.
  in_kafka=$(in_kafka)
fi

hz=$(getconf CLK_TCK)
say "collector CPU during the timed run: $(awk -v a="$cpu_before" -v b="$cpu_after" -v hz="$hz" -v s="$(field seconds)" 'BEGIN { printf "%.2f cores", (b - a) / hz / s }')"
# Where the collector's CPU went during the timed run, per accepted event, by thread group (a thread that was not there
# before counts from zero; what ended threads used is in "unattributed").
awk -F'\t' -v hz="$hz" -v events="$(field accepted_events)" -v total="$(( cpu_after - cpu_before ))" '
  NR == FNR { before[$1] = $2; next }
  { group = $3; if (group ~ /^other:/) { detail[substr(group, 7)] += $2 - before[$1]; group = "other" }
    used[group] += $2 - before[$1]; sum += $2 - before[$1] }
  END {
    if (events == 0) exit
    line = sprintf("collector CPU per event: %.2f us", total / hz / events * 1e6)
    n = split("pipeline delivery-reports librdkafka http+gunzip+json gc other", order, " ")
    for (i = 1; i <= n; i++) line = line sprintf("; %s %.2f", order[i], used[order[i]] / hz / events * 1e6)
    line = line sprintf("; unattributed %.2f", (total - sum) / hz / events * 1e6)
    print line
    for (name in detail) if (detail[name] / hz / events * 1e6 >= 0.1) others = others sprintf("%s %s %.2f", others == "" ? "" : ";", name, detail[name] / hz / events * 1e6)
    if (others != "") print "  other threads (us per event):" others
  }' "$tmp/threads.before" "$tmp/threads.after"
# The rest of the box's work for the same events: what 300k events/s on this machine would have to fit in too.
awk -v hz="$hz" -v events="$(field accepted_events)" -v mock=$((mock_after - mock_before)) -v consumer=$((consumer_after - consumer_before)) \
  -v client="$(field client_cpu_s)" 'BEGIN { if (events > 0) printf "other processes per event: mock brokers %.2f us; kcat consumer %.2f us (none with ACCOUNTING=offsets); load client %.2f us\n", mock / hz / events * 1e6, consumer / hz / events * 1e6, client / events * 1e6 }'
grep -E '^beacon_batch_refused_total\{reason="(ring_full|sink_failed|ack_timeout)"\}' "$tmp/metrics.txt" || true
say "accounting: accepted (answered 200, warm-up and probe included) $accepted; records in Kafka $in_kafka"
if (( in_kafka == accepted )); then
  say "accounting: OK"
  exit 0
fi
say "accounting: MISMATCH"
exit 1
