"""respond_with_handler: a Python function in the test computes the answer."""

import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from fake_servicer import Response
from conftest import call


def echo_json(request):
    """The hand-rolled `BaseHTTPRequestHandler` echo, as one handler: a POST
    that is not JSON answers 400, a JSON body is echoed."""
    if request.content_type.split(";")[0].strip() != "application/json":
        return Response(json={"error": "expected application/json"}, status=400)
    return Response(request.data, content_type="application/json")


def test_the_json_echo_answers_a_json_body_with_itself(fake_servicer):
    fake_servicer.expect_request("/echo", method="POST").respond_with_handler(echo_json)
    headers = {**fake_servicer.headers, "Content-Type": "application/json"}
    status, answered, body = call(fake_servicer.url_for(None, "/echo"), "POST", {"a": [1, 2]}, headers)
    assert (status, json.loads(body), answered["Content-Type"]) == (200, {"a": [1, 2]}, "application/json")


def test_the_json_echo_answers_400_to_a_body_that_is_not_json(fake_servicer):
    fake_servicer.expect_request("/echo", method="POST").respond_with_handler(echo_json)
    headers = {**fake_servicer.headers, "Content-Type": "text/plain"}
    status, _, body = call(fake_servicer.url_for(None, "/echo"), "POST", b"hello", headers)
    assert (status, json.loads(body)) == (400, {"error": "expected application/json"})


def test_a_handler_sleeping_past_the_clients_timeout_makes_the_client_time_out(fake_servicer):
    called = threading.Event()

    def slow(request):
        called.set()
        time.sleep(2)
        return {"late": True}

    fake_servicer.expect_request("/slow", service="partner").respond_with_handler(slow)
    request = urllib.request.Request(fake_servicer.url_for("partner", "/slow"), headers=fake_servicer.headers)
    started = time.monotonic()
    with pytest.raises((socket.timeout, TimeoutError, urllib.error.URLError)):
        urllib.request.urlopen(request, timeout=0.5)
    assert called.is_set() and time.monotonic() - started < 2
    # The journal keeps the request the client gave up on.
    fake_servicer.wait("/slow", service="partner")
    [gave_up] = fake_servicer.log()
    assert (gave_up.path, gave_up.status) == ("/partner/slow", 499)


def test_a_handler_sees_the_method_service_relative_path_query_headers_and_body(fake_servicer):
    seen = []
    fake_servicer.expect_request("/items", method="PUT", service="store").respond_with_handler(lambda r: seen.append(r) or ("saved", 201, {"X-Saved": "1"}))
    status, headers, body = call(fake_servicer.url_for("store", "/items") + "?a=1&a=2", "PUT", b"xyz", {**fake_servicer.headers, "X-Req": "r"})
    assert (status, body, headers["X-Saved"]) == (201, b"saved", "1")
    request = seen[0]
    assert (request.method, request.path, request.args_list["a"], request.headers["x-req"], request.data) == ("PUT", "/items", ["1", "2"], "r", b"xyz")


def test_a_handler_that_raises_answers_500_and_fails_check_assertions(fake_servicer):
    fake_servicer.expect_request("/boom").respond_with_handler(lambda r: 1 / 0)
    assert call(fake_servicer.url_for(None, "/boom"), headers=fake_servicer.headers)[0] == 500
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        fake_servicer.check_assertions()
    fake_servicer.handler_errors.clear()
