"""`FakeServicer`: what a test steers the server with, in a scope of its own."""

from __future__ import annotations

import base64
import json
import urllib.parse
import uuid
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from ._admin import SCOPE_HEADER, Admin, FakeServicerError, send
from .expectations import (
    ONESHOT_PRIORITY,
    ORDERED_PRIORITY,
    PERMANENT_PRIORITY,
    Expectation,
    Pattern,
    describe,
    request_pattern,
)
from .handlers import shared_handler_server

NEXT = "X-Fake-Servicer-Next-Request-"
#: What `url_for` leaves unquoted in a path (and its query).
PATH_SAFE = "/?&=%:@!$'()*+,;~-._"


def _body(message: Mapping[str, Any]) -> bytes:
    """A journal request's or response's body, as the admin API gives it
    (`bodyAsBase64` for bytes, else `body` as text)."""
    if message.get("bodyAsBase64"):
        return base64.b64decode(message["bodyAsBase64"])
    return (message.get("body") or "").encode()


class WaitTimeout(AssertionError):
    """`wait()` saw fewer requests than it wanted before its timeout."""

    def __init__(self, message: str, requests: List["LoggedRequest"]) -> None:
        super().__init__(message)
        #: The requests that did match.
        self.requests = requests


class LoggedRequest:
    """A request of the journal: `method`, `url` (path and query), `path`,
    `query_string`, `headers`, `data`, `json`, `status` (of the answer)."""

    def __init__(self, entry: Mapping[str, Any]) -> None:
        request = entry.get("request", entry)
        #: The journal's entry, as the admin API answered it.
        self.raw = entry
        self.id = entry.get("id")
        self.method: str = request.get("method", "")
        self.url: str = request.get("url", "")
        self.path, _, self.query_string = self.url.partition("?")
        self.headers: Dict[str, str] = {
            name: (value if isinstance(value, str) else ", ".join(value.get("values", [])) if isinstance(value, Mapping) else str(value))
            for name, value in (request.get("headers") or {}).items()
        }
        self.data = _body(request)
        self.scopes: List[str] = list(request.get("scopes") or [])
        response = entry.get("response") or {}
        self.status: Optional[int] = response.get("status")
        self.was_matched: bool = bool(entry.get("wasMatched", True))

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.data) if self.data else None
        except ValueError:
            return None

    def __repr__(self) -> str:
        return f"<LoggedRequest {self.method} {self.url} → {self.status}>"


class NextRequest:
    """What `next_request()` returns: `.respond(...)` arms the answer."""

    def __init__(self, owner: "FakeServicer", service: str, path: str, method: str) -> None:
        self._owner = owner
        self.service, self.path, self.method = service, path, method

    def respond(
        self,
        status: Optional[int] = None,
        body: Union[None, str, bytes, dict, list] = None,
        headers: Optional[Mapping[str, Any]] = None,
        delay_ms: Optional[int] = None,
        fault: Optional[str] = None,
        times: int = 1,
    ) -> dict:
        """Arms the answer for the next `times` requests: unset parts fall
        back to what would have answered. Answers the server's `armed`."""
        arm: Dict[str, str] = {}
        if status is not None:
            arm[NEXT + "Status"] = str(status)
        if body is not None:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            elif isinstance(body, bytes):
                body = body.decode()
            arm[NEXT + "Body"] = body
        if headers:
            arm[NEXT + "Headers"] = json.dumps(dict(headers))
        if delay_ms is not None:
            arm[NEXT + "Delay"] = str(delay_ms)
        if fault is not None:
            arm[NEXT + "Fault"] = fault
        if times != 1:
            arm[NEXT + "Times"] = str(times)
        if not arm:
            raise ValueError("respond() needs at least one of status, body, headers, delay_ms, fault")
        owner = self._owner
        if owner.scope is not None:
            arm[NEXT + "Scope"] = owner.scope
        arm.update(owner._admin.auth_headers())
        url = owner.url_for(self.service, self.path)
        status_code, text = send(self.method, url, None, arm, owner._admin.timeout)
        if status_code != 202:
            raise FakeServicerError(self.method, url, status_code, text)
        return json.loads(text) if text.strip() else {}


class FakeServicer:
    """Steers one server for one test: every stub, override, stream push,
    resource write and journal query of this handle lives in its `scope`
    (none for the handle of `fake_servicer_server.unscoped`).

    Pass `headers` on the test's own calls (or use `requests_session()`,
    `httpx_client()`) so they belong to the scope too.
    """

    def __init__(self, admin: Admin, scope: Optional[str] = None) -> None:
        self._admin = admin
        #: The server's base URL.
        self.url: str = admin.url
        #: This handle's scope, or None.
        self.scope = scope
        #: Exceptions raised by this handle's `respond_with_handler` functions.
        self.handler_errors: List[str] = []
        self._handler_targets: List[str] = []
        self._ordered = 0
        self._ordered_scenario = f"fake-servicer-ordered-{uuid.uuid4().hex}"

    # -- addresses -------------------------------------------------------
    @property
    def headers(self) -> Dict[str, str]:
        """Headers that put a request in this handle's scope."""
        return {SCOPE_HEADER: self.scope} if self.scope else {}

    def url_for(self, service: Optional[str] = None, path: str = "/") -> str:
        """The URL of `path` on `service` (by prefix: `<url>/<service><path>`);
        without a service, `path` on the server itself."""
        if not path.startswith("/"):
            path = "/" + path
        prefix = f"/{service.strip('/')}" if service else ""
        return f"{self.url}{prefix}{urllib.parse.quote(path, safe=PATH_SAFE)}"

    def requests_session(self):
        """A `requests.Session` whose requests carry this scope."""
        import requests  # optional: only when used

        session = requests.Session()
        session.headers.update(self.headers)
        return session

    def httpx_client(self, **kwargs: Any):
        """An `httpx.Client` whose requests carry this scope (keyword
        arguments go to `httpx.Client`)."""
        import httpx  # optional: only when used

        headers = {**self.headers, **dict(kwargs.pop("headers", None) or {})}
        return httpx.Client(headers=headers, **kwargs)

    # -- expectations ----------------------------------------------------
    def expect_request(
        self,
        path: Optional[Pattern] = None,
        method: Optional[str] = None,
        service: Optional[str] = None,
        query_string: Union[None, str, bytes, Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        json: Any = None,  # noqa: A002 - pytest-httpserver's name
        data: Union[None, str, bytes] = None,
    ) -> Expectation:
        """Requests matching all the given parts (`path` exact, or a compiled
        regex; `method` any when not given) get the answer of the
        `respond_with_*` called next, as often as they come."""
        pattern = request_pattern(path, method, service, query_string, headers, json, data)
        return Expectation(self, pattern, PERMANENT_PRIORITY)

    def expect_oneshot_request(self, path: Optional[Pattern] = None, method: Optional[str] = None, **kwargs: Any) -> Expectation:
        """As `expect_request`, answered once: a second such request is
        unmatched (and `check_assertions()` says so)."""
        pattern = request_pattern(path, method, **kwargs)
        scenario = {
            "scenarioName": f"fake-servicer-oneshot-{uuid.uuid4().hex}",
            "requiredScenarioState": "Started",
            "newScenarioState": "answered",
        }
        return Expectation(self, pattern, ONESHOT_PRIORITY, scenario)

    def expect_ordered_request(self, path: Optional[Pattern] = None, method: Optional[str] = None, **kwargs: Any) -> Expectation:
        """As `expect_oneshot_request`, and the handle's ordered
        expectations are answered only in the order they were made: a
        request out of turn is unmatched."""
        pattern = request_pattern(path, method, **kwargs)
        step = self._ordered
        self._ordered += 1
        scenario = {
            "scenarioName": self._ordered_scenario,
            "requiredScenarioState": "Started" if step == 0 else f"step-{step}",
            "newScenarioState": f"step-{step + 1}",
        }
        return Expectation(self, pattern, ORDERED_PRIORITY, scenario)

    def expect_grpc(self, method_path: str, request: Any = None, service: Optional[str] = None) -> Expectation:
        """A gRPC call of `method_path` (`"shop.v1.Shop/GetOrder"`), with the
        request message `request` (proto3 JSON, when given): answer it with
        `respond_with_message` or `respond_with_status`. The server needs
        the `.proto` (`--fake-servicer-protos`, or the root's `grpc/`)."""
        return self.expect_request("/" + method_path.lstrip("/"), "POST", service, json=request)

    def next_request(self, service: str, path: str, method: str = "GET") -> NextRequest:
        """The next `method` request of this scope to `path` on `service`:
        `.respond(status=, body=, headers=, delay_ms=, fault=)` arms its
        answer (over the `X-Fake-Servicer-Next-Request-*` headers)."""
        return NextRequest(self, service, path, method.upper())

    def clear(self) -> None:
        """Removes this handle's stubs, overrides, journal entries, streams
        and resource writes (the whole scope; for the unscoped handle, every
        unscoped stub and the journal)."""
        if self.scope is not None:
            self._remove_scope()
        else:
            self._admin.call("POST", "/reset")
        self._ordered = 0
        self.handler_errors.clear()

    # -- streams ---------------------------------------------------------
    def push(
        self,
        path: Optional[Pattern] = None,
        *items: Mapping[str, Any],
        service: Optional[str] = None,
        method: Optional[str] = None,
        close: bool = False,
    ) -> dict:
        """Sends `items` on this scope's open streams opened by requests to
        `path` (every stream of the scope without it): `{"streams": N,
        "overflowed": M}`."""
        body: dict = {"items": list(items), "close": close}
        if path is not None or service or method:
            body["request"] = request_pattern(path, method, service)
        return self._admin.call("POST", "/streams/push", body, scope=self.scope)[1]

    # -- resources -------------------------------------------------------
    def declare_resource(self, name: str, path: str, service: Optional[str] = None, id: str = "id", seed: Iterable[Any] = ()) -> dict:  # noqa: A002
        """Declares the CRUD resource `name` at `path` (for every scope: a
        declaration is shared; its items are per scope). Answers the
        declaration."""
        declaration: dict = {"name": name, "path": path, "id": id, "seed": list(seed)}
        if service:
            declaration["service"] = service
        return self._admin.call("POST", "/resources", {"resource": declaration})[1]

    def resource_items(self, name: str) -> List[Any]:
        """The items of the declared resource `name`, as this scope sees them."""
        return self._admin.call("GET", _resource_path(name), query={"scope": self.scope})[1]["items"]

    def set_resource_items(self, name: str, items: Iterable[Any]) -> None:
        """Replaces what this scope sees of the resource `name`."""
        self._admin.call("PUT", _resource_path(name), {"items": list(items)}, query={"scope": self.scope})

    # -- verification ----------------------------------------------------
    def log(self) -> List[LoggedRequest]:
        """This scope's requests in the journal, oldest first."""
        entries = self._admin.call("GET", "/requests", query={"scope": self.scope, "limit": 1000})[1]["requests"]
        return [LoggedRequest(e) for e in reversed(entries)]

    def assert_request_made(
        self,
        path: Optional[Pattern] = None,
        method: Optional[str] = None,
        service: Optional[str] = None,
        count: int = 1,
        **kwargs: Any,
    ) -> None:
        """Asserts that exactly `count` requests of this scope matched
        (other parts as for `expect_request`)."""
        pattern = request_pattern(path, method, service, **kwargs)
        found = self._admin.call("POST", "/requests/count", {**pattern, **self._scope_field()})[1]["count"]
        if found != count:
            seen = "; ".join(f"{r.method} {r.url}" for r in self.log()[-10:]) or "none"
            raise AssertionError(f"{describe(pattern)}: expected {count} request(s), got {found} (this test's latest requests: {seen})")

    def wait(
        self,
        path: Optional[Pattern] = None,
        method: Optional[str] = None,
        service: Optional[str] = None,
        count: int = 1,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> List[LoggedRequest]:
        """Blocks until `count` requests of this scope matching the pattern
        have arrived (those already there count), at most `timeout`
        seconds: the matching requests, oldest first. Raises `WaitTimeout`
        (an `AssertionError`) naming the near misses at the timeout."""
        pattern = request_pattern(path, method, service, **kwargs)
        body = {**pattern, "count": count, "timeoutMs": int(timeout * 1000), **self._scope_field()}
        status, answer = self._admin.call("POST", "/requests/wait", body, ok=(200, 408), timeout=timeout + 30)
        requests = [LoggedRequest(r) for r in answer.get("requests", [])]
        if status == 408:
            near = "; ".join(
                f"{(m.get('request') or {}).get('method')} {(m.get('request') or {}).get('url')}" for m in answer.get("nearMisses", [])[:3]
            )
            raise WaitTimeout(
                f"{describe(pattern)}: {len(requests)} of {count} request(s) within {timeout} s" + (f"; closest: {near}" if near else ""),
                requests,
            )
        return requests

    def check_assertions(self) -> None:
        """Raises `AssertionError` when a request of this scope matched no
        expectation (naming each one and what nearly matched it), or a
        handler raised."""
        problems = list(self.handler_errors)
        query = {"scope": self.scope, "unmatched": "true", "limit": 100}
        unmatched = self._admin.call("GET", "/requests", query=query)[1]["requests"]
        for entry in reversed(unmatched):
            request = entry.get("request", {})
            line = f"{request.get('method')} {request.get('url')}: no expectation matched"
            near = _near_misses(entry)
            if near:
                closest = near[0]
                distance = closest.get("distance")
                line += f"; closest: {describe(closest.get('request') or {})}"
                if isinstance(distance, (int, float)):
                    line += f" (distance {distance:.2f})"
                line += "".join(f"\n    {d}" for d in closest.get("differences") or [])
            problems.append(line)
        if problems:
            raise AssertionError("\n".join(problems))

    def _scope_field(self) -> dict:
        return {"scope": self.scope} if self.scope else {}

    def _create_stub(self, stub: dict) -> dict:
        # The scope header puts the stub in the scope (the server writes it
        # into the stub's metadata).
        return self._admin.call("POST", "/mappings", stub, scope=self.scope)[1]

    def close(self) -> None:
        """Ends the handle: its scope is removed from the server, its
        handlers forgotten."""
        try:
            if self.scope is not None:
                self._remove_scope()
        finally:
            if self._handler_targets:
                server = shared_handler_server()
                for target in self._handler_targets:
                    server.forget(target)
                self._handler_targets.clear()

    def _remove_scope(self) -> None:
        self._admin.call("DELETE", f"/scopes/{urllib.parse.quote(str(self.scope), safe='')}")

    def __enter__(self) -> "FakeServicer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<FakeServicer {self.url} scope={self.scope}>"


def _resource_path(name: str) -> str:
    return f"/resources/{urllib.parse.quote(name, safe='')}"


def _near_misses(entry: Mapping[str, Any]) -> List[dict]:
    """The near misses the server's 404 named (the stubs of the request's
    scope and the unscoped ones, closest first, with what differed)."""
    try:
        body = json.loads(_body(entry.get("response") or {}) or b"null")
    except ValueError:
        return []
    return list(body.get("nearMisses") or []) if isinstance(body, dict) else []
