# Shell helpers the load scripts share (sourced, not run): messages, stopping a process, a free
# loopback port, waiting for an HTTP answer.
say() { printf '%s\n' "$*"; }
die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 2; }

stop_pid() { # stop_pid PID SECONDS: SIGTERM, SIGKILL if still running after SECONDS, reap
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < $2 * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

free_port() { # a loopback port nothing listens on
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 40000))
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
