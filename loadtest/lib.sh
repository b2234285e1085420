# Shell helpers the load scripts share (sourced, not run): messages, stopping a process, a free
# loopback port, waiting for an HTTP answer or a line of output, Release builds, CPU ticks, librdkafka's
# mock cluster and its end offsets.
say() { printf '%s\n' "$*"; }
die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 2; }

stop_pid() { # stop_pid PID SECONDS: SIGTERM, SIGKILL if still running after SECONDS, reap
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < $2 * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

free_port() { # a loopback port nothing listens on, below the kernel's ephemeral range: a port in that range
  # may be taken by a client socket (wrk, kcat, librdkafka) between this check and the server's bind
  local p low span
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
  span=$((low - 10000))
  ((span > 1000)) || span=1000
  for _ in $(seq 200); do
    p=$((10000 + RANDOM % span))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free port"
}

wait_http() { # wait_http URL SECONDS PID: until URL answers 2xx; fails if PID exits or time runs out
  local deadline=$((SECONDS + $2))
  until curl -fs -o /dev/null --max-time 1 "$1"; do
    kill -0 "$3" 2>/dev/null || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; } # ticks PID: user + system clock ticks so far

start_mock_kafka() { # start_mock_kafka COLLECTOR_DLL PARTITIONS DIR: librdkafka's mock cluster (the collector's own
  # mock-kafka command: it creates Beacon's topics, prints the bootstrap servers, runs until SIGTERM) in the
  # background, output in DIR/mock.out and DIR/mock.log; sets mock_pid and boot, or dies
  dotnet "$1" mock-kafka --partitions "$2" >"$3/mock.out" 2>"$3/mock.log" &
  mock_pid=$!
  boot=
  for _ in $(seq 300); do
    [[ -s $3/mock.out ]] && { boot=$(head -1 "$3/mock.out"); return 0; }
    kill -0 "$mock_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$3/mock.log" >&2
  die "the mock Kafka cluster did not start"
}

end_offsets() { # end_offsets BOOT PARTITIONS TOPIC...: records in the topics, the sum of every partition's end offset
  # (-1 when kcat got no answer). The mock forgets a partition's old data past a few MiB, but never moves an end offset back.
  local boot=$1 partitions=$2 args=() t p
  shift 2
  for t in "$@"; do for ((p = 0; p < partitions; p++)); do args+=(-t "$t:$p:-1"); done; done
  kcat -b "$boot" -Q "${args[@]}" | awk '$3 == "offset" { n += $4; seen++ } END { if (seen) print n; else print -1 }'
}

wait_for_line() { # wait_for_line FILE REGEX PID: until a line of FILE matches REGEX, or PID has exited
  until grep -qs "$2" "$1"; do # -s: the writer may not have created FILE yet
    kill -0 "$3" 2>/dev/null || return 0
    sleep 0.05
  done
}

build_release() { # build_release LOG PROJECT...: dotnet build -c Release of each project (paths from the repository root); dies on failure
  local log=$1 project
  shift
  : >"$log"
  for project in "$@"; do
    (cd "$(dirname "${BASH_SOURCE[0]}")/.." && timeout 600 dotnet build "$project" -c Release -nologo -clp:ErrorsOnly -v:q >>"$log" 2>&1) \
      || { cat "$log" >&2; die "build of $project failed"; }
  done
}
