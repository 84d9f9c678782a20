#!/usr/bin/env bash
# HTTPS and HTTP/2 against plain HTTP/1.1 on the same server, in one run:
# one release fake-servicer answering a stub (`GET /example/ping`, 4 bytes),
# loaded by wrk (HTTP/1.1, plain and TLS, kept alive) and h2load (h2c with
# prior knowledge, h2 over TLS by ALPN), 32 connections, one request in
# flight on each. Then the cost of a new connection: wrk with
# `Connection: close`, so every request makes a connection (and, over TLS,
# a full handshake: wrk resumes no session).
#
# Each round runs every scenario once, in a rotated order; a ratio is the
# median of the per-round ratios to plain HTTP/1.1 kept alive, so a noisy
# machine moves both sides together. Any answer other than 2xx, or a socket
# error, fails the run (exit 1, naming the scenario).
#
#   bash bench/tls.sh [SECONDS] [ROUNDS]   (defaults 5 and 3; needs wrk,
#                                           h2load and curl: apt-get install
#                                           wrk nghttp2-client curl)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=${2:-3}
for tool in wrk h2load curl python3; do
  command -v "$tool" >/dev/null || { echo "bench/tls.sh: $tool is missing" >&2; exit 1; }
done
cargo build --release -q -p fake-servicer
bin=${CARGO_TARGET_DIR:-target}/release/fake-servicer
work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/plugins" "$work/mappings"
echo '{"request":{"method":"GET","urlPath":"/ping","service":"example"},"response":{"status":200,"body":"pong"}}' \
  > "$work/mappings/ping.json"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http=$(free_port); https=$(free_port)
"$bin" --plugins "$work/plugins" --mappings "$work/mappings" --docker off \
  --listen "127.0.0.1:$http" --tls-listen "127.0.0.1:$https" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  curl -fs -o /dev/null "http://127.0.0.1:$http/example/ping" && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$http/__admin/ca.pem" > "$work/ca.pem"
[ "$(curl -fsS --cacert "$work/ca.pem" "https://localhost:$https/example/ping")" = pong ] \
  || { echo "bench/tls.sh: no pong over HTTPS" >&2; cat "$work/log" >&2; exit 1; }

plain_url="http://127.0.0.1:$http/example/ping"
tls_url="https://localhost:$https/example/ping"

# Each prints "req/s requests errors", errors being answers other than
# 2xx/3xx plus socket errors (wrk) or failed and errored requests (h2load).
wrk_run() {
  wrk -t1 -c32 -d"${secs}s" "$@" | awk '
    /requests in/ { requests = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { errors += $NF }
    /Socket errors:/ { for (i = 4; i <= NF; i += 2) { v = $i; gsub(",", "", v); errors += v } }
    END { print rps, requests, errors + 0 }'
}
h2load_run() {
  h2load -c32 -m1 -D"$secs" "$@" 2>/dev/null | awk '
    /^finished in/ { rps = $4 }
    /^requests:/ { requests = $8; errors += $10 + $12 }
    /^status codes:/ { errors += $7 + $9 }
    END { print rps, requests, errors + 0 }'
}
# The server's CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
scenario() {
  case $1 in
    plain) wrk_run "$plain_url" ;;
    tls) wrk_run "$tls_url" ;;
    h2c) h2load_run "$plain_url" ;;
    h2) h2load_run "$tls_url" ;;
    new_plain) wrk_run -H 'Connection: close' "$plain_url" ;;
    new_tls) wrk_run -H 'Connection: close' "$tls_url" ;;
  esac
}

names=(plain tls h2c h2 new_plain new_tls)
# Warm-up: every path once, briefly.
for name in "${names[@]}"; do secs=1 scenario "$name" >/dev/null; done
: > "$work/results"
for round in $(seq 0 $((rounds - 1))); do
  for i in "${!names[@]}"; do
    name=${names[$(((i + round) % ${#names[@]}))]}
    before=$(cpu_ticks)
    measured=$(scenario "$name")
    echo "$round $name $measured $(($(cpu_ticks) - before))" >> "$work/results"
  done
done

python3 - "$work/results" "$(getconf CLK_TCK)" <<'PY'
import json, statistics, sys
rounds = {}
tick_us = 1e6 / int(sys.argv[2])
for line in open(sys.argv[1]):
    rnd, name, rps, requests, errors, ticks = line.split()
    cpu_us = int(ticks) * tick_us / max(int(requests), 1)
    rounds.setdefault(int(rnd), {})[name] = (float(rps), int(errors), cpu_us)
failed = [(name, errs) for r in rounds.values() for name, (_, errs, _) in r.items() if errs]
names = ["plain", "tls", "h2c", "h2", "new_plain", "new_tls"]
label = {
    "plain": "HTTP/1.1 plain, kept alive (baseline)",
    "tls": "HTTP/1.1 over TLS, kept alive",
    "h2c": "h2c, prior knowledge",
    "h2": "h2 over TLS (ALPN)",
    "new_plain": "HTTP/1.1 plain, a new connection per request",
    "new_tls": "HTTP/1.1 over TLS, a new connection (handshake) per request",
}
rps = {n: statistics.median(r[n][0] for r in rounds.values()) for n in names}
ratio = {n: statistics.median(r[n][0] / r["plain"][0] for r in rounds.values()) for n in names}
# The server's CPU time per request, from /proc: what a scenario costs the
# server itself, whatever else runs on the machine.
cpu = {n: statistics.median(r[n][2] for r in rounds.values()) for n in names}
# A TLS handshake's cost: the server CPU a new TLS connection takes over a
# new plain one, and the difference of the time per request, 1/(req/s),
# which also holds the client's side (server and client share the cores).
handshake_cpu = statistics.median(r["new_tls"][2] - r["new_plain"][2] for r in rounds.values())
handshake = statistics.median(
    (1 / r["new_tls"][0] - 1 / r["new_plain"][0]) * 1e6 for r in rounds.values())
new_ratio = statistics.median(r["new_tls"][0] / r["new_plain"][0] for r in rounds.values())
print(f"{'scenario (GET, 4-byte text, 32 connections)':<62} {'req/s':>8} {'x plain':>8} {'CPU us/req':>11}")
for n in names:
    print(f"{label[n]:<62} {rps[n]:>8.0f} {ratio[n]:>8.2f} {cpu[n]:>11.1f}")
print(f"new connections: TLS {new_ratio:.2f}x plain's rate; a handshake costs the server "
      f"{handshake_cpu:.0f} us of CPU, the machine {handshake:.0f} us (server and client)")
print(f"medians of {len(rounds)} rounds; errors: {sum(e for _, e in failed)}")
print(json.dumps({
    "rounds": len(rounds),
    "rps": rps,
    "ratio_to_plain": ratio,
    "server_cpu_us_per_request": cpu,
    "new_connection_tls_ratio": new_ratio,
    "handshake_server_cpu_us": handshake_cpu,
    "handshake_us": handshake,
    "failures": [f"{name}: {errs} errors" for name, errs in failed],
}))
if failed:
    for name, errs in failed:
        print(f"bench/tls.sh: {label[name]}: {errs} answers other than 2xx/3xx or socket errors",
              file=sys.stderr)
    sys.exit(1)
PY
