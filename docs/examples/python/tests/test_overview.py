"""python-wiremock's compose example with fake-servicer in WireMock's place:
an overview service calling a products service by name, the products
service faked by the pytest plugin's stubs.

In compose (`docker-compose run --rm tests`), the plugin attaches to the
server through `FAKE_SERVICER_URL=http://fake-services` and the overview
service calls `http://products_srv/products` (an alias the server gives
itself); run alone, the plugin starts a server and the overview service
runs in the test process, calling the products service by prefix."""

import json
import os
import urllib.request

import pytest

import overview_service

PRODUCTS = [
    {"name": "Mock Product A", "price": 10.99, "category": "Books"},
    {"name": "Mock Product B", "price": 5.99, "category": "Movies"},
    {"name": "Mock Product C", "price": 7.99, "category": "Electronics"},
    {"name": "Mock Product D", "price": 12.99, "category": "Books"},
]


@pytest.fixture(scope="module")
def overview(fake_servicer_server):
    """The overview service's URL. Its stubs are unscoped: the service
    passes no scope on to the products service."""
    shared = fake_servicer_server.unscoped
    stubs = [
        shared.expect_request("/products", method="GET", service="products_srv", query_string="").respond_with_json(PRODUCTS),
        shared.expect_request("/products", method="GET", service="products_srv", query_string="category=Books").respond_with_json(
            [p for p in PRODUCTS if p["category"] == "Books"]
        ),
    ]
    running = None
    url = os.environ.get("OVERVIEW_URL")
    if not url:
        os.environ["PRODUCTS_SERVICE_HOST"] = f"{fake_servicer_server.url}/products_srv"
        running, url = overview_service.serve()
    yield url
    if running:
        running.shutdown()
        del os.environ["PRODUCTS_SERVICE_HOST"]
    for stub in stubs:
        fake_servicer_server.admin.call("DELETE", f"/mappings/{stub.stub['id']}")


def get(url):
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, json.load(answer)


def test_get_overview_default(overview):
    assert get(f"{overview}/overview") == (200, {"products": PRODUCTS})


def test_get_overview_with_filters(overview):
    assert get(f"{overview}/overview?category=Books") == (200, {"products": [p for p in PRODUCTS if p["category"] == "Books"]})
