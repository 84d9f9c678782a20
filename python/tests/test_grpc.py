"""gRPC stubs from a `.proto` (the ini's `fake_servicer_protos`), called by grpcio."""

import os
import sys

import pytest

grpc = pytest.importorskip("grpc")
protoc = pytest.importorskip("grpc_tools.protoc")

PROTOS = os.path.join(os.path.dirname(__file__), "..", "..", "server", "tests", "grpc", "protos")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """The `shop.v1` messages, compiled by grpcio-tools for this run."""
    out = tmp_path_factory.mktemp("shop_pb2")
    well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    protos = ["shop/v1/shop.proto", "shop/v1/common.proto"]
    assert protoc.main(["protoc", f"-I{PROTOS}", f"-I{well_known}", f"--python_out={out}", *protos]) == 0
    sys.path.insert(0, str(out))
    try:
        from shop.v1 import shop_pb2
    finally:
        sys.path.remove(str(out))
    return shop_pb2


def get_order(fake_servicer, shop, order_id):
    host = fake_servicer.url.split("://", 1)[1]
    with grpc.insecure_channel(host) as channel:
        call = channel.unary_unary("/shop.v1.Shop/GetOrder", request_serializer=shop.GetOrderRequest.SerializeToString, response_deserializer=shop.Order.FromString)
        metadata = [(k.lower(), v) for k, v in fake_servicer.headers.items()]
        return call(shop.GetOrderRequest(id=order_id), metadata=metadata, timeout=10)


def test_a_grpc_call_gets_the_stubbed_message(fake_servicer, shop):
    fake_servicer.expect_grpc("shop.v1.Shop/GetOrder", request={"id": "o-1"}).respond_with_message({"id": "o-1", "state": "SHIPPED", "totalCents": "1250"})
    order = get_order(fake_servicer, shop, "o-1")
    assert (order.id, order.state, order.total_cents) == ("o-1", shop.Order.SHIPPED, 1250)
    fake_servicer.assert_request_made("/shop.v1.Shop/GetOrder", method="POST", json={"id": "o-1"})


def test_a_grpc_call_fails_with_the_stubbed_status(fake_servicer, shop):
    fake_servicer.expect_grpc("shop.v1.Shop/GetOrder").respond_with_status("NOT_FOUND", "no such order")
    with pytest.raises(grpc.RpcError) as failed:
        get_order(fake_servicer, shop, "o-2")
    assert (failed.value.code(), failed.value.details()) == (grpc.StatusCode.NOT_FOUND, "no such order")
