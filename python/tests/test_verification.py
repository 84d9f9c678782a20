"""assert_request_made, check_assertions, wait and log, in the test's scope."""

import threading
import time

import pytest

from fake_servicer import WaitTimeout
from conftest import call


def test_assert_request_made_counts_only_this_tests_requests(fake_servicer, fake_servicer_server):
    fake_servicer.expect_request("/ping", service="api").respond_with_data("pong")
    other = fake_servicer_server.scope()
    with other:
        for _ in range(2):
            call(fake_servicer.url_for("api", "/ping"), headers=fake_servicer.headers)
        call(fake_servicer.url_for("api", "/ping"), headers=other.headers)
        fake_servicer.assert_request_made("/ping", method="GET", service="api", count=2)
        other.assert_request_made("/ping", service="api", count=1)


def test_assert_request_made_fails_naming_what_was_asked(fake_servicer):
    call(fake_servicer.url_for(None, "/pong"), headers=fake_servicer.headers)
    with pytest.raises(AssertionError, match=r"GET /ping: expected 1 request\(s\), got 0 .*GET /pong"):
        fake_servicer.assert_request_made("/ping", method="GET")


def test_check_assertions_passes_when_every_request_matched(fake_servicer):
    fake_servicer.expect_request("/a").respond_with_data("a")
    call(fake_servicer.url_for(None, "/a"), headers=fake_servicer.headers)
    fake_servicer.check_assertions()


def test_check_assertions_names_an_unmatched_request_and_its_near_miss(fake_servicer):
    fake_servicer.expect_request("/orders", method="POST", service="shop").respond_with_data("created", status=201)
    call(fake_servicer.url_for("shop", "/orders"), "PUT", b"{}", fake_servicer.headers)
    with pytest.raises(AssertionError) as failed:
        fake_servicer.check_assertions()
    text = str(failed.value)
    assert "PUT /shop/orders: no expectation matched" in text
    assert "closest: POST shop /orders" in text and "method: expected POST, got PUT" in text, text


def test_wait_returns_the_requests_once_they_arrive(fake_servicer):
    fake_servicer.expect_request("/hook", method="POST").respond_with_data("")

    def later():
        time.sleep(0.2)
        call(fake_servicer.url_for(None, "/hook"), "POST", b"1", fake_servicer.headers)

    threading.Thread(target=later).start()
    got = fake_servicer.wait("/hook", method="POST", timeout=10)
    assert [(r.method, r.path, r.data) for r in got] == [("POST", "/hook", b"1")]


def test_wait_raises_at_its_timeout_with_what_did_match(fake_servicer):
    call(fake_servicer.url_for(None, "/hook"), headers=fake_servicer.headers)
    with pytest.raises(WaitTimeout, match=r"GET /hook: 1 of 2 request\(s\) within 0.3 s") as timed_out:
        fake_servicer.wait("/hook", method="GET", count=2, timeout=0.3)
    assert len(timed_out.value.requests) == 1


def test_log_lists_this_tests_requests_oldest_first_with_their_answers(fake_servicer):
    fake_servicer.expect_request("/one").respond_with_json({"n": 1})
    call(fake_servicer.url_for(None, "/one") + "?q=1", headers=fake_servicer.headers)
    call(fake_servicer.url_for(None, "/two"), "POST", b'{"b": 2}', fake_servicer.headers)
    log = fake_servicer.log()
    assert [(r.method, r.path, r.query_string, r.status) for r in log] == [("GET", "/one", "q=1", 200), ("POST", "/two", "", 404)]
    assert log[1].json == {"b": 2} and log[0].scopes == [fake_servicer.scope]
