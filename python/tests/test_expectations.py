"""expect_request and its answers, as a pytest-httpserver user writes them."""

import json
import re

from conftest import call


def test_a_json_answer_reaches_the_path_with_its_status_and_headers(fake_servicer):
    fake_servicer.expect_request("/users/1").respond_with_json({"id": 1}, status=201, headers={"X-Trace": "t1"})
    status, headers, body = call(fake_servicer.url_for(None, "/users/1"), headers=fake_servicer.headers)
    assert (status, json.loads(body), headers["X-Trace"], headers["Content-Type"]) == (201, {"id": 1}, "t1", "application/json")


def test_a_service_binds_the_expectation_to_that_service_only(fake_servicer):
    fake_servicer.expect_request("/pay", method="POST", service="bank").respond_with_data("paid")
    assert call(fake_servicer.url_for("bank", "/pay"), "POST", b"", fake_servicer.headers)[2] == b"paid"
    assert call(fake_servicer.url_for("shop", "/pay"), "POST", b"", fake_servicer.headers)[0] == 404


def test_the_method_query_string_headers_and_json_body_must_all_match(fake_servicer):
    fake_servicer.expect_request(
        "/orders", method="POST", query_string="dry=1", headers={"X-Tenant": "t1"}, json={"item": "book"}
    ).respond_with_data("ok")
    h = {**fake_servicer.headers, "X-Tenant": "t1", "Content-Type": "application/json"}
    url = fake_servicer.url_for(None, "/orders")
    assert call(url + "?dry=1", "POST", {"item": "book"}, h)[0] == 200
    assert call(url + "?dry=2", "POST", {"item": "book"}, h)[0] == 404
    assert call(url + "?dry=1", "PUT", {"item": "book"}, h)[0] == 404
    assert call(url + "?dry=1", "POST", {"item": "pen"}, h)[0] == 404
    assert call(url + "?dry=1", "POST", {"item": "book"}, {**h, "X-Tenant": "t2"})[0] == 404


def test_bytes_are_matched_and_answered_as_they_are(fake_servicer):
    fake_servicer.expect_request("/blob", method="PUT", data=b"\x00\xff").respond_with_data(b"\x01\x02", content_type="application/octet-stream")
    status, headers, body = call(fake_servicer.url_for(None, "/blob"), "PUT", b"\x00\xff", fake_servicer.headers)
    assert (status, body, headers["Content-Type"]) == (200, b"\x01\x02", "application/octet-stream")


def test_a_query_dict_and_a_regex_path_match_as_patterns(fake_servicer):
    fake_servicer.expect_request(re.compile(r"/items/\d+"), query_string={"sort": "asc"}).respond_with_data("sorted")
    url = fake_servicer.url_for(None, "/items/42")
    assert call(url + "?sort=asc&page=2", headers=fake_servicer.headers)[2] == b"sorted"
    assert call(url + "?sort=desc", headers=fake_servicer.headers)[0] == 404


def test_a_oneshot_expectation_answers_once(fake_servicer):
    fake_servicer.expect_oneshot_request("/token", method="POST").respond_with_json({"token": "t"})
    url = fake_servicer.url_for(None, "/token")
    assert call(url, "POST", b"", fake_servicer.headers)[0] == 200
    assert call(url, "POST", b"", fake_servicer.headers)[0] == 404


def test_a_oneshot_expectation_answers_before_a_permanent_one(fake_servicer):
    fake_servicer.expect_request("/status").respond_with_data("usual")
    fake_servicer.expect_oneshot_request("/status").respond_with_data("first")
    url = fake_servicer.url_for(None, "/status")
    assert [call(url, headers=fake_servicer.headers)[2] for _ in range(3)] == [b"first", b"usual", b"usual"]


def test_ordered_expectations_answer_only_in_their_order(fake_servicer):
    fake_servicer.expect_ordered_request("/step/1").respond_with_data("one")
    fake_servicer.expect_ordered_request("/step/2").respond_with_data("two")
    url = fake_servicer.url_for
    assert call(url(None, "/step/2"), headers=fake_servicer.headers)[0] == 404
    assert call(url(None, "/step/1"), headers=fake_servicer.headers)[2] == b"one"
    assert call(url(None, "/step/2"), headers=fake_servicer.headers)[2] == b"two"
    assert call(url(None, "/step/1"), headers=fake_servicer.headers)[0] == 404


def test_a_request_without_the_scope_is_not_answered_by_the_tests_expectation(fake_servicer):
    fake_servicer.expect_request("/mine").respond_with_data("mine")
    assert call(fake_servicer.url_for(None, "/mine"))[0] == 404
    assert call(fake_servicer.url_for(None, "/mine"), headers=fake_servicer.headers)[0] == 200


def test_a_bad_expectation_is_refused_with_the_servers_reason(fake_servicer):
    import pytest

    from fake_servicer import FakeServicerError

    with pytest.raises(FakeServicerError) as refused:
        fake_servicer.expect_request("/x").respond_with_json({"a": 1}, status=99)
    assert refused.value.status == 422
