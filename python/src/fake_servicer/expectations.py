"""Expectations: a request pattern and, once a `respond_with_*` is called,
the stub that answers it (in the handle's scope)."""

from __future__ import annotations

import base64
from json import dumps as json_dumps
import re
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Union

from .handlers import Handler, shared_handler_server

if TYPE_CHECKING:
    from .handle import FakeServicer

Pattern = Union[str, "re.Pattern[str]"]

#: WireMock priorities: lower answers first. As in pytest-httpserver, a
#: one-shot expectation is tried before an ordered one, and both before a
#: permanent one.
ONESHOT_PRIORITY = 1
ORDERED_PRIORITY = 2
PERMANENT_PRIORITY = 5


def request_pattern(
    path: Optional[Pattern] = None,
    method: Optional[str] = None,
    service: Optional[str] = None,
    query_string: Union[None, str, bytes, Mapping[str, Any]] = None,
    headers: Optional[Mapping[str, str]] = None,
    json: Any = None,  # noqa: A002 - pytest-httpserver's name
    data: Union[None, str, bytes] = None,
) -> dict:
    """The WireMock request pattern for these arguments.

    >>> request_pattern("/users", method="post", service="auth", json={"a": 1})["bodyPatterns"]
    [{'equalToJson': '{"a": 1}'}]
    >>> request_pattern("/search", query_string="q=a b")["url"]
    '/search?q=a b'
    """
    pattern: dict = {"method": (method or "ANY").upper()}
    if service:
        pattern["service"] = service
    if isinstance(query_string, bytes):
        query_string = query_string.decode()
    if isinstance(path, re.Pattern):
        if isinstance(query_string, str):
            raise ValueError("a regex path takes query_string as a dict, not a string")
        pattern["urlPathPattern"] = path.pattern
    elif path is not None:
        if not path.startswith("/"):
            path = "/" + path
        if isinstance(query_string, str):
            pattern["url"] = f"{path}?{query_string}" if query_string else path
        else:
            pattern["urlPath"] = path
    if isinstance(query_string, Mapping):
        pattern["queryParameters"] = {
            name: ({"hasExactly": [{"equalTo": str(v)} for v in value]} if isinstance(value, (list, tuple)) else {"equalTo": str(value)})
            for name, value in query_string.items()
        }
    if headers:
        pattern["headers"] = {name: {"equalTo": str(value)} for name, value in headers.items()}
    if json is not None:
        pattern.setdefault("bodyPatterns", []).append({"equalToJson": json_dumps(json)})
    if data is not None:
        if isinstance(data, (bytes, bytearray)):
            pattern.setdefault("bodyPatterns", []).append({"binaryEqualTo": base64.b64encode(bytes(data)).decode()})
        else:
            pattern.setdefault("bodyPatterns", []).append({"equalTo": data})
    return pattern


class Expectation:
    """What `expect_request` returns: answer it with one `respond_with_*`."""

    def __init__(self, owner: "FakeServicer", pattern: dict, priority: int, scenario: Optional[dict] = None) -> None:
        self._owner = owner
        self.pattern = pattern
        self.priority = priority
        self.scenario = scenario or {}
        #: The stub the server stored (with its `id`), once answered.
        self.stub: Optional[dict] = None

    def respond_with_json(
        self,
        response_json: Any,
        status: int = 200,
        headers: Optional[Mapping[str, str]] = None,
        content_type: str = "application/json",
    ) -> "Expectation":
        """Answer with `response_json` as JSON."""
        return self._respond({"status": status, "jsonBody": response_json, "headers": _with_type(headers, content_type)})

    def respond_with_data(
        self,
        response_data: Union[str, bytes] = "",
        status: int = 200,
        headers: Optional[Mapping[str, str]] = None,
        mimetype: Optional[str] = None,
        content_type: Optional[str] = None,
    ) -> "Expectation":
        """Answer with `response_data` (text, or bytes sent as they are)."""
        response: dict = {"status": status, "headers": _with_type(headers, content_type or mimetype)}
        if isinstance(response_data, (bytes, bytearray)):
            response["base64Body"] = base64.b64encode(bytes(response_data)).decode()
        else:
            response["body"] = response_data
        return self._respond(response)

    def respond_with_response(self, response: Any) -> "Expectation":
        """Answer with a `fake_servicer.Response` (or anything a handler may
        return: a dict, text, a `(body, status, headers)` tuple)."""
        from .handlers import to_response

        answer = to_response(response)
        return self.respond_with_data(answer.body, answer.status, answer.headers)

    def respond_with_handler(self, handler: Handler) -> "Expectation":
        """Answer with what `handler(request)` returns, computed in this test
        process: the server forwards the request here (a proxying stub)
        and relays the answer, so the handler may take its time (until the
        server's `--proxy-timeout`, 30 s by default)."""
        target = shared_handler_server().register(handler, self._owner.handler_errors)
        self._owner._handler_targets.append(target)
        return self._respond({"proxyBaseUrl": target})

    def respond_with_stream(
        self,
        items: Iterable[Mapping[str, Any]] = (),
        live: bool = True,
        status: int = 200,
        headers: Optional[Mapping[str, str]] = None,
    ) -> "Expectation":
        """Answer with a stream: `items` now (`{"sse": {...}}`, `{"json":
        ...}`, `{"body": "..."}`, `{"delayMs": N}`), kept open for
        `push()` while `live`."""
        response: dict = {"status": status, "stream": list(items), "live": live}
        if headers:
            response["headers"] = dict(headers)
        return self._respond(response)

    # gRPC: a call is a POST of its method path with the message as JSON.
    def respond_with_message(self, message: Any, metadata: Optional[Mapping[str, str]] = None) -> "Expectation":
        """Answer a gRPC call with `message` (the output message as proto3
        JSON; a list for a server-streaming method)."""
        response: dict = {"status": 200, "jsonBody": message}
        if metadata:
            response["headers"] = dict(metadata)
        return self._respond(response)

    def respond_with_status(self, code: Union[str, int], message: str = "") -> "Expectation":
        """Fail a gRPC call with `code` (`"NOT_FOUND"`, `"UNAVAILABLE"`, … or
        its number) and `message`."""
        headers = {"grpc-status-name": str(code)}
        if message:
            headers["grpc-status-reason"] = message
        return self._respond({"status": 200, "headers": headers})

    def _respond(self, response: dict) -> "Expectation":
        if self.stub is not None:
            raise RuntimeError("this expectation already has its answer: make another expect_request")
        if not response.get("headers"):
            response.pop("headers", None)
        stub: dict = {"request": self.pattern, "response": response, "priority": self.priority, **self.scenario}
        self.stub = self._owner._create_stub(stub)
        return self


def _with_type(headers: Optional[Mapping[str, str]], content_type: Optional[str]) -> dict:
    out = dict(headers or {})
    if content_type and not any(k.lower() == "content-type" for k in out):
        out["Content-Type"] = content_type
    return out


def describe(pattern: Mapping[str, Any]) -> str:
    """A request pattern in one line: `GET auth /users`."""
    path = pattern.get("url") or pattern.get("urlPath") or pattern.get("urlPathPattern") or pattern.get("urlPattern") or "(any path)"
    service = f"{pattern['service']} " if pattern.get("service") else ""
    return f"{pattern.get('method', 'ANY')} {service}{path}"
