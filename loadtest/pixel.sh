#!/usr/bin/env bash
# Pixel load test: Beacon's collector against nginx's empty_gif, same wrk settings, same machine,
# then end-to-end accounting of every pixel Beacon answered against the records it wrote.
#
#   loadtest/pixel.sh                      # wrk -t1 -c64 -d15s, after a 5s warm-up of each server
#   DURATION=10s CONNECTIONS=128 loadtest/pixel.sh
#
# Environment: THREADS (1), CONNECTIONS (64), DURATION (15s), WARMUP (5s, 0 = none),
# TAIL_MS (500: the end of each run sends /healthz so no pixel is in flight when wrk stops),
# NGINX_WORKERS (auto), SKIP_BUILD (0), KEEP (0: keep the temp dir with data and logs),
# COLLECTOR_ARGS (extra collector arguments, e.g. "--Beacon:Ring:Capacity=65536").
# Talks to 127.0.0.1 only. Exit status: 0 when accounting is OK, 1 otherwise, 2 on setup errors.
set -euo pipefail

THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-5s}
TAIL_MS=${TAIL_MS:-500}
NGINX_WORKERS=${NGINX_WORKERS:-auto}
SKIP_BUILD=${SKIP_BUILD:-0}
KEEP=${KEEP:-0}
COLLECTOR_ARGS=${COLLECTOR_ARGS:-}

root=$(cd "$(dirname "$0")/.." && pwd)
lua="$root/loadtest/pixel.lua"
dll="$root/Collector/bin/Release/net10.0/Beacon.Collector.dll"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

say() { printf '%s\n' "$*"; }
die() { printf 'pixel.sh: %s\n' "$*" >&2; exit 2; }

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

# ---------------------------------------------------------------- tools
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
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
cleanup() {
  local status=$?
  [[ -n $collector_pid ]] && kill -KILL "$collector_pid" 2>/dev/null || true
  [[ -n $nginx_pid ]] && kill -TERM "$nginx_pid" 2>/dev/null || true
  [[ -n $nginx_pid ]] && wait "$nginx_pid" 2>/dev/null || true
  [[ -n $collector_pid ]] && wait "$collector_pid" 2>/dev/null || true
  if [[ $KEEP == 1 ]]; then
    say "kept $tmp"
  else
    rm -rf "$tmp"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free port"
}

wait_http() { # url seconds pid
  local deadline=$((SECONDS + $2))
  until curl -fs -o /dev/null --max-time 1 "$1"; do
    kill -0 "$3" 2>/dev/null || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# ---------------------------------------------------------------- build and start the collector
if [[ $SKIP_BUILD != 1 ]]; then
  say "building the collector (Release)"
  (cd "$root" && timeout 600 dotnet build Collector -c Release -nologo -clp:ErrorsOnly -v:q >"$tmp/build.log" 2>&1) \
    || { cat "$tmp/build.log" >&2; die "build failed"; }
fi
[[ -f $dll ]] || die "no $dll (build first, or unset SKIP_BUILD)"
# Run a private copy: a concurrent build (test.sh, an IDE) rewriting bin/Release under a running
# collector would change its assemblies mid-run.
cp -r "$(dirname "$dll")" "$tmp/collector"
dll="$tmp/collector/$(basename "$dll")"

beacon_port=$(free_port)
# Retention is lifted so no segment is deleted before it is counted, whatever the run length.
# shellcheck disable=SC2086 # COLLECTOR_ARGS is a list of arguments
dotnet "$dll" --urls "http://127.0.0.1:$beacon_port" --Beacon:DataDirectory="$tmp/data" \
  --Beacon:Segments:RetentionMaxBytes=1099511627776 $COLLECTOR_ARGS >"$tmp/collector.log" 2>&1 &
collector_pid=$!
wait_http "http://127.0.0.1:$beacon_port/healthz" 60 "$collector_pid" \
  || { cat "$tmp/collector.log" >&2; die "the collector did not become healthy"; }

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

to_ms() { # wrk time (e.g. 512.00us, 1.20ms, 2.01s) -> milliseconds
  awk -v t="$1" 'BEGIN {
    n = t + 0; u = t; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}

summary() { # summary NAME: one table row
  local out="$tmp/$1.out" rps p50 p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  p50=$(awk '$1 == "50%" {print $2}' "$out")
  p99=$(awk '$1 == "99%" {print $2}' "$out")
  printf '%-8s %12s %9s %9s %9s %9s %9s\n' "$1" "$rps" "$(to_ms "$p50")" "$(to_ms "$p99")" \
    "$(field "$out" non2xx)" "$(field "$out" socket_errors)" "$(field "$out" timeouts)"
}

say "== pixel load: wrk -t$THREADS -c$CONNECTIONS -d${duration_s}s --latency, same settings for both;" \
  "warm-up ${warmup_s}s each; $(nproc) CPUs; nginx worker_processes $NGINX_WORKERS ($nginx_workers workers)"
if ((warmup_s > 0)); then
  run_wrk beacon-warmup "$beacon_port" "$warmup_s" w
  run_wrk nginx-warmup "$nginx_port" "$warmup_s" w
fi
run_wrk nginx "$nginx_port" "$duration_s" m
run_wrk beacon "$beacon_port" "$duration_s" m

printf '%-8s %12s %9s %9s %9s %9s %9s\n' target requests/s p50-ms p99-ms non-2xx sock-err timeouts
summary nginx
summary beacon
nginx_rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/nginx.out")
beacon_rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/beacon.out")
ratio=$(awk -v b="$beacon_rps" -v n="$nginx_rps" 'BEGIN { printf "%.2f", (n > 0 ? b / n : 0) }')
say "ratio beacon/nginx (requests/s): $ratio"
say "(requests/s counts every answered request, including the ${TAIL_MS}ms /healthz tail of each run)"

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
kill -QUIT "$nginx_pid" # graceful: workers flush their buffered access log
for _ in $(seq 100); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$nginx_pid" 2>/dev/null || true
wait "$nginx_pid" 2>/dev/null || true
nginx_pid=

runs=(beacon)
((warmup_s > 0)) && runs=(beacon-warmup beacon)
sent=0 answered=0 ok=0 non2xx=0 sockerr=0 exp_p0=0 exp_p1=0 exp_p2=0 exp_p3=0
for run in "${runs[@]}"; do
  out="$tmp/$run.out"
  ((sent += $(field "$out" sent), answered += $(field "$out" answered), ok += $(field "$out" ok))) || true
  ((non2xx += $(field "$out" non2xx), sockerr += $(field "$out" socket_errors))) || true
  for p in 0 1 2 3; do ((exp_p$p += $(field "$out" p$p))) || true; done
done

# Count every topic's records with the collector's own reader, and collect each record's n
# (the pixel's unique counter; in the dead-letter topic it is inside the raw query).
declare -A records
total=0
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
admitted=$(sed -n 's/.*Pipeline drained after \([0-9]*\) admitted records.*/\1/p' "$tmp/collector.log" | tail -1)

# Harness self-check on nginx: its access log must hold exactly the pixels nginx answered.
nginx_runs=(nginx)
((warmup_s > 0)) && nginx_runs=(nginx-warmup nginx)
nginx_answered=0 nginx_unanswered=0
for run in "${nginx_runs[@]}"; do
  ((nginx_answered += $(field "$tmp/$run.out" answered))) || true
  ((nginx_unanswered += $(field "$tmp/$run.out" sent) - $(field "$tmp/$run.out" answered))) || true
done
nginx_logged=$(awk '$7 ~ /^\/b[\/.]/' "$tmp/nginx/access.log" | wc -l)

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
if ((records[p0] != exp_p0 || records[p1] != exp_p1 || records[p2] != exp_p2 || records[p3] != exp_p3)) \
  && ((non2xx == 0 && sent == answered)); then
  say "warning: records per topic differ from the pixels sent per priority (misrouted, shed or dead-lettered)"
fi
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
