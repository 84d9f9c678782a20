"""Stream answers and push(), in the test's scope."""

import threading
import urllib.request

from conftest import call


def read_events(response, wanted):
    """The `data:` lines of the first `wanted` server-sent events."""
    events = []
    for raw in response:
        line = raw.decode().rstrip("\r\n")
        if line.startswith("data: "):
            events.append(line[6:])
            if len(events) == wanted:
                return events
    return events


def test_a_pushed_event_reaches_the_open_stream_of_the_tests_scope(fake_servicer, fake_servicer_server):
    fake_servicer.expect_request("/events", service="news").respond_with_stream([{"sse": {"data": "hello"}}])
    request = urllib.request.Request(fake_servicer.url_for("news", "/events"), headers=fake_servicer.headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert read_events(response, 1) == ["hello"]
        with fake_servicer_server.scope() as other:
            assert other.push("/events", {"sse": {"data": "not yours"}}, service="news")["streams"] == 0
        pushed = fake_servicer.push("/events", {"sse": {"data": "breaking"}}, service="news", close=True)
        assert pushed["streams"] == 1
        assert read_events(response, 1) == ["breaking"]
