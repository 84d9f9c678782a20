#!/usr/bin/env bash
# Instructions per request, counted by valgrind (callgrind): repeatable on a
# noisy machine, where req/s are not. Runs bare axum and fake-servicer (the
# example plugin's GET /ping, journal on) under callgrind, sends N requests
# on one kept-alive connection, and divides the difference to a run with
# one request by N - 1.
#
#   bash bench/instructions.sh [N]      (default 2000; needs valgrind, curl)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
cargo build --release -q -p fake-servicer -p example -p fake-servicer-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/plugins"
cp target/release/libexample.so "$work/plugins/"

# instructions <label> <path> <requests> <program> [args...]
instructions() {
  local label=$1 path=$2 count=$3; shift 3
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  valgrind --tool=callgrind --callgrind-out-file="$work/$label.out" "$@" --listen "127.0.0.1:$port" \
    >"$work/$label.log" 2>&1 &
  local pid=$!
  for _ in $(seq 600); do
    curl -fs -o /dev/null "http://127.0.0.1:$port$path" && break
    sleep 0.1
  done
  if [ "$count" -gt 1 ]; then
    curl -fs -o /dev/null "http://127.0.0.1:$port$path?[2-$count]"
  fi
  kill -TERM "$pid"
  wait "$pid" || true
  grep -m1 -o 'summary: [0-9]*' "$work/$label.out" | cut -d' ' -f2
}

declare -A per
for server in bare fake; do
  if [ $server = bare ]; then
    cmd=(target/release/bare-axum); path=/ping
  else
    cmd=(target/release/fake-servicer --plugins "$work/plugins" --docker off); path=/example/ping
  fi
  one=$(instructions "$server-1" "$path" 1 "${cmd[@]}")
  many=$(instructions "$server-$n" "$path" "$n" "${cmd[@]}")
  per[$server]=$(( (many - one) / (n - 1) ))
done
ratio=$(python3 -c "print(f'{${per[fake]} / ${per[bare]}:.2f}')")
printf 'instructions per request (callgrind, %d requests, one connection)\n' "$n"
printf '  bare axum      %8d\n  fake-servicer  %8d   (%sx)\n' "${per[bare]}" "${per[fake]}" "$ratio"
printf '{"bench":"fake-servicer-instructions","requests":%d,"bare_axum":%d,"fake_servicer":%d,"ratio":%s}\n' \
  "$n" "${per[bare]}" "${per[fake]}" "$ratio"
