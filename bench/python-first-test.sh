#!/usr/bin/env bash
# Time from a clean virtualenv to a green first test, side by side in one
# run: fake-servicer's wheel (pip install of the local wheel and pytest, one
# test with the `fake_servicer` fixture) against pytest-httpserver (pip
# install from PyPI, the same test with its `httpserver` fixture). Each
# round makes both virtualenvs from nothing; pip's cache is warmed by a
# first round that is not counted. Prints each round and the medians.
#
#   bash .ci/python            # builds target/wheels/fake_servicer-*.whl
#   bash bench/python-first-test.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
wheel=$(ls target/wheels/fake_servicer-*.whl)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/ours" "$work/theirs"
cat >"$work/ours/test_first.py" <<'PY'
import json, urllib.request

def test_first(fake_servicer):
    fake_servicer.expect_request("/hello").respond_with_json({"hello": "world"})
    request = urllib.request.Request(fake_servicer.url_for(None, "/hello"), headers=fake_servicer.headers)
    with urllib.request.urlopen(request) as answer:
        assert json.load(answer) == {"hello": "world"}
PY
cat >"$work/theirs/test_first.py" <<'PY'
import json, urllib.request

def test_first(httpserver):
    httpserver.expect_request("/hello").respond_with_json({"hello": "world"})
    with urllib.request.urlopen(httpserver.url_for("/hello")) as answer:
        assert json.load(answer) == {"hello": "world"}
PY

now() { date +%s.%N; }
# One round for one side: seconds for the install, for the test, in all.
round() {
  local side=$1; shift
  rm -rf "$work/venv"
  local t0 t1 t2
  t0=$(now)
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check "$@"
  t1=$(now)
  (cd "$work/$side" && "$work/venv/bin/python" -m pytest -q -p no:cacheprovider >/dev/null)
  t2=$(now)
  python3 -c "print(f'{$t1-$t0:.2f} {$t2-$t1:.2f} {$t2-$t0:.2f}')"
}

ours=(pytest==9.2.0 "$wheel")
theirs=(pytest==9.2.0 pytest-httpserver==1.2.1)
round ours "${ours[@]}" >/dev/null
round theirs "${theirs[@]}" >/dev/null
: >"$work/results"
for r in $(seq 1 "$rounds"); do
  echo "fake-servicer $(round ours "${ours[@]}")" | tee -a "$work/results"
  echo "pytest-httpserver $(round theirs "${theirs[@]}")" | tee -a "$work/results"
done
python3 - "$work/results" "$wheel" <<'PY'
import os, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, *times = line.split()
    rows.setdefault(name, []).append([float(t) for t in times])
print(f"wheel: {os.path.getsize(sys.argv[2]) / 1e6:.1f} MB")
print("median of each (s): install, first test, clean venv to green")
for name, runs in rows.items():
    install, test, total = (statistics.median(c) for c in zip(*runs))
    print(f"  {name:<18} {install:6.2f} {test:6.2f} {total:6.2f}")
PY
