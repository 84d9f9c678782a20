#!/usr/bin/env bash
# Instructions and heap allocations per request, counted by valgrind:
# repeatable on a noisy machine, where req/s are not. Runs bare axum and
# fake-servicer (the example plugin's GET /ping, and a WireMock stub's
# answer; journal on) under callgrind (instructions) and memcheck (heap
# allocations: malloc, calloc, realloc), sends N requests on one kept-alive
# connection, and divides the difference to a run with one request by N - 1.
#
#   bash bench/instructions.sh [N]      (default 2000; needs valgrind, curl)
#
# The last line is JSON. Set KEEP=DIR to keep the callgrind profiles
# (DIR/<server>-<N>.out, for callgrind_annotate).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
cargo build --release -q -p fake-servicer -p example -p fake-servicer-bench
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/plugins" "$work/mappings"
cp "$target/release/libexample.so" "$work/plugins/"
cat >"$work/mappings/ping.json" <<'JSON'
{"request": {"method": "GET", "urlPath": "/stubbed/ping"},
 "response": {"status": 200, "body": "pong", "headers": {"Content-Type": "text/plain; charset=utf-8"}}}
JSON

# count <tool> <label> <path> <requests> <program> [args...]: callgrind's
# instruction total, or memcheck's count of heap allocations, for a run
# answering <requests> requests.
count() {
  local tool=$1 label=$2 path=$3 requests=$4; shift 4
  local port out="$work/$tool-$label-$requests"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  if [ "$tool" = callgrind ]; then
    valgrind --tool=callgrind --callgrind-out-file="$out.out" "$@" --listen "127.0.0.1:$port" >"$out.log" 2>&1 &
  else
    valgrind --tool=memcheck --leak-check=no "$@" --listen "127.0.0.1:$port" >"$out.log" 2>&1 &
  fi
  local pid=$!
  local ready=
  for _ in $(seq 600); do
    curl -fs -o /dev/null "http://127.0.0.1:$port$path" && { ready=1; break; }
    sleep 0.1
  done
  [ -n "$ready" ] || { echo "$label: no answer from $path under $tool" >&2; cat "$out.log" >&2; exit 1; }
  if [ "$requests" -gt 1 ]; then
    # ?2 ... ?N: curl's URL globbing, all on one connection.
    local wrong
    wrong=$(curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$port$path?[2-$requests]" | grep -vc '^200$' || true)
    [ "$wrong" = 0 ] || { echo "$label: $wrong answers other than 200 under $tool" >&2; kill "$pid"; exit 1; }
  fi
  kill -TERM "$pid"
  wait "$pid" || true
  if [ "$tool" = callgrind ]; then
    if [ -n "${KEEP:-}" ] && [ "$requests" -gt 1 ]; then mkdir -p "$KEEP"; cp "$out.out" "$KEEP/$label-$requests.out"; fi
    grep -m1 -o 'summary: [0-9]*' "$out.out" | cut -d' ' -f2
  else
    grep -m1 -o 'total heap usage: [0-9,]* allocs' "$out.log" | tr -dc '0-9'
  fi
}

# per_request <tool> <label> <path> <program> [args...]
per_request() {
  local tool=$1 label=$2 path=$3; shift 3
  local one many
  one=$(count "$tool" "$label" "$path" 1 "$@")
  many=$(count "$tool" "$label" "$path" "$n" "$@")
  python3 -c "print(round(($many - $one) / ($n - 1), 1))"
}

fake=("$target/release/fake-servicer" --plugins "$work/plugins" --docker off)
declare -A ins allocs
for server in bare plugin stub; do
  case $server in
    bare) cmd=("$target/release/bare-axum"); path=/ping ;;
    plugin) cmd=("${fake[@]}"); path=/example/ping ;;
    stub) cmd=("${fake[@]}" --mappings "$work/mappings"); path=/stubbed/ping ;;
  esac
  ins[$server]=$(per_request callgrind "$server" "$path" "${cmd[@]}")
  allocs[$server]=$(per_request memcheck "$server" "$path" "${cmd[@]}")
done
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
printf 'per request (valgrind, %d requests, one connection)   instructions        heap allocations\n' "$n"
printf '  bare axum                      %12.0f            %8.1f\n' "${ins[bare]}" "${allocs[bare]}"
printf '  fake-servicer, plugin route    %12.0f (%sx)    %8.1f (%+.1f)\n' "${ins[plugin]}" "$(ratio "${ins[plugin]}" "${ins[bare]}")" \
  "${allocs[plugin]}" "$(python3 -c "print(${allocs[plugin]} - ${allocs[bare]})")"
printf '  fake-servicer, stub answer     %12.0f (%sx)    %8.1f (%+.1f)\n' "${ins[stub]}" "$(ratio "${ins[stub]}" "${ins[bare]}")" \
  "${allocs[stub]}" "$(python3 -c "print(${allocs[stub]} - ${allocs[bare]})")"
printf '{"bench":"fake-servicer-instructions","requests":%d,"bare_axum":%s,"fake_servicer":%s,"ratio":%s,"stub":%s,"stub_ratio":%s,"allocations":{"bare_axum":%s,"fake_servicer":%s,"stub":%s}}\n' \
  "$n" "${ins[bare]}" "${ins[plugin]}" "$(ratio "${ins[plugin]}" "${ins[bare]}")" "${ins[stub]}" "$(ratio "${ins[stub]}" "${ins[bare]}")" \
  "${allocs[bare]}" "${allocs[plugin]}" "${allocs[stub]}"
