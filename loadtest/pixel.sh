#!/usr/bin/env bash
# Pixel load test: Beacon's collector against nginx's empty_gif, same wrk settings, same machine,
# then end-to-end accounting of every pixel Beacon answered against the records it wrote. A third
# server, loadtest/KestrelFloor (bare Kestrel answering the GIF, nothing else), shows how much of the
# gap to nginx is Kestrel's own. Each server's CPU-seconds per million requests and peak RSS are printed.
#
#   loadtest/pixel.sh                      # wrk -t1 -c64 -d15s after a 5s warm-up of each server; embedded sink, then Kafka
#   DURATION=10s CONNECTIONS=128 loadtest/pixel.sh
#   SINK=files loadtest/pixel.sh           # the embedded sink only
#   SINK=kafka loadtest/pixel.sh           # the Kafka sink only, against librdkafka's mock cluster
#
# Environment: THREADS (1), CONNECTIONS (64), DURATION (15s), WARMUP (5s, 0 = none),
# TAIL_MS (500: the end of each run sends /healthz so no pixel is in flight when wrk stops),
# FLOOR (1: also run loadtest/KestrelFloor; with SINK=kafka it produces each pixel to Kafka too, to a mock cluster of its
# own, with Beacon's producer settings: the floor under Beacon's Kafka path; 0: nginx and Beacon only),
# NGINX_WORKERS (auto), SKIP_BUILD (0), KEEP (0: keep the temp dir with data and logs),
# COLLECTOR_ARGS (extra collector arguments, e.g. "--Beacon:Ring:Capacity=65536"),
# COLLECTOR_ENV (environment for the collector process only, e.g. "DOTNET_gcServer=0 DOTNET_TieredPGO=0"),
# SINK (both: files, then kafka; files: the embedded segment files, counted with the collector's reader;
# kafka: a mock Kafka cluster, every record read back with kcat), KAFKA_PARTITIONS (64 per topic),
# KAFKA_CONSUME (after: kcat reads the topics once the collector has exited, so it takes no CPU
# from the run, and the mock must still hold every record — checked against its end offsets;
# during: a kcat consumer group reads while the load runs, ~0.25 cores on the same box),
# KAFKA_DRAIN_S (60: how long to wait after the collector exits for the consumer to catch up),
# FIXED_RATE (e.g. 0.5; embedded sink only (with both, its run): after the max-rate runs, loadtest/PixelRate sends pixels
# open-loop at that fraction of nginx's measured requests/s, to nginx, the floor, then Beacon, latency from each
# request's due time — see PixelRate's header; its pixels count in the accounting),
# RATE_CONNECTIONS (32), RATE_SECONDS (20: measured, after a 3 s warm-up at the same rate),
# RATE_ROUNDS (3: nginx, the Kestrel floor when FLOOR=1, then Beacon, this many times; the median of the rounds' p99 ratios is the figure),
# PROBE_ALLOCATIONS (0; 1: load loadtest/AllocationProbe into the collector and print its allocations by type at the end).
# Talks to 127.0.0.1 only. Exit status: 0 when accounting is OK, 1 otherwise, 2 on setup errors.
set -euo pipefail

THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-5s}
TAIL_MS=${TAIL_MS:-500}
FLOOR=${FLOOR:-1}
NGINX_WORKERS=${NGINX_WORKERS:-auto}
SKIP_BUILD=${SKIP_BUILD:-0}
KEEP=${KEEP:-0}
COLLECTOR_ARGS=${COLLECTOR_ARGS:-}
COLLECTOR_ENV=${COLLECTOR_ENV:-}
SINK=${SINK:-both}
KAFKA_PARTITIONS=${KAFKA_PARTITIONS:-64}
KAFKA_DRAIN_S=${KAFKA_DRAIN_S:-60}
KAFKA_CONSUME=${KAFKA_CONSUME:-after}
FIXED_RATE=${FIXED_RATE:-}
RATE_CONNECTIONS=${RATE_CONNECTIONS:-32}
RATE_SECONDS=${RATE_SECONDS:-20}
RATE_ROUNDS=${RATE_ROUNDS:-3}
PROBE_ALLOCATIONS=${PROBE_ALLOCATIONS:-0}

# Both sinks, one after the other (the default): this script again with SINK=files, then with
# SINK=kafka (built once; FIXED_RATE applies to the first), and the two ratios side by side at the end.
if [[ $SINK == both ]]; then
  both_log=$(mktemp -d /tmp/beacon-pixel-both.XXXXXX)
  trap 'rm -rf "$both_log"' EXIT
  status=0
  SINK=files "$0" "$@" 2>&1 | tee "$both_log/files.out" || status=${PIPESTATUS[0]}
  kafka_status=0
  SINK=kafka FIXED_RATE='' SKIP_BUILD=1 "$0" "$@" 2>&1 | tee "$both_log/kafka.out" || kafka_status=${PIPESTATUS[0]}
  if ((kafka_status > status)); then status=$kafka_status; fi
  echo "== both sinks (exit status $status)"
  for sink in files kafka; do
    printf '%-6s %s; %s\n' "$sink" "$(grep -m1 '^ratio beacon/nginx (requests/s)' "$both_log/$sink.out" || echo 'no ratio')" \
      "$(grep -m1 '^accounting:' "$both_log/$sink.out" || echo 'no accounting')"
  done
  exit "$status"
fi

root=$(cd "$(dirname "$0")/.." && pwd)
lua="$root/loadtest/pixel.lua"
dll="$root/Collector/bin/Release/net10.0/Beacon.Collector.dll"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

. "$(dirname "$0")/lib.sh"

seconds() { # 15s, 2m, 1h, 15 -> seconds
  local v=$1
  case $v in
    *s) echo "${v%s}" ;; *m) echo $(( ${v%m} * 60 )) ;; *h) echo $(( ${v%h} * 3600 )) ;; *) echo "$v" ;;
  esac
}
duration_s=$(seconds "$DURATION")
warmup_s=$(seconds "$WARMUP")
[[ $duration_s =~ ^[0-9]+$ && $duration_s -ge 2 ]] || die "DURATION must be at least 2s (got $DURATION)"
[[ $warmup_s =~ ^[0-9]+$ ]] || die "WARMUP must be whole seconds (got $WARMUP)"
[[ $FLOOR == 0 || $FLOOR == 1 ]] || die "FLOOR must be 0 or 1 (got $FLOOR)"
[[ $PROBE_ALLOCATIONS == 0 || $PROBE_ALLOCATIONS == 1 ]] || die "PROBE_ALLOCATIONS must be 0 or 1 (got $PROBE_ALLOCATIONS)"
[[ $SINK == files || $SINK == kafka ]] || die "SINK must be both, files or kafka (got $SINK)"
[[ $KAFKA_PARTITIONS =~ ^[1-9][0-9]*$ ]] || die "KAFKA_PARTITIONS must be a positive number (got $KAFKA_PARTITIONS)"
[[ -z $FIXED_RATE || ($FIXED_RATE =~ ^0?\.[0-9]+$ && $SINK == files) ]] || die "FIXED_RATE must be a fraction like 0.5, with SINK=files or both (got $FIXED_RATE)"
[[ $KAFKA_DRAIN_S =~ ^[1-9][0-9]*$ ]] || die "KAFKA_DRAIN_S must be whole seconds (got $KAFKA_DRAIN_S)"
[[ $KAFKA_CONSUME == after || $KAFKA_CONSUME == during ]] || die "KAFKA_CONSUME must be after or during (got $KAFKA_CONSUME)"
# The collector's default route table: topics {prefix}.p0 .. .p3 and {prefix}.dlq.
kafka_topics=(beacon.p0 beacon.p1 beacon.p2 beacon.p3 beacon.dlq)

# ---------------------------------------------------------------- tools
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
if [[ $SINK == kafka ]]; then command -v kcat >/dev/null || missing+=(kcat); fi
if ((${#missing[@]})); then
  say "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

ulimit -n 65536 2>/dev/null || true # many connections

# ---------------------------------------------------------------- temp dir, cleanup
tmp=$(mktemp -d /tmp/beacon-pixel.XXXXXX)
collector_pid=
nginx_pid=
floor_pid=    # FLOOR=1: loadtest/KestrelFloor
floor_mock_pid= # FLOOR=1 and SINK=kafka: the floor's own mock cluster, so its records stay out of Beacon's accounting
mock_pid=     # SINK=kafka: the mock cluster (Beacon.Collector.dll mock-kafka)
consumer_pid= # SINK=kafka: kcat reading every Beacon topic into $tmp/kafka.out
cleanup() {
  local status=$?
  [[ -n $collector_pid ]] && kill -KILL "$collector_pid" 2>/dev/null || true
  [[ -n $floor_pid ]] && stop_pid "$floor_pid" 5
  [[ -n $nginx_pid ]] && kill -TERM "$nginx_pid" 2>/dev/null || true
  [[ -n $nginx_pid ]] && wait "$nginx_pid" 2>/dev/null || true
  [[ -n $collector_pid ]] && wait "$collector_pid" 2>/dev/null || true
  [[ -n $consumer_pid ]] && stop_pid "$consumer_pid" 5
  [[ -n $mock_pid ]] && stop_pid "$mock_pid" 5
  [[ -n $floor_mock_pid ]] && stop_pid "$floor_mock_pid" 5
  if [[ $KEEP == 1 ]]; then
    say "kept $tmp"
  else
    rm -rf "$tmp"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM



# ---------------------------------------------------------------- build and start the collector
if [[ $SKIP_BUILD != 1 ]]; then
  say "building the collector (Release)"
  projects=(Collector)
  ((FLOOR)) && projects+=(loadtest/KestrelFloor)
  [[ -n $FIXED_RATE ]] && projects+=(loadtest/PixelRate)
  ((PROBE_ALLOCATIONS)) && projects+=(loadtest/AllocationProbe)
  build_release "$tmp/build.log" "${projects[@]}"
fi
[[ -f $dll ]] || die "no $dll (build first, or unset SKIP_BUILD)"
# Run a private copy: a concurrent build (test.sh, an IDE) rewriting bin/Release under a running
# collector would change its assemblies mid-run.
cp -r "$(dirname "$dll")" "$tmp/collector"
dll="$tmp/collector/$(basename "$dll")"

# ---------------------------------------------------------------- SINK=kafka: mock cluster and consumer
sink_args=()
if [[ $SINK == kafka ]]; then
  # The collector's own command: it creates Beacon's topics, prints the bootstrap servers as its
  # first line and runs until SIGTERM. The mock silently forgets a partition's oldest data past
  # ~5 MiB, hence many partitions (and KAFKA_CONSUME=during for runs longer than they hold).
  start_mock_kafka "$dll" "$KAFKA_PARTITIONS" "$tmp"

  # KAFKA_CONSUME=during: one balanced consumer (own group, from the beginning) for every Beacon
  # topic, unbuffered, one line per record: "<topic> <value>". It runs through warm-up and run, and
  # stops after the drain. (after: the same lines, read once the collector has exited.)
  : >"$tmp/kafka.out"
  if [[ $KAFKA_CONSUME == during ]]; then
    kcat -b "$boot" -C -G "beacon-pixel-$$-$RANDOM" "${kafka_topics[@]}" -o beginning -u -q -f '%t %s\n' \
      >"$tmp/kafka.out" 2>"$tmp/kcat.log" &
    consumer_pid=$!
  fi
  sink_args=("--Beacon:Kafka:BootstrapServers=$boot")
fi

beacon_port=$(free_port)
admin_port=$(free_port)
# Retention is lifted so no segment is deleted before it is counted, whatever the run length.
# The admin listener (metrics, probes; *:9090 by default) gets its own loopback port, so the run
# neither listens beyond 127.0.0.1 nor collides with another collector on this machine.
probe_env=
((PROBE_ALLOCATIONS)) && probe_env="DOTNET_STARTUP_HOOKS=$root/loadtest/AllocationProbe/bin/Release/net10.0/AllocationProbe.dll"
# shellcheck disable=SC2086 # COLLECTOR_ENV and COLLECTOR_ARGS are lists
env $COLLECTOR_ENV $probe_env dotnet "$dll" --urls "http://127.0.0.1:$beacon_port" --Beacon:DataDirectory="$tmp/data" \
  --Beacon:Segments:RetentionMaxBytes=1099511627776 --Beacon:Admin:Urls="http://127.0.0.1:$admin_port" \
  "${sink_args[@]}" $COLLECTOR_ARGS >"$tmp/collector.log" 2>&1 &
collector_pid=$!
wait_http "http://127.0.0.1:$beacon_port/healthz" 60 "$collector_pid" \
  || { cat "$tmp/collector.log" >&2; die "the collector did not become healthy"; }

# SINK=kafka: one probe pixel, answered 2xx and then seen by the consumer (KAFKA_CONSUME=during) or
# in beacon.p1's end offsets (after), proves the whole path (collector -> producer -> mock [-> group
# join -> kcat]) works before the load starts. It is counted in the accounting like any answered pixel.
probe_n=
if [[ $SINK == kafka ]]; then
  probe_n="probe$$x$RANDOM"
  probe_started=$SECONDS
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    "http://127.0.0.1:$beacon_port/b.gif?e=pv&a=loadtest&p=web&n=$probe_n" || true)
  [[ $code == 2?? ]] || die "the probe pixel was answered ${code:-nothing}"
  probe_arrived() {
    if [[ $KAFKA_CONSUME == during ]]; then
      grep -q "\"n\":\"$probe_n\"" "$tmp/kafka.out"
    else
      (($(end_offsets "$boot" "$KAFKA_PARTITIONS" beacon.p1) >= 1))
    fi
  }
  until probe_arrived; do
    [[ $KAFKA_CONSUME == after ]] || kill -0 "$consumer_pid" 2>/dev/null || { cat "$tmp/kcat.log" >&2; die "kcat exited"; }
    kill -0 "$mock_pid" 2>/dev/null || { cat "$tmp/mock.log" >&2; die "the mock Kafka cluster exited"; }
    ((SECONDS - probe_started < 60)) \
      || { cat "$tmp/kcat.log" >&2 2>/dev/null; tail -20 "$tmp/collector.log" >&2; die "the probe pixel never reached Kafka (KAFKA_CONSUME=$KAFKA_CONSUME)"; }
    sleep 0.2
  done
  probe_s=$((SECONDS - probe_started))
fi

# ---------------------------------------------------------------- start nginx (own config, not the system one)
nginx_port=$(free_port)
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
worker_processes $NGINX_WORKERS;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  access_log $tmp/nginx/access.log combined buffer=64k flush=1s;
  keepalive_requests 100000000; # Kestrel doesn't close busy keep-alive connections either
  server {
    listen 127.0.0.1:$nginx_port;
    location = /b.gif { empty_gif; add_header Cache-Control "no-cache, no-store, must-revalidate"; }
    location ~ ^/b/[A-Za-z0-9._-]+\.gif\$ { empty_gif; add_header Cache-Control "no-cache, no-store, must-revalidate"; }
    location = /healthz { default_type text/plain; return 200 "ok"; }
  }
}
EOF
"$nginx_bin" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" >"$tmp/nginx/stdout.log" 2>&1 &
nginx_pid=$!
wait_http "http://127.0.0.1:$nginx_port/healthz" 20 "$nginx_pid" \
  || { cat "$tmp/nginx/error.log" "$tmp/nginx/stdout.log" >&2 2>/dev/null; die "nginx did not start"; }
nginx_workers=$(pgrep -c -P "$nginx_pid" || true)
nginx_procs="$nginx_pid $(pgrep -P "$nginx_pid" | tr '\n' ' ')"

# ---------------------------------------------------------------- start the Kestrel floor (FLOOR=1)
if ((FLOOR)); then
  floor_dll="$root/loadtest/KestrelFloor/bin/Release/net10.0/KestrelFloor.dll"
  [[ -f $floor_dll ]] || die "no $floor_dll (build first, or unset SKIP_BUILD, or FLOOR=0)"
  cp -r "$(dirname "$floor_dll")" "$tmp/floor"
  floor_port=$(free_port)
  floor_args=()
  if [[ $SINK == kafka ]]; then
    # A mock cluster of its own, like Beacon's (same partitions), so the floor's records never count as Beacon's.
    mkdir -p "$tmp/floor-mock"
    beacon_mock_pid=$mock_pid beacon_boot=$boot
    start_mock_kafka "$dll" "$KAFKA_PARTITIONS" "$tmp/floor-mock"
    floor_mock_pid=$mock_pid floor_args=(--kafka "$boot")
    mock_pid=$beacon_mock_pid boot=$beacon_boot
  fi
  dotnet "$tmp/floor/KestrelFloor.dll" --urls "http://127.0.0.1:$floor_port" "${floor_args[@]}" >"$tmp/floor.log" 2>&1 &
  floor_pid=$!
  wait_http "http://127.0.0.1:$floor_port/healthz" 60 "$floor_pid" \
    || { cat "$tmp/floor.log" >&2; die "loadtest/KestrelFloor did not start"; }
fi

stop_floor() { # in Kafka mode the floor waits for its delivery reports on SIGTERM and prints their tally
  stop_pid "$floor_pid" 40
  floor_pid=
  if [[ -n $floor_mock_pid ]]; then
    say "kestrel's own Kafka records: $(grep -m1 '^kafka-pixels:' "$tmp/floor.log" || echo 'no tally (the floor did not stop cleanly)')"
    stop_pid "$floor_mock_pid" 5
    floor_mock_pid=
  fi
}

# ---------------------------------------------------------------- wrk
# run_wrk NAME PORT SECONDS TAG: full output in $tmp/NAME.out
run_wrk() {
  local name=$1 port=$2 secs=$3 tag=$4
  timeout $((secs + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --latency -s "$lua" \
    "http://127.0.0.1:$port" -- "$secs" "$TAIL_MS" "$tag" >"$tmp/$name.out" 2>&1 \
    || { cat "$tmp/$name.out" >&2; die "wrk failed against $name"; }
  grep -q '^pixel-accounting:' "$tmp/$name.out" || { cat "$tmp/$name.out" >&2; die "no pixel-accounting line from $name"; }
}

field() { # field FILE NAME: a number from the pixel-accounting line
  sed -n "s/^pixel-accounting:.* $2=\([0-9]*\).*/\1/p" "$1"
}

# Both modes end the same way: nginx's own log checks the harness's counts, and the collector must
# have survived the run and exited 0 on SIGTERM. Sets status (0 or 1).
check_harness_and_collector() {
  if ((nginx_logged == nginx_answered && nginx_unanswered == 0)); then
    say "harness check: nginx logged $nginx_logged pixels = $nginx_answered answered: OK"
  else
    say "harness check: nginx logged $nginx_logged pixels, answered $nginx_answered, unanswered $nginx_unanswered: MISMATCH"
  fi

  status=0
  if ((collector_died)); then
    say "collector: DIED during the load test (exit status $collector_status); last log lines:"
    tail -40 "$tmp/collector.log"
    status=1
  elif [[ $collector_status != 0 ]]; then
    say "collector did not exit 0 on SIGTERM ($collector_status); last log lines:"
    tail -20 "$tmp/collector.log"
    status=1
  fi
}

to_ms() { # wrk time (e.g. 512.00us, 1.20ms, 2.01s) -> milliseconds
  awk -v t="$1" 'BEGIN {
    n = t + 0; u = t; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}

summary() { # summary NAME: one table row
  local out="$tmp/$1.out" rps p50 p99 cpu rss
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  p50=$(awk '$1 == "50%" {print $2}' "$out")
  p99=$(awk '$1 == "99%" {print $2}' "$out")
  read -r cpu rss <"$tmp/$1.usage"
  printf '%-8s %12s %9s %9s %10s %9s %9s %9s %9s\n' "$1" "$rps" "$(to_ms "$p50")" "$(to_ms "$p99")" \
    "$(awk -v t="$cpu" -v hz="$(getconf CLK_TCK)" -v n="$(field "$out" requests)" 'BEGIN { printf "%.1f", (n > 0 ? t / hz / (n / 1e6) : 0) }')" \
    "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')" \
    "$(field "$out" non2xx)" "$(field "$out" socket_errors)" "$(field "$out" timeouts)"
}

# measure NAME PORT PIDS...: the measured wrk run, plus the CPU ticks the server's processes used during
# it and their peak RSS (VmHWM, summed: nginx is a master and its workers) in $tmp/NAME.usage.
measure() {
  local name=$1 port=$2 before after rss pid
  shift 2
  before=$(processes_ticks "$@")
  run_wrk "$name" "$port" "$duration_s" m
  after=$(processes_ticks "$@")
  rss=0
  for pid in "$@"; do
    ((rss += $(awk '/^VmHWM:/ { print $2 }' /proc/"$pid"/status 2>/dev/null || echo 0))) || true
  done
  echo "$((after - before)) $rss" >"$tmp/$name.usage"
}

# ---------------------------------------------------------------- CPU accounting (SINK=kafka)
threads_cpu() { # threads_cpu PID: one line per thread, "tid ticks comm" (utime+stime; comm may hold spaces;
  # a thread may exit between the glob and the read)
  { cat /proc/"$1"/task/*/stat 2>/dev/null || true; } | awk '{
    tid = $1; c = $0; sub(/\) [^)]*$/, "", c); c = substr(c, index(c, "(") + 1); gsub(/ /, "_", c)
    r = $0; sub(/^.*\) /, "", r); split(r, f, " "); print tid, f[12] + f[13], c }'
}
process_ticks() { # process_ticks PID: utime+stime of the whole process, exited threads included; 0 for no PID
  [[ -n $1 ]] || { echo 0; return; } # (/proc//stat would be /proc/stat)
  { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/"$1"/stat 2>/dev/null || true; } | grep . || echo 0
}
processes_ticks() { # processes_ticks PID...: the sum of process_ticks
  local t=0 pid
  for pid in "$@"; do ((t += $(process_ticks "$pid"))) || true; done
  echo "$t"
}
busy_ticks() { # all CPUs: busy and total ticks since boot
  awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}
cpu_sample() { # cpu_sample NAME
  threads_cpu "$collector_pid" >"$tmp/cpu-$1.threads"
  printf '%s %s %s %s %s\n' "$(date +%s%N)" "$(process_ticks "$collector_pid")" "$(process_ticks "$mock_pid")" \
    "$(process_ticks "$consumer_pid")" "$(busy_ticks)" >"$tmp/cpu-$1.totals"
}

sink_note=
if [[ $SINK == kafka && $KAFKA_CONSUME == during ]]; then
  sink_note="; sink: kafka (mock cluster, $KAFKA_PARTITIONS partitions per topic, consumer joined in ${probe_s}s)"
elif [[ $SINK == kafka ]]; then
  sink_note="; sink: kafka (mock cluster, $KAFKA_PARTITIONS partitions per topic, probe in Kafka after ${probe_s}s; records read back after the run)"
fi
floor_note=
((FLOOR)) && floor_note="; kestrel = loadtest/KestrelFloor"
((FLOOR)) && [[ $SINK == kafka ]] && floor_note="$floor_note, producing each pixel to its own mock cluster"
say "== pixel load: wrk -t$THREADS -c$CONNECTIONS -d${duration_s}s --latency, same settings for each server;" \
  "warm-up ${warmup_s}s each; $(nproc) CPUs; nginx worker_processes $NGINX_WORKERS ($nginx_workers workers)$sink_note$floor_note"
if ((warmup_s > 0)); then
  run_wrk beacon-warmup "$beacon_port" "$warmup_s" w
  run_wrk nginx-warmup "$nginx_port" "$warmup_s" w
  ((FLOOR)) && run_wrk kestrel-warmup "$floor_port" "$warmup_s" w
fi
# shellcheck disable=SC2086 # nginx_procs is a list of PIDs
measure nginx "$nginx_port" $nginx_procs
((FLOOR)) && measure kestrel "$floor_port" "$floor_pid"
[[ $SINK == kafka ]] && cpu_sample start
allocated_bytes() { # the collector's managed allocations so far (its own runtime metric), empty when unreadable
  curl -s --max-time 5 "http://127.0.0.1:$admin_port/metrics" 2>/dev/null \
    | awk '$1 == "dotnet_gc_heap_total_allocated_bytes_total" { printf "%.0f", $2 }' || true
}
allocated_before=$(allocated_bytes)
measure beacon "$beacon_port" "$collector_pid"
allocated_after=$(allocated_bytes)
if [[ $SINK == kafka ]]; then
  cpu_sample end
  # The collector's own counters as the run ends (admin listener; absent in older builds: n/a).
  curl -s --max-time 5 "http://127.0.0.1:$admin_port/metrics" >"$tmp/metrics.txt" 2>/dev/null || true
fi

printf '%-8s %12s %9s %9s %10s %9s %9s %9s %9s\n' target requests/s p50-ms p99-ms cpu-s/Mreq peak-MiB non-2xx sock-err timeouts
summary nginx
((FLOOR)) && summary kestrel
summary beacon
nginx_rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/nginx.out")
beacon_rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/beacon.out")
ratio=$(awk -v b="$beacon_rps" -v n="$nginx_rps" 'BEGIN { printf "%.2f", (n > 0 ? b / n : 0) }')
say "ratio beacon/nginx (requests/s): $ratio"
if [[ -n $allocated_before && -n $allocated_after ]]; then
  say "beacon allocated $(awk -v a="$allocated_before" -v b="$allocated_after" -v n="$(field "$tmp/beacon.out" requests)" \
    'BEGIN { printf "%.0f", (n > 0 ? (b - a) / n : 0) }') bytes per request during its run (the collector's dotnet_gc_heap_total_allocated_bytes_total)"
fi
if ((FLOOR)); then
  floor_rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/kestrel.out")
  say "ratio kestrel/nginx (requests/s): $(awk -v b="$floor_rps" -v n="$nginx_rps" 'BEGIN { printf "%.2f", (n > 0 ? b / n : 0) }');" \
    "beacon/kestrel: $(awk -v b="$beacon_rps" -v n="$floor_rps" 'BEGIN { printf "%.2f", (n > 0 ? b / n : 0) }')"
  [[ -z $FIXED_RATE ]] && stop_floor # else it is measured at the fixed rate too
fi
say "(cpu-s/Mreq: the server's CPU-seconds, all its processes and threads, per million answered requests during its run;" \
  "peak-MiB: the peak resident set, VmHWM, summed over its processes)"
say "(requests/s counts every answered request, including the ${TAIL_MS}ms /healthz tail of each run)"

# ---------------------------------------------------------------- fixed rate (FIXED_RATE)
rate_ok=0 rate_sent=0
if [[ -n $FIXED_RATE ]]; then
  rate_dll="$root/loadtest/PixelRate/bin/Release/net10.0/PixelRate.dll"
  [[ -f $rate_dll ]] || die "no $rate_dll (build first, or unset SKIP_BUILD)"
  rate=$(awk -v n="$nginx_rps" -v f="$FIXED_RATE" 'BEGIN { printf "%d", n * f }')
  rate_field() { sed -n "s/^pixel-rate:.* $2=\([0-9.]*\).*/\1/p" "$tmp/$1.out"; }
  p99_ratio() { # TARGET ROUND: its p99 over nginx's in that round
    awk -v b="$(rate_field "rate-$1-$2" p99_ms)" -v n="$(rate_field "rate-nginx-$2" p99_ms)" 'BEGIN { printf "%.2f", (n > 0 ? b / n : 0) }'
  }
  median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
  # nginx, the Kestrel floor (FLOOR=1), then Beacon, RATE_ROUNDS times: a hiccup of this shared
  # machine lands in one round, and the median of the rounds' ratios is the figure.
  rate_targets=(nginx beacon)
  ((FLOOR)) && rate_targets=(nginx kestrel beacon)
  for ((round = 1; round <= RATE_ROUNDS; round++)); do
    # shellcheck disable=SC2086 # pids: nginx's are a list
    for target in "${rate_targets[@]}"; do
      case $target in nginx) port=$nginx_port pids=$nginx_procs ;; kestrel) port=$floor_port pids=$floor_pid ;; *) port=$beacon_port pids=$collector_pid ;; esac
      before=$(processes_ticks $pids)
      timeout $((RATE_SECONDS + 120)) dotnet "$rate_dll" "127.0.0.1:$port" "$rate" --connections "$RATE_CONNECTIONS" \
        --seconds "$RATE_SECONDS" --warmup 3 --tag "r${target:0:1}${round}x" >"$tmp/rate-$target-$round.out" 2>&1 \
        || { cat "$tmp/rate-$target-$round.out" >&2; die "PixelRate failed against $target"; }
      # The server's CPU per request over the whole call (warm-up included; the rate is fixed, so requests = rate x seconds).
      echo "$(($(processes_ticks $pids) - before))" >"$tmp/rate-$target-$round.ticks"
    done
  done
  say "== fixed rate: $rate requests/s (${FIXED_RATE} x nginx's $nginx_rps), open loop (loadtest/PixelRate), $RATE_CONNECTIONS connections," \
    "${RATE_SECONDS}s measured after 3s; latency from each request's due time; $RATE_ROUNDS rounds of ${rate_targets[*]}"
  printf '%-8s %5s %10s %9s %9s %9s %9s %9s %8s %8s %14s %14s %14s\n' target round achieved/s p50-ms p90-ms p99-ms p99.9-ms max-ms non-2xx errors send-late-p99 client-us/req server-us/req
  ratios=() floor_ratios=()
  for ((round = 1; round <= RATE_ROUNDS; round++)); do
    for target in "${rate_targets[@]}"; do
      f="rate-$target-$round"
      printf '%-8s %5s %10s %9s %9s %9s %9s %9s %8s %8s %14s %14s %14s\n' "$target" "$round" "$(rate_field "$f" achieved_per_s)" \
        "$(rate_field "$f" p50_ms)" "$(rate_field "$f" p90_ms)" "$(rate_field "$f" p99_ms)" \
        "$(rate_field "$f" p999_ms)" "$(rate_field "$f" max_ms)" "$(rate_field "$f" non2xx)" \
        "$(rate_field "$f" errors)" "$(rate_field "$f" send_late_p99_ms)" "$(rate_field "$f" client_cpu_us)" \
        "$(awk -v t="$(cat "$tmp/$f.ticks")" -v hz="$(getconf CLK_TCK)" -v r="$rate" -v s="$((RATE_SECONDS + 3))" 'BEGIN { printf "%.1f", t / hz / (r * s) * 1e6 }')"
    done
    ratios+=("$(p99_ratio beacon "$round")")
    ((FLOOR)) && floor_ratios+=("$(p99_ratio kestrel "$round")")
    ((rate_ok += $(rate_field "rate-beacon-$round" ok), rate_sent += $(rate_field "rate-beacon-$round" sent))) || true
  done
  say "(send-late: due time to send, the client's own delay plus, on a connection still waiting for its last answer, the server's;" \
    "client-us/req: PixelRate's own CPU per request; server-us/req: the server's CPU over the call, warm-up included, per request due)"
  say "ratio beacon/nginx p99 at the fixed rate, per round: ${ratios[*]}; median: $(median "${ratios[@]}")"
  ((FLOOR)) && say "ratio kestrel/nginx p99 at the fixed rate, per round: ${floor_ratios[*]}; median: $(median "${floor_ratios[@]}")"
  ((FLOOR)) && stop_floor
fi

if [[ $SINK == kafka ]]; then
  hz=$(getconf CLK_TCK)
  read -r t0 c0 m0 k0 b0 a0 <"$tmp/cpu-start.totals"
  read -r t1 c1 m1 k1 b1 a1 <"$tmp/cpu-end.totals"
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
  beacon_requests=$(field "$tmp/beacon.out" requests)
  # Per thread: ticks at the end minus ticks at the start (0 for a thread born during the run).
  awk -v hz="$hz" -v out="$tmp/cpu-threads.txt" '
    NR == FNR { start[$1] = $2; next }
    { d = $2 - ($1 in start ? start[$1] : 0); if (d <= 0) next
      if ($3 ~ /^rdk:/) rdk += d
      byname[$3] += d; count[$3]++ }
    END {
      printf "%d\n", rdk
      for (n in byname) printf "%d %s %d\n", byname[n], n, count[n] > out
    }' "$tmp/cpu-start.threads" "$tmp/cpu-end.threads" >"$tmp/cpu-rdk.txt"
  rdk_ticks=$(cat "$tmp/cpu-rdk.txt")
  collector_ticks=$((c1 - c0))
  cpu_s=$(awk -v t="$collector_ticks" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')
  rdk_s=$(awk -v t="$rdk_ticks" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')
  rdk_share=$(awk -v r="$rdk_ticks" -v c="$collector_ticks" 'BEGIN { printf "%.1f", (c > 0 ? 100 * r / c : 0) }')
  cpu_per_m=$(awk -v t="$collector_ticks" -v hz="$hz" -v n="$beacon_requests" \
    'BEGIN { printf "%.1f", (n > 0 ? t / hz / (n / 1e6) : 0) }')
  say "== collector CPU during the measured Beacon run (${wall}s wall, $beacon_requests requests)"
  say "collector: ${cpu_s} CPU-s ($(awk -v s="$cpu_s" -v w="$wall" 'BEGIN { printf "%.2f", s / w }') cores)," \
    "${cpu_per_m} CPU-s per million requests"
  say "librdkafka threads (rdk:*): ${rdk_s} CPU-s = ${rdk_share}% of the collector's CPU"
  say "by thread name: $(sort -rn "$tmp/cpu-threads.txt" | head -7 | awk -v hz="$hz" '{
    printf "%s%s%s %.2fs", (NR > 1 ? ", " : ""), $2, ($3 > 1 ? " (x" $3 ")" : ""), $1 / hz }')"
  consumer_note="kcat consumer $(awk -v t=$((k1 - k0)) -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }') CPU-s"
  [[ $KAFKA_CONSUME == after ]] && consumer_note="no consumer (records read back after the run)"
  say "same box meanwhile: mock cluster $(awk -v t=$((m1 - m0)) -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }') CPU-s," \
    "$consumer_note;" \
    "all CPUs busy $(awk -v b=$((b1 - b0)) -v a=$((a1 - a0)) 'BEGIN { printf "%.0f", (a > 0 ? 100 * b / a : 0) }')%"
fi

# ---------------------------------------------------------------- stop both, then account
stop_started=$(date +%s%N)
collector_status=0
collector_died=0
if ! kill -TERM "$collector_pid" 2>/dev/null; then
  collector_died=1 # exited before we asked it to
fi
for _ in $(seq 600); do kill -0 "$collector_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$collector_pid" 2>/dev/null; then
  say "collector: still running 60s after SIGTERM"
  collector_status=timeout
else
  wait "$collector_pid" || collector_status=$?
fi
stop_ms=$((($(date +%s%N) - stop_started) / 1000000))
collector_pid=
if ((PROBE_ALLOCATIONS)); then
  say "== the collector's allocations by type over its whole life (loadtest/AllocationProbe, sampled every ~100 KB)"
  sed -n 's/^alloc-probe: //p' "$tmp/collector.log" | head -31
fi
kill -QUIT "$nginx_pid" # graceful: workers flush their buffered access log
for _ in $(seq 100); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$nginx_pid" 2>/dev/null || true
wait "$nginx_pid" 2>/dev/null || true
nginx_pid=

# SINK=kafka: the collector has flushed its producer. KAFKA_CONSUME=after: read every topic now, each
# to its end, and check the mock still held all its end offsets promise. during: let the consumer
# catch up until its output stops growing (3 s without a new byte, at most KAFKA_DRAIN_S). Then stop
# the mock.
if [[ $SINK == kafka && $KAFKA_CONSUME == after ]]; then
  drain_started=$SECONDS
  drain_note="read each topic to its end"
  for topic in "${kafka_topics[@]}"; do
    timeout "$KAFKA_DRAIN_S" kcat -b "$boot" -C -t "$topic" -o beginning -e -u -q -f '%t %s\n' \
      >>"$tmp/kafka.out" 2>>"$tmp/kcat.log" || drain_note="kcat failed or timed out on $topic: $(tail -c 300 "$tmp/kcat.log")"
  done
  drain_s=$((SECONDS - drain_started))
  in_kafka=$(end_offsets "$boot" "$KAFKA_PARTITIONS" "${kafka_topics[@]}")
  kafka_forgotten=$((in_kafka - $(wc -l <"$tmp/kafka.out")))
  ((kafka_forgotten == 0)) \
    || drain_note="$drain_note; the end offsets count $in_kafka records, $kafka_forgotten more than were read: the mock forgot them (raise KAFKA_PARTITIONS or use KAFKA_CONSUME=during)"
  stop_pid "$mock_pid" 10
  mock_pid=
elif [[ $SINK == kafka ]]; then
  drain_started=$SECONDS
  last=-1 stable=0
  while ((SECONDS - drain_started < KAFKA_DRAIN_S)); do
    size=$(stat -c %s "$tmp/kafka.out")
    if ((size == last)); then
      stable=$((stable + 1))
      ((stable >= 6)) && break
    else
      stable=0 last=$size
    fi
    sleep 0.5
  done
  drain_s=$((SECONDS - drain_started))
  drain_note="stopped growing"
  ((stable >= 6)) || drain_note="still growing after ${KAFKA_DRAIN_S}s (raise KAFKA_DRAIN_S)"
  kill -0 "$consumer_pid" 2>/dev/null || drain_note="kcat had exited: $(head -c 300 "$tmp/kcat.log")"
  stop_pid "$consumer_pid" 10
  consumer_pid=
  stop_pid "$mock_pid" 10
  mock_pid=
fi

runs=(beacon)
((warmup_s > 0)) && runs=(beacon-warmup beacon)
sent=0 answered=0 ok=0 non2xx=0 sockerr=0 exp_p0=0 exp_p1=0 exp_p2=0 exp_p3=0
for run in "${runs[@]}"; do
  out="$tmp/$run.out"
  ((sent += $(field "$out" sent), answered += $(field "$out" answered), ok += $(field "$out" ok))) || true
  ((non2xx += $(field "$out" non2xx), sockerr += $(field "$out" socket_errors))) || true
  for p in 0 1 2 3; do ((exp_p$p += $(field "$out" p$p))) || true; done
done
# The fixed-rate run's pixels (all answered before PixelRate returns) count like wrk's; its
# per-priority split is not tracked, so the per-topic check is skipped when it ran.
((sent += rate_sent, answered += rate_sent, ok += rate_ok)) || true

declare -A records
total=0
if [[ $SINK == files ]]; then
  # Count every topic's records with the collector's own reader, and collect each record's n
  # (the pixel's unique counter; in the dead-letter topic it is inside the raw query).
  : >"$tmp/n.txt"
  for topic in p0 p1 p2 p3 dlq; do
    n=$(timeout 300 dotnet "$dll" tail "beacon.$topic" --Beacon:DataDirectory="$tmp/data" 2>"$tmp/tail-$topic.err" \
      | awk -v out="$tmp/n.txt" '{ c++
          if (match($0, /"n":"[^"]*"/)) print substr($0, RSTART + 5, RLENGTH - 6) >> out
          else if (match($0, /[?&]n=[A-Za-z0-9-]+/)) print substr($0, RSTART + 3, RLENGTH - 3) >> out
        } END { print c + 0 }')
    records[$topic]=$n
    ((total += n)) || true
    if [[ -s $tmp/tail-$topic.err ]]; then say "tail beacon.$topic: $(head -c 300 "$tmp/tail-$topic.err")"; fi
  done
  distinct=$(sort -u "$tmp/n.txt" | wc -l)
fi
admitted=$(sed -n 's/.*Pipeline drained after \([0-9]*\) admitted records.*/\1/p' "$tmp/collector.log" | tail -1)

# Harness self-check on nginx: its access log must hold exactly the pixels nginx answered.
nginx_runs=(nginx)
((warmup_s > 0)) && nginx_runs=(nginx-warmup nginx)
nginx_answered=0 nginx_unanswered=0
for run in "${nginx_runs[@]}"; do
  ((nginx_answered += $(field "$tmp/$run.out" answered))) || true
  ((nginx_unanswered += $(field "$tmp/$run.out" sent) - $(field "$tmp/$run.out" answered))) || true
done
if [[ -n $FIXED_RATE ]]; then
  for ((round = 1; round <= RATE_ROUNDS; round++)); do ((nginx_answered += $(rate_field "rate-nginx-$round" ok))) || true; done
fi
nginx_logged=$(awk '$7 ~ /^\/b[\/.]/' "$tmp/nginx/access.log" | wc -l)

if [[ $SINK == kafka ]]; then
  # One line per consumed record: "topic n event_id" (n from props, or from the raw query of a
  # dead letter), plus the records per topic.
  : >"$tmp/kafka-n.txt"
  awk -v out="$tmp/kafka-n.txt" '
    { c[$1]++; n = ""; e = "-"
      if (match($0, /"n":"[^"]*"/)) n = substr($0, RSTART + 5, RLENGTH - 6)
      else if (match($0, /[?&]n=[A-Za-z0-9-]+/)) n = substr($0, RSTART + 3, RLENGTH - 3)
      if (match($0, /"event_id":"[^"]*"/)) e = substr($0, RSTART + 12, RLENGTH - 13)
      if (n == "") { unparsed++; next }
      print $1, n, e > out }
    END { for (t in c) print t, c[t]; print "unparsed", unparsed + 0 }' "$tmp/kafka.out" >"$tmp/kafka-topics.txt"
  unparsed=$(awk '$1 == "unparsed" { print $2 }' "$tmp/kafka-topics.txt")
  cut -d' ' -f1,2 "$tmp/kafka-n.txt" | LC_ALL=C sort -u | awk '{ c[$1]++ } END { for (t in c) print t, c[t] }' \
    >"$tmp/kafka-topics-distinct.txt"
  declare -A distinct_in
  for t in "${kafka_topics[@]}"; do
    records[${t#beacon.}]=$(awk -v t="$t" '$1 == t { print $2 }' "$tmp/kafka-topics.txt")
    records[${t#beacon.}]=${records[${t#beacon.}]:-0}
    distinct_in[${t#beacon.}]=$(awk -v t="$t" '$1 == t { print $2 }' "$tmp/kafka-topics-distinct.txt")
    distinct_in[${t#beacon.}]=${distinct_in[${t#beacon.}]:-0}
    ((total += records[${t#beacon.}])) || true
  done
  cut -d' ' -f2 "$tmp/kafka-n.txt" | LC_ALL=C sort -u >"$tmp/kafka-n-distinct.txt"
  with_n=$(wc -l <"$tmp/kafka-n.txt")
  distinct=$(wc -l <"$tmp/kafka-n-distinct.txt")
  pairs=$(cut -d' ' -f2,3 "$tmp/kafka-n.txt" | LC_ALL=C sort -u | wc -l)
  dups=$((with_n - distinct))         # extra copies of a pixel (at-least-once redelivery)
  dups_new_id=$((pairs - distinct))   # ... of which carry another event_id: the pixel recorded twice

  # The exact set of pixels sent: thread i of the run tagged T sent n=Ti-1 .. n=Ti-S (pixel.lua).
  : >"$tmp/kafka-expected.txt"
  for run in "${runs[@]}"; do
    tag=m
    [[ $run == beacon-warmup ]] && tag=w
    sed -n 's/^pixel-accounting:.* sent_by_thread=\([0-9:,]*\).*/\1/p' "$tmp/$run.out" | tr ',' '\n' \
      | awk -F: -v tag="$tag" 'NF == 2 { print tag $1, $2 }' >>"$tmp/kafka-expected.txt"
  done
  read -r found unexpected probe_seen < <(awk -v probe="$probe_n" '
    NR == FNR { max[$1] = $2; next }
    $1 == probe { p = 1; next }
    { i = index($1, "-"); pre = substr($1, 1, i - 1); k = substr($1, i + 1)
      if (i > 1 && (pre in max) && k ~ /^[0-9]+$/ && k + 0 >= 1 && k + 0 <= max[pre]) found++; else unexpected++ }
    END { print found + 0, unexpected + 0, p + 0 }' "$tmp/kafka-expected.txt" "$tmp/kafka-n-distinct.txt")
  missing=$((sent - found + 1 - probe_seen))
  if ((missing > 0)); then
    { awk '{ for (k = 1; k <= $2; k++) print $1 "-" k }' "$tmp/kafka-expected.txt"; echo "$probe_n"; } \
      | LC_ALL=C sort >"$tmp/kafka-expected-n.txt"
    LC_ALL=C comm -23 "$tmp/kafka-expected-n.txt" "$tmp/kafka-n-distinct.txt" >"$tmp/kafka-missing-n.txt"
  fi

  # What the producer could not deliver waits in the spool ($tmp/data/spool/p?/TOPIC/*.seg), to be
  # replayed on the next start: with a healthy Kafka it stays empty.
  spool_segments=$(find "$tmp/data/spool" -name '*.seg' 2>/dev/null | wc -l)
  spool_bytes=$(find "$tmp/data/spool" -name '*.seg' -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
  spool_records=0
  : >"$tmp/spool-n.txt"
  if ((spool_bytes > 0)); then
    for lane in "$tmp"/data/spool/p?/*/; do
      lane=${lane%/}
      c=$(timeout 120 dotnet "$dll" tail "$(basename "$lane")" --Beacon:DataDirectory="$(dirname "$lane")" 2>/dev/null \
        | awk -v out="$tmp/spool-n.txt" '{ while (match($0, /"n":"[^"]*"/)) {
            print substr($0, RSTART + 5, RLENGTH - 6) >> out; c++; $0 = substr($0, RSTART + RLENGTH) } }
            END { print c + 0 }' || true)
      spool_records=$((spool_records + ${c:-0}))
    done
  fi
  kafka_errors=$(grep -c 'KafkaSink\[' "$tmp/collector.log" || true)
  metric() { # metric NAME: the sum of its series in the scrape taken as the run ended, or n/a
    awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $NF; f = 1 } END { print (f ? s : "n/a") }' "$tmp/metrics.txt"
  }
  histogram_q() { # histogram_q NAME Q: the bucket holding quantile Q of an unlabelled histogram
    awk -v m="$1" -v q="$2" '
      index($1, m "_bucket{le=\"") == 1 { le = $1; sub(/.*le="/, "", le); sub(/".*/, "", le); n++; L[n] = le; C[n] = $NF }
      $1 == m "_count" { count = $NF }
      END { if (!count) { print "n/a"; exit }
            for (i = 1; i <= n; i++) if (C[i] >= q * count) {
              print (L[i] == "+Inf" ? ">" L[i - 1] : "<=" L[i]) "s"; exit } }' "$tmp/metrics.txt"
  }

  say "== accounting (beacon: warm-up + run + 1 probe pixel; records consumed from Kafka with kcat)"
  if ((collector_died)); then
    say "collector: had already exited (status $collector_status) when the run ended; ring admitted ${admitted:-?}"
  else
    say "collector: SIGTERM -> exit $collector_status after ${stop_ms}ms (producer flushed); ring admitted ${admitted:-?}" \
      "(from its drain log); Kafka warnings/errors in its log: $kafka_errors"
  fi
  if ((kafka_errors > 0)); then
    say "  first: $(grep -m1 -A1 'KafkaSink\[' "$tmp/collector.log" | tr -s ' \n' ' ' | head -c 300)"
  fi
  say "consumer ($KAFKA_CONSUME the run): read for ${drain_s}s after the collector exited ($drain_note)"
  say "collector metrics as the run ended: kafka delivered $(metric beacon_kafka_delivered_total)," \
    "failed $(metric beacon_kafka_failed_total), in flight $(metric beacon_kafka_in_flight);" \
    "spooled $(metric beacon_spool_spooled_total); ring shed $(metric beacon_ring_shed_total);" \
    "receive->ack latency p50 $(histogram_q beacon_event_latency_seconds 0.5)," \
    "p99 $(histogram_q beacon_event_latency_seconds 0.99)"
  say "wrk: pixels sent $sent, answered $answered, 2xx $ok, non-2xx $non2xx, socket errors $sockerr," \
    "unanswered when wrk stopped $((sent - answered)); + 1 probe pixel (2xx)"
  say "records consumed: p0 ${records[p0]} p1 ${records[p1]} p2 ${records[p2]} p3 ${records[p3]} dlq ${records[dlq]} = $total" \
    "($distinct distinct pixel counters n)"
  say "duplicates: $dups (same n consumed more than once; $((dups - dups_new_id)) with the same event_id," \
    "$dups_new_id with another event_id)"
  if ((dups > 0)); then
    say "  e.g. $(cut -d' ' -f2 "$tmp/kafka-n.txt" | LC_ALL=C sort | uniq -d | head -5 | tr '\n' ' ')"
  fi
  say "pixels sent per priority:   p0 $exp_p0 p1 $exp_p1 p2 $exp_p2 p3 $exp_p3 (+ the probe in p1)"
  if ((distinct_in[p0] != exp_p0 || distinct_in[p1] != exp_p1 + 1 || distinct_in[p2] != exp_p2 \
    || distinct_in[p3] != exp_p3)) && ((non2xx == 0 && sent == answered)); then
    say "warning: distinct records per topic differ from the pixels sent per priority (misrouted, shed or dead-lettered)"
  fi
  if ((spool_segments == 0)); then
    say "spool after exit: empty (no *.seg under data/spool)"
  else
    say "spool after exit: $spool_segments segment files, $spool_bytes bytes, $spool_records records left" \
      "(not delivered to Kafka; replayed on the next start)"
  fi
  check_harness_and_collector
  unknown=$((sent - answered + non2xx + sockerr))
  if ((sent != answered || sockerr != 0)); then
    say "warning: $((sent - answered)) pixels unanswered at stop, $sockerr socket errors: their fate is unknown"
  fi
  if ((missing > 0)); then
    say "missing n: $(head -10 "$tmp/kafka-missing-n.txt" | tr '\n' ' ')$( ((missing > 10)) && echo …)"
    if [[ -s $tmp/spool-n.txt ]]; then
      say "  of the missing, $(LC_ALL=C sort -u "$tmp/spool-n.txt" | LC_ALL=C comm -12 "$tmp/kafka-missing-n.txt" - | wc -l)" \
        "are still in the spool"
    fi
  fi
  if ((unparsed > 0)); then
    say "warning: $unparsed consumed records carry no pixel counter n"
    status=1
  fi
  if ((unexpected > 0)); then
    say "warning: $unexpected distinct n consumed that no wrk run sent, e.g." \
      "$(awk 'NR == FNR { max[$1] = $2; next } { i = index($1, "-"); pre = substr($1, 1, i - 1)
         if (!(pre in max) || substr($1, i + 1) + 0 > max[pre]) print $1 }' "$tmp/kafka-expected.txt" \
         "$tmp/kafka-n-distinct.txt" | grep -v "^$probe_n\$" | head -5 | tr '\n' ' ')"
    status=1
  fi
  if ((dups_new_id > 0)); then
    say "warning: $dups_new_id pixels were recorded twice with different event ids (not a redelivery)"
    status=1
  fi
  if ((missing == 0)); then
    verdict="accounting: OK (all $((ok + 1)) answered pixels' n present: $ok + the probe; $total records consumed, $dups duplicates)"
    ((status == 0)) || verdict="accounting: FAILED (every answered pixel's n is present, but see above)"
  elif ((unknown > 0 && missing <= unknown)); then
    verdict="accounting: INCONCLUSIVE (missing $missing, $unknown pixels non-2xx or of unknown fate; raise TAIL_MS)"
    status=1
  else
    verdict="accounting: FAILED (missing $missing)"
    status=1
  fi

  beacon_p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$tmp/beacon.out")")
  beacon_p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$tmp/beacon.out")")
  say "== Kafka-mode summary (wrk -t$THREADS -c$CONNECTIONS -d${duration_s}s; librdkafka mock cluster, $KAFKA_PARTITIONS partitions per topic)"
  say "Beacon->Kafka events/s: $beacon_rps (nginx empty_gif $nginx_rps; ratio $ratio)"
  ((FLOOR)) && say "floor (bare Kestrel producing each pixel with Beacon's producer settings): $floor_rps events/s;" \
    "ratio kestrel/nginx $(awk -v b="$floor_rps" -v n="$nginx_rps" 'BEGIN { printf "%.2f", (n > 0 ? b / n : 0) }'), beacon/kestrel $(awk -v b="$beacon_rps" -v n="$floor_rps" 'BEGIN { printf "%.2f", (n > 0 ? b / n : 0) }')"
  say "Beacon latency: p50 ${beacon_p50} ms, p99 ${beacon_p99} ms"
  say "producer CPU share: ${rdk_share}% (librdkafka threads ${rdk_s} of the collector's ${cpu_s} CPU-s)"
  say "collector CPU per million requests: ${cpu_per_m} CPU-s"
  say "$verdict"
  exit "$status"
fi

say "== accounting (beacon: warm-up + run)"
if ((collector_died)); then
  say "collector: had already exited (status $collector_status) when the run ended; ring admitted ${admitted:-?}"
else
  say "collector: SIGTERM -> exit $collector_status after ${stop_ms}ms; ring admitted ${admitted:-?} (from its drain log)"
fi
say "wrk: pixels sent $sent, answered $answered, 2xx $ok, non-2xx $non2xx, socket errors $sockerr," \
  "unanswered when wrk stopped $((sent - answered))"
say "records: p0 ${records[p0]} p1 ${records[p1]} p2 ${records[p2]} p3 ${records[p3]} dlq ${records[dlq]} = $total" \
  "($distinct distinct pixel counters n)"
say "pixels sent per priority:   p0 $exp_p0 p1 $exp_p1 p2 $exp_p2 p3 $exp_p3"
if [[ -z $FIXED_RATE ]] && ((records[p0] != exp_p0 || records[p1] != exp_p1 || records[p2] != exp_p2 || records[p3] != exp_p3)) \
  && ((non2xx == 0 && sent == answered)); then
  say "warning: records per topic differ from the pixels sent per priority (misrouted, shed or dead-lettered)"
fi
check_harness_and_collector
if ((sent != answered || sockerr != 0)); then
  # Pixels wrk sent but never saw answered may or may not have been recorded: the comparison
  # below is then only a bound. Raise TAIL_MS if this happens.
  say "warning: $((sent - answered)) pixels unanswered at stop, $sockerr socket errors: records may exceed 2xx by up to $((sent - answered + sockerr))"
fi
if ((distinct != total)); then
  say "accounting: FAILED ($((total - distinct)) duplicate records)"
  status=1
elif ((total == ok)); then
  say "accounting: OK ($total records = $ok successful responses)"
elif ((total > ok)); then
  if ((total - ok <= sent - answered + sockerr)); then
    # The extra records can be the pixels wrk never saw answered; a loss could hide among them.
    say "accounting: INCONCLUSIVE ($total records, $ok successful responses, $((sent - answered + sockerr))" \
      "pixels of unknown fate; raise TAIL_MS)"
  else
    say "accounting: FAILED ($((total - ok)) more records than pixels sent and answered)"
  fi
  status=1
else
  say "accounting: FAILED (lost $((ok - total)))"
  if [[ -n $admitted ]]; then
    say "  the ring admitted $admitted of $ok: $((ok - admitted)) shed at the edge (answered 200, counted, not recorded);" \
      "$((admitted - total)) admitted but not in the topics"
  fi
  short=
  for p in 0 1 2 3; do
    e=$((exp_p$p)) r=${records[p$p]}
    ((e > r)) && short+=" p$p $((e - r))"
  done
  [[ -n $short ]] && say "  missing per priority:$short"
  status=1
fi
exit "$status"
