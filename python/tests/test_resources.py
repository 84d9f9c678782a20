"""Declared resources: what this test's scope sees and writes."""

import json
import uuid

from conftest import call


def test_a_resource_written_in_the_tests_scope_is_seen_only_there(fake_servicer, fake_servicer_server):
    name = f"orders-{uuid.uuid4().hex[:8]}"
    fake_servicer.declare_resource(name, f"/{name}", service="shop", seed=[{"id": "1"}])
    try:
        fake_servicer.set_resource_items(name, [{"id": "1"}, {"id": "2"}])
        status, _, _ = call(fake_servicer.url_for("shop", f"/{name}"), "POST", {"id": "3"}, {**fake_servicer.headers, "Content-Type": "application/json"})
        assert status == 201
        assert [i["id"] for i in fake_servicer.resource_items(name)] == ["1", "2", "3"]
        with fake_servicer_server.scope() as other:
            assert [i["id"] for i in other.resource_items(name)] == ["1"]
            listed = json.loads(call(other.url_for("shop", f"/{name}"), headers=other.headers)[2])
            assert listed["total"] == 1
    finally:
        fake_servicer_server.admin.call("DELETE", f"/resources/{name}/declaration")
