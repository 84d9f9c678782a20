"""The pytest plugin (entry point `pytest11`): fixtures `fake_servicer_server`
(one server for the session, shared by pytest-xdist workers) and
`fake_servicer` (a handle in a scope of the test's own)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import time
from typing import Iterator, Optional

import pytest

from .handle import FakeServicer
from .server import Server

URL_ENV = "FAKE_SERVICER_URL"
SHARED_DIR = "fake_servicer_shared_dir"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fake-servicer", "fake-servicer mock server")
    group.addoption("--fake-servicer-root", metavar="DIR", help="WireMock root dir (mappings/, __files/, grpc/) of the server the session starts")
    group.addoption("--fake-servicer-plugins", metavar="DIR", help="plugin libraries, or plugin crates built by the server, for the server the session starts")
    group.addoption("--fake-servicer-protos", metavar="DIR", help=".proto files for gRPC stubs, for the server the session starts")
    parser.addini("fake_servicer_root", "WireMock root dir (relative to the ini file) of the server the session starts")
    parser.addini("fake_servicer_plugins", "plugin libraries or crates (relative to the ini file) of the server the session starts")
    parser.addini("fake_servicer_protos", ".proto files for gRPC stubs (relative to the ini file)")
    parser.addini("fake_servicer_args", "more command-line flags for the server the session starts", type="args")


def _path(config: pytest.Config, name: str) -> Optional[str]:
    given = config.getoption(f"--fake-servicer-{name}")
    if given:
        return os.path.abspath(given)
    in_ini = config.getini(f"fake_servicer_{name}")
    if in_ini:
        return str((config.inipath.parent if config.inipath else config.rootpath) / in_ini)
    return None


def _start(config: pytest.Config) -> Server:
    return Server.start(
        root=_path(config, "root"),
        plugins=_path(config, "plugins"),
        protos=_path(config, "protos"),
        args=config.getini("fake_servicer_args"),
    )


# pytest-xdist: the controller hands its workers a directory where the first
# worker that needs the server records the one it started; the controller
# stops it when the run ends.
@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:  # type: ignore[no-untyped-def]
    config = node.config
    shared = getattr(config, "_fake_servicer_shared", None)
    if shared is None:
        shared = tempfile.mkdtemp(prefix="fake-servicer-xdist-")
        config._fake_servicer_shared = shared
    node.workerinput[SHARED_DIR] = shared


def pytest_unconfigure(config: pytest.Config) -> None:
    shared = getattr(config, "_fake_servicer_shared", None)
    if shared is None:
        return
    try:
        with open(os.path.join(shared, "server.json")) as f:
            record = json.load(f)
        _terminate(record["pid"])
        if record.get("temp"):
            shutil.rmtree(record["temp"], ignore_errors=True)
    except (OSError, ValueError, KeyError):
        pass
    shutil.rmtree(shared, ignore_errors=True)


def _terminate(pid: int, timeout: float = 10.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _worker_server(config: pytest.Config, shared: str) -> Server:
    """The run's one server: started by the first worker that asks."""
    import fcntl

    with open(os.path.join(shared, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        record = os.path.join(shared, "server.json")
        if os.path.exists(record):
            with open(record) as f:
                return Server.attach(json.load(f)["url"])
        server = _start(config)
        with open(record, "w") as f:
            json.dump({"url": server.url, "pid": server._process.pid, "log": server.log_path, "temp": server._temp}, f)  # type: ignore[union-attr]
        # The controller stops it, once every worker is done.
        server._process = None
        return server


@pytest.fixture(scope="session")
def fake_servicer_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    """The session's server: the one at `FAKE_SERVICER_URL` when set (the
    compose case: `http://fake-services`), else the bundled one started on a
    free loopback port (one for all pytest-xdist workers) and stopped at the
    end."""
    config = request.config
    url = os.environ.get(URL_ENV)
    if url:
        yield Server.attach(url)
        return
    shared = getattr(config, "workerinput", {}).get(SHARED_DIR)
    if shared and os.name == "posix":
        yield _worker_server(config, shared)
        return
    server = _start(config)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_servicer(fake_servicer_server: Server) -> Iterator[FakeServicer]:
    """A handle in a new scope of this test's own: stubs, overrides, stream
    pushes, resource writes and journal queries stay in it, so tests in
    parallel never see each other's; the scope is removed at teardown. With
    OpenTelemetry installed, the current context's baggage carries the scope
    for the test's duration, so instrumented clients propagate it."""
    handle = fake_servicer_server.scope()
    token = _attach_baggage(handle.scope)
    try:
        yield handle
    finally:
        _detach(token)
        handle.close()


def _attach_baggage(scope: Optional[str]):  # type: ignore[no-untyped-def]
    try:
        from opentelemetry import baggage, context
    except ImportError:
        return None
    return context.attach(baggage.set_baggage("fake-servicer-scope", scope))


def _detach(token) -> None:  # type: ignore[no-untyped-def]
    if token is None:
        return
    from opentelemetry import context

    context.detach(token)
