"""The scope carried by requests, httpx and OpenTelemetry, where installed."""

import urllib.request

import pytest


def test_a_requests_session_from_the_handle_carries_the_scope(fake_servicer):
    pytest.importorskip("requests")
    fake_servicer.expect_request("/r").respond_with_data("in scope")
    with fake_servicer.requests_session() as session:
        assert session.get(fake_servicer.url_for(None, "/r")).text == "in scope"


def test_an_httpx_client_from_the_handle_carries_the_scope(fake_servicer):
    pytest.importorskip("httpx")
    fake_servicer.expect_request("/h").respond_with_data("in scope")
    with fake_servicer.httpx_client(timeout=10) as client:
        assert client.get(fake_servicer.url_for(None, "/h")).text == "in scope"


def test_an_opentelemetry_propagated_call_belongs_to_the_tests_scope(fake_servicer):
    """What an instrumented app does on its outgoing calls: inject the
    current context (W3C trace context and baggage) into their headers."""
    propagate = pytest.importorskip("opentelemetry.propagate")
    fake_servicer.expect_request("/traced", service="downstream").respond_with_data("in scope")
    carrier = {}
    propagate.inject(carrier)
    assert f"fake-servicer-scope={fake_servicer.scope}" in carrier["baggage"]
    request = urllib.request.Request(fake_servicer.url_for("downstream", "/traced"), headers=carrier)
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.read() == b"in scope"
