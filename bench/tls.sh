#!/usr/bin/env bash
# HTTPS and HTTP/2 against plain HTTP/1.1 on the same server, in one run:
# one release fake-servicer answering a stub (`GET /example/ping`), loaded
# by wrk (HTTP/1.1, plain and TLS, kept alive) and h2load (h2c with prior
# knowledge, h2 over TLS by ALPN), 32 connections, one request in flight
# on each. Then the cost of a new connection: wrk with `Connection: close`,
# so every request makes a connection (and, over TLS, a full handshake).
#
#   bash bench/tls.sh [SECONDS]     (default 5; needs wrk and h2load:
#                                    apt-get install wrk nghttp2-client)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
for tool in wrk h2load curl; do
  command -v "$tool" >/dev/null || { echo "bench/tls.sh: $tool is missing" >&2; exit 1; }
done
cargo build --release -q -p fake-servicer
bin=${CARGO_TARGET_DIR:-target}/release/fake-servicer
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
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
curl -fs "http://127.0.0.1:$http/__admin/ca.pem" > "$work/ca.pem"
curl -fs --cacert "$work/ca.pem" "https://localhost:$https/example/ping" >/dev/null

wrk_rps() { wrk -t1 -c32 -d"${secs}s" "$@" | awk '/^Requests\/sec:/{print $2}'; }
h2load_rps() { h2load -c32 -m1 -D"$secs" "$@" 2>/dev/null | awk '/^finished in/{gsub(",","",$4); print $4}'; }

plain=$(wrk_rps "http://127.0.0.1:$http/example/ping")
tls=$(wrk_rps "https://localhost:$https/example/ping")
h2c=$(h2load_rps "http://127.0.0.1:$http/example/ping")
h2=$(h2load_rps "https://localhost:$https/example/ping")
new_plain=$(wrk_rps -H 'Connection: close' "http://127.0.0.1:$http/example/ping")
new_tls=$(wrk_rps -H 'Connection: close' "https://localhost:$https/example/ping")

python3 - "$plain" "$tls" "$h2c" "$h2" "$new_plain" "$new_tls" <<'PY'
import json, sys
plain, tls, h2c, h2, new_plain, new_tls = map(float, sys.argv[1:])
rows = [
    ("HTTP/1.1 plain, kept alive (baseline)", plain),
    ("HTTP/1.1 over TLS, kept alive", tls),
    ("h2c, prior knowledge", h2c),
    ("h2 over TLS (ALPN)", h2),
    ("HTTP/1.1 plain, a new connection per request", new_plain),
    ("HTTP/1.1 over TLS, a new connection (handshake) per request", new_tls),
]
print(f"{'scenario':<62} {'req/s':>10} {'ratio':>7}")
for name, rps in rows:
    print(f"{name:<62} {rps:>10.0f} {rps / plain:>7.2f}")
# Extra time a TLS handshake adds to a new connection, per connection, at
# 32 connections in parallel on this machine.
handshake_us = (1 / new_tls - 1 / new_plain) * 1e6
print(f"handshake cost per new connection: {handshake_us:.0f} us of server throughput")
print(json.dumps({
    "plain_rps": plain, "tls_rps": tls, "h2c_rps": h2c, "h2_rps": h2,
    "tls_ratio": tls / plain, "h2c_ratio": h2c / plain, "h2_ratio": h2 / plain,
    "new_connection_plain_rps": new_plain, "new_connection_tls_rps": new_tls,
    "handshake_us": handshake_us,
}))
PY
