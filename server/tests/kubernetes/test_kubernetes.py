"""The Python ``kubernetes`` client (PyPI) against fake-servicer's
Kubernetes API (``--kubernetes``).

Every test works in a scope of its own (``X-Fake-Servicer-Scope`` as a
default header of its API client), so the tests never see each other's
objects. The server is started by the Rust harness
(``server/tests/it/kubernetes_clients/python.rs``); the API's base URL
comes from ``FAKE_SERVICER_URL``. Every wait is bounded.

Run with:  FAKE_SERVICER_URL=http://127.0.0.1:PORT/kubernetes python -m pytest <this file>
"""

import os
import threading

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

URL = os.environ["FAKE_SERVICER_URL"]
TIMEOUT = 10


def api(scope):
    configuration = client.Configuration()
    configuration.host = URL
    api_client = client.ApiClient(configuration)
    api_client.set_default_header("X-Fake-Servicer-Scope", scope)
    return api_client


def pod(name, app="web"):
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels={"app": app}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="main", image="busybox:1.36")]),
    )


def test_pods_created_are_listed_with_their_server_set_metadata():
    core = client.CoreV1Api(api("py-list"))
    made = core.create_namespaced_pod("default", pod("one"), _request_timeout=TIMEOUT)
    core.create_namespaced_pod("default", pod("two", app="db"), _request_timeout=TIMEOUT)
    assert len(made.metadata.uid) == 36
    assert made.metadata.resource_version
    assert made.metadata.creation_timestamp is not None
    listed = core.list_namespaced_pod("default", _request_timeout=TIMEOUT)
    assert sorted(p.metadata.name for p in listed.items) == ["one", "two"]
    webs = core.list_namespaced_pod("default", label_selector="app=web", _request_timeout=TIMEOUT)
    assert [p.metadata.name for p in webs.items] == ["one"]
    named = core.list_namespaced_pod(
        "default", field_selector="metadata.name=two", _request_timeout=TIMEOUT
    )
    assert [p.metadata.name for p in named.items] == ["two"]


def test_missing_and_duplicate_pods_are_api_exceptions_with_the_api_servers_reasons():
    core = client.CoreV1Api(api("py-errors"))
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_pod("nope", "default", _request_timeout=TIMEOUT)
    assert missing.value.status == 404
    assert '"reason":"NotFound"' in missing.value.body.replace(" ", "")
    core.create_namespaced_pod("default", pod("dup"), _request_timeout=TIMEOUT)
    with pytest.raises(ApiException) as twice:
        core.create_namespaced_pod("default", pod("dup"), _request_timeout=TIMEOUT)
    assert twice.value.status == 409
    assert '"reason":"AlreadyExists"' in twice.value.body.replace(" ", "")


def test_a_deployment_scaled_by_a_patch_bumps_its_generation():
    apps = client.AppsV1Api(api("py-patch"))
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]},
            },
        },
    }
    made = apps.create_namespaced_deployment("default", body, _request_timeout=TIMEOUT)
    assert made.metadata.generation == 1
    scaled = apps.patch_namespaced_deployment(
        "web", "default", {"spec": {"replicas": 4}}, _request_timeout=TIMEOUT
    )
    assert scaled.spec.replicas == 4
    assert scaled.metadata.generation == 2
    assert int(scaled.metadata.resource_version) > int(made.metadata.resource_version)


def test_a_watch_streams_added_modified_and_deleted_events_as_they_happen():
    core = client.CoreV1Api(api("py-watch"))
    start = core.list_namespaced_pod("default", _request_timeout=TIMEOUT).metadata.resource_version
    events = []
    ready = threading.Event()

    def read():
        w = watch.Watch()
        stream = w.stream(
            core.list_namespaced_pod,
            "default",
            resource_version=start,
            timeout_seconds=TIMEOUT,
        )
        ready.set()
        for event in stream:
            events.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                w.stop()

    reader = threading.Thread(target=read)
    reader.start()
    assert ready.wait(TIMEOUT)
    core.create_namespaced_pod("default", pod("watched"), _request_timeout=TIMEOUT)
    core.patch_namespaced_pod(
        "watched", "default", {"metadata": {"labels": {"app": "other"}}}, _request_timeout=TIMEOUT
    )
    core.delete_namespaced_pod("watched", "default", _request_timeout=TIMEOUT)
    reader.join(TIMEOUT + 5)
    assert not reader.is_alive()
    assert events == [("ADDED", "watched"), ("MODIFIED", "watched"), ("DELETED", "watched")]


def test_two_scopes_never_see_each_others_pods():
    first = client.CoreV1Api(api("py-scope-a"))
    second = client.CoreV1Api(api("py-scope-b"))
    first.create_namespaced_pod("default", pod("only-in-a"), _request_timeout=TIMEOUT)
    second.create_namespaced_pod("default", pod("only-in-b"), _request_timeout=TIMEOUT)
    a = [p.metadata.name for p in first.list_namespaced_pod("default", _request_timeout=TIMEOUT).items]
    b = [p.metadata.name for p in second.list_namespaced_pod("default", _request_timeout=TIMEOUT).items]
    assert (a, b) == (["only-in-a"], ["only-in-b"])


def test_a_list_is_read_in_pages_with_limit_and_continue():
    core = client.CoreV1Api(api("py-pages"))
    for i in range(5):
        core.create_namespaced_config_map(
            "default",
            client.V1ConfigMap(metadata=client.V1ObjectMeta(name=f"cm-{i}"), data={"i": str(i)}),
            _request_timeout=TIMEOUT,
        )
    names, token = [], None
    for _ in range(5):
        page = core.list_namespaced_config_map(
            "default", limit=2, _continue=token, _request_timeout=TIMEOUT
        )
        assert len(page.items) <= 2
        names += [c.metadata.name for c in page.items]
        token = page.metadata._continue
        if not token:
            break
    assert names == [f"cm-{i}" for i in range(5)]
