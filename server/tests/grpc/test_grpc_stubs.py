"""Real gRPC clients (grpcio) against fake-servicer's stub-only gRPC.

The server is started by the Rust harness (``server/tests/it/grpc_clients.rs``)
with a proto dir holding a copy of ``protos/`` (``shop.v1.Shop``, as .proto
source) and ``descriptors/helloworld.dsc`` (``helloworld.Greeter``, as a
descriptor set only). Its base URL comes from ``FAKE_SERVICER_URL`` (for
example ``http://127.0.0.1:34567``): the admin API is there, and gRPC is
spoken on the same port as h2c (HTTP/2 cleartext with prior knowledge).

Stubs are WireMock stubs in the format of WireMock's gRPC extension, posted
with ``urllib.request``: the request message is matched as canonical proto3
JSON, the answer's ``jsonBody`` is encoded to the output message. The Python
client code is generated at session start into a temp dir with
``grpc_tools.protoc`` (from ``protos/`` and ``greeter/helloworld.proto``).

Every test starts from a reset server; every call has a deadline.

Run with:  FAKE_SERVICER_URL=http://127.0.0.1:PORT python -m pytest <this file>
"""

import importlib
import json
import os
import subprocess
import sys
import time
import types
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format
from google.protobuf.descriptor_pb2 import FileDescriptorProto
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

BASE_URL = os.environ.get("FAKE_SERVICER_URL", "").rstrip("/")

if not BASE_URL:
    pytest.skip(
        "FAKE_SERVICER_URL is not set (expected e.g. http://127.0.0.1:34567)",
        allow_module_level=True,
    )

PORT = urllib.parse.urlsplit(BASE_URL).port
TARGET = f"127.0.0.1:{PORT}"

HERE = Path(__file__).resolve().parent
PROTOS = HERE / "protos"
GREETER = HERE / "greeter"

# The deadline of every gRPC call, and the timeout of every admin call.
TIMEOUT = 10.0

# Never send loopback calls through a proxy taken from the environment
# (grpc-core honours http_proxy / grpc_proxy).
CHANNEL_OPTIONS = [("grpc.enable_http_proxy", 0)]

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --------------------------------------------------------------------------
# the generated client code
# --------------------------------------------------------------------------


def _protoc(out, include, files):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{include}",
            f"--python_out={out}",
            f"--grpc_python_out={out}",
            *files,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"protoc {files} failed:\n{done.stdout}{done.stderr}"


@pytest.fixture(scope="session")
def pb(tmp_path_factory):
    """The generated modules: shop (messages), shop_grpc (stubs), common,
    hello, hello_grpc."""
    out = tmp_path_factory.mktemp("grpc-generated")
    _protoc(out, PROTOS, ["shop/v1/common.proto", "shop/v1/shop.proto"])
    _protoc(out, GREETER, ["helloworld.proto"])
    sys.path.insert(0, str(out))
    try:
        return types.SimpleNamespace(
            shop=importlib.import_module("shop.v1.shop_pb2"),
            shop_grpc=importlib.import_module("shop.v1.shop_pb2_grpc"),
            common=importlib.import_module("shop.v1.common_pb2"),
            hello=importlib.import_module("helloworld_pb2"),
            hello_grpc=importlib.import_module("helloworld_pb2_grpc"),
        )
    finally:
        sys.path.remove(str(out))


# --------------------------------------------------------------------------
# the admin API
# --------------------------------------------------------------------------


def admin(method, path, body=None):
    """Calls ``/__admin{path}``: (status, JSON answer or text)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE_URL + "/__admin" + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with _opener.open(req, timeout=TIMEOUT) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def post_stub(stub):
    """Adds `stub`; the stub as the server stored it (with its id)."""
    status, answer = admin("POST", "/mappings", stub)
    assert status == 201, f"POST /__admin/mappings answered {status}: {answer}\nstub: {stub}"
    return answer


def journal_entries(url_path, at_least=1):
    """The journal's entries for `url_path`, once there are `at_least` of
    them (polled: the journal may record a call just after answering it)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        status, answer = admin("GET", "/requests")
        assert status == 200, f"GET /__admin/requests answered {status}: {answer}"
        entries = [
            e for e in answer.get("requests", [])
            if urllib.parse.urlsplit(e["request"].get("url", "")).path == url_path
        ]
        if len(entries) >= at_least or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def reset_server():
    status, answer = admin("POST", "/reset")
    assert status == 200, f"POST /__admin/reset answered {status}: {answer}"


# --------------------------------------------------------------------------
# channels
# --------------------------------------------------------------------------


def open_channel(*options):
    return grpc.insecure_channel(TARGET, options=CHANNEL_OPTIONS + list(options))


@pytest.fixture
def channel():
    with open_channel() as ch:
        yield ch


class _Deadline(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Gives every call without a deadline one (for clients, such as the
    reflection database, that take none)."""

    def _with_deadline(self, details):
        # grpc's call details are a namedtuple
        if details.timeout is not None:
            return details
        return details._replace(timeout=TIMEOUT)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._with_deadline(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._with_deadline(details), request)

    def intercept_stream_unary(self, continuation, details, requests):
        return continuation(self._with_deadline(details), requests)

    def intercept_stream_stream(self, continuation, details, requests):
        return continuation(self._with_deadline(details), requests)


def rpc_error(call):
    """The grpc.RpcError `call()` raises (fails the test if it answers)."""
    with pytest.raises(grpc.RpcError) as caught:
        answer = call()
        pytest.fail(f"the call was answered instead of failing: {answer!r}")
    return caught.value


def describe(err):
    return f"{err.code()}: {err.details()!r}"


# --------------------------------------------------------------------------
# the tests
# --------------------------------------------------------------------------


def test_a_unary_call_is_answered_by_the_stub_matching_its_message_as_json(pb, channel):
    for order_id, state in (("o-1", "SHIPPED"), ("o-2", "PENDING")):
        post_stub({
            "request": {
                "method": "POST",
                "urlPath": "/shop.v1.Shop/GetOrder",
                "bodyPatterns": [{"equalToJson": {"id": order_id}}],
            },
            "response": {"status": 200, "jsonBody": {"id": order_id, "state": state}},
        })
    shop = pb.shop_grpc.ShopStub(channel)

    first = shop.GetOrder(pb.shop.GetOrderRequest(id="o-1"), timeout=TIMEOUT)
    second = shop.GetOrder(pb.shop.GetOrderRequest(id="o-2"), timeout=TIMEOUT)

    assert (first.id, first.state) == ("o-1", pb.shop.Order.SHIPPED), f"o-1 answered {first}"
    assert (second.id, second.state) == ("o-2", pb.shop.Order.PENDING), f"o-2 answered {second}"


def test_a_server_stream_answers_a_json_list_as_messages(pb, channel):
    post_stub({
        "request": {
            "method": "POST",
            "urlPath": "/shop.v1.Shop/ListOrders",
            "bodyPatterns": [{"equalToJson": {"customerId": "c-1", "pageSize": 3}}],
        },
        "response": {
            "status": 200,
            "jsonBody": [
                {"id": "o-1", "state": "PENDING"},
                {"id": "o-2", "state": "SHIPPED"},
                {"id": "o-3", "state": "DELIVERED"},
            ],
        },
    })
    shop = pb.shop_grpc.ShopStub(channel)

    call = shop.ListOrders(pb.shop.ListOrdersRequest(customer_id="c-1", page_size=3), timeout=TIMEOUT)
    got = [(o.id, pb.shop.Order.State.Name(o.state)) for o in call]

    assert got == [("o-1", "PENDING"), ("o-2", "SHIPPED"), ("o-3", "DELIVERED")], got
    assert call.code() == grpc.StatusCode.OK, f"the stream ended {call.code()}: {call.details()!r}"


def test_grpc_status_name_and_reason_set_the_calls_status(pb, channel):
    post_stub({
        "request": {
            "method": "POST",
            "urlPath": "/shop.v1.Shop/GetOrder",
            "bodyPatterns": [{"equalToJson": {"id": "o-9"}}],
        },
        "response": {
            "status": 200,
            "headers": {
                "grpc-status-name": "PERMISSION_DENIED",
                "grpc-status-reason": "order o-9 belongs to another customer",
            },
        },
    })
    shop = pb.shop_grpc.ShopStub(channel)

    err = rpc_error(lambda: shop.GetOrder(pb.shop.GetOrderRequest(id="o-9"), timeout=TIMEOUT))

    assert err.code() == grpc.StatusCode.PERMISSION_DENIED, describe(err)
    assert err.details() == "order o-9 belongs to another customer", describe(err)


def test_a_call_no_stub_answers_fails_not_found_naming_the_closest_stub(pb, channel):
    stored = post_stub({
        "name": "order o-1 of the shop",
        "request": {
            "method": "POST",
            "urlPath": "/shop.v1.Shop/GetOrder",
            "bodyPatterns": [{"equalToJson": {"id": "o-1"}}],
        },
        "response": {"status": 200, "jsonBody": {"id": "o-1"}},
    })
    shop = pb.shop_grpc.ShopStub(channel)

    err = rpc_error(lambda: shop.GetOrder(pb.shop.GetOrderRequest(id="o-2"), timeout=TIMEOUT))

    assert err.code() == grpc.StatusCode.NOT_FOUND, describe(err)
    details = err.details() or ""
    assert "order o-1 of the shop" in details or stored.get("id", "?") in details, (
        f"the NOT_FOUND message names neither the closest stub's name nor its id "
        f"({stored.get('id')}): {details!r}"
    )


def test_an_unknown_method_fails_unimplemented(channel):
    # Raw calls: no descriptor has these methods, so no generated code does.
    for method in ("/shop.v1.Shop/CancelOrder", "/shop.v2.Warehouse/Restock"):
        call = channel.unary_unary(method)
        err = rpc_error(lambda: call(b"", timeout=TIMEOUT))
        assert err.code() == grpc.StatusCode.UNIMPLEMENTED, f"{method}: {describe(err)}"


def test_a_service_from_a_descriptor_set_is_answered(pb, channel):
    post_stub({
        "request": {
            "method": "POST",
            "urlPath": "/helloworld.Greeter/SayHello",
            "bodyPatterns": [{"equalToJson": {"name": "Ada"}}],
        },
        "response": {"status": 200, "jsonBody": {"message": "Hello, Ada"}},
    })
    greeter = pb.hello_grpc.GreeterStub(channel)

    reply = greeter.SayHello(pb.hello.HelloRequest(name="Ada"), timeout=TIMEOUT)

    assert reply.message == "Hello, Ada", f"SayHello answered {reply}"


def test_nested_repeated_enum_oneof_map_and_well_known_fields_are_matched_and_answered(pb, channel):
    Order, Money = pb.shop.Order, pb.common.Money
    request = Order(
        id="o-7",
        state=Order.SHIPPED,
        lines=[
            Order.Line(sku="BOOK-1", quantity=2, unit_price=Money(currency_code="EUR", units=12, nanos=500_000_000)),
            # quantity and price left at their defaults: absent from the JSON
            Order.Line(sku="GIFT-WRAP"),
        ],
        notes=["leave at the door", "fragile"],
        card_token="tok_4242",
        labels={"channel": "web", "campaign": "spring"},
        created_at=Timestamp(seconds=1_714_979_289, nanos=250_000_000),
        total_cents=9_007_199_254_740_993,  # past 2^53: why int64 is a JSON string
        total=Money(currency_code="EUR", units=25),
    )
    request.metadata.update({
        "source": "checkout",
        "attempt": 2,
        "flags": ["express", "insured"],
        "customer": {"vip": True, "tier": None},
    })
    canonical = {
        "id": "o-7",
        "state": "SHIPPED",
        "lines": [
            {"sku": "BOOK-1", "quantity": 2, "unitPrice": {"currencyCode": "EUR", "units": "12", "nanos": 500000000}},
            {"sku": "GIFT-WRAP"},
        ],
        "notes": ["leave at the door", "fragile"],
        "cardToken": "tok_4242",
        "labels": {"channel": "web", "campaign": "spring"},
        "createdAt": "2024-05-06T07:08:09.250Z",
        "metadata": {
            "source": "checkout",
            "attempt": 2,
            "flags": ["express", "insured"],
            "customer": {"vip": True, "tier": None},
        },
        "totalCents": "9007199254740993",
        "total": {"currencyCode": "EUR", "units": "25"},
    }
    # The test's own premise: that is the canonical proto3 JSON of the request.
    assert json_format.MessageToDict(request) == canonical, json_format.MessageToDict(request)

    answer = {
        "id": "o-7",
        "state": "DELIVERED",
        "lines": [
            {"sku": "BOOK-1", "quantity": 2, "unitPrice": {"currencyCode": "EUR", "units": "12", "nanos": 500000000}},
            {"sku": "MUG-3", "quantity": 1, "unitPrice": {"currencyCode": "EUR", "units": "-1", "nanos": -250000000}},
        ],
        "notes": ["delivered to a neighbour"],
        "voucherCode": "SPRING-10",
        "labels": {"carrier": "dhl", "tracking": "JJD0001"},
        "createdAt": "2024-05-07T10:00:00.125Z",
        "metadata": {"signedBy": "B. Neighbour", "weightKg": 1.5, "photos": ["p1.jpg"], "returned": False},
        "totalCents": "-9007199254740993",
        "total": {"currencyCode": "EUR", "units": "23", "nanos": 750000000},
    }
    post_stub({
        "request": {
            "method": "POST",
            "urlPath": "/shop.v1.Shop/PlaceOrder",
            "bodyPatterns": [{"equalToJson": canonical}],
        },
        "response": {"status": 200, "jsonBody": answer},
    })
    shop = pb.shop_grpc.ShopStub(channel)

    reply = shop.PlaceOrder(request, timeout=TIMEOUT)

    assert reply.id == "o-7", reply
    assert reply.state == Order.DELIVERED, f"state {Order.State.Name(reply.state)}"
    assert len(reply.lines) == 2, reply.lines
    book, mug = reply.lines
    assert (book.sku, book.quantity) == ("BOOK-1", 2), book
    assert (book.unit_price.currency_code, book.unit_price.units, book.unit_price.nanos) == ("EUR", 12, 500_000_000), book
    assert (mug.sku, mug.quantity) == ("MUG-3", 1), mug
    assert (mug.unit_price.currency_code, mug.unit_price.units, mug.unit_price.nanos) == ("EUR", -1, -250_000_000), mug
    assert list(reply.notes) == ["delivered to a neighbour"], reply.notes
    assert reply.WhichOneof("payment") == "voucher_code", reply.WhichOneof("payment")
    assert reply.voucher_code == "SPRING-10" and reply.card_token == "", reply
    assert dict(reply.labels) == {"carrier": "dhl", "tracking": "JJD0001"}, reply.labels
    assert (reply.created_at.seconds, reply.created_at.nanos) == (1_715_076_000, 125_000_000), reply.created_at
    assert json_format.MessageToDict(reply.metadata) == {
        "signedBy": "B. Neighbour", "weightKg": 1.5, "photos": ["p1.jpg"], "returned": False,
    }, reply.metadata
    assert reply.total_cents == -9_007_199_254_740_993, reply.total_cents
    assert (reply.total.currency_code, reply.total.units, reply.total.nanos) == ("EUR", 23, 750_000_000), reply.total
    # and nothing else, nothing more
    assert json_format.MessageToDict(reply) == answer, json_format.MessageToDict(reply)


def test_a_templated_answer_reads_the_request_message(pb, channel):
    post_stub({
        "request": {"method": "POST", "urlPath": "/shop.v1.Shop/GetOrder"},
        "response": {
            "status": 200,
            "jsonBody": {
                "id": "{{jsonPath request.body '$.id'}}",
                "notes": ["asked for {{jsonPath request.body '$.id'}}"],
            },
            "transformers": ["response-template"],
        },
    })
    shop = pb.shop_grpc.ShopStub(channel)

    reply = shop.GetOrder(pb.shop.GetOrderRequest(id="o-42"), timeout=TIMEOUT)

    assert reply.id == "o-42", f"GetOrder(o-42) answered {reply}"
    assert list(reply.notes) == ["asked for o-42"], f"GetOrder(o-42) answered {reply}"


def test_reflection_lists_every_service(channel):
    ours = {"shop.v1.Shop", "helloworld.Greeter"}

    # v1alpha, through grpcio-reflection's client (it sets no deadline: the
    # interceptor gives its calls one).
    database = ProtoReflectionDescriptorDatabase(grpc.intercept_channel(channel, _Deadline()))
    listed = set(database.get_services())
    assert ours <= listed, f"v1alpha reflection lists {sorted(listed)}"
    pool = DescriptorPool(database)
    shop = pool.FindServiceByName("shop.v1.Shop")
    assert [m.name for m in shop.methods] == ["GetOrder", "ListOrders", "PlaceOrder"], shop.methods
    assert shop.methods_by_name["ListOrders"].server_streaming, "ListOrders is server-streaming"
    order = pool.FindMessageTypeByName("shop.v1.Order")
    assert order.fields_by_name["created_at"].message_type.full_name == "google.protobuf.Timestamp"
    # a type of the imported file, shop/v1/common.proto
    assert order.fields_by_name["total"].message_type.full_name == "shop.v1.Money"
    greeter = pool.FindServiceByName("helloworld.Greeter")
    assert greeter.methods_by_name["SayHello"].input_type.full_name == "helloworld.HelloRequest"

    # v1: the messages are v1alpha's, field for field; grpcio-reflection has
    # no v1 client, so the call is made raw.
    v1 = channel.stream_stream(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    answers = list(v1(
        iter([
            reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol="helloworld.Greeter"),
        ]),
        timeout=TIMEOUT,
    ))
    assert len(answers) == 2, answers
    listed_v1 = {s.name for s in answers[0].list_services_response.service}
    assert ours <= listed_v1, f"v1 reflection lists {sorted(listed_v1)}; the first answer: {answers[0]}"
    files = [FileDescriptorProto.FromString(b) for b in answers[1].file_descriptor_response.file_descriptor_proto]
    assert any(
        f.package == "helloworld" and [s.name for s in f.service] == ["Greeter"] for f in files
    ), f"v1 file_containing_symbol helloworld.Greeter answered {answers[1]}"


def test_health_check_answers_serving(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "shop.v1.Shop", "helloworld.Greeter"):
        answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING, (
            f"Check({service!r}) answered {health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)}"
        )


def test_a_stub_bound_to_a_service_answers_only_calls_to_its_authority(pb):
    post_stub({
        "request": {
            "service": "shop",
            "method": "POST",
            "urlPath": "/shop.v1.Shop/GetOrder",
            "bodyPatterns": [{"equalToJson": {"id": "o-1"}}],
        },
        "response": {"status": 200, "jsonBody": {"id": "o-1", "state": "SHIPPED"}},
    })

    def get_order(*options):
        with open_channel(*options) as ch:
            return pb.shop_grpc.ShopStub(ch).GetOrder(pb.shop.GetOrderRequest(id="o-1"), timeout=TIMEOUT)

    for authority in ("shop", f"shop:{PORT}"):
        reply = get_order(("grpc.default_authority", authority))
        assert reply.state == pb.shop.Order.SHIPPED, f"authority {authority}: {reply}"
    for options in ([("grpc.default_authority", "billing")], []):
        err = rpc_error(lambda: get_order(*options))
        assert err.code() == grpc.StatusCode.NOT_FOUND, f"channel options {options}: {describe(err)}"


def test_the_journal_records_the_call_with_its_message_as_json(pb, channel):
    post_stub({
        "request": {"method": "POST", "urlPath": "/shop.v1.Shop/GetOrder"},
        "response": {"status": 200, "jsonBody": {"id": "o-5"}},
    })
    shop = pb.shop_grpc.ShopStub(channel)

    shop.GetOrder(pb.shop.GetOrderRequest(id="o-5"), timeout=TIMEOUT)

    entries = journal_entries("/shop.v1.Shop/GetOrder")
    assert len(entries) == 1, f"the journal holds {len(entries)} GetOrder calls: {entries}"
    request = entries[0]["request"]
    assert request.get("method") == "POST", request
    try:
        body = json.loads(request.get("body", ""))
    except ValueError:
        pytest.fail(f"the journal's request.body is not JSON: {request.get('body')!r}")
    assert body == {"id": "o-5"}, f"the journal's request.body: {request.get('body')!r}"


def test_a_cancelled_server_stream_leaves_the_server_serving(pb):
    # 150 messages of 64 KiB (~10 MB): far more than the client's HTTP/2
    # window (BDP probing off keeps it at 64 KiB), so the stream is still
    # being sent when the client cancels it.
    padding = "x" * 65536
    post_stub({
        "request": {
            "method": "POST",
            "urlPath": "/shop.v1.Shop/ListOrders",
            "bodyPatterns": [{"equalToJson": {"customerId": "c-big"}}],
        },
        "response": {"status": 200, "jsonBody": [{"id": f"o-{i}", "notes": [padding]} for i in range(150)]},
    })
    post_stub({
        "request": {"method": "POST", "urlPath": "/shop.v1.Shop/GetOrder"},
        "response": {"status": 200, "jsonBody": {"id": "o-after"}},
    })

    with open_channel(("grpc.http2.bdp_probe", 0)) as ch:
        shop = pb.shop_grpc.ShopStub(ch)
        for attempt in range(3):
            stream = shop.ListOrders(pb.shop.ListOrdersRequest(customer_id="c-big"), timeout=TIMEOUT)
            first = next(stream)
            assert first.id == "o-0", f"attempt {attempt}: the first message is {first.id!r}"
            stream.cancel()
            assert stream.code() == grpc.StatusCode.CANCELLED, (
                f"attempt {attempt}: the stream ended {stream.code()} before it was cancelled"
            )
        # the same connection still serves calls
        reply = shop.GetOrder(pb.shop.GetOrderRequest(id="x"), timeout=TIMEOUT)
        assert reply.id == "o-after", reply

    # and so does a new one
    with open_channel() as ch:
        reply = pb.shop_grpc.ShopStub(ch).GetOrder(pb.shop.GetOrderRequest(id="x"), timeout=TIMEOUT)
        assert reply.id == "o-after", reply
        health = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT)
        assert health.status == health_pb2.HealthCheckResponse.SERVING, health


def test_gzip_compressed_requests_are_accepted(pb, channel):
    # Large and repetitive, so grpc does compress it (it sends a message
    # that does not shrink uncompressed).
    order_id = "o-" + "gz" * 4096
    post_stub({
        "request": {
            "method": "POST",
            "urlPath": "/shop.v1.Shop/GetOrder",
            "bodyPatterns": [{"equalToJson": {"id": order_id}}],
        },
        "response": {"status": 200, "jsonBody": {"id": "o-gz", "state": "PENDING"}},
    })
    shop = pb.shop_grpc.ShopStub(channel)

    reply = shop.GetOrder(
        pb.shop.GetOrderRequest(id=order_id), timeout=TIMEOUT, compression=grpc.Compression.Gzip,
    )

    assert (reply.id, reply.state) == ("o-gz", pb.shop.Order.PENDING), reply
    # the premise: the call was sent gzip-encoded
    entries = journal_entries("/shop.v1.Shop/GetOrder")
    headers = {k.lower(): v for k, v in entries[0]["request"].get("headers", {}).items()} if entries else {}
    assert headers.get("grpc-encoding") == "gzip", f"the call was not sent gzip-encoded: {headers}"
