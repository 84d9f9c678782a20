"""Each test's handle works in a scope of its own, removed at teardown."""

import json
import urllib.request

import pytest

from conftest import call

PARALLEL = 24


def test_the_handles_headers_carry_its_scope(fake_servicer):
    assert fake_servicer.headers == {"X-Fake-Servicer-Scope": fake_servicer.scope}


def test_a_closed_handles_scope_is_gone_from_the_server(fake_servicer_server):
    handle = fake_servicer_server.scope()
    handle.expect_request("/x").respond_with_data("x")
    listed = lambda: {s["scope"] for s in fake_servicer_server.admin.call("GET", "/scopes")[1]["scopes"]}
    assert handle.scope in listed()
    handle.close()
    assert handle.scope not in listed()
    assert call(handle.url_for(None, "/x"), headers=handle.headers)[0] == 404


def test_the_unscoped_handles_expectations_answer_requests_with_no_scope(fake_servicer_server):
    shared = fake_servicer_server.unscoped
    expectation = shared.expect_request("/unscoped-check", service="plain").respond_with_data("for all")
    try:
        assert call(shared.url_for("plain", "/unscoped-check"))[2] == b"for all"
    finally:
        fake_servicer_server.admin.call("DELETE", f"/mappings/{expectation.stub['id']}")


@pytest.mark.parametrize("n", range(PARALLEL))
def test_tests_arming_the_same_endpoint_at_once_get_their_own_answers(fake_servicer, n):
    """Run with `-n 4`: the workers arm `/same` at the same moments."""
    fake_servicer.expect_request("/same", service="shared").respond_with_json({"n": n})
    fake_servicer.next_request("shared", "/same").respond(body=json.dumps({"n": n, "armed": True}))
    url = fake_servicer.url_for("shared", "/same")
    answers = [json.loads(call(url, headers=fake_servicer.headers)[2]) for _ in range(20)]
    assert answers == [{"n": n, "armed": True}] + [{"n": n}] * 19
    fake_servicer.assert_request_made("/same", service="shared", count=20)
