"""Drive a running fake-servicer through the stock WireMock Python client.

The admin API under ``/__admin`` must be compatible with WireMock's, so the
PyPI package ``wiremock`` (2.7.0) has to work against it unchanged.

The server's base URL comes from ``FAKE_SERVICER_URL`` (for example
``http://127.0.0.1:34567``). The server is expected to have the plugin
services ``example`` (``GET /users``, ``GET /users/{id}``, ``POST /users``,
``GET /thing?id=N``) and ``other_service`` loaded.

Admin calls go through the ``wiremock`` client only; plain calls to the mocked
services use ``urllib.request``.

Run with:  FAKE_SERVICER_URL=http://127.0.0.1:PORT python -m pytest <this file>
"""

import json
import os
import urllib.error
import urllib.parse
import urllib.request

import pytest

from wiremock.base import JsonProperty
from wiremock.constants import Config
from wiremock.client import (
    HttpMethods,
    Mapping,
    MappingRequest,
    MappingResponse,
    Mappings,
    NearMissMatchPatternRequest,
    NotFoundException,
    Requests,
)

BASE_URL = os.environ.get("FAKE_SERVICER_URL", "").rstrip("/")

if not BASE_URL:
    pytest.skip(
        "FAKE_SERVICER_URL is not set (expected e.g. http://127.0.0.1:34567)",
        allow_module_level=True,
    )


# The client reads its target from the Config singleton at call time.
Config.base_url = BASE_URL + "/__admin"
Config.timeout = 10

# Never send loopback calls through a proxy taken from the environment
# (the client uses `requests`, which honours HTTP(S)_PROXY / NO_PROXY).
_host = urllib.parse.urlsplit(BASE_URL).hostname or "127.0.0.1"
for _var in ("NO_PROXY", "no_proxy"):
    _current = os.environ.get(_var, "")
    os.environ[_var] = ",".join(p for p in (_current, _host, "127.0.0.1", "localhost") if p)


class ServiceMappingRequest(MappingRequest):
    """MappingRequest plus fake-servicer's ``service`` extension key.

    The client's models silently drop unknown keys and ``create_mapping``
    refuses plain dicts, so the supported way to send an extra key is a
    subclass with one more JsonProperty.
    """

    service = JsonProperty("service")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class HttpAnswer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def text(self):
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


class ServicePattern(NearMissMatchPatternRequest):
    """A request pattern with fake-servicer's ``service`` extension key."""

    service = JsonProperty("service")


def http_get(path, host=None):
    """Plain GET to the mock server (not the admin API); 4xx/5xx are returned, not raised."""
    request = urllib.request.Request(BASE_URL + path, method="GET")
    if host:
        request.add_header("Host", host)
    try:
        with _opener.open(request, timeout=10) as response:
            return HttpAnswer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return HttpAnswer(error.code, error.headers, error.read())


def hello_mapping(body="hello from a stub"):
    return Mapping(
        request=MappingRequest(method=HttpMethods.GET, url_path="/py/hello"),
        response=MappingResponse(status=200, body=body, headers={"X-Stub": "yes"}),
        persistent=False,
    )


def mapping_ids():
    return [m.id for m in (Mappings.retrieve_all_mappings().mappings or [])]


def count_gets(url):
    pattern = NearMissMatchPatternRequest(method=HttpMethods.GET, url=url)
    return Requests.get_matching_request_count(pattern).count


@pytest.fixture(autouse=True)
def clean_server():
    """Every test starts with no stubs of ours and an empty request journal."""
    Mappings.reset_mappings()
    Requests.reset_request_journal()
    yield


# --------------------------------------------------------------------------
# mappings
# --------------------------------------------------------------------------


def test_created_stub_answers_http_calls_with_its_status_body_and_header():
    created = Mappings.create_mapping(hello_mapping())

    assert isinstance(created, Mapping)
    assert created.id, "the server must return the new mapping's id"

    answer = http_get("/py/hello")
    assert answer.status == 200
    assert answer.text() == "hello from a stub"
    assert answer.headers.get("X-Stub") == "yes"


def test_created_stub_is_listed_and_retrievable_by_id():
    created = Mappings.create_mapping(hello_mapping())

    assert created.id in mapping_ids()

    fetched = Mappings.retrieve_mapping(created.id)
    assert fetched.id == created.id
    assert fetched.request.method == "GET"
    assert fetched.request.url_path == "/py/hello"
    assert fetched.response.status == 200
    assert fetched.response.body == "hello from a stub"
    assert fetched.response.headers == {"X-Stub": "yes"}


def test_updated_stub_serves_the_new_body():
    created = Mappings.create_mapping(hello_mapping())
    assert http_get("/py/hello").text() == "hello from a stub"

    stub = Mappings.retrieve_mapping(created.id)
    stub.response.body = "updated body"
    updated = Mappings.update_mapping(stub)

    assert updated.id == created.id
    assert updated.response.body == "updated body"
    assert Mappings.retrieve_mapping(created.id).response.body == "updated body"

    answer = http_get("/py/hello")
    assert answer.status == 200
    assert answer.text() == "updated body"


def test_deleted_stub_is_gone_and_its_url_answers_404():
    created = Mappings.create_mapping(hello_mapping())
    assert http_get("/py/hello").status == 200

    Mappings.delete_mapping(created.id)

    assert created.id not in mapping_ids()
    with pytest.raises(NotFoundException):
        Mappings.retrieve_mapping(created.id)
    assert http_get("/py/hello").status == 404


def test_delete_all_mappings_leaves_an_empty_list():
    Mappings.create_mapping(hello_mapping())
    Mappings.create_mapping(
        Mapping(
            request=MappingRequest(method=HttpMethods.GET, url_path="/py/other"),
            response=MappingResponse(status=204),
        )
    )
    assert len(mapping_ids()) >= 2

    Mappings.delete_all_mappings()

    all_mappings = Mappings.retrieve_all_mappings()
    assert (all_mappings.mappings or []) == []
    if all_mappings.meta is not None:
        assert all_mappings.meta.total == 0
    assert http_get("/py/hello").status == 404


def test_reset_mappings_succeeds_and_removes_created_stubs():
    created = Mappings.create_mapping(hello_mapping())

    response = Mappings.reset_mappings()

    assert response.status_code in (200, 201, 204)
    assert created.id not in mapping_ids()


def test_service_scoped_stub_overrides_plugin_route_until_deleted():
    plugin_answer = http_get("/example/users")
    assert plugin_answer.status == 200
    assert isinstance(plugin_answer.json(), list)

    stub = Mappings.create_mapping(
        Mapping(
            request=ServiceMappingRequest(
                method=HttpMethods.GET, url_path="/users", service="example"
            ),
            response=MappingResponse(status=200, body="users from a stub"),
        )
    )
    assert stub.id

    overridden = http_get("/example/users")
    assert overridden.status == 200
    assert overridden.text() == "users from a stub"

    Mappings.delete_mapping(stub.id)

    restored = http_get("/example/users")
    assert restored.status == 200
    # The plugin makes fresh fake users on every call: compare the shape.
    assert isinstance(restored.json(), list)
    assert len(restored.json()) == len(plugin_answer.json())
    assert all("email" in user for user in restored.json())


def test_the_readme_stub_matches_calls_by_host_and_by_prefix_and_counts_both():
    Requests.reset_request_journal()
    Mappings.create_mapping(
        Mapping(
            request=ServiceMappingRequest(
                method=HttpMethods.GET, url_path="/users", service="example"
            ),
            response=MappingResponse(status=503, body="down for maintenance"),
        )
    )

    by_host = http_get("/users", host="example")
    by_prefix = http_get("/example/users")

    assert (by_host.status, by_host.text()) == (503, "down for maintenance")
    assert (by_prefix.status, by_prefix.text()) == (503, "down for maintenance")
    count = Requests.get_matching_request_count(
        ServicePattern(method=HttpMethods.GET, url_path="/users", service="example")
    ).count
    assert count == 2


# --------------------------------------------------------------------------
# request journal
# --------------------------------------------------------------------------


def test_journal_counts_matching_requests_by_full_received_path():
    Requests.reset_request_journal()
    for _ in range(3):
        assert http_get("/example/users/1").status == 200
    assert http_get("/example/users/2").status == 200

    assert count_gets("/example/users/1") == 3
    assert count_gets("/example/users/2") == 1

    journal = Requests.get_all_received_requests()
    assert len(journal.requests) >= 4
    urls = [entry.request.url for entry in journal.requests]
    assert urls.count("/example/users/1") == 3
    assert all(entry.request.method == "GET" for entry in journal.requests)

    Requests.reset_request_journal()

    assert count_gets("/example/users/1") == 0


def test_journal_entry_can_be_fetched_by_its_id():
    http_get("/example/users/2")

    entries = Requests.get_all_received_requests().requests
    entry = next(e for e in entries if e.request.url == "/example/users/2")
    assert entry.id

    fetched = Requests.get_request(entry.id)
    assert fetched.id == entry.id
    assert fetched.request.url == "/example/users/2"
    assert fetched.request.method == "GET"


def test_find_returns_the_matching_logged_requests():
    for _ in range(2):
        http_get("/example/users/1")
    http_get("/example/users/2")

    pattern = NearMissMatchPatternRequest(method=HttpMethods.GET, url="/example/users/1")
    found = Requests.get_matching_requests(pattern).requests

    assert len(found) == 2
    assert all(r.url == "/example/users/1" and r.method == "GET" for r in found)


def test_unmatched_requests_include_a_call_to_an_unknown_service():
    assert http_get("/no-such-service/x").status == 404

    unmatched = Requests.get_unmatched_requests().requests or []

    assert "/no-such-service/x" in [r.url for r in unmatched]
