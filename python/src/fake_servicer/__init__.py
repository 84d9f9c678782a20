"""fake-servicer for Python: the server's command (`fake-servicer`, or
`python -m fake_servicer`) and a pytest plugin.

In a test, the `fake_servicer` fixture is a handle in a scope of the test's
own::

    def test_checkout(fake_servicer):
        fake_servicer.expect_request("/pay", method="POST", service="bank").respond_with_json({"ok": True})
        ...  # call the app under test with fake_servicer.headers
        fake_servicer.assert_request_made("/pay", method="POST", service="bank")

Outside pytest, `Server.start()` runs one and `server.scope()` gives a
handle.
"""

from ._admin import FakeServicerError
from ._binary import find_fake_servicer_bin
from .expectations import Expectation
from .handle import FakeServicer, LoggedRequest, NextRequest, WaitTimeout
from .handlers import Request, Response
from .server import Server

__all__ = [
    "Expectation",
    "FakeServicer",
    "FakeServicerError",
    "LoggedRequest",
    "NextRequest",
    "Request",
    "Response",
    "Server",
    "WaitTimeout",
    "find_fake_servicer_bin",
]
