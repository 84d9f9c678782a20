"""`respond_with_handler`: the server proxies a request to this process,
where a Python function computes the answer.

One small HTTP server per process (a daemon thread per connection) takes
`POST`, `GET`, … on `/__fake_servicer_handler/<id>/<path>` and calls the
function registered under `<id>` with a `Request`. What the function
returns becomes the answer: a `Response`, a `dict` or `list` (JSON), `str`
or `bytes` (the body), or a tuple `(body, status)` / `(body, status,
headers)` as in Flask. An exception answers 500 with its traceback and is
raised again by `check_assertions()`.
"""

from __future__ import annotations

import json
from json import dumps as json_dumps
import os
import threading
import traceback
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

PREFIX = "/__fake_servicer_handler/"


class Request:
    """The request the app sent, as the server forwarded it."""

    def __init__(self, method: str, path: str, query_string: str, headers: Mapping[str, str], data: bytes) -> None:
        self.method = method
        #: The path as the app sent it (the service-relative path for a stub
        #: bound to a service).
        self.path = path
        #: The raw query string, without `?`.
        self.query_string = query_string
        #: Query parameters: name → first value (`args_list` has them all).
        self.args = {k: v[0] for k, v in urllib.parse.parse_qs(query_string, keep_blank_values=True).items()}
        self.args_list = urllib.parse.parse_qs(query_string, keep_blank_values=True)
        #: Headers, names in any case (`headers["content-type"]`).
        self.headers = _Headers(headers)
        #: The body's bytes.
        self.data = data

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def get_data(self, as_text: bool = False):
        return self.data.decode("utf-8", "replace") if as_text else self.data

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")

    def get_json(self, silent: bool = False) -> Any:
        """The body parsed as JSON (`None` for an empty body; with `silent`,
        also for one that is not JSON)."""
        if not self.data:
            return None
        try:
            return json.loads(self.data)
        except ValueError:
            if silent:
                return None
            raise

    @property
    def json(self) -> Any:
        return self.get_json(silent=True)

    def __repr__(self) -> str:
        query = f"?{self.query_string}" if self.query_string else ""
        return f"<Request {self.method} {self.path}{query}>"


class _Headers(dict):
    """A dict of headers whose lookups ignore the names' case."""

    def __init__(self, items: Mapping[str, str]) -> None:
        super().__init__(items)
        self._lower = {k.lower(): v for k, v in items.items()}

    def __getitem__(self, key: str) -> str:
        return self._lower[key.lower()]

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return self._lower.get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._lower


class Response:
    """An answer: `Response("text", status=201, headers={"X-A": "1"})`,
    `Response(json={"id": 1})`, or bytes."""

    def __init__(
        self,
        body: Any = b"",
        status: int = 200,
        headers: Optional[Mapping[str, str]] = None,
        content_type: Optional[str] = None,
        json: Any = None,  # noqa: A002 - the name users expect
    ) -> None:
        headers = dict(headers or {})
        if json is not None:
            body = json_dumps(json).encode()
            content_type = content_type or "application/json"
        if isinstance(body, str):
            body = body.encode()
            content_type = content_type or "text/plain; charset=utf-8"
        if content_type and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = content_type
        self.body: bytes = bytes(body)
        self.status = int(status)
        self.headers: Dict[str, str] = headers


def to_response(value: Any) -> Response:
    """What a handler returned, as a `Response`."""
    if isinstance(value, Response):
        return value
    if isinstance(value, tuple):
        body, status, *rest = value
        response = to_response(body)
        response.status = int(status)
        if rest:
            response.headers.update(rest[0])
        return response
    if value is None:
        return Response(b"", 204)
    if isinstance(value, (dict, list)):
        return Response(json=value)
    if isinstance(value, (str, bytes, bytearray)):
        return Response(value)
    raise TypeError(
        f"a handler returned {type(value).__name__}: return a fake_servicer.Response, "
        "a dict or list (JSON), str or bytes, or a tuple (body, status[, headers])"
    )


Handler = Callable[[Request], Any]


class HandlerServer:
    """The loopback HTTP server the stubs of `respond_with_handler` proxy to."""

    def __init__(self, bind: str = "127.0.0.1", advertise: Optional[str] = None) -> None:
        self._handlers: Dict[str, Tuple[Handler, List[str]]] = {}
        self._lock = threading.Lock()
        owner = self

        class Dispatch(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                owner._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

        self._server = ThreadingHTTPServer((bind, 0), Dispatch)
        self._server.daemon_threads = True
        host = advertise or (bind if bind not in ("0.0.0.0", "::") else "127.0.0.1")
        self.base_url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-servicer-handlers", daemon=True)
        self._thread.start()

    def register(self, handler: Handler, errors: List[str]) -> str:
        """Keeps `handler`; the base URL a proxying stub sends its requests
        to. Exceptions it raises are appended to `errors`."""
        key = uuid.uuid4().hex
        with self._lock:
            self._handlers[key] = (handler, errors)
        return f"{self.base_url}{PREFIX}{key}"

    def forget(self, base_url: str) -> None:
        with self._lock:
            self._handlers.pop(base_url.rsplit("/", 1)[-1], None)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _dispatch(self, exchange: BaseHTTPRequestHandler) -> None:
        target = urllib.parse.urlsplit(exchange.path)
        rest = target.path[len(PREFIX):] if target.path.startswith(PREFIX) else ""
        key, _, path = rest.partition("/")
        with self._lock:
            found = self._handlers.get(key)
        length = int(exchange.headers.get("Content-Length") or 0)
        data = exchange.rfile.read(length) if length > 0 else b""
        if found is None:
            _write(exchange, Response(f"no handler {key!r}: its test has ended", 410))
            return
        handler, errors = found
        request = Request(exchange.command, "/" + path, target.query, dict(exchange.headers.items()), data)
        try:
            response = to_response(handler(request))
        except Exception:  # the test sees it in check_assertions()
            text = traceback.format_exc()
            errors.append(f"{request!r}: the handler raised\n{text}")
            response = Response(text, 500)
        try:
            _write(exchange, response)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server gave up waiting (its proxy timeout)


def _write(exchange: BaseHTTPRequestHandler, response: Response) -> None:
    exchange.send_response(response.status)
    for name, value in response.headers.items():
        if name.lower() not in ("content-length", "connection", "transfer-encoding"):
            exchange.send_header(name, value)
    exchange.send_header("Content-Length", str(len(response.body)))
    exchange.end_headers()
    if exchange.command != "HEAD":
        exchange.wfile.write(response.body)


_shared: Optional[HandlerServer] = None
_shared_lock = threading.Lock()


def shared_handler_server() -> HandlerServer:
    """This process's handler server, started on first use: on loopback, or
    on all interfaces advertised as `FAKE_SERVICER_CALLBACK_HOST` when the
    server runs elsewhere (a container: `host.docker.internal`)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            advertise = os.environ.get("FAKE_SERVICER_CALLBACK_HOST")
            _shared = HandlerServer("0.0.0.0" if advertise else "127.0.0.1", advertise)
        return _shared
