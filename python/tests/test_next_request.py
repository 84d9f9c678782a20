"""next_request(...).respond(...): one-shot answers over the override headers."""

import time
import urllib.error
import urllib.request

import pytest

from conftest import call


def test_the_next_request_gets_the_armed_status_body_and_headers_then_the_usual_answer(fake_servicer):
    fake_servicer.expect_request("/users", service="auth").respond_with_json([])
    armed = fake_servicer.next_request("auth", "/users").respond(status=403, body={"error": "Auth error"}, headers={"X-Why": "no"})
    assert armed["armed"]["scope"] == fake_servicer.scope
    url = fake_servicer.url_for("auth", "/users")
    status, headers, body = call(url, headers=fake_servicer.headers)
    assert (status, body, headers["X-Why"]) == (403, b'{"error": "Auth error"}', "no")
    assert call(url, headers=fake_servicer.headers)[:3:2] == (200, b"[]")


def test_an_armed_answer_stays_in_the_tests_scope(fake_servicer, fake_servicer_server):
    fake_servicer.next_request("auth", "/me", method="GET").respond(status=401)
    with fake_servicer_server.scope() as other:
        assert call(fake_servicer.url_for("auth", "/me"), headers=other.headers)[0] == 404
    assert call(fake_servicer.url_for("auth", "/me"), headers=fake_servicer.headers)[0] == 401


def test_an_armed_delay_holds_the_answer(fake_servicer):
    fake_servicer.expect_request("/slow").respond_with_data("x")
    fake_servicer.next_request(None, "/slow").respond(delay_ms=300)
    started = time.monotonic()
    assert call(fake_servicer.url_for(None, "/slow"), headers=fake_servicer.headers)[2] == b"x"
    assert time.monotonic() - started >= 0.3


def test_an_armed_fault_resets_the_connection(fake_servicer):
    fake_servicer.next_request("bank", "/pay", method="POST").respond(fault="CONNECTION_RESET_BY_PEER")
    request = urllib.request.Request(fake_servicer.url_for("bank", "/pay"), data=b"", method="POST", headers=fake_servicer.headers)
    with pytest.raises((ConnectionError, urllib.error.URLError, OSError)):
        urllib.request.urlopen(request, timeout=5).read()
