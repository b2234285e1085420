#!/bin/sh
# Prints one record per event type of the catalogue (docs/protocol.md §4): starts a real collector on
# loopback with a temporary data directory, sends one pixel of each type, and reads the topics back.
# Usage: scripts/protocol-examples.sh   (builds Release first; needs curl)
set -eu
cd "$(dirname "$0")/.."
dotnet build -c Release Collector -nologo -v q >/dev/null
dll=Collector/bin/Release/net10.0/Beacon.Collector.dll
data=$(mktemp -d)
port=$((20000 + $$ % 20000))
dotnet "$dll" --urls "http://127.0.0.1:$port" --Beacon:Admin:Urls=http://127.0.0.1:0 --Beacon:DataDirectory="$data" \
  --Logging:LogLevel:Default=Warning >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

ua='Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'
common='a=shop&p=web&sdk=js%2F1.0.0&pvid=pv-7f3a&t=1795290084131&st=1795290084200'
url='u=https%3A%2F%2Fshop.example%2Fitem%2F42%3Futm_source%3Dnewsletter%26utm_campaign%3Dbf%26source%3D10012%26ref%3Dkd4b'
send() { curl -s -o /dev/null -A "$ua" -H 'Cookie: bid=3f2a9c0e5b7d41e68a0c2d4f6b8e1a97' "http://127.0.0.1:$port/b.gif?$common&$1"; }
send "e=pv&$url&r=https%3A%2F%2Fshop.example%2Flist&rr=https%3A%2F%2Fshop.example%2F&spm=shop.detail.0.0&src=shop.list.grid.7&ssrc=shop.home.banner.1&nav=navigate&eid=ex-pv"
send "e=click&$url&spm=shop.detail.buy.1&el=buy&color=red&eid=ex-click"
send "e=exp&$url&n=2&items=%5B%7B%22spm%22%3A%22shop.detail.recs.1%22%2C%22ms%22%3A1200%7D%2C%7B%22spm%22%3A%22shop.detail.recs.2%22%2C%22ms%22%3A3400%7D%5D&eid=ex-exp"
send "e=custom&$url&name=share&channel=wechat&eid=ex-custom"
send "e=leave&$url&dwell=15320&eid=ex-leave"
send "e=perf&$url&ttfb=120&fcp=480&lcp=1350&cls=0.02&eid=ex-perf"
send "e=err&$url&msg=TypeError%3A+x+is+undefined&line=88&eid=ex-err"
send "e=crash&p=ios&stack=EXC_BAD_ACCESS&eid=ex-crash"
send "e=order&$url&oid=42&amount=129.90&cur=EUR&eid=ex-order"
sleep 1
kill $pid; wait $pid 2>/dev/null || true
for topic in beacon.p0 beacon.p1 beacon.p2 beacon.p3; do
  dotnet "$dll" tail "$topic" --Beacon:DataDirectory="$data" 2>/dev/null
done
