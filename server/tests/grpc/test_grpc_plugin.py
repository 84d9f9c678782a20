"""Real gRPC clients (grpcio) against a plugin's typed gRPC handlers.

The plugin is ``plugins/greeter``: ``helloworld.Greeter`` written with the
SDK's ``#[grpc]`` handlers (``SayHello``, and the server-streaming
``SayHelloStream``, 100 ms between replies). The server is started by the
Rust harness (``server/tests/it/grpc_clients.rs``,
``grpcio_clients_call_a_plugins_typed_grpc_handlers``) with that plugin
loaded and no proto dir: no descriptor defines these methods, so the plugin
answers them. Its base URL comes from ``FAKE_SERVICER_URL``, as in
``test_grpc_stubs.py``; gRPC is spoken on the same port (h2c). The service
is named by the call's ``:authority``: ``greeter`` (grpcio's
``grpc.default_authority`` channel option).

The Python client code is generated at session start into a temp dir with
``grpc_tools.protoc`` from the plugin's own ``proto/helloworld.proto``.
Every call has a deadline.

Each harness runs its own file: this one and ``test_grpc_stubs.py`` both
generate a ``helloworld_pb2``, which one Python process cannot hold twice.

Run with:  FAKE_SERVICER_URL=http://127.0.0.1:PORT python -m pytest <this file>
"""

import importlib
import json
import os
import subprocess
import sys
import time
import types
import urllib.parse
import urllib.request
from pathlib import Path

import grpc
import pytest

BASE_URL = os.environ.get("FAKE_SERVICER_URL", "").rstrip("/")

if not BASE_URL:
    pytest.skip(
        "FAKE_SERVICER_URL is not set (expected e.g. http://127.0.0.1:34567)",
        allow_module_level=True,
    )

PORT = urllib.parse.urlsplit(BASE_URL).port
TARGET = f"127.0.0.1:{PORT}"

HERE = Path(__file__).resolve().parent
GREETER_PROTO = HERE.parents[2] / "plugins" / "greeter" / "proto"

# The deadline of every gRPC call, and the timeout of every admin call.
TIMEOUT = 10.0

# Never send loopback calls through a proxy taken from the environment
# (grpc-core honours http_proxy / grpc_proxy).
CHANNEL_OPTIONS = [("grpc.enable_http_proxy", 0)]

# What names the plugin's service: the call's :authority.
TO_GREETER = ("grpc.default_authority", "greeter")

# The pause the plugin puts between two replies of SayHelloStream, and how
# much earlier than that a reply may arrive (timer granularity).
BETWEEN = 0.1
SLACK = 0.02

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
    """The generated modules of the plugin's proto: hello (messages),
    hello_grpc (stubs)."""
    out = tmp_path_factory.mktemp("grpc-plugin-generated")
    _protoc(out, GREETER_PROTO, ["helloworld.proto"])
    sys.path.insert(0, str(out))
    try:
        return types.SimpleNamespace(
            hello=importlib.import_module("helloworld_pb2"),
            hello_grpc=importlib.import_module("helloworld_pb2_grpc"),
        )
    finally:
        sys.path.remove(str(out))


# --------------------------------------------------------------------------
# channels
# --------------------------------------------------------------------------


def open_channel(*options):
    return grpc.insecure_channel(TARGET, options=CHANNEL_OPTIONS + list(options))


@pytest.fixture
def channel():
    """A channel whose calls name the greeter by their :authority."""
    with open_channel(TO_GREETER) as ch:
        yield ch


@pytest.fixture
def greeter(pb, channel):
    return pb.hello_grpc.GreeterStub(channel)


def unary_error(method, request, **kwargs):
    """The grpc.RpcError a unary call raises."""
    with pytest.raises(grpc.RpcError) as caught:
        method(request, timeout=TIMEOUT, **kwargs)
    return caught.value


def stream_error(method, request):
    """The grpc.RpcError reading a server stream raises."""
    with pytest.raises(grpc.RpcError) as caught:
        list(method(request, timeout=TIMEOUT))
    return caught.value


# --------------------------------------------------------------------------
# unary
# --------------------------------------------------------------------------


def test_unary_call_is_answered_by_the_plugin(pb, greeter):
    reply, call = greeter.SayHello.with_call(
        pb.hello.HelloRequest(name="Ann"), timeout=TIMEOUT
    )
    assert reply.message == "hello, Ann"
    assert call.code() == grpc.StatusCode.OK


def test_metadata_reaches_the_handler(pb, greeter):
    reply = greeter.SayHello(
        pb.hello.HelloRequest(name="Bob"),
        metadata=[("x-greeting", "hi")],
        timeout=TIMEOUT,
    )
    assert reply.message == "hi, Bob"


def test_a_handlers_status_is_the_calls_status(pb, greeter):
    err = unary_error(greeter.SayHello, pb.hello.HelloRequest(name=""))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err
    assert err.details() == "name is empty"
    # The same for a server-streaming method, before any reply.
    err = stream_error(greeter.SayHelloStream, pb.hello.HelloRequest(name="", times=2))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err
    assert err.details() == "name is empty"


def test_a_message_that_does_not_decode_is_invalid_argument(channel):
    # Raw bytes: field 1 (a string) announcing 5 bytes, 2 sent. The greeter
    # publishes its descriptors (`service!(descriptors = ...)`), so the
    # server reads the message itself (as JSON, for the journal and stubs)
    # and refuses it, naming its type, before the plugin runs.
    say_hello = channel.unary_unary("/helloworld.Greeter/SayHello")
    err = unary_error(say_hello, b"\x0a\x05ab")
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err
    assert err.details().startswith("helloworld.HelloRequest: "), err


def test_a_compressed_message_is_unimplemented(pb, greeter):
    # grpc-core sends a message uncompressed when gzip would not make it
    # smaller: this one shrinks.
    err = unary_error(
        greeter.SayHello,
        pb.hello.HelloRequest(name="Ann" * 1000),
        compression=grpc.Compression.Gzip,
    )
    assert err.code() == grpc.StatusCode.UNIMPLEMENTED, err
    assert err.details().startswith("compressed messages"), err


# --------------------------------------------------------------------------
# server streaming
# --------------------------------------------------------------------------


def test_server_stream_sends_each_reply_after_its_delay(pb, greeter):
    started = time.monotonic()
    replies = greeter.SayHelloStream(
        pb.hello.HelloRequest(name="Ann", times=5), timeout=TIMEOUT
    )
    arrived = []
    for reply in replies:
        arrived.append((time.monotonic(), reply.message))
    assert [m for _, m in arrived] == [f"hello #{i}, Ann" for i in range(1, 6)]
    assert replies.code() == grpc.StatusCode.OK
    # Reply k is sent k pauses after the call came: it cannot arrive
    # earlier, however late the client reads the first one.
    since_call = [t - started for t, _ in arrived]
    assert all(
        at >= k * BETWEEN - SLACK for k, at in enumerate(since_call)
    ), since_call
    # Streamed, not sent at the end: the first reply came well before the
    # last.
    assert arrived[-1][0] - arrived[0][0] >= 4 * (BETWEEN - SLACK), arrived
    assert arrived[-1][0] - started < TIMEOUT


def test_server_stream_sends_three_replies_when_times_is_unset(pb, greeter):
    replies = list(greeter.SayHelloStream(pb.hello.HelloRequest(name="Cy"), timeout=TIMEOUT))
    assert [r.message for r in replies] == [f"hello #{i}, Cy" for i in (1, 2, 3)]


def test_a_deadline_ends_a_long_stream(pb, greeter):
    # 100 replies take ~10 s; the client gives up after 0.45 s.
    replies = greeter.SayHelloStream(pb.hello.HelloRequest(name="Di", times=100), timeout=0.45)
    got = []
    with pytest.raises(grpc.RpcError) as caught:
        for reply in replies:
            got.append(reply.message)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert 1 <= len(got) < 100, got


# --------------------------------------------------------------------------
# naming the service
# --------------------------------------------------------------------------


def test_a_client_stream_reaches_the_handler_whole(pb, greeter):
    names = iter([pb.hello.HelloRequest(name=n) for n in ("Ann", "Bob", "Cy")])
    reply = greeter.SayHelloToAll(names, timeout=TIMEOUT)
    assert reply.message == "hello, Ann and Bob and Cy"


def test_a_bidirectional_call_gets_a_reply_per_message(pb, greeter):
    names = iter([pb.hello.HelloRequest(name=n) for n in ("Ann", "Bob")])
    replies = [r.message for r in greeter.Chat(names, timeout=TIMEOUT)]
    assert replies == ["hello, Ann", "hello, Bob"]


def test_the_authority_names_the_plugins_service(pb):
    request = pb.hello.HelloRequest(name="Eve")
    with open_channel(TO_GREETER) as ch:
        reply = pb.hello_grpc.GreeterStub(ch).SayHello(request, timeout=TIMEOUT)
        assert reply.message == "hello, Eve"
    # Without it, the call is not the plugin's: the method is known (from
    # the greeter's descriptors), so it is a stub's to answer, and none does.
    with open_channel() as ch:
        err = unary_error(pb.hello_grpc.GreeterStub(ch).SayHello, request)
        assert err.code() == grpc.StatusCode.NOT_FOUND, err
        assert err.details().startswith("no stub answers /helloworld.Greeter/SayHello"), err
