"""Real HTTP clients read fake-servicer's streams.

- ``curl -N`` reads a stub's server-sent events as they come;
- ``requests`` with ``stream=True`` reads NDJSON lines one by one, pushed
  by the test while it reads;
- ``sseclient-py`` (a browser-grade SSE parser) parses events with names,
  ids, multi-line data and comments;
- ``websockets`` talks to a WebSocket stub: its greeting, replies, a push
  and the close frame.

The server is started by the Rust harness (``server/tests/it/streams/
clients.rs``); its base URL comes from ``FAKE_SERVICER_URL``. Every test
has its own path, and every wait is bounded.

Run with:  FAKE_SERVICER_URL=http://127.0.0.1:PORT python -m pytest <this file>
"""

import json
import os
import subprocess
import time

import requests
import sseclient
from websockets.sync.client import connect

URL = os.environ["FAKE_SERVICER_URL"]
TIMEOUT = 10


def stub(path, stream, live=False, headers=None):
    response = {"status": 200, "stream": stream, "live": live}
    if headers:
        response["headers"] = headers
    r = requests.post(
        f"{URL}/__admin/mappings",
        json={"request": {"method": "GET", "urlPath": path}, "response": response},
        timeout=TIMEOUT,
    )
    assert r.status_code == 201, r.text


def until_open(path):
    """Waits until a stream opened by ``GET path`` is listed."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        streams = requests.get(f"{URL}/__admin/streams", timeout=TIMEOUT).json()["streams"]
        if any(s["url"] == path for s in streams):
            return
        time.sleep(0.02)
    raise AssertionError(f"no stream of {path} opened within {TIMEOUT} s")


def push(path, items, close=False):
    r = requests.post(
        f"{URL}/__admin/streams/push",
        json={"request": {"urlPath": path}, "items": items, "close": close},
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text
    return r.json()["streams"]


def test_curl_n_prints_server_sent_events_as_they_come():
    stub("/curl-events", [{"sse": {"event": "a", "data": "1"}}, {"delayMs": 200}, {"sse": {"data": "2"}}])
    out = subprocess.run(
        ["curl", "-N", "-s", "--max-time", str(TIMEOUT), f"{URL}/curl-events"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == "event: a\ndata: 1\n\ndata: 2\n\n"


def test_requests_stream_reads_ndjson_lines_pushed_while_it_reads():
    stub("/ndjson-live", [{"json": {"n": 0}}], live=True)
    with requests.get(f"{URL}/ndjson-live", stream=True, timeout=TIMEOUT) as r:
        assert r.headers["content-type"] == "application/x-ndjson"
        lines = r.iter_lines()
        assert json.loads(next(lines)) == {"n": 0}
        until_open("/ndjson-live")
        for n in (1, 2):
            assert push("/ndjson-live", [{"json": {"n": n}}]) == 1
            assert json.loads(next(lines)) == {"n": n}
        assert push("/ndjson-live", [], close=True) == 1
        assert list(lines) == []


def test_sseclient_parses_names_ids_multiline_data_and_skips_comments():
    stub(
        "/sse-parsed",
        [
            {"sse": {"comment": "welcome"}},
            {"sse": {"event": "update", "id": "7", "data": "line one\nline two"}},
            {"sse": {"data": {"price": 42}}},
        ],
    )
    with requests.get(f"{URL}/sse-parsed", stream=True, timeout=TIMEOUT) as r:
        events = list(sseclient.SSEClient(r).events())
    assert [(e.event, e.id, e.data) for e in events] == [
        ("update", "7", "line one\nline two"),
        ("message", None, '{"price":42}'),
    ]


def test_sseclient_gets_events_pushed_into_a_live_stream():
    stub("/sse-live", [], live=True)
    with requests.get(f"{URL}/sse-live", stream=True, timeout=TIMEOUT) as r:
        until_open("/sse-live")
        assert push("/sse-live", [{"sse": {"event": "tick", "data": "1"}}]) == 1
        assert push("/sse-live", [{"sse": {"event": "tick", "data": "2"}}], close=True) == 1
        events = [(e.event, e.data) for e in sseclient.SSEClient(r).events()]
    assert events == [("tick", "1"), ("tick", "2")]


def test_websockets_gets_a_greeting_replies_a_push_and_the_close():
    r = requests.post(
        f"{URL}/__admin/mappings",
        json={
            "request": {"method": "GET", "urlPath": "/py-socket"},
            "response": {
                "webSocket": {
                    "send": [{"text": "welcome"}],
                    "replies": [{"when": {"matchesJsonPath": "$.ping"}, "send": [{"json": {"pong": True}}]}],
                }
            },
        },
        timeout=TIMEOUT,
    )
    assert r.status_code == 201, r.text
    ws_url = URL.replace("http://", "ws://") + "/py-socket"
    with connect(ws_url, open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        assert ws.recv(timeout=TIMEOUT) == "welcome"
        ws.send(json.dumps({"ping": 1}))
        assert json.loads(ws.recv(timeout=TIMEOUT)) == {"pong": True}
        until_open("/py-socket")
        assert push("/py-socket", [{"binary": "AQI="}], close=True) == 1
        assert ws.recv(timeout=TIMEOUT) == b"\x01\x02"
        try:
            ws.recv(timeout=TIMEOUT)
            raise AssertionError("the socket was not closed")
        except Exception as closed:  # websockets.exceptions.ConnectionClosedOK
            assert type(closed).__name__ == "ConnectionClosedOK", repr(closed)
