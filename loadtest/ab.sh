#!/usr/bin/env bash
# A/B of collector settings with loadtest/pixel.sh: one build, then one pixel.sh run per variant,
# back to back, each against its own nginx run (the ratio Beacon/nginx is the figure to compare:
# it cancels most of the drift of a shared machine; Beacon's CPU-seconds per million requests, b-cpu/Mreq,
# moves less still). The baseline runs first and last. The Kestrel floor is not run (FLOOR=0).
#
#   loadtest/ab.sh                          # the default variants below
#   loadtest/ab.sh 'gc-workstation|DOTNET_gcServer=0|' 'inline off|DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0|'
#
# A variant is 'label|COLLECTOR_ENV|COLLECTOR_ARGS'. Environment: DURATION (10s), WARMUP (3s), SINK
# (files), CONNECTIONS (64), passed to pixel.sh. Prints one table row per run and the load average
# before each. Exit status 1 when any run's accounting failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export DURATION=${DURATION:-10s} WARMUP=${WARMUP:-3s} SINK=${SINK:-files}

variants=("$@")
if ((${#variants[@]} == 0)); then
  variants=(
    'workstation GC|DOTNET_gcServer=0|'
    'server GC, DATAS off|DOTNET_GCDynamicAdaptationMode=0|'
    'TieredPGO off|DOTNET_TieredPGO=0|'
    'TieredCompilation off|DOTNET_TieredCompilation=0|'
    'ReadyToRun code off|DOTNET_ReadyToRun=0|'
    'inline scheduling off|DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0|'
    'IOQueueCount=1||--Beacon:Transport:IOQueueCount=1'
    'WaitForDataBeforeAllocatingBuffer=false||--Beacon:Transport:WaitForDataBeforeAllocatingBuffer=false'
  )
fi
variants=('baseline||' "${variants[@]}" 'baseline (again)||')

(cd "$root" && dotnet build Collector -c Release -nologo -clp:ErrorsOnly -v:q) || exit 2

log_dir=$(mktemp -d /tmp/beacon-ab.XXXXXX)
printf '%-40s %-6s %10s %10s %6s %8s %8s %8s %9s  %s\n' variant load1 nginx/s beacon/s ratio b-p50ms b-p99ms n-p99ms b-cpu/Mreq accounting
failed=0
i=0
for v in "${variants[@]}"; do
  IFS='|' read -r label env args <<<"$v"
  i=$((i + 1))
  load=$(cut -d' ' -f1 /proc/loadavg)
  out="$log_dir/$i.log"
  COLLECTOR_ENV="$env" COLLECTOR_ARGS="$args" SKIP_BUILD=1 FLOOR=0 "$root/loadtest/pixel.sh" >"$out" 2>&1 || failed=1
  nginx=$(awk '$1 == "nginx" && $2 ~ /^[0-9.]+$/ { print $2, $4 }' "$out")
  beacon=$(awk '$1 == "beacon" && $2 ~ /^[0-9.]+$/ { print $2, $3, $4, $5 }' "$out")
  ratio=$(sed -n 's/^ratio beacon\/nginx (requests\/s): //p' "$out")
  verdict=$(grep -o '^accounting: [A-Z]*' "$out" | cut -d' ' -f2)
  read -r n_rps n_p99 <<<"${nginx:-- -}"
  read -r b_rps b_p50 b_p99 b_cpu <<<"${beacon:-- - - -}"
  printf '%-40s %-6s %10s %10s %6s %8s %8s %8s %9s  %s\n' "$label" "$load" "$n_rps" "$b_rps" "${ratio:--}" "$b_p50" "$b_p99" "$n_p99" "$b_cpu" "${verdict:-ERROR (see $out)}"
done
echo "logs: $log_dir"
exit "$failed"
