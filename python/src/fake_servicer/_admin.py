"""A small JSON client for the admin API, on the standard library only."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Mapping, Optional, Tuple

SCOPE_HEADER = "X-Fake-Servicer-Scope"


class FakeServicerError(Exception):
    """The server refused an admin call: `status` and the `body` it answered."""

    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        super().__init__(f"{method} {url} answered {status}: {body[:2000]}")
        self.status = status
        self.body = body


class Admin:
    """Calls `<url>/__admin/...`, with `Authorization: Bearer <token>` when a
    token is set (`FAKE_SERVICER_ADMIN_TOKEN` by default)."""

    def __init__(self, url: str, token: Optional[str] = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.token = token if token is not None else os.environ.get("FAKE_SERVICER_ADMIN_TOKEN")
        self.timeout = timeout

    def auth_headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        scope: Optional[str] = None,
        query: Optional[Mapping[str, Any]] = None,
        ok: Tuple[int, ...] = (200, 201),
        timeout: Optional[float] = None,
    ) -> Tuple[int, Any]:
        """`method` on `/__admin<path>`: the status and the JSON answered
        (`None` for an empty body). A status outside `ok` raises
        `FakeServicerError`."""
        url = f"{self.url}/__admin{path}"
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        headers = {"Accept": "application/json", **self.auth_headers()}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if scope is not None:
            headers[SCOPE_HEADER] = scope
        status, text = send(method, url, data, headers, timeout or self.timeout)
        if status not in ok:
            raise FakeServicerError(method, url, status, text)
        return status, (json.loads(text) if text.strip() else None)


def send(method: str, url: str, data: Optional[bytes], headers: Mapping[str, str], timeout: float) -> Tuple[int, str]:
    """One HTTP exchange: the status and the body as text (any status)."""
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode("utf-8", "replace")
