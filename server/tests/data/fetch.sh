#!/bin/sh
# GET http://<host><path> from a busybox container: resolve the name through
# Docker's DNS with busybox's own resolver, then connect by address with the
# name as Host, as an app does. (Debian's static busybox crashes in glibc's
# resolver and on `wget -T`, so neither is used.)
# Usage: fetch.sh <host>[:<port>] <path> [<JSON body to POST>]
host=$1; path=$2; post=$3; port=
case $host in *:*) port=":${host##*:}"; host=${host%:*} ;; esac
ip=$(busybox nslookup "$host" 2>/dev/null | busybox awk '/^Address: /{print $2}' | busybox head -n 1)
[ -n "$ip" ] || { echo "cannot resolve $host" >&2; exit 2; }
if [ -n "$post" ]; then
  exec busybox timeout 10 busybox wget -q -O - --header "Host: $host$port" \
    --header "Content-Type: application/json" --post-data "$post" "http://$ip$port$path"
fi
exec busybox timeout 10 busybox wget -q -O - --header "Host: $host$port" "http://$ip$port$path"
